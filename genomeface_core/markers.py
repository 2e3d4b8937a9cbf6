"""Per-contig counts of the 40 universal single-copy marker genes.

The markers are the 40 COGs of fetchMGs (Ciccarelli et al. 2006, Sorek et al.
2007; Sunagawa et al. 2013), with the HMMs and the calibrated bit-score
cutoffs shipped in the PyPI package ``fetchMGs``.  Marker calling follows
``fetchmgs.fetchmgs.extraction_genes``:

* every HMM gets ``cutoffs.trusted = (cutoff, cutoff)`` from
  ``MG_BitScoreCutoffs.allhits.txt`` (the *all hits* calibration: every copy
  that passes counts, because extra copies are what flag contamination) and
  ``pyhmmer.hmmsearch(..., bit_cutoffs="trusted")`` keeps the included hits;
* each protein is assigned to the single COG that scores it best;
* COG0086 (RNA polymerase beta', split into two genes in some lineages) is
  searched, so that it can win proteins from the other COGs as it does in
  fetchMGs, but it is not reported: fetchMGs drops it, leaving 40 markers.

Genes are called with ``pyrodigal.GeneFinder(meta=True, mask=True,
closed=False)``: metagenomic mode because contigs come from many unknown
genomes and are often too short to train on; ``mask=True`` so that no gene is
called across runs of ``N`` (scaffold gaps); ``closed=False`` (Prodigal's
default, unlike fetchMGs' ``closed=True``) so that genes running off a contig
end are still called: on fragmented assemblies a marker split at a contig end
is otherwise lost, while a partial protein only counts if it still scores
above the calibrated cutoff.  (C. diphtheriae NCTC11397 cut at random into
~5 kb pieces, against the intact genome: ``closed=False`` loses 3 and
double-counts 1 marker copy, ``closed=True`` loses 6; at ~10 kb 0/0 vs 1/0.)

Contigs are processed in batches of about 20 Mbp, so memory does not grow
with the assembly.  Two modes (:data:`MARKER_MODES`):

* ``"exact"``: genes on every contig (thread pool, Pyrodigal releases the
  GIL), then one ``hmmsearch`` with ``cpus=threads`` over the batch's
  proteins;
* ``"fast"`` (:mod:`genomeface_core.markers_fast`): a six-frame seed scan
  (:mod:`genomeface_core.markers_seeds`) flags the ORFs that can be part of
  a marker; the same gene finder runs on windows of those ORFs +-1 kb, and
  each gene in a flagged ORF is searched only with the HMMs that flagged
  it.  Same HMMs, cutoffs and best-COG assignment; see
  ``benchmarks/results/markers.md`` for speed and agreement with exact.

>>> len(MARKER_IDS), MARKER_IDS[0], "COG0086" in MARKER_IDS
(40, 'COG0012', False)
>>> find_markers([b"ACGT" * 100, ""]).shape
(2, 40)
"""
from __future__ import annotations

import functools
import importlib.resources
import os
from collections.abc import Iterator, Sequence
from multiprocessing.pool import ThreadPool

import numpy as np

from genomeface_core.errors import InputError

__all__ = [
    "MARKER_IDS", "MARKER_MODES", "DEFAULT_MODE", "find_markers", "write_markers_tsv",
    "read_markers_tsv",
]

#: ``find_markers(mode=...)`` choices: ``"fast"`` (gene calling and hmmsearch
#: only around seed-scan candidates) and ``"exact"`` (every gene of every contig).
MARKER_MODES = ("fast", "exact")
DEFAULT_MODE = "fast"

#: COG searched for fetchMGs-compatible best-hit assignment but not reported.
_DROPPED = ("COG0086",)
#: Sequence per hmmsearch batch (bp).
_BATCH_BP = 20_000_000
#: Shortest contig handed to Prodigal (shorter ones cannot hold a marker).
_MIN_CONTIG_BP = 60


def _data_dir():
    return importlib.resources.files("fetchmgs") / "data"


@functools.lru_cache(maxsize=None)
def _cutoffs() -> dict[str, float]:
    text = (_data_dir() / "MG_BitScoreCutoffs.allhits.txt").read_text()
    out = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if line.startswith("#") or len(fields) < 2:
            continue
        out[fields[0].strip()] = float(fields[1])
    return out


MARKER_IDS: tuple[str, ...] = tuple(sorted(c for c in _cutoffs() if c not in _DROPPED))
_COLUMN = {cog: i for i, cog in enumerate(MARKER_IDS)}


@functools.lru_cache(maxsize=None)
def _load_hmms() -> tuple:
    """All fetchMGs HMMs (incl. dropped ones) with trusted cutoffs set."""
    import pyhmmer

    hmms = []
    for cog, cutoff in sorted(_cutoffs().items()):
        with (_data_dir() / f"{cog}.hmm").open("rb") as fh:
            with pyhmmer.plan7.HMMFile(fh) as hf:
                hmm = hf.read()
        hmm.cutoffs.trusted = (cutoff, cutoff)
        hmms.append(hmm)
    return tuple(hmms)


@functools.lru_cache(maxsize=None)
def _gene_finder():
    import pyrodigal

    return pyrodigal.GeneFinder(meta=True, mask=True, closed=False)


def _proteins(item: tuple[int, bytes | str]) -> tuple[int, list[tuple[str, str]]]:
    """Call genes on one contig; return its index and (name, protein) pairs."""
    idx, seq = item
    if len(seq) < _MIN_CONTIG_BP:
        return idx, []
    genes = _gene_finder().find_genes(seq)
    return idx, [
        (f"{idx}_{k}", gene.translate(include_stop=False))
        for k, gene in enumerate(genes)
    ]


def _batches(seqs: Sequence[bytes | str], batch_bp: int) -> Iterator[range]:
    start, acc = 0, 0
    for i, s in enumerate(seqs):
        acc += len(s)
        if acc >= batch_bp:
            yield range(start, i + 1)
            start, acc = i + 1, 0
    if start < len(seqs):
        yield range(start, len(seqs))


def _digitize(name: str, protein: str, alphabet):
    import pyhmmer

    return pyhmmer.easel.TextSequence(name=name.encode(), sequence=protein).digitize(alphabet)


def _best_cog(hits_iter, best: dict) -> None:
    """Fold included hits into ``best``: protein name -> (score, COG) of its
    best-scoring HMM (fetchMGs assigns each protein to one COG)."""
    for hits in hits_iter:
        cog = hits.query.name
        cog = cog.decode() if isinstance(cog, bytes) else cog
        for hit in hits:
            if not hit.included:
                continue
            name = hit.name
            prev = best.get(name)
            if prev is None or hit.score > prev[0]:
                best[name] = (hit.score, cog)


def _exact_batch(seqs, batch: range, pool, threads: int, bar) -> dict:
    """Exact path over one batch: genes on every contig, all HMMs on every protein."""
    import pyhmmer

    hmms = _load_hmms()
    alphabet = hmms[0].alphabet
    items = ((i, seqs[i]) for i in batch)
    if pool is None:
        results = map(_proteins, items)
    else:
        chunk = max(1, min(64, len(batch) // (16 * threads)))
        results = pool.imap_unordered(_proteins, items, chunksize=chunk)
    block = pyhmmer.easel.DigitalSequenceBlock(alphabet)
    for _, prots in results:
        for name, prot in prots:
            block.append(_digitize(name, prot, alphabet))
        bar.update(1)
    best: dict = {}
    if len(block):
        _best_cog(pyhmmer.hmmsearch(hmms, block, bit_cutoffs="trusted", cpus=threads), best)
    return best


def _name(hmm) -> str:
    return hmm.name.decode() if isinstance(hmm.name, bytes) else hmm.name


#: Bits below the trusted cutoff at which the fast path's Forward filter stops.
_GATE_BITS = 10.0


def _forward_gate(hmm) -> float:
    """Forward-filter P-value threshold (hmmsearch ``F3``) at ``_GATE_BITS``
    below the HMM's trusted cutoff.  A sequence's reported bit score is at
    most its (bias-filtered) Forward score up to HMMER's null2 and bias
    corrections, so a sequence stopped here could not reach the cutoff; the
    gate spares the domain postprocessing of the many paralogs (other class-I
    tRNA synthetases, GTPases) that pass HMMER's default 1e-5."""
    import math

    ev = hmm.evalue_parameters
    log_p = -ev.f_lambda * (hmm.cutoffs.trusted[0] - _GATE_BITS - ev.f_tau)
    return min(1e-5, math.exp(max(log_p, -700.0)))


def _fast_batch(seqs, batch: range, pool, threads: int, bar) -> dict:
    """Fast path over one batch (:mod:`genomeface_core.markers_fast`)."""
    import pyhmmer

    from genomeface_core.markers_fast import candidate_proteins

    hmms = _load_hmms()
    alphabet = hmms[0].alphabet
    prots = candidate_proteins([seqs[i] for i in batch], _gene_finder(), threads=threads)
    bar.update(len(batch))
    dropped = {j for j, h in enumerate(hmms) if _name(h) in _DROPPED}
    per_hmm: dict[int, list] = {}  # reported HMM -> the proteins it may hit
    later: dict[int, list] = {}  # dropped HMM -> (protein name, sequence)
    for k, (c, prot, hmm_idx) in enumerate(prots):
        idx = hmm_idx.tolist()
        if all(j in dropped for j in idx):
            continue  # a protein that only a dropped COG may hit cannot change a count
        name = f"{batch[c]}_{k}"
        seq = _digitize(name, prot, alphabet)
        for j in idx:
            (later if j in dropped else per_hmm).setdefault(j, []).append(seq)

    def run(jobs: list) -> dict:
        # long HMMs first: better balance over the threads
        jobs.sort(key=lambda x: -x[0].M * len(x[1]))

        def search(job):
            hmm, block = job
            return list(pyhmmer.hmmsearch([hmm], block, bit_cutoffs="trusted", cpus=1,
                                          F3=_forward_gate(hmm)))

        best: dict = {}
        results = pool.imap_unordered(search, jobs) if pool is not None else map(search, jobs)
        for res in results:
            _best_cog(res, best)
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


def find_markers(
    seqs: Sequence[bytes | str], *, threads: int = 1, progress: bool = False,
    mode: str = DEFAULT_MODE,
) -> np.ndarray:
    """uint16 array (n_contigs, 40): copies of each marker COG found on each
    contig (columns in :data:`MARKER_IDS` order).

    ``mode`` is one of :data:`MARKER_MODES`: ``"exact"`` calls genes on every
    contig and searches every protein with every HMM; ``"fast"`` does both
    only around ORFs that a six-frame seed scan flags
    (:mod:`genomeface_core.markers_fast`).
    """
    from tqdm import tqdm

    if mode not in MARKER_MODES:
        raise ValueError(f"unknown marker mode {mode!r}; choose from {', '.join(MARKER_MODES)}")
    threads = max(1, int(threads))
    n = len(seqs)
    counts = np.zeros((n, len(MARKER_IDS)), dtype=np.uint16)
    if n == 0:
        return counts
    run_batch = _exact_batch if mode == "exact" else _fast_batch
    bar = tqdm(total=n, unit="contig", desc="marker genes", disable=not progress)
    pool = ThreadPool(threads) if threads > 1 else None
    try:
        for batch in _batches(seqs, _BATCH_BP):
            for name, (_, cog) in run_batch(seqs, batch, pool, threads, bar).items():
                col = _COLUMN.get(cog)
                if col is not None:
                    if isinstance(name, bytes):
                        name = name.decode()
                    counts[int(name.split("_", 1)[0]), col] += 1
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
    return counts


def write_markers_tsv(path: str | os.PathLike, names: Sequence[str], counts: np.ndarray) -> None:
    """Write ``contig<TAB>marker``, one line per marker copy, after a header
    line ``contig<TAB>marker``; contigs without markers are not listed."""
    counts = np.asarray(counts)
    if counts.shape != (len(names), len(MARKER_IDS)):
        raise ValueError(
            f"counts has shape {counts.shape}, expected ({len(names)}, {len(MARKER_IDS)})"
        )
    with open(path, "w") as fh:
        fh.write("contig\tmarker\n")
        for i in np.flatnonzero(counts.any(axis=1)):
            name = names[i]
            for j in np.flatnonzero(counts[i]):
                fh.write(f"{name}\t{MARKER_IDS[j]}\n" * int(counts[i, j]))


def read_markers_tsv(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    names: Sequence[str],
    *,
    allow_unknown: bool = False,
) -> np.ndarray:
    """Read one or several :func:`write_markers_tsv` files back into a uint16
    (len(names), 40) array, matching contigs by name.

    ``paths`` is one path or a list of paths (e.g. the tables of scattered
    ``genomeface markers`` runs over parts of one assembly).  Header lines
    ``contig<TAB>marker`` are skipped wherever they occur (concatenated
    tables keep theirs); blank lines are skipped.  Contigs absent from every
    file get zero rows.  A contig listed in two different files is an
    :class:`InputError` naming the second file (its counts would otherwise
    be added twice).  A contig name not in ``names`` is an
    :class:`InputError` unless ``allow_unknown`` (then the line is ignored,
    e.g. for contigs dropped by a length cutoff); an unknown marker id or a
    malformed line is always an :class:`InputError`.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(MARKER_IDS)), dtype=np.uint16)
    # row -> position in ``paths`` of the file that listed it first
    owner: dict[int, int] = {}
    for k, path in enumerate(paths):
        try:
            fh = open(path)
        except OSError as e:
            raise InputError(path, f"cannot read marker file: {e.strerror or e}") from None
        with fh:
            for lineno, line in enumerate(fh, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                fields = line.split("\t")
                if len(fields) != 2:
                    raise InputError(
                        path, f"line {lineno}: expected 2 tab-separated columns, got {len(fields)}"
                    )
                contig, marker = fields[0], fields[1].strip()
                if (contig, marker) == ("contig", "marker"):
                    continue
                col = _COLUMN.get(marker)
                if col is None:
                    raise InputError(path, f"line {lineno}: unknown marker id {marker!r}")
                row = index.get(contig)
                if row is None:
                    if allow_unknown:
                        continue
                    raise InputError(path, f"line {lineno}: unknown contig {contig!r}")
                first = owner.setdefault(row, k)
                if first != k:
                    raise InputError(
                        path, f"line {lineno}: contig {contig!r} is also listed in {paths[first]}"
                    )
                if counts[row, col] == np.iinfo(np.uint16).max:
                    raise InputError(
                        path, f"line {lineno}: too many copies of {marker} on {contig!r}"
                    )
                counts[row, col] += 1
    return counts
