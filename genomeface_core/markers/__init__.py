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
* ``"fast"`` (:mod:`genomeface_core.markers.fast`): a six-frame seed scan
  (:mod:`genomeface_core.markers.seeds`) flags the ORFs that can be part of
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

import os
from collections.abc import Iterator, Sequence
from multiprocessing.pool import ThreadPool

import numpy as np

from genomeface_core.errors import InputError
from genomeface_core.markers.hmms import COLUMN, MARKER_IDS

__all__ = [
    "MARKER_IDS", "MARKER_MODES", "DEFAULT_MODE", "find_markers", "write_markers_tsv",
    "read_markers_tsv",
]

#: ``find_markers(mode=...)`` choices: ``"fast"`` (gene calling and hmmsearch
#: only around seed-scan candidates) and ``"exact"`` (every gene of every contig).
MARKER_MODES = ("fast", "exact")
DEFAULT_MODE = "fast"

#: Sequence per hmmsearch batch (bp).
_BATCH_BP = 20_000_000
def _batches(seqs: Sequence[bytes | str], batch_bp: int) -> Iterator[range]:
    start, acc = 0, 0
    for i, s in enumerate(seqs):
        acc += len(s)
        if acc >= batch_bp:
            yield range(start, i + 1)
            start, acc = i + 1, 0
    if start < len(seqs):
        yield range(start, len(seqs))



def find_markers(
    seqs: Sequence[bytes | str], *, threads: int = 1, progress: bool = False,
    mode: str = DEFAULT_MODE,
) -> np.ndarray:
    """uint16 array (n_contigs, 40): copies of each marker COG found on each
    contig (columns in :data:`MARKER_IDS` order).

    ``mode`` is one of :data:`MARKER_MODES`: ``"exact"`` calls genes on every
    contig and searches every protein with every HMM; ``"fast"`` does both
    only around ORFs that a six-frame seed scan flags
    (:mod:`genomeface_core.markers.fast`).
    """
    from tqdm import tqdm

    if mode not in MARKER_MODES:
        raise ValueError(f"unknown marker mode {mode!r}; choose from {', '.join(MARKER_MODES)}")
    threads = max(1, int(threads))
    n = len(seqs)
    counts = np.zeros((n, len(MARKER_IDS)), dtype=np.uint16)
    if n == 0:
        return counts
    from genomeface_core.markers.calls import exact_batch
    from genomeface_core.markers.fast import fast_batch

    run_batch = exact_batch if mode == "exact" else fast_batch
    bar = tqdm(total=n, unit="contig", desc="marker genes", disable=not progress)
    pool = ThreadPool(threads) if threads > 1 else None
    try:
        for batch in _batches(seqs, _BATCH_BP):
            for name, (_, cog) in run_batch(seqs, batch, pool, threads, bar).items():
                col = COLUMN.get(cog)
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
                col = COLUMN.get(marker)
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
