"""Choose bins from the dendrogram by marker genes (paper Algorithms 2-3).

For a node C with marker counts c_m (m over the |M| = 40 single-copy markers):

    TP = #{m : c_m > 0}      FP = sum_m max(c_m - 1, 0)      FN = |M| - TP
    purity P = TP / (TP + FP),  F1 = 2 TP / (2 TP + FP + FN)
    R(C) = 1[P >= min_purity] * F1^4

Bottom-up (children have smaller ids than parents, so one increasing pass):
best(v) = max(R(v), best(l) + best(r)); v is kept when R(v) >= best(l) +
best(r) and R(v) > 0.  Top-down, the highest kept node on every root-leaf path
is a bin; contigs under no kept node are unbinned.  No recursion; linear in
the number of nodes times |M|.

Merges the markers cannot vouch for (not in the paper).  The reward is blind
to sequence without markers: a 0.9 Mbp strain-specific part carrying 3
markers, or two genome fragments with a few markers each, joins a bin at no
cost.  A merge is *substantial* when its smaller side holds >= ``min_side_bp``;
markers *vouch* for it when, had the sides been two genomes, they would be
expected to share >= ``min_shared`` markers (TP_a * TP_b / |M|), so an
absence of duplicates is evidence.  A substantial merge that markers do not
vouch for and whose embedding gap ratio (:mod:`genomeface_core.cut.embedding_gap`)
exceeds ``max_gap`` blocks its node and every ancestor up to the next
substantial merge that markers vouch for: blocked nodes cannot be bins.
"""
from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def tp_fp(counts_row):
    """(TP, FP) of one cluster's marker counts: markers present, extra copies.

    >>> tp_fp(np.array([0, 1, 3, 1]))
    (3, 2)
    """
    tp = 0
    fp = 0
    for j in range(counts_row.shape[0]):
        c = counts_row[j]
        if c > 0:
            tp += 1
            fp += c - 1
    return tp, fp


@nb.njit(cache=True, nogil=True)
def reward(counts_row, min_purity):
    """R for one node's marker counts."""
    m = counts_row.shape[0]
    tp, fp = tp_fp(counts_row)
    if tp == 0:
        return 0.0
    if tp / (tp + fp) < min_purity:
        return 0.0
    f1 = 2.0 * tp / (2.0 * tp + fp + (m - tp))
    return f1 ** 4


@nb.njit(cache=True, nogil=True)
def _dp(children, leaf_counts, min_purity, gaps, lengths, min_side_bp, max_gap, min_shared):
    n = leaf_counts.shape[0]
    m = leaf_counts.shape[1]
    total = 2 * n - 1
    counts = np.zeros((total, m), dtype=np.uint16)
    counts[:n] = leaf_counts
    r = np.zeros(total)
    best = np.zeros(total)
    keep = np.zeros(total, dtype=np.bool_)
    blocked = np.zeros(total, dtype=np.bool_)
    size = np.zeros(total)
    worst = np.zeros(total)  # largest gap ratio of a substantial merge in the subtree
    for i in range(n):
        size[i] = lengths[i]
        r[i] = reward(counts[i], min_purity)
        best[i] = r[i]
        keep[i] = r[i] > 0
    for t in range(n - 1):
        v = n + t
        a = children[t, 0]
        b = children[t, 1]
        for j in range(m):
            s = np.int64(counts[a, j]) + np.int64(counts[b, j])
            counts[v, j] = s if s < 65535 else 65535  # saturate: only the root region can get there
        size[v] = size[a] + size[b]
        blocked[v] = blocked[a] or blocked[b]
        worst[v] = max(worst[a], worst[b])
        if min(size[a], size[b]) >= min_side_bp:
            worst[v] = max(worst[v], gaps[t])
            if tp_fp(counts[a])[0] * tp_fp(counts[b])[0] >= min_shared * m:
                blocked[v] = False  # markers had a fair chance to object: the reward decides
            elif gaps[t] > max_gap:
                blocked[v] = True
        r[v] = reward(counts[v], min_purity)
        sub = best[a] + best[b]
        if r[v] > 0 and r[v] >= sub and not blocked[v]:
            best[v] = r[v]
            keep[v] = True
        else:
            best[v] = sub
    return counts, r, best, keep, worst


@nb.njit(cache=True, nogil=True)
def _extract(children, keep, n):
    """Cluster id of every leaf (the highest kept ancestor-or-self, or -1) and each cluster's node."""
    total = 2 * n - 1
    label = np.full(total, -1, dtype=np.int64)
    top = np.empty(total, dtype=np.int64)
    nxt = 0
    for v in range(total - 1, -1, -1):  # parents before children
        if label[v] < 0 and keep[v]:
            label[v] = nxt
            top[nxt] = v
            nxt += 1
        if v >= n and label[v] >= 0:
            t = v - n
            label[children[t, 0]] = label[v]
            label[children[t, 1]] = label[v]
    return label[:n], top[:nxt]


def select_bins(children: np.ndarray, marker_counts: np.ndarray, min_purity: float = 0.85, *,
                gaps: np.ndarray | None = None, lengths: np.ndarray | None = None, min_side_bp: float = 50_000,
                max_gap: float = 2.0, min_shared: float = 4.0):
    """Partition contigs by the reward-maximising cut of the dendrogram.

    ``children``: (n-1, 2) from :func:`genomeface_core.graph.dendrogram.single_linkage`.
    ``marker_counts``: (n, |M|) copies of each marker per contig.
    ``gaps``: gap ratio of every merge (:func:`genomeface_core.cut.embedding_gap.gap_ratios`)
    and ``lengths`` (bp) of the contigs; without them no merge is refused.
    ``min_side_bp``, ``max_gap``, ``min_shared``: see the module docstring.
    Returns (labels int64 (n,), -1 = unbinned; total reward of the cut;
    largest gap ratio of a substantial merge inside each cluster, (clusters,)).

    >>> ch = np.array([[0, 1], [2, 3]])          # ((0,1),2)
    >>> mc = np.zeros((3, 40), np.uint16); mc[0, :20] = 1; mc[1, 20:] = 1; mc[2, :] = 1
    >>> labels, total, _ = select_bins(ch, mc)
    >>> labels.tolist(), round(total, 3)
    ([0, 0, 1], 2.0)

    Two 100 kb fragments with 2 markers each, joined across a gap (ratio 3):

    >>> ch = np.array([[0, 1]]); mc = np.zeros((2, 40), np.uint16); mc[0, :2] = 1; mc[1, 2:4] = 1
    >>> ln = np.array([100_000, 100_000])
    >>> select_bins(ch, mc, gaps=np.array([3.0]), lengths=ln)[0].tolist()   # two bins
    [1, 0]
    >>> select_bins(ch, mc, gaps=np.array([1.1]), lengths=ln)[0].tolist()
    [0, 0]
    """
    n = marker_counts.shape[0]
    mc = np.minimum(np.asarray(marker_counts), 65535).astype(np.uint16)
    if n == 1:
        r = reward(mc[0], min_purity)
        return np.array([0 if r > 0 else -1]), float(r), np.zeros(int(r > 0))
    children = np.asarray(children, np.int64)
    if gaps is None:
        gaps, lengths = np.zeros(n - 1), np.zeros(n)
    _, _, best, keep, worst = _dp(children, mc, float(min_purity), np.asarray(gaps, np.float64),
                                  np.asarray(lengths, np.float64), float(min_side_bp), float(max_gap),
                                  float(min_shared))
    labels, nodes = _extract(children, keep, n)
    return labels, float(best[2 * n - 2]), worst[nodes]


def node_rewards(children: np.ndarray, marker_counts: np.ndarray, min_purity: float = 0.85) -> np.ndarray:
    """R of every dendrogram node (2n-1,), for tests and diagnostics."""
    mc = np.minimum(np.asarray(marker_counts), 65535).astype(np.uint16)
    n = mc.shape[0]
    _, r, _, _, _ = _dp(np.asarray(children, np.int64), mc, float(min_purity), np.zeros(n - 1), np.zeros(n),
                        np.inf, np.inf, np.inf)
    return r


def quality(counts_row: np.ndarray) -> tuple[float, float]:
    """Marker-estimated (completeness %, contamination %) of one bin: TP/|M|, FP/|M|."""
    c = np.asarray(counts_row, dtype=np.int64)
    tp, fp = tp_fp(c)
    return 100.0 * tp / len(c), 100.0 * fp / len(c)
