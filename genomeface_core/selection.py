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
def _dp(children, leaf_counts, min_purity):
    n = leaf_counts.shape[0]
    m = leaf_counts.shape[1]
    total = 2 * n - 1
    counts = np.zeros((total, m), dtype=np.uint16)
    counts[:n] = leaf_counts
    r = np.zeros(total)
    best = np.zeros(total)
    keep = np.zeros(total, dtype=np.bool_)
    for i in range(n):
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
        r[v] = reward(counts[v], min_purity)
        sub = best[a] + best[b]
        if r[v] > 0 and r[v] >= sub:
            best[v] = r[v]
            keep[v] = True
        else:
            best[v] = sub
    return counts, r, best, keep


@nb.njit(cache=True, nogil=True)
def _extract(children, keep, n):
    """Cluster id of every node: the highest kept ancestor-or-self, or -1."""
    total = 2 * n - 1
    label = np.full(total, -1, dtype=np.int64)
    nxt = 0
    for v in range(total - 1, -1, -1):  # parents before children
        if label[v] < 0 and keep[v]:
            label[v] = nxt
            nxt += 1
        if v >= n and label[v] >= 0:
            t = v - n
            label[children[t, 0]] = label[v]
            label[children[t, 1]] = label[v]
    return label[:n], nxt


def select_bins(children: np.ndarray, marker_counts: np.ndarray, min_purity: float = 0.85):
    """Partition contigs by the reward-maximising cut of the dendrogram.

    ``children``: (n-1, 2) from :func:`genomeface_core.dendrogram.single_linkage`.
    ``marker_counts``: (n, |M|) copies of each marker per contig.
    Returns (labels int64 (n,), -1 = unbinned; total reward of the cut).

    >>> ch = np.array([[0, 1], [2, 3]])          # ((0,1),2)
    >>> mc = np.zeros((3, 40), np.uint16); mc[0, :20] = 1; mc[1, 20:] = 1; mc[2, :] = 1
    >>> labels, total = select_bins(ch, mc)
    >>> labels.tolist(), round(total, 3)
    ([0, 0, 1], 2.0)
    """
    n = marker_counts.shape[0]
    mc = np.minimum(np.asarray(marker_counts), 65535).astype(np.uint16)
    if n == 1:
        r = reward(mc[0], min_purity)
        return np.array([0 if r > 0 else -1]), float(r)
    _, _, best, keep = _dp(np.asarray(children, np.int64), mc, float(min_purity))
    labels, _ = _extract(np.asarray(children, np.int64), keep, n)
    return labels, float(best[2 * n - 2])


def node_rewards(children: np.ndarray, marker_counts: np.ndarray, min_purity: float = 0.85) -> np.ndarray:
    """R of every dendrogram node (2n-1,), for tests and diagnostics."""
    mc = np.minimum(np.asarray(marker_counts), 65535).astype(np.uint16)
    _, r, _, _ = _dp(np.asarray(children, np.int64), mc, float(min_purity))
    return r


def quality(counts_row: np.ndarray) -> tuple[float, float]:
    """Marker-estimated (completeness %, contamination %) of one bin: TP/|M|, FP/|M|."""
    c = np.asarray(counts_row, dtype=np.int64)
    tp, fp = tp_fp(c)
    return 100.0 * tp / len(c), 100.0 * fp / len(c)
