"""From cluster labels to named bins and the per-bin quality table (``bins.tsv``).

A pure function of arrays: no I/O, no heavy imports (the report and the shells
may import the column names from here).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from typing import Mapping, Sequence

import numpy as np

from genomeface_core.io.fasta import gc_fraction

UNBINNED = "unbinned"
#: columns of bins.tsv, in order (one dict per bin with these keys)
BIN_COLUMNS = ["bin", "contigs", "size_bp", "n50_bp", "gc", "mean_depth", "completeness", "contamination",
               "embedding_gap", "depth_rms_z", "depth_ejected_bp"]


@dataclass
class BinResult:
    """Result of :func:`bin`.

    names: contigs that passed the length filter, in input order.
    assignment: bin name of each of those contigs, or ``"unbinned"``.
    bins: bin name -> member contig names (only bins >= min_bin_size).
    table: one dict per bin (columns of ``bins.tsv``).
    ejected: the contigs depth coherence took out of a cluster (``depth_ejected.tsv``):
    (contig, the bin it left or ``unbinned`` when that cluster was under min_bin_size, its bin now).
    timings: seconds per stage.  run_info: everything written to run.json.
    """

    names: list[str]
    assignment: list[str]
    bins: dict[str, list[str]]
    table: list[dict]
    timings: dict[str, float] = field(default_factory=dict)
    run_info: dict = field(default_factory=dict)
    ejected: list[tuple[str, str, str]] = field(default_factory=list)  # (contig, bin it left, where it is now)


def name_bins(labels: np.ndarray, names: Sequence[str], seqs: Sequence[bytes], marker_counts: np.ndarray,
              mean_depth: np.ndarray, *, min_bin_size: int, prefix: str, cluster_gap: np.ndarray | None = None,
              cluster_names: Mapping[int, str] | None = None, cluster_depth_z: np.ndarray | None = None,
              cluster_ejected_bp: np.ndarray | None = None) -> tuple[list[str], dict[str, list[str]], list[dict]]:
    """Name the clusters of at least ``min_bin_size`` bp and tabulate their quality.

    ``labels``: (n,) cluster id per contig, -1 = unbinned.  ``marker_counts``:
    (n, |M|) marker copies per contig.  ``mean_depth``: (n,) mean depth over
    samples (zeros without coverage).  Bins are named ``prefix1, prefix2, ...``
    by decreasing size in bp (ties: the cluster whose first contig comes first),
    so names do not depend on cluster ids.  Returns (bin name or ``unbinned``
    per contig; bin name -> member names in input order; one row per bin with
    the :data:`BIN_COLUMNS`: completeness and contamination in %, GC as a
    fraction, N50 in bp, mean depth weighted by contig length, and
    ``embedding_gap``: ``cluster_gap[cluster id]``, the largest gap ratio of a
    >= 50 kb merge inside the bin (:mod:`genomeface_core.cut.embedding_gap`; above
    ``max_merge_gap`` only where markers vouched for the merge: marker estimate
    and embeddings disagree), 0 without ``cluster_gap``).  ``cluster_names``
    (cluster id -> name) replaces the ``prefix<rank>`` names (multi-split).
    ``depth_rms_z`` and ``depth_ejected_bp``: ``cluster_depth_z[c]``, the
    bin's depth coherence (root mean square residual of its members against
    its core's depth, :func:`genomeface_core.cut.depth_coherence.cluster_rms_z`),
    and ``cluster_ejected_bp[c]``, the bp depth coherence took out of it
    (0 without them).

    >>> mc = np.zeros((4, 40), np.uint16); mc[0, :30] = 1; mc[1, :4] = 1; mc[2, :10] = 1
    >>> seqs = [b"ACGT" * 50, b"GGCC" * 25, b"AT" * 200, b"ACGT"]
    >>> assign, bins, table = name_bins(np.array([1, 1, 0, -1]), ["a", "b", "c", "d"], seqs, mc,
    ...                                 np.array([2.0, 5.0, 1.0, 0.0]), min_bin_size=250, prefix="bin")
    >>> assign, bins
    (['bin2', 'bin2', 'bin1', 'unbinned'], {'bin1': ['c'], 'bin2': ['a', 'b']})
    >>> table[1]
    {'bin': 'bin2', 'contigs': 2, 'size_bp': 300, 'n50_bp': 200, 'gc': 0.6667, 'mean_depth': 3.0, \
'completeness': 75.0, 'contamination': 10.0, 'embedding_gap': 0.0, 'depth_rms_z': 0.0, \
'depth_ejected_bp': 0}
    """
    from genomeface_core.cut.selection import quality

    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    clusters = ranked_clusters(labels, lengths, min_bin_size)
    assignment = [UNBINNED] * len(names)
    bins: dict[str, list[str]] = {}
    table: list[dict] = []
    for i, (c, members) in enumerate(clusters.items(), 1):
        name = cluster_names[c] if cluster_names is not None else f"{prefix}{i}"
        for j in members:
            assignment[j] = name
        bins[name] = [names[j] for j in members]
        completeness, contamination = quality(marker_counts[members].sum(axis=0))
        ln = lengths[members]
        table.append(dict(bin=name, contigs=len(members), size_bp=int(ln.sum()), n50_bp=n50(ln),
                          gc=round(gc_fraction([seqs[j] for j in members]), 4),
                          mean_depth=float(np.average(mean_depth[members], weights=ln)),
                          completeness=completeness, contamination=contamination,
                          embedding_gap=round(float(cluster_gap[c]), 3) if cluster_gap is not None else 0.0,
                          depth_rms_z=round(float(cluster_depth_z[c]), 3) if cluster_depth_z is not None else 0.0,
                          depth_ejected_bp=int(cluster_ejected_bp[c]) if cluster_ejected_bp is not None else 0))
    return assignment, bins, table


def ranked_clusters(labels: np.ndarray, lengths: np.ndarray, min_bp: int = 0) -> dict[int, np.ndarray]:
    """Cluster id -> member indices (input order) of clusters of >= ``min_bp``, largest first.

    Ties in bp go to the cluster whose first contig comes first, so the order
    does not depend on cluster ids.

    >>> {c: m.tolist() for c, m in ranked_clusters(np.array([1, 0, 1, -1]), np.array([5, 20, 5, 99])).items()}
    {0: [1], 1: [0, 2]}
    """
    clusters: dict[int, np.ndarray] = {}
    by_label = np.argsort(labels, kind="stable")  # members of each cluster, in input order
    ids, starts = np.unique(labels[by_label], return_index=True)
    for c, members in zip(ids, np.split(by_label, starts[1:])):
        if c >= 0 and lengths[members].sum() >= min_bp:
            clusters[int(c)] = members
    order = sorted(clusters, key=lambda c: (-int(lengths[clusters[c]].sum()), int(clusters[c][0])))
    return {c: clusters[c] for c in order}


def n50(lengths: np.ndarray) -> int:
    """N50 (bp): the length L such that contigs >= L hold at least half the bp.

    >>> n50(np.array([100, 50, 30, 20]))
    100
    """
    ln = np.sort(np.asarray(lengths))[::-1]
    cs = np.cumsum(ln)
    return int(ln[np.searchsorted(cs, cs[-1] / 2.0)])
