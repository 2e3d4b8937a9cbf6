"""Rescue unbinned contigs by a vote of their nearest neighbours.

The DP cut keeps only dendrogram nodes whose marker reward justifies them, so
contigs that single linkage attaches above a bin's node (typically short or
atypical contigs that join after two genomes' subtrees have met) end up
unbinned even when nearly all their kNN neighbours sit in one bin.  This stage
assigns such a contig to bin b when more than ``min_vote`` of its k nearest
neighbours (all k, binned or not) are in b, and b's marker purity
TP / (TP + FP) stays >= ``min_purity`` with it (the DP's own feasibility
condition: a contig bringing extra copies of single-copy markers is evidence
it belongs to another genome, but split genes and true paralogs make a strict
no-duplicate rule lose real members).  Rounds repeat
until nothing changes or ``rounds`` is reached; within a round, proposals are
applied in order of decreasing vote, ties by contig index, so the result is
deterministic.  Contigs whose neighbourhood is mostly unbinned (e.g. genomes
with no bin) stay unbinned.  Each join obeys the cut's embedding-gap rule
(``max_gap``), measured against the bin's scale as it was cut.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from genomeface_core.cut.selection import tp_fp


@nb.njit(cache=True, nogil=True)
def _rescue(idx, dist, labels, markers, bin_counts, min_votes, rounds, min_purity, scale, max_gap):
    n, k = idx.shape
    lab = labels.copy()
    total = 0
    for _ in range(rounds):
        cand = np.empty(n, np.int64)
        cbin = np.empty(n, np.int64)
        cvote = np.empty(n, np.int64)
        m = 0
        for i in range(n):
            if lab[i] >= 0:
                continue
            best, bestc = -1, 0
            for a in range(k):  # k is small: quadratic majority count is cheapest
                b = lab[idx[i, a]]
                if b < 0:
                    continue
                c = 0
                for q in range(k):
                    if lab[idx[i, q]] == b:
                        c += 1
                if c > bestc or (c == bestc and b < best):
                    best, bestc = b, c
            if best >= 0 and bestc >= min_votes:
                near = np.inf  # the gap rule: the contig's nearest neighbour in the bin within reach
                for a in range(k):
                    if lab[idx[i, a]] == best and dist[i, a] < near:
                        near = dist[i, a]
                if near > max_gap * max(scale[best], dist[i, 0]):
                    continue
                cand[m] = i
                cbin[m] = best
                cvote[m] = bestc
                m += 1
        if m == 0:
            break
        order = np.argsort(-cvote[:m], kind="mergesort")
        changed = 0
        for t in range(m):
            i = cand[order[t]]
            b = cbin[order[t]]
            tp, fp = tp_fp(bin_counts[b] + markers[i])
            if tp > 0 and tp < min_purity * (tp + fp):
                continue
            for j in range(markers.shape[1]):
                bin_counts[b, j] += markers[i, j]
            lab[i] = b
            changed += 1
        total += changed
        if changed == 0:
            break
    return lab, total


def rescue_unbinned(knn_idx: np.ndarray, labels: np.ndarray, marker_counts: np.ndarray, *,
                    min_vote: float = 0.5, min_purity: float = 0.85, rounds: int = 5,
                    knn_dist: np.ndarray | None = None, lengths: np.ndarray | None = None,
                    max_gap: float = np.inf) -> tuple[np.ndarray, int]:
    """Assign unbinned contigs (label -1) to the bin that more than ``min_vote`` of their k neighbours are in.

    ``knn_idx``: (n, k) neighbour indices; ``labels``: (n,) bin ids, -1 unbinned;
    ``marker_counts``: (n, |M|).  Returns (new labels, number of contigs rescued).
    ``knn_dist`` (n, k, ascending), ``lengths`` (bp) and ``max_gap``: the DP's
    gap rule (:mod:`genomeface_core.cut.embedding_gap`) applied to each join: a contig
    joins bin b only when its nearest neighbour in b is within ``max_gap`` x
    max(b's length-weighted mean nearest-neighbour distance, the contig's own),
    so rounds cannot creep across a gap the cut refused.

    >>> idx = np.array([[1, 2], [0, 2], [0, 1], [0, 1]])
    >>> mc = np.zeros((4, 40), np.uint16)
    >>> rescue_unbinned(idx, np.array([0, 0, -1, -1]), mc)[0].tolist()
    [0, 0, 0, 0]
    >>> mc[0, :4] = 1; mc[3, :4] = 1   # contig 3 would double 4 of the bin's 4 markers: purity 0.5
    >>> rescue_unbinned(idx, np.array([0, 0, -1, -1]), mc)[0].tolist()
    [0, 0, 0, -1]
    >>> mc[0, 4:40] = 1              # bin now has all 40: 4 duplicates keep purity 40/44 >= 0.85
    >>> rescue_unbinned(idx, np.array([0, 0, -1, -1]), mc)[0].tolist()
    [0, 0, 0, 0]

    The gap rule: contigs 2 and 3 are each other's nearest neighbours (0.5), 3 away from the bin,
    whose own scale is 1: a gap of ratio 3, which the rule (``max_gap`` 2) refuses:

    >>> idx = np.array([[1, 2, 3], [0, 2, 3], [3, 0, 1], [2, 0, 1]])
    >>> far = np.array([[1., 3, 3], [1, 3, 3], [0.5, 3, 3], [0.5, 3, 3]])
    >>> lab = np.array([0, 0, -1, -1]); mc = np.zeros((4, 40), np.uint16)
    >>> rescue_unbinned(idx, lab, mc)[0].tolist()
    [0, 0, 0, 0]
    >>> rescue_unbinned(idx, lab, mc, knn_dist=far, lengths=np.ones(4), max_gap=2.0)[0].tolist()
    [0, 0, -1, -1]
    """
    labels = np.asarray(labels, dtype=np.int64)
    if min_vote >= 1 or not (labels >= 0).any():
        return labels.copy(), 0
    k = knn_idx.shape[1]
    nb_ = int(labels.max()) + 1
    mc = np.asarray(marker_counts, dtype=np.int64)
    bin_counts = np.zeros((nb_, mc.shape[1]), dtype=np.int64)
    np.add.at(bin_counts, labels[labels >= 0], mc[labels >= 0])
    min_votes = int(np.floor(min_vote * k + 1e-9)) + 1  # strictly more than min_vote * k
    if min_votes > k:
        return labels.copy(), 0
    if knn_dist is None or not np.isfinite(max_gap):
        dist, scale, max_gap = np.zeros(knn_idx.shape), np.zeros(nb_), np.inf
    else:
        dist = np.asarray(knn_dist, np.float64)
        w = np.asarray(lengths, np.float64)
        on = labels >= 0
        scale = np.bincount(labels[on], weights=w[on] * dist[on, 0], minlength=nb_) / np.maximum(
            np.bincount(labels[on], weights=w[on], minlength=nb_), 1.0)
    return _rescue(np.asarray(knn_idx, np.int64), dist, labels, mc, bin_counts, min_votes, int(rounds),
                   float(min_purity), scale, float(max_gap))
