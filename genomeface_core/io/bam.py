"""Per-contig mean read depth from sorted, indexed BAM files (MetaBAT-compatible).

:func:`read_bam_depths` reproduces the per-sample mean depth column that
``jgi_summarize_bam_contig_depths`` (MetaBAT 2.15) writes by default, i.e. the
``<bam>`` column next to ``<bam>-var``.  The rules, taken from MetaBAT's
source (``jgi_summarize_bam_contig_depths.{cpp,h}``, ``CheckRead.hpp``) and
checked against the Debian ``metabat`` 2.15 binary in ``tests/test_bam.py``:

Record filter (in this order)
    * skip secondary (0x100), QC-fail (0x200) and duplicate (0x400) records;
      **supplementary (0x800) records are kept**;
    * skip unmapped records (0x4) and records with ``MAPQ < min_mapq``;
    * an alignment running past the contig end is cut as MetaBAT's
      ``fixEndClip`` does: the first CIGAR operation whose reference end passes
      the contig length becomes a soft clip and every later operation is dropped.

Percent identity (MetaBAT ``caldepth`` with no reference FASTA)
    With ``M I D = X`` the summed CIGAR lengths and ``NM`` the NM tag:

    * CIGAR without ``=``/``X``: ``subs = max(NM - I - D, 0)`` (``NM`` absent
      counts as 0), ``exact = M - subs``;
    * CIGAR with ``=``/``X``: ``subs = X``, ``exact = M + =``, with MetaBAT's
      NM-based corrections when ``M`` operations are mixed in;
    * ``identity = exact / (exact + subs + I + D)``, computed in float32; the
      record is dropped if ``identity < min_identity`` (also float32; MetaBAT's
      ``--percentIdentity 97`` is ``min_identity=0.97``).

Depth
    Every base of every ``M``/``=``/``X`` block of a kept record adds 1 to the
    per-base depth (mismatches count, deletions ``D`` and skips ``N`` do
    not, insertions occupy no reference base).  With ``edge = min(trim,
    average read length)`` and contig length ``L``:

    * ``L > 2*edge + 1``: mean over positions ``[edge, L - edge)``;
    * otherwise: mean over the whole contig ``[0, L)``;
    * if the averaged window is 2 bases or shorter the mean is 0.

    MetaBAT sums per-base depths sequentially in float32 and divides in
    float32; this is reproduced (exactly, but only computed per base once the
    integer total reaches 2**24, below which float32 sums are exact).

Known deviation
    MetaBAT's "average read length" is a running integer mean of the SEQ
    length of every record read so far in file order (unmapped, secondary
    with ``SEQ=*`` included), so it can change from contig to contig.  Here
    it is the integer mean over the first 20,000 placed records of each BAM.
    Whenever the mean read length is at least ``trim`` (75 by default, i.e.
    any ordinary Illumina library) both give ``edge = trim`` and the results
    are identical.  Degenerate alignments whose ``NM`` exceeds their aligned
    length (identity undefined; MetaBAT's unsigned arithmetic wraps) are
    dropped here.  MetaBAT 2.15 aborts (failed assertion) on an alignment
    whose *last* CIGAR op crosses the contig end; here it is clipped like
    any other overhang.

Contigs are matched to BAM references by name, never by position.
"""
from __future__ import annotations

import os
from multiprocessing.pool import ThreadPool
from typing import Sequence

import numpy as np
import pysam

from genomeface_core.errors import InputError

__all__ = ["read_bam_depths"]

# unmapped | secondary | QC-fail | duplicate.  Supplementary is deliberately
# absent: MetaBAT's BamNameTrackingChooser::unsupportedRead keeps it.
_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400
_READ_LEN_SAMPLE = 20_000          # records used to estimate the mean read length
_F32_EXACT = 1 << 24               # float32 represents every integer below this

# CIGAR op codes (pysam / SAM spec)
_M, _I, _D, _N, _S, _H, _P, _EQ, _X = range(9)
_REF_OPS = (_M, _D, _N, _EQ, _X)
_ALN_OPS = (_M, _EQ, _X)


def read_bam_depths(
    bam_paths: Sequence[str | os.PathLike],
    contig_names: Sequence[str],
    contig_lengths: Sequence[int] | np.ndarray,
    *,
    min_identity: float = 0.97,
    trim: int = 75,
    min_mapq: int = 0,
    threads: int = 1,
) -> np.ndarray:
    """Mean read depth of every contig in every BAM file.

    Args:
        bam_paths: coordinate-sorted, indexed BAM files, one per sample.
        contig_names: contig names as in the assembly FASTA; looked up by name
            in each BAM header.
        contig_lengths: contig lengths in bases (FASTA), same order as
            ``contig_names``; must equal the BAM header lengths.
        min_identity: minimum alignment identity as a fraction (0.97 = MetaBAT's
            ``--percentIdentity 97``).
        trim: bases left out at each contig end (MetaBAT ``--maxEdgeBases``),
            capped at the mean read length; 0 = MetaBAT ``--includeEdgeBases``.
        min_mapq: minimum mapping quality (MetaBAT ``--minMapQual``).
        threads: worker threads (work is split over BAM files and contig ranges).

    Returns:
        float32 array of shape ``(len(contig_names), len(bam_paths))``: mean
        depth in reads per base (x coverage), rows in the order of
        ``contig_names``, columns in the order of ``bam_paths``.

    Raises:
        InputError: a BAM is missing, unreadable, not coordinate-sorted, not
            indexed, lacks a contig, or disagrees on a contig's length.
    """
    names = [str(n) for n in contig_names]
    lengths = np.asarray(contig_lengths, dtype=np.int64).reshape(-1)
    if len(names) != len(lengths):
        raise ValueError(f"{len(names)} contig names but {len(lengths)} contig lengths")
    if not 0.0 <= min_identity <= 1.0:
        raise ValueError(f"min_identity must be a fraction in [0, 1], got {min_identity}")
    if trim < 0:
        raise ValueError(f"trim must be >= 0, got {trim}")
    paths = [os.fspath(p) for p in bam_paths]
    out = np.zeros((len(names), len(paths)), dtype=np.float32)
    if not names or not paths:
        return out

    # Validate every file up front so a bad sample fails before any real work.
    edges, tids = [], []
    for p in paths:
        avg_len, tid = _inspect_bam(p, names, lengths)
        edges.append(min(int(trim), avg_len))
        tids.append(tid)

    threads = max(1, int(threads))
    # Contig ranges in BAM (tid) order keep each worker's reads sequential on disk.
    n_chunks = max(1, -(-threads * 4 // len(paths))) if threads > 1 else 1
    units = []
    for j, tid in enumerate(tids):
        order = np.argsort(tid, kind="stable")
        for chunk in np.array_split(order, min(n_chunks, len(order))):
            units.append((j, chunk))

    thr = np.float32(min_identity)

    def work(unit):
        j, rows = unit
        p = paths[j]
        try:
            # one handle per unit: pysam handles are not thread-safe
            with pysam.AlignmentFile(p, "rb") as af:
                for i in rows:
                    out[i, j] = _contig_mean(af, names[i], int(lengths[i]), edges[j], min_mapq, thr)
        except (OSError, ValueError) as exc:
            raise InputError(p, f"cannot read alignments ({exc})") from exc

    if threads == 1 or len(units) == 1:
        for u in units:
            work(u)
    else:
        with ThreadPool(min(threads, len(units))) as pool:
            pool.map(work, units, chunksize=1)
    return out


def _inspect_bam(path: str, names: list[str], lengths: np.ndarray) -> tuple[int, np.ndarray]:
    """Check one BAM; return (mean read length estimate in bases, tid per contig)."""
    if not os.path.isfile(path):
        raise InputError(path, "BAM file not found")
    try:
        af = pysam.AlignmentFile(path, "rb")
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot open as BAM ({exc})") from exc
    with af:
        so = af.header.to_dict().get("HD", {}).get("SO")
        if so in ("unsorted", "queryname"):
            raise InputError(path, f"not coordinate-sorted (SO:{so}); run samtools sort")
        if not af.has_index():
            raise InputError(path, "not indexed (run samtools index)")
        ref_len = dict(zip(af.references, af.lengths))
        tid = np.empty(len(names), dtype=np.int64)
        for k, (name, length) in enumerate(zip(names, lengths)):
            bam_len = ref_len.get(name)
            if bam_len is None:
                raise InputError(path, f"contig {name!r} is not in the BAM header")
            if bam_len != length:
                raise InputError(path, f"contig {name!r} is {bam_len} bp in the BAM header "
                                       f"but {int(length)} bp in the assembly")
            tid[k] = af.get_tid(name)
        try:
            avg_len = _mean_read_length(af)
        except (OSError, ValueError) as exc:
            raise InputError(path, f"cannot read alignments ({exc})") from exc
    return avg_len, tid


def _mean_read_length(af: pysam.AlignmentFile) -> int:
    """Integer mean SEQ length (bases) of the first placed records, as MetaBAT counts it.

    Like MetaBAT, every record counts (unmapped mates, secondaries with
    ``SEQ=*`` as 0); the trailing unplaced block (tid -1) never influences
    MetaBAT's depths, so sampling stops there.
    """
    total = count = 0
    for rec in af.fetch(until_eof=True):
        if rec.reference_id < 0 or count >= _READ_LEN_SAMPLE:
            break
        total += rec.query_length
        count += 1
    return total // count if count else 0


def _identity_terms(m: int, i: int, d: int, eq: int, x: int, nm: int | None) -> tuple[int, int]:
    """(exact matches, identity denominator) following MetaBAT ``caldepth`` with ref=NULL."""
    if eq == 0 and x == 0:
        # Plain M CIGAR: mismatches come from NM alone; NM < I+D (or absent) -> none.
        subs = 0 if nm is None or nm < i + d else nm - i - d
        return m - subs, m + i + d
    mism, exact = x, m + eq
    if nm is not None:
        if nm < i + d:
            nm = i + d + mism
        # Mixed =/X with M: MetaBAT decides whether the M bases were mismatches from NM.
        if m > 0 and nm != i + d + x:
            if nm == i + d + x + m:
                mism, exact = mism + m, exact - m
            else:
                new = nm - (i + d)
                exact -= new - mism
                mism = new
    return exact, exact + mism + i + d


def _clip_past_end(cigar: list[tuple[int, int]], pos: int, length: int) -> list[tuple[int, int]]:
    """MetaBAT ``fixEndClip``: soft-clip from the first op whose reference end passes ``length``."""
    ref = pos
    for k, (op, n) in enumerate(cigar):
        if op in _REF_OPS:
            ref += n
        if ref > length:
            qpos = sum(n2 for op2, n2 in cigar[:k] if op2 in (_M, _I, _S, _EQ, _X))
            qlen = sum(n2 for op2, n2 in cigar if op2 in (_M, _I, _S, _EQ, _X))
            return cigar[:k] + [(_S, qlen - qpos)]
    return cigar


def _contig_mean(af: pysam.AlignmentFile, name: str, length: int, edge: int,
                 min_mapq: int, thr: np.float32) -> float:
    """MetaBAT mean depth (x) of one contig in one open BAM; see module docstring."""
    starts: list[int] = []
    ends: list[int] = []
    nblocks: list[int] = []
    exact: list[int] = []
    denom: list[int] = []
    for r in af.fetch(name, 0, length):
        if r.flag & _SKIP_FLAGS or r.mapping_quality < min_mapq:
            continue
        ref_end = r.reference_end
        if ref_end is None:               # no CIGAR: nothing aligned
            continue
        pos = r.reference_start
        if ref_end > length:              # rare: alignment hangs over the contig end
            cig = _clip_past_end(r.cigartuples, pos, length)
            tot = [0] * 9
            blk = []
            ref = pos
            for op, n in cig:
                if op < 9:
                    tot[op] += n
                if op in _ALN_OPS:
                    blk.append((ref, ref + n))
                if op in _REF_OPS:
                    ref += n
            m, i, d, eq, x = tot[_M], tot[_I], tot[_D], tot[_EQ], tot[_X]
            nm = r.get_tag("NM") if r.has_tag("NM") else None
        else:
            st = r.get_cigar_stats()[0]
            m, i, d, n_, eq, x, nm = st[0], st[1], st[2], st[3], st[7], st[8], st[10]
            if (eq or x) and nm == 0 and not r.has_tag("NM"):
                nm = None                 # only matters for =/X CIGARs
            # one gap-free block is by far the commonest case; skip get_blocks()
            blk = [(pos, ref_end)] if (i == 0 and d == 0 and n_ == 0) else r.get_blocks()
        e, t = _identity_terms(m, i, d, eq, x, nm)
        if not blk:
            continue
        exact.append(e)
        denom.append(t)
        nblocks.append(len(blk))
        for s, en in blk:
            starts.append(s)
            ends.append(en)
    if not exact:
        return 0.0

    ex = np.asarray(exact, dtype=np.int64)
    de = np.asarray(denom, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ident = ex.astype(np.float32) / de.astype(np.float32)   # float32 like MetaBAT
    keep = (de > 0) & (ex >= 0) & ~(ident < thr)
    keep_blk = np.repeat(keep, nblocks)
    s = np.asarray(starts, dtype=np.int64)[keep_blk]
    e = np.asarray(ends, dtype=np.int64)[keep_blk]

    lo, hi = (edge, length - edge) if length > 2 * edge + 1 else (0, length)
    n = hi - lo
    if n <= 2 or s.size == 0:
        return 0.0
    total = int(np.clip(np.minimum(e, hi) - np.maximum(s, lo), 0, None).sum())
    if total < _F32_EXACT:
        return float(np.float32(total) / np.float32(n))
    # Large totals: replay MetaBAT's sequential float32 accumulation per base.
    diff = np.bincount(s, minlength=length + 1) - np.bincount(e, minlength=length + 1)
    depth = np.cumsum(diff[:length])[lo:hi]
    acc = np.cumsum(depth.astype(np.float32), dtype=np.float32)[-1]
    return float(acc / np.float32(n))
