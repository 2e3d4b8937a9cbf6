"""Composition features: the paper's 1712 k-mer frequencies per contig.

Blocks, in column order (sizes in parentheses)::

    canonical nucleotide k-mers, k = 1..5   (2, 10, 32, 136, 512)
    canonical RY k-mers,         k = 6..10  (36, 64, 136, 256, 528)

RY maps A,G -> R and C,T -> Y; the RY complement swaps R and Y.  A k-mer and
its reverse complement share one column (the lexicographically smaller code
names it).  K-mers that overlap a base other than A/C/G/T (either case) are
skipped.  Each block is L1-normalised to frequencies; a block with no k-mer
stays zero.

The kernel counts only the longest k-mers (5 and 10) at each position and
derives the shorter ones by marginalising prefixes, adding the one k-mer at
the end of each ACGT run that no (k+1)-mer starts with.  That costs two
increments per base instead of ten.  It runs in Numba with the GIL released,
in parallel over contigs.

>>> import numpy as np
>>> f = kmer_features([b"ACGTACGTAAAC" * 200])
>>> f.shape, f.dtype
((1, 1712), dtype('float32'))
>>> bool(np.allclose([f[0, s].sum() for s in BLOCK_SLICES], 1.0))
True
"""
from __future__ import annotations

from typing import Sequence

import numba as nb
import numpy as np

NT_KS = (1, 2, 3, 4, 5)
RY_KS = (6, 7, 8, 9, 10)
N_FEATURES = 1712

# base code: A=0 C=1 G=2 T=3, anything else 4.  RY bit = code & 1 (A,G->0=R; C,T->1=Y).
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _c in enumerate(b"ACGT"):
    _CODE[_c] = _i
    _CODE[ord(chr(_c).lower())] = _i


def _revcomp(x: int, k: int, bits: int) -> int:
    """Reverse complement of k-mer code ``x`` with ``bits`` per base (2: A<->T, C<->G; 1: R<->Y).

    >>> _revcomp(0b0001, 2, 2), _revcomp(0b001, 3, 1)   # AC -> GT, RRY -> RYY
    (11, 3)
    """
    top = (1 << bits) - 1
    r = 0
    for _ in range(k):
        r = (r << bits) | (top - (x & top))
        x >>= bits
    return r


def _canonical_map(k: int, bits: int) -> np.ndarray:
    """Column index (within the block) of every raw k-mer code."""
    n = 1 << (bits * k)
    canon = np.array([min(x, _revcomp(x, k, bits)) for x in range(n)], dtype=np.int64)
    _, idx = np.unique(canon, return_inverse=True)
    return idx.astype(np.int32)


def _build_maps():
    maps, sizes = [], []
    for k in NT_KS:
        m = _canonical_map(k, 2)
        maps.append(m)
        sizes.append(int(m.max()) + 1)
    for k in RY_KS:
        m = _canonical_map(k, 1)
        maps.append(m)
        sizes.append(int(m.max()) + 1)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32)
    return maps, sizes, offsets


_MAPS, BLOCK_SIZES, _OFFSETS = _build_maps()
assert _OFFSETS[-1] == N_FEATURES, _OFFSETS
BLOCK_SLICES = tuple(slice(int(_OFFSETS[i]), int(_OFFSETS[i + 1])) for i in range(10))
# all ten maps packed in one array: map for block b at [_MOFF[b], _MOFF[b] + 4**k or 2**k)
_MOFF = np.concatenate([[0], np.cumsum([len(m) for m in _MAPS])]).astype(np.int64)
_MAPCAT = np.concatenate(_MAPS).astype(np.int32)


@nb.njit(cache=True, nogil=True, inline="always")
def _count_run(codes, start, end, raw_top, tails, bits, k_top, k_min):
    """Count k_top-mers of codes[start:end] (all ACGT) into ``raw_top`` and the tail k-mers
    (k_min <= k < k_top, the last one of the run) into ``tails[k - k_min]``.

    ``bits`` per base: 2 (A,C,G,T) or 1 (the RY bit, code & 1).  Both top blocks have
    1024 raw codes (4^5 = 2^10), hence the one mask.
    """
    L = end - start
    base = (1 << bits) - 1
    h = 0
    for i in range(L):
        h = ((h << bits) | (codes[start + i] & base)) & 1023
        if i >= k_top - 1:
            raw_top[h] += 1
    # prefixes of all (k+1)-mers give every k-mer except the last one (p = L-k)
    for k in range(k_min, k_top):
        if L >= k:
            x = 0
            for j in range(k):
                x = (x << bits) | (codes[start + L - k + j] & base)
            tails[k - k_min, x] += 1


@nb.njit(cache=True, nogil=True)
def _emit_blocks(raw_top, tails, k_top, k_min, bits, row, mapcat, moff, boff):
    """Frequencies of blocks k_top..k_min into ``row``: the k_top block is counted
    directly, each shorter block by summing prefixes of the next longer one plus
    its one tail k-mer per run (``tails[k - k_min]``).  ``bits`` per base: 2 (ACGT) or 1 (RY)."""
    cur = raw_top.copy()
    alpha = 1 << bits
    for k in range(k_top, k_min - 1, -1):
        b = k - 1  # block index: k=1..5 -> 0..4, RY k=6..10 -> 5..9
        size = 1 << (bits * k)
        if k < k_top:
            nxt = np.zeros(size, np.int64)
            for x in range(size):
                s = tails[k - k_min, x]
                for a in range(alpha):
                    s += cur[alpha * x + a]
                nxt[x] = s
            cur = nxt
        tot = 0
        for x in range(size):
            tot += cur[x]
        if tot > 0:
            inv = 1.0 / tot
            for x in range(size):
                row[boff[b] + mapcat[moff[b] + x]] += cur[x] * inv


@nb.njit(cache=True, nogil=True, parallel=True)
def _kernel(codes, offsets, mapcat, moff, boff, out):
    n = offsets.shape[0] - 1
    for c in nb.prange(n):
        raw5 = np.zeros(1024, np.int64)
        raw10 = np.zeros(1024, np.int64)
        tnt = np.zeros((4, 256), np.int64)
        try_ = np.zeros((4, 512), np.int64)
        s, e = offsets[c], offsets[c + 1]
        i = s
        while i < e:
            while i < e and codes[i] == 4:
                i += 1
            j = i
            while j < e and codes[j] != 4:
                j += 1
            if j > i:
                _count_run(codes, i, j, raw5, tnt, 2, 5, 1)
                _count_run(codes, i, j, raw10, try_, 1, 10, 6)
            i = j
        row = out[c]
        _emit_blocks(raw5, tnt, 5, 1, 2, row, mapcat, moff, boff)
        _emit_blocks(raw10, try_, 10, 6, 1, row, mapcat, moff, boff)


def feature_matrix(features, what: str) -> np.ndarray:
    """``features`` as a float32 (n, 1712) array; ValueError naming the embedding ``what`` otherwise."""
    f = np.asarray(features, dtype=np.float32)
    if f.ndim != 2 or f.shape[1] != N_FEATURES:
        raise ValueError(f"{what} needs (n, {N_FEATURES}) features, got {f.shape}")
    return f


def encode(seqs: Sequence[bytes | str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate sequences into base codes (uint8, A=0 C=1 G=2 T=3 other=4) and offsets."""
    bs = [s.encode() if isinstance(s, str) else bytes(s) for s in seqs]
    lengths = np.fromiter((len(b) for b in bs), dtype=np.int64, count=len(bs))
    offsets = np.zeros(len(bs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    raw = np.frombuffer(b"".join(bs), dtype=np.uint8)
    return _CODE[raw], offsets


def kmer_features(seqs: Sequence[bytes | str], *, threads: int | None = None,
                  chunk_bp: int = 200_000_000) -> np.ndarray:
    """1712 k-mer frequencies per sequence (float32, rows in input order).

    ``threads`` caps Numba's worker threads (default: Numba's default).
    Sequences are processed in chunks of about ``chunk_bp`` bases so the
    encoded copy stays bounded in memory.
    """
    n = len(seqs)
    out = np.zeros((n, N_FEATURES), dtype=np.float32)
    prev = nb.get_num_threads()
    if threads:
        nb.set_num_threads(max(1, min(int(threads), nb.config.NUMBA_NUM_THREADS)))
    try:
        start = 0
        while start < n:
            stop, bp = start, 0
            while stop < n and (bp < chunk_bp or stop == start):
                bp += len(seqs[stop])
                stop += 1
            codes, offsets = encode(seqs[start:stop])
            _kernel(codes, offsets, _MAPCAT, _MOFF, _OFFSETS, out[start:stop])
            start = stop
    finally:
        nb.set_num_threads(prev)
    return out


def tnf_columns() -> slice:
    """Columns of the canonical tetranucleotide (k=4) block."""
    return BLOCK_SLICES[3]
