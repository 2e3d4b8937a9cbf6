"""Minimum spanning tree of the kNN graph, bridged so it spans every contig.

The kNN graph is made undirected and its MST forest computed with SciPy
(Kruskal).  If the forest has several components, each component except the
largest gets its nearest cross-component edge by an exact search of its
members against all contigs (Borůvka step); the new edges join the graph and
the MST is recomputed, until one tree remains.  Each round at least halves the
number of components, and only members of the small components are searched.
"""
from __future__ import annotations

import numba as nb
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

from genomeface_core.graph.distance import distance_from_cosines
from genomeface_core.graph.knn import block_rows
from genomeface_core.xp import to_numpy

# SciPy's sparse graphs treat an explicit 0 as "no edge"; identical contigs get this instead.
_TINY = np.float32(1e-12)


def _undirected(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> sp.csr_matrix:
    a, b = np.minimum(u, v), np.maximum(u, v)
    keep = a != b
    key = a[keep] * n + b[keep]
    key, first = np.unique(key, return_index=True)
    ww = np.maximum(w[keep][first], _TINY)
    return sp.csr_matrix((ww, (key // n, key % n)), shape=(n, n))


def _tree_edges(g: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = minimum_spanning_tree(g).tocoo()
    return t.row.astype(np.int64), t.col.astype(np.int64), t.data.astype(np.float32)


@nb.njit(cache=True, nogil=True, inline="always")
def _chord(cx, cy, w, i, j):  # pragma: no cover - compiled
    """Chord proxy q = (2 - 2 cx) + w (2 - 2 cy) of pair (i, j) (``w`` = 0: composition only)."""
    q = 2.0 - 2.0 * cx[i, j]
    if w > 0.0:
        q += w * (2.0 - 2.0 * cy[i, j])
    return q


@nb.njit(cache=True, nogil=True, parallel=True)
def _nearest_by_chord(cx, cy, w, labels, row_labels):  # pragma: no cover - compiled
    """Per row, the column of another component with the smallest :func:`_chord`."""
    m, n = cx.shape
    out = np.empty(m, np.int64)
    for i in nb.prange(m):
        best, arg = np.inf, -1
        for j in range(n):
            if labels[j] != row_labels[i]:
                q = _chord(cx, cy, w, i, j)
                if q < best:
                    best, arg = q, j
        out[i] = arg
    return out


@nb.njit(cache=True, nogil=True, inline="always")
def _is_candidate(cx, cy, w, labels, row_labels, limit, j0, i, j):  # pragma: no cover - compiled
    return labels[j] != row_labels[i] and (j == j0[i] or _chord(cx, cy, w, i, j) <= limit[i])


@nb.njit(cache=True, nogil=True, parallel=True)
def _within_chord(cx, cy, w, labels, row_labels, limit, j0):  # pragma: no cover - compiled
    """(row, column) pairs of other components with :func:`_chord` <= ``limit[row]``,
    and each row's ``j0``: the only pairs that can hold the row's nearest."""
    m, n = cx.shape
    counts = np.zeros(m, np.int64)
    for i in nb.prange(m):
        c = 0
        for j in range(n):
            if _is_candidate(cx, cy, w, labels, row_labels, limit, j0, i, j):
                c += 1
        counts[i] = c
    start = np.zeros(m + 1, np.int64)
    start[1:] = np.cumsum(counts)
    ci = np.empty(start[m], np.int64)
    cj = np.empty(start[m], np.int64)
    for i in nb.prange(m):  # same test, now writing the pairs at the row's offset
        k = start[i]
        for j in range(n):
            if _is_candidate(cx, cy, w, labels, row_labels, limit, j0, i, j):
                ci[k] = i
                cj[k] = j
                k += 1
    return ci, cj


def bridge_edges(x, y, w: float, labels: np.ndarray, *, xp=np, block: int | None = None):
    """Nearest cross-component edge of every component except the largest.

    Returns (u, v, d) arrays, one edge per bridged component.  ``block`` rows
    are compared with all n contigs at a time (default: bounded to ~250 MB).
    """
    n = len(labels)
    block = block or block_rows(n)
    sizes = np.bincount(labels)
    big = int(np.argmax(sizes))
    rows = np.flatnonzero(labels != big)
    X = xp.asarray(x, dtype=xp.float32)
    Y = None if y is None else xp.asarray(y, dtype=xp.float32)
    L = xp.asarray(labels)
    best_j = np.empty(len(rows), dtype=np.int64)
    best_d = np.empty(len(rows), dtype=np.float32)
    use_y = Y is not None and w > 0
    for s in range(0, len(rows), block):
        r = rows[s:s + block]
        rr = xp.asarray(r)
        # Exact nearest by a chord prefilter: the chord of an angle is at most the
        # angle (2 - 2 cos t <= t^2), so q = (2 - 2 cx) + w (2 - 2 cy) <= d^2 for
        # every pair, and a contig can only beat the pair nearest by q, at exact
        # distance d0, if its q <= d0^2: arccos runs on those few, not on all n.
        cx = X[rr] @ X.T
        cy = Y[rr] @ Y.T if use_y else None
        rows_i = xp.arange(len(r))
        if xp is np:  # one fused pass per step instead of ~10 array passes (3x less time)
            cyy = cy if cy is not None else np.zeros((1, 1), np.float32)
            j0 = _nearest_by_chord(cx, cyy, float(w) if use_y else 0.0, labels, labels[r])
            d0 = distance_from_cosines(xp, cx[rows_i, j0], None if cy is None else cy[rows_i, j0], w)
            ci, cj = _within_chord(cx, cyy, float(w) if use_y else 0.0, labels, labels[r],
                                   (d0.astype(np.float64) ** 2) * (1 + 1e-4) + 1e-6, j0)
        else:
            q = 2.0 - 2.0 * cx
            if cy is not None:
                q += w * (2.0 - 2.0 * cy)
            q = xp.where(L[None, :] == L[rr][:, None], xp.inf, q)
            j0 = xp.argmin(q, axis=1)
            d0 = distance_from_cosines(xp, cx[rows_i, j0], None if cy is None else cy[rows_i, j0], w)
            # float32 slack: q and d0 each carry ~1e-7 of rounding
            near = q <= (d0 * d0 * (1 + 1e-4) + 1e-6)[:, None]
            near[rows_i, j0] = True
            ci, cj = xp.nonzero(near)
        dc = distance_from_cosines(xp, cx[ci, cj], None if cy is None else cy[ci, cj], w)
        ci, cj, dc = to_numpy(ci), to_numpy(cj), to_numpy(dc)
        order = np.lexsort((cj, dc, ci))  # per row: smallest distance, then lowest index (as argmin)
        first = order[np.r_[True, ci[order][1:] != ci[order][:-1]]]
        best_j[s + ci[first]] = cj[first]
        best_d[s + ci[first]] = dc[first]
    comp = labels[rows]
    order = np.lexsort((rows, best_d, comp))  # per component: smallest distance, then lowest index
    first = order[np.r_[True, comp[order][1:] != comp[order][:-1]]]
    return rows[first], best_j[first], best_d[first]


def spanning_tree(x, y, w: float, knn_idx: np.ndarray, knn_dist: np.ndarray, *, xp=np):
    """MST edges (u, v, d) over all n contigs: n-1 edges."""
    n = knn_idx.shape[0]
    if n == 1:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    u = np.repeat(np.arange(n, dtype=np.int64), knn_idx.shape[1])
    v = knn_idx.ravel()
    d = knn_dist.ravel()
    g = _undirected(n, u, v, d)
    eu, ev, ed = _tree_edges(g)
    ncomp, labels = connected_components(sp.coo_matrix((np.ones(len(eu)), (eu, ev)), shape=(n, n)), directed=False)
    while ncomp > 1:
        bu, bv, bd = bridge_edges(x, y, w, labels, xp=xp)
        u = np.concatenate([eu, bu])
        v = np.concatenate([ev, bv])
        d = np.concatenate([ed, bd])
        eu, ev, ed = _tree_edges(_undirected(n, u, v, d))
        ncomp, labels = connected_components(sp.coo_matrix((np.ones(len(eu)), (eu, ev)), shape=(n, n)),
                                             directed=False)
    assert len(eu) == n - 1
    return eu, ev, ed
