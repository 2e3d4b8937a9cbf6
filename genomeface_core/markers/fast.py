"""The fast marker path: gene calling and ``hmmsearch`` only where a marker can be.

On a metagenome assembly nearly all of the exact path's time goes to calling
every gene of every contig (Prodigal's metagenomic mode scores each contig
with every model in its GC window) and to ``hmmsearch`` over all those
proteins, while the 41 fetchMGs markers cover ~1.5% of a genome.  This path:

1. scans all six frames of every contig for marker seeds
   (:func:`genomeface_core.markers.seeds.scan_seeds`: two seeds of one HMM on
   one diagonal, ungapped extension with the HMM's match scores), keeping
   ORFs whose best extension reaches :data:`WINDOW_BITS`;
2. calls genes exactly as the exact path does (same
   ``pyrodigal.GeneFinder(meta=True, mask=True, closed=False)``) on windows
   of those ORFs widened by :data:`MARGIN_BP` on each side and merged, so a
   marker gene, which lies inside its ORF, is called with its flanks as
   context; genes cut by an inner window edge are dropped (a cut gene is
   partial where the whole contig's would not be);
3. searches each called gene that lies in a candidate ORF (same strand and
   frame) with only the HMMs whose extension on that ORF reached
   :data:`HMM_BITS` (bit scores and cutoffs are per (protein, HMM), so this
   skips pairs that could not pass, not a different search).

The proteins and HMM sets go back to :mod:`genomeface_core.markers`, which
assigns each protein to its best-scoring COG as fetchMGs does.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from multiprocessing.pool import ThreadPool

import numpy as np

from genomeface_core.markers.calls import best_cog, digitize, gene_finder
from genomeface_core.markers.hmms import DROPPED, forward_gate, hmm_name, load_hmms
from genomeface_core.markers.seeds import scan_seeds, seed_table

__all__ = ["WINDOW_BITS", "HMM_BITS", "MARGIN_BP", "candidate_proteins", "fast_batch"]

#: Ungapped seed extension score (bits) that makes an ORF a candidate.
WINDOW_BITS = 30.0
#: Extension score (bits) for an HMM to be searched against a candidate's genes.
HMM_BITS = 30.0
#: Flank (bp) added on each side of a candidate ORF before gene calling.
MARGIN_BP = 1000


def _windows(rows: np.ndarray, lengths: np.ndarray, margin: int) -> list[tuple[int, int, int]]:
    """Merged (contig, start, end) windows around the candidate ORFs of ``rows``
    (scan rows with bits >= WINDOW_BITS), widened by ``margin`` bp."""
    if len(rows) == 0:
        return []
    c = rows[:, 0].astype(np.int64)
    a = np.maximum(rows[:, 2].astype(np.int64) - margin, 0)
    b = np.minimum(rows[:, 3].astype(np.int64) + margin, lengths[c])
    order = np.lexsort((a, c))
    out: list[list[int]] = []
    for ci, ai, bi in zip(c[order].tolist(), a[order].tolist(), b[order].tolist()):
        if out and out[-1][0] == ci and ai <= out[-1][2]:
            out[-1][2] = max(out[-1][2], bi)
        else:
            out.append([ci, ai, bi])
    return [tuple(w) for w in out]


def candidate_proteins(
    seqs: Sequence[bytes | str], gene_finder, *, threads: int = 1
) -> list[tuple[int, str, np.ndarray]]:
    """(contig index in ``seqs``, protein, HMM indices to search it with) for
    every gene called in a candidate window that lies in a candidate ORF.

    ``gene_finder`` is the exact path's ``pyrodigal.GeneFinder``; HMM indices
    refer to ``markers.hmms.load_hmms()`` (= ``seed_table().names``).
    """
    table = seed_table()
    threads = max(1, int(threads))
    lengths = np.fromiter((len(s) for s in seqs), np.int64, len(seqs))
    # scan in chunks of contigs (Numba releases the GIL)
    n_chunks = min(len(seqs), 4 * threads) if threads > 1 else 1
    bounds = np.searchsorted(np.cumsum(lengths), np.linspace(0, lengths.sum(), n_chunks + 1)[1:-1])
    cuts = [0, *sorted(set(int(x) + 1 for x in bounds)), len(seqs)]
    parts = [(lo, hi) for lo, hi in zip(cuts[:-1], cuts[1:]) if hi > lo]

    def scan(part):
        lo, hi = part
        r = scan_seeds(seqs[lo:hi], table, min_bits=HMM_BITS)
        r[:, 0] += lo
        return r

    pool = ThreadPool(threads) if threads > 1 else None
    try:
        mapper = pool.map if pool is not None else lambda f, xs: list(map(f, xs))
        rows = np.concatenate([r for r in mapper(scan, parts)] or [np.zeros((0, 6))])
        strong = rows[rows[:, 5] >= WINDOW_BITS]
        # only ORFs of contigs with a strong candidate can be searched
        rows = rows[np.isin(rows[:, 0], strong[:, 0])]
        windows = _windows(strong, lengths, MARGIN_BP)

        def call(w):
            c, a, b = w
            genes = gene_finder.find_genes(seqs[c][a:b])
            kept = []
            for g in genes:
                # a gene cut by an inner window edge is an artefact of the window
                if (g.partial_begin and a > 0) or (g.partial_end and b < lengths[c]):
                    continue
                kept.append((a + g.begin, a + g.end, g.strand, g))
            return c, kept

        out = []
        by_contig: dict[int, np.ndarray] = {}
        for c in np.unique(rows[:, 0]).astype(np.int64).tolist():
            by_contig[c] = rows[rows[:, 0] == c]
        for c, kept in mapper(call, windows):
            r = by_contig[c]
            for begin, end, strand, g in kept:
                # rows of ORFs holding this gene: same strand, same frame, overlapping
                if strand == 1:
                    frame_ok = (begin - 1 - r[:, 2]) % 3 == 0
                else:
                    frame_ok = (r[:, 3] - end) % 3 == 0
                m = (r[:, 1] == strand) & frame_ok & (r[:, 2] < end) & (r[:, 3] > begin - 1)
                if m.any():
                    hmms = np.unique(r[m, 4].astype(np.int64))
                    out.append((c, g.translate(include_stop=False), hmms))
        return out
    finally:
        if pool is not None:
            pool.terminate()


def fast_batch(seqs, batch: range, pool, threads: int, bar) -> dict:
    """Fast path over one batch (:mod:`genomeface_core.markers.fast`)."""
    import pyhmmer

    hmms = load_hmms()
    alphabet = hmms[0].alphabet
    prots = candidate_proteins([seqs[i] for i in batch], gene_finder(), threads=threads)
    bar.update(len(batch))
    dropped = {j for j, h in enumerate(hmms) if hmm_name(h) in DROPPED}
    per_hmm: dict[int, list] = {}  # reported HMM -> the proteins it may hit
    later: dict[int, list] = {}  # dropped HMM -> (protein name, sequence)
    for k, (c, prot, hmm_idx) in enumerate(prots):
        idx = hmm_idx.tolist()
        if all(j in dropped for j in idx):
            continue  # a protein that only a dropped COG may hit cannot change a count
        name = f"{batch[c]}_{k}"
        seq = digitize(name, prot, alphabet)
        for j in idx:
            (later if j in dropped else per_hmm).setdefault(j, []).append(seq)

    def run(jobs: list) -> dict:
        # long HMMs first: better balance over the threads
        jobs.sort(key=lambda x: -x[0].M * len(x[1]))

        def search(job):
            hmm, block = job
            return list(pyhmmer.hmmsearch([hmm], block, bit_cutoffs="trusted", cpus=1,
                                          F3=forward_gate(hmm)))

        best: dict = {}
        results = pool.imap_unordered(search, jobs) if pool is not None else map(search, jobs)
        for res in results:
            best_cog(res, best)
        return best

    block = functools.partial(pyhmmer.easel.DigitalSequenceBlock, alphabet)
    best = run([(hmms[j], block(s)) for j, s in per_hmm.items()])
    # A dropped COG only matters where it takes a protein from a reported COG,
    # so it searches only the proteins a reported COG included: the same
    # assignment as searching every candidate (COG0086 was 15% of the time).
    hit = {n.decode() if isinstance(n, bytes) else n for n in best}
    jobs = []
    for j, seqs_j in later.items():
        keep = [q for q in seqs_j if (q.name.decode() if isinstance(q.name, bytes) else q.name) in hit]
        if keep:
            jobs.append((hmms[j], block(keep)))
    for name, (score, cog) in run(jobs).items():
        if score > best[name][0]:
            best[name] = (score, cog)
    return best
