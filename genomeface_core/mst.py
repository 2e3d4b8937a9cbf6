"""Minimum spanning tree of the kNN graph, bridged so it spans every contig.

The kNN graph is made undirected and its MST forest computed with SciPy
(Kruskal).  If the forest has several components, each component except the
largest gets its nearest cross-component edge by an exact search of its
members against all contigs (Borůvka step); the new edges join the graph and
the MST is recomputed, until one tree remains.  Each round at least halves the
number of components, and only members of the small components are searched.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

from .distance import pair_distance
from .knn import block_rows
from .xp import to_numpy

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
    for s in range(0, len(rows), block):
        r = rows[s:s + block]
        d = pair_distance(xp, X[r], None if Y is None else Y[r], X, Y, w)
        d = xp.where(L[None, :] == L[xp.asarray(r)][:, None], xp.inf, d)
        j = xp.argmin(d, axis=1)
        best_j[s:s + len(r)] = to_numpy(j)
        best_d[s:s + len(r)] = to_numpy(xp.take_along_axis(d, j[:, None], axis=1)[:, 0])
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
