"""Six-frame seed scan: find the ORFs of contigs that can hold a marker gene.

The fast marker path (:mod:`genomeface_core.markers.fast`) calls genes only
where a marker can be.  This module finds those places without calling
genes, BLAST's two-hit method on HMMER's scores:

* every contig is translated in its six frames (translation table 11) and
  cut into open reading frames at stop codons and unknown bases;
* *seeds* are k-mers (k = 6) of Murphy's 10-letter reduced amino-acid
  alphabet that score >= 8.5 bits against some window of a marker HMM's match
  emissions (log-odds, the words PSI-BLAST would call a profile's
  neighbourhood); a :class:`SeedTable` maps each to its (HMM, position);
* two seeds of one HMM on one diagonal (ORF residue - HMM position) of one
  ORF, 4 to ``window`` (60) residues apart, trigger an ungapped X-drop
  extension along the diagonal scored with the HMM's full-alphabet match
  log-odds (the ungapped segments HMMER's MSV filter scores);
* an ORF whose best extension for an HMM reaches ``min_bits`` is reported.

The scan is one Numba pass per frame that releases the GIL (threads scan
chunks of contigs in parallel).  On 10 shared genomes cut into 4,331 contigs
(26 Mbp), with 10-bit seeds, every one of the 399 marker genes of the exact
path lies in an ORF scoring >= 39.8 bits, while ORFs >= 30 bits cover 2.8%
of the sequence; on 18 other genomes one divergent ribosomal protein S7
(COG0049) reached 28.7 bits with 9.5-bit seeds and 98.7 with 9-bit seeds,
hence 9 (about 2.5x the table entries of 10, 2.5x the scan time).  Seeds
that overlap by more than 2 letters then made >99% of the extensions; not
counting them as second hits halves the scan time, and 8.5-bit seeds with a
60-residue window keep all 1,317 (contig, marker) pairs of 37 genomes
(``benchmarks/results/markers.md``).

>>> codes = encode_nt(b"ATGGCNa")
>>> codes.tolist()
[0, 3, 2, 2, 1, 4, 0]
>>> aa = translate_codons(encode_nt(b"ATGTAAGCNA"))
>>> "".join(AA_LETTERS[a] for a in aa)  # codons ATG, TGT, GTA, TAA, AAG, AGC, GCN, CNA
'MCV*KS..'
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import numba as nb
from numba.core.cpu import CPUTargetOptions as _CPUTargetOptions
import numpy as np

__all__ = [
    "AA_LETTERS",
    "encode_nt",
    "translate_codons",
    "SeedTable",
    "seed_table",
    "scan_seeds",
]

#: Amino-acid codes 0..19 follow pyhmmer's ``Alphabet.amino()`` order; 20 is a
#: stop codon, 21 a codon with a non-ACGT base.  (Printed as ``*`` and ``.``.)
AA_LETTERS = "ACDEFGHIKLMNPQRSTVWY*."
STOP, UNKNOWN = 20, 21
#: Shortest ORF scanned (residues): Prodigal calls no gene under 60 bp.
MIN_ORF_AA = 20

#: Translation table 11 (bacteria, archaea), codons in TCAG order as NCBI lists them.
_NCBI11_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"

#: Reduced amino-acid alphabet (groups of the 20 letters), Murphy et al. 2000's
#: 10-letter alphabet: seeds then tolerate conservative substitutions.
MURPHY10 = ("LVIM", "C", "A", "G", "ST", "P", "FYW", "EDNQ", "KR", "H")

_NT = np.full(256, 4, dtype=np.uint8)
for _i, _c in enumerate(b"ACGT"):
    _NT[_c] = _i
    _NT[ord(chr(_c).lower())] = _i


def encode_nt(seq: bytes | str) -> np.ndarray:
    """uint8 codes of a DNA sequence: A,C,G,T (either case) = 0..3, anything else 4."""
    if isinstance(seq, str):
        seq = seq.encode()
    return _NT[np.frombuffer(seq, dtype=np.uint8)]


@functools.lru_cache(maxsize=None)
def _codon_aa() -> np.ndarray:
    """uint8 (125,): amino-acid code of the codon ``16*b1 + 4*b2 + b3`` in base-5
    digits (ACGT=0..3, N=4) -> index ``25*b1 + 5*b2 + b3``."""
    tcag = "TCAG"
    out = np.full(125, UNKNOWN, dtype=np.uint8)
    for i, a in enumerate(_NCBI11_AA):
        b1, b2, b3 = (("ACGT".index(tcag[d])) for d in (i // 16, (i // 4) % 4, i % 4))
        out[25 * b1 + 5 * b2 + b3] = STOP if a == "*" else AA_LETTERS.index(a)
    return out


def translate_codons(nt: np.ndarray) -> np.ndarray:
    """Amino-acid code of the codon starting at every position of ``nt``
    (``encode_nt`` codes); length ``len(nt) - 2`` (frame f = ``[f::3]``)."""
    if len(nt) < 3:
        return np.zeros(0, dtype=np.uint8)
    idx = 25 * nt[:-2].astype(np.int16) + 5 * nt[1:-1] + nt[2:]
    return _codon_aa()[idx]


_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)


def revcomp_codes(nt: np.ndarray) -> np.ndarray:
    """Reverse complement of ``encode_nt`` codes."""
    return _COMPLEMENT[nt[::-1]]


class SeedTable:
    """Seeds of the marker HMMs, as a CSR map from k-mer code (base-``len(groups)``
    digits of the reduced letters) to the (HMM index, match position) pairs
    where that k-mer scores above the threshold: entries
    ``offsets[c]:offsets[c+1]`` of ``hmm`` and ``pos`` (and of ``packed``,
    ``pos << 6 | hmm``, what the scan reads)."""

    def __init__(self, k: int, groups: Sequence[str], codes: np.ndarray, hmm: np.ndarray,
                 pos: np.ndarray, names: Sequence[str], log_odds: Sequence[np.ndarray]):
        self.k, self.groups, self.names = k, tuple(groups), tuple(names)
        # full-alphabet match log-odds (bits) of all HMMs stacked, one row per
        # match state; columns 20, 21 (stop, unknown) score -inf
        self.lengths = np.array([len(x) for x in log_odds], np.int64)
        self.hmm_offsets = np.cumsum(self.lengths) - self.lengths
        lo = np.full((int(self.lengths.sum()), 22), -1e9, np.float32)
        lo[:, :20] = np.concatenate(log_odds)
        self.log_odds = lo
        self.base = len(groups)
        order = np.argsort(codes, kind="stable")
        self.hmm = hmm[order].astype(np.int32)
        self.pos = pos[order].astype(np.int32)
        # (position << 6) | hmm in one int32: one memory access per entry
        self.packed = (self.pos << 6) | self.hmm
        self.offsets = np.searchsorted(codes[order], np.arange(self.base**k + 1)).astype(np.int32)
        red = np.full(22, self.base, dtype=np.uint8)  # stop/unknown -> invalid letter
        for g, letters in enumerate(groups):
            for a in letters:
                red[AA_LETTERS.index(a)] = g
        self.reduce = red


def _reduced_log_odds(hmm, groups: Sequence[str], bg: np.ndarray) -> np.ndarray:
    """(M, len(groups)) log2 odds of each reduced letter at each match state."""
    em = np.asarray(hmm.match_emissions, dtype=np.float64)[1:, :20]
    cols = [[AA_LETTERS.index(a) for a in g] for g in groups]
    p = np.stack([em[:, c].sum(axis=1) for c in cols], axis=1)
    q = np.array([bg[c].sum() for c in cols])
    return np.log2(np.maximum(p, 1e-12) / q)


def _kmers_above(lo: np.ndarray, k: int, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(code, start position) of every k-mer scoring >= threshold (bits) at
    a start position of the (M, B) log-odds matrix ``lo`` (branch and bound
    on the best possible rest of the word)."""
    m, b = lo.shape
    if m < k:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    best = lo.max(axis=1)
    starts = np.arange(m - k + 1)
    # rest[j, s]: best achievable score of word letters j..k-1 at start s
    rest = np.zeros((k + 1, len(starts)))
    for j in range(k - 1, -1, -1):
        rest[j] = rest[j + 1] + best[starts + j]
    pos = starts.copy()
    code = np.zeros(len(starts), np.int64)
    score = np.zeros(len(starts))
    for j in range(k):
        s = score[:, None] + lo[pos + j]  # (n, B)
        keep = s + rest[j + 1][pos][:, None] >= threshold
        ii, aa = np.nonzero(keep)
        pos, score = pos[ii], s[ii, aa]
        code = code[ii] * b + aa
    return code, pos


@functools.lru_cache(maxsize=None)
def seed_table(k: int = 6, threshold: float = 8.5, groups: tuple[str, ...] = MURPHY10) -> SeedTable:
    """:class:`SeedTable` of the fetchMGs HMMs (incl. COG0086): every reduced
    k-mer scoring >= ``threshold`` bits against some window of an HMM."""
    import pyhmmer

    from genomeface_core.markers.hmms import load_hmms

    hmms = load_hmms()
    if len(hmms) > 64:
        raise ValueError("seed entries pack the HMM index in 6 bits")
    bg = np.asarray(pyhmmer.plan7.Background(hmms[0].alphabet).residue_frequencies)[:20]
    codes, hmm_idx, pos, names, full = [], [], [], [], []
    for j, hmm in enumerate(hmms):
        names.append(hmm.name.decode() if isinstance(hmm.name, bytes) else hmm.name)
        c, p = _kmers_above(_reduced_log_odds(hmm, groups, bg), k, threshold)
        codes.append(c)
        pos.append(p)
        hmm_idx.append(np.full(len(c), j))
        em = np.asarray(hmm.match_emissions, dtype=np.float64)[1:, :20]
        full.append(np.log2(np.maximum(em, 1e-12) / bg))
    return SeedTable(k, groups, np.concatenate(codes), np.concatenate(hmm_idx),
                     np.concatenate(pos), names, full)


class _SeedArrays(NamedTuple):
    """A :class:`SeedTable` as the compiled scan reads it (one argument for Numba)."""
    k: int                  #: seed length (residues)
    base: int               #: reduced-alphabet size (digits of a k-mer code)
    reduce: np.ndarray      #: uint8 (22,): reduced letter of each amino-acid code, ``base`` = none
    offsets: np.ndarray     #: int32 CSR offsets of the k-mer codes into ``packed``
    packed: np.ndarray      #: int32 ``pos << 6 | hmm`` of each seed entry
    log_odds: np.ndarray    #: float32 (match states, 22): full-alphabet match log-odds (bits)
    hoff: np.ndarray        #: int64: first row of each HMM in ``log_odds``
    hlen: np.ndarray        #: int64: match states of each HMM


class _ScanParams(NamedTuple):
    """Thresholds of :func:`scan_seeds` (residues and bits)."""
    window: int             #: most residues between two hits on a diagonal
    xdrop: float            #: bits below the best score that stop an extension
    min_bits: float         #: best extension (bits) that reports an ORF
    min_orf: int            #: shortest ORF scanned (residues)
    min_gap: int            #: fewest residues between two hits that count as two


class _Diagonals(NamedTuple):
    """The two-hit rule's state, int32 (HMMs, slots); a global diagonal ``gd``
    lives in slot ``gd & (slots - 1)``."""
    last: np.ndarray        #: global residue position of the diagonal's last hit
    tag: np.ndarray         #: global diagonal the slot holds now
    ext_to: np.ndarray      #: global position an extension on it reached, -1 = none


#: Numba options of the scan's inner steps: no reference counting (they
#: allocate nothing), so LLVM inlines them into the seed loop with no per-hit
#: incref/decref of their arrays (``inline="always"`` adds those: 30% slower)
#: ``_nrt`` is a Numba-internal option (present in 0.59-0.68, ``CPUTargetOptions._nrt``); where a Numba
#: lacks it the steps are inlined instead: the same results, slower
_INNER = dict(cache=True, nogil=True,
              **({"_nrt": False} if hasattr(_CPUTargetOptions, "_nrt") else {"inline": "always"}))


def _seed_arrays(table: SeedTable) -> _SeedArrays:
    """The arrays of ``table`` that the compiled scan reads."""
    return _SeedArrays(table.k, table.base, table.reduce, table.offsets, table.packed,
                       table.log_odds, table.hmm_offsets, table.lengths)


@nb.njit(**_INNER)
def _second_hit(diag, j, slot, gd, gs, orf_start, params):
    """Record a seed hit of HMM ``j`` at global position ``gs`` on global
    diagonal ``gd`` (``slot`` of it); True if it is the second hit that
    triggers an extension (BLAST's two-hit rule).  A hit is a first hit when
    the slot holds another diagonal or its last hit lies before the ORF
    (global position ``orf_start``)."""
    if diag.tag[j, slot] != gd or diag.last[j, slot] < orf_start:
        diag.tag[j, slot] = gd
        diag.last[j, slot] = gs
        diag.ext_to[j, slot] = -1
        return False
    prev = diag.last[j, slot]
    # BLAST's two-hit rule: a second hit that overlaps the first
    # by more than k - min_gap letters is one longer word, not
    # a second hit (such pairs made >99% of the extensions,
    # nearly all in non-marker sequence); keep the first
    if prev < gs < prev + params.min_gap:
        return False
    diag.last[j, slot] = gs
    if gs - prev > params.window or gs <= prev or diag.ext_to[j, slot] >= gs:
        return False
    return True


@nb.njit(**_INNER)
def _extend_seed(res, log_odds, row, s, lo, hi, xdrop):
    """Ungapped X-drop extension of a seed at residue ``s`` along its
    diagonal, rightwards from ``s`` to at most ``hi`` and leftwards from
    ``s - 1`` to at least ``lo``, each side stopped ``xdrop`` bits below its
    best.  Residue ``p`` scores ``log_odds[row + p, res[p]]``.  Returns
    (bits: the sum of both sides' best, residue where the right side's best
    ends)."""
    sc = 0.0
    top = 0.0
    right = s
    p = s
    while p < hi:
        sc += log_odds[row + p, res[p]]
        if sc > top:
            top = sc
            right = p
        elif sc < top - xdrop:
            break
        p += 1
    total = top
    sc = 0.0
    top = 0.0
    p = s - 1
    while p >= lo:
        sc += log_odds[row + p, res[p]]
        if sc > top:
            top = sc
        elif sc < top - xdrop:
            break
        p -= 1
    total += top
    return total, right


@nb.njit(**_INNER)
def _scan_orf(res, a, b, g0, seeds, params, diag, best, touched):
    """Seed hits, two-hit checks and extensions in the ORF ``res[a:b]``
    (``g0`` as in :func:`_scan_frame`): raises ``best[j]`` to the best
    extension (bits) of each HMM ``j``, listing in ``touched`` each HMM it
    scores first (``best`` still -1); returns how many it listed."""
    k, base, reduce = seeds.k, seeds.base, seeds.reduce
    offsets, packed = seeds.offsets, seeds.packed
    lead = base ** (k - 1)
    dmask = diag.last.shape[1] - 1
    n_touched = 0
    code = 0
    for q in range(a, b):
        if q - a >= k:  # drop the letter leaving the word
            code -= reduce[res[q - k]] * lead
        code = code * base + reduce[res[q]]
        if q - a < k - 1:
            continue
        s = q - k + 1
        for e in range(offsets[code], offsets[code + 1]):
            j = packed[e] & 63
            d = s - (packed[e] >> 6)
            gd = g0 + d
            gs = g0 + s
            slot = gd & dmask
            if not _second_hit(diag, j, slot, gd, gs, g0 + a, params):
                continue
            # two seeds on one diagonal: ungapped X-drop extension
            total, right = _extend_seed(res, seeds.log_odds, seeds.hoff[j] - d, s,
                                        max(a, d), min(b, d + seeds.hlen[j]), params.xdrop)
            diag.ext_to[j, slot] = g0 + right
            if best[j] < 0.0:
                touched[n_touched] = j
                n_touched += 1
            if total > best[j]:
                best[j] = total
    return n_touched


@nb.njit(cache=True, nogil=True)
def _report_orf(frame, clen, a, b, min_bits, best, touched, n_touched, out, n_out):
    """Append a row (frame, orf start, orf end, hmm, bits) to ``out`` from row
    ``n_out`` for each HMM in ``touched[:n_touched]`` whose best extension in
    the ORF of residues ``a..b-1`` reaches ``min_bits`` (residue 0 at bp
    ``frame`` of a contig of ``clen`` bp), and clear ``best`` for the next
    ORF; returns the new row count and ``out`` (grown if needed)."""
    for t in range(n_touched):
        j = touched[t]
        if best[j] >= min_bits:
            if n_out == out.shape[0]:
                grown = np.empty((2 * out.shape[0], 5), np.float64)
                grown[:n_out] = out
                out = grown
            out[n_out, 0] = frame
            out[n_out, 1] = frame + 3 * a
            # through the stop codon when there is one
            out[n_out, 2] = min(clen, frame + 3 * b + 3)
            out[n_out, 3] = j
            out[n_out, 4] = best[j]
            n_out += 1
        best[j] = -1.0
    return n_out, out


@nb.njit(cache=True, nogil=True)
def _scan_frame(res, g0, frame, clen, seeds, params, diag, best, touched, out, n_out):
    """Scan the ORFs of one frame (residue codes ``res``, residue 0 at bp
    ``frame`` of a contig of ``clen`` bp) for seeds; see :func:`scan_seeds`.
    Appends rows (frame, orf start, orf end, hmm, bits) to ``out`` from row
    ``n_out``; returns the new row count and ``out`` (grown if needed).
    ``g0`` offsets residue positions in the diagonal tables, so that entries
    left by earlier frames never match."""
    nres = len(res)
    a = 0
    while a < nres:
        # ORF: residues a..b-1, b = next break (stop / unknown) or the end
        b = a
        while b < nres and res[b] < 20:
            b += 1
        # Prodigal calls no gene shorter than 60 bp (min_edge_gene): shorter
        # ORFs, most of the random ones, cannot hold a called marker
        if b - a >= max(seeds.k, params.min_orf):
            n_touched = _scan_orf(res, a, b, g0, seeds, params, diag, best, touched)
            n_out, out = _report_orf(frame, clen, a, b, params.min_bits, best, touched,
                                     n_touched, out, n_out)
        a = b + 1
    return n_out, out


@nb.njit(cache=True, nogil=True)
def _frame_residues(seq, f, codon_aa):
    """uint8 amino-acid codes of frame ``f`` (0..2) of the ``encode_nt`` codes ``seq``."""
    nres = (len(seq) - f) // 3
    res = np.empty(nres, np.uint8)
    for p in range(nres):
        x = f + 3 * p
        res[p] = codon_aa[25 * seq[x] + 5 * seq[x + 1] + seq[x + 2]]
    return res


@nb.njit(cache=True, nogil=True)
def _scan_batch(nt, starts, ends, codon_aa, seeds, params, nslots):
    """Seed scan of contigs ``nt[starts[c]:ends[c]]`` on both strands.
    Rows: (contig, strand +1/-1, start, end, hmm, bits), coordinates on the
    forward strand of the contig, half-open."""
    k = seeds.k
    nh = len(seeds.hoff)
    # int32 keeps the three tables (41 x 1024 slots) in L2 cache; global
    # positions stay < 2**31 for any batch under ~1 Gbp
    diag = _Diagonals(np.full((nh, nslots), -1, np.int32),
                      np.full((nh, nslots), -(1 << 30), np.int32),
                      np.full((nh, nslots), -1, np.int32))
    best = np.full(nh, -1.0)  # per-ORF best extension of each HMM, -1 = none
    touched = np.empty(nh, np.int64)
    out = np.empty((64, 5), np.float64)
    rows = np.empty((64, 6), np.float64)
    n_rows = 0
    g0 = 1 << 20  # above any HMM length: global diagonals stay positive
    comp = np.array([3, 2, 1, 0, 4], np.uint8)
    for c in range(len(starts)):
        L = ends[c] - starts[c]
        if L < 3 * k:
            continue
        seq = nt[starts[c]:ends[c]]
        for strand in (1, -1):
            if strand == -1:
                rc = np.empty(L, np.uint8)
                for x in range(L):
                    rc[x] = comp[seq[L - 1 - x]]
                seq = rc
            n_out = 0
            for f in range(3):
                res = _frame_residues(seq, f, codon_aa)
                n_out, out = _scan_frame(res, g0, f, L, seeds, params, diag, best, touched,
                                         out, n_out)
                g0 += len(res) + 1
            if n_rows + n_out > rows.shape[0]:
                grown = np.empty((2 * (n_rows + n_out), 6), np.float64)
                grown[:n_rows] = rows[:n_rows]
                rows = grown
            for r in range(n_out):
                s0, e0 = out[r, 1], out[r, 2]
                rows[n_rows, 0] = c
                rows[n_rows, 1] = strand
                if strand == 1:
                    rows[n_rows, 2] = s0
                    rows[n_rows, 3] = e0
                else:
                    rows[n_rows, 2] = L - e0
                    rows[n_rows, 3] = L - s0
                rows[n_rows, 4] = out[r, 3]
                rows[n_rows, 5] = out[r, 4]
                n_rows += 1
    return rows[:n_rows]


def scan_seeds(
    seqs: Sequence[bytes | str], table: SeedTable, *, window: int = 60, xdrop: float = 20.0,
    min_bits: float = 30.0, min_gap: int = 4, nslots: int = 1024,
) -> np.ndarray:
    """Open reading frames of ``seqs`` that look like part of a marker.

    Each contig is translated in its six frames and cut into ORFs at stop
    codons and unknown bases.  Two seeds of one HMM on one diagonal (ORF
    residue - HMM position), ``min_gap`` to ``window`` residues apart, trigger an
    ungapped extension along that diagonal, scored with the HMM's match
    log-odds (bits, full alphabet) and stopped ``xdrop`` bits below its best
    (BLAST's two-hit method with HMMER's match scores: HMMER's MSV filter
    scores the same ungapped segments).  An ORF whose best extension for
    some HMM reaches ``min_bits`` is reported.

    Returns a float64 array, one row per (ORF, HMM): contig index, strand
    (+1/-1), start and end (bp, forward-strand coordinates, half-open, the
    whole ORF incl. its stop codon), HMM index (``table.names``), bits.
    """
    if nslots & (nslots - 1):
        raise ValueError("nslots must be a power of two")
    lens = np.fromiter((len(s) for s in seqs), np.int64, len(seqs))
    ends = np.cumsum(lens)
    starts = ends - lens
    nt = np.empty(int(lens.sum()), np.uint8)
    for s, a, n in zip(seqs, starts, lens):
        if n:
            nt[a : a + n] = encode_nt(s)
    params = _ScanParams(window, float(xdrop), float(min_bits), MIN_ORF_AA, int(min_gap))
    return _scan_batch(nt, starts, ends, _codon_aa(), _seed_arrays(table), params, nslots)
