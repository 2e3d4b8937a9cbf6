"""Single-linkage dendrogram from MST edges by union-find (paper Algorithm 1).

Leaves are contigs 0..n-1; the t-th merge creates node n+t, so a node's
children always have smaller ids than the node (the root is 2n-2).  Edges are
merged in order of weight (stable: ties keep input order), which equals
single linkage because the MST contains every single-linkage merge.
"""
from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _find(parent, a):
    root = a
    while parent[root] != root:
        root = parent[root]
    while parent[a] != root:  # path compression
        nxt = parent[a]
        parent[a] = root
        a = nxt
    return root


@nb.njit(cache=True, nogil=True)
def _union_find(n, u, v):
    parent = np.arange(n, dtype=np.int64)
    cluster = np.arange(n, dtype=np.int64)  # dendrogram node id of each set's root
    children = np.empty((n - 1, 2), dtype=np.int64)
    for t in range(len(u)):
        a = _find(parent, u[t])
        b = _find(parent, v[t])
        ca, cb = cluster[a], cluster[b]
        children[t, 0] = min(ca, cb)
        children[t, 1] = max(ca, cb)
        parent[b] = a
        cluster[a] = n + t
    return children


def single_linkage(n: int, u: np.ndarray, v: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dendrogram of n leaves from n-1 spanning-tree edges.

    Returns (children int64 (n-1, 2), heights float32 (n-1,)); row t is node n+t.

    >>> ch, h = single_linkage(3, np.array([0, 1]), np.array([1, 2]), np.array([2.0, 1.0]))
    >>> ch.tolist(), h.tolist()
    ([[1, 2], [0, 3]], [1.0, 2.0])
    """
    if len(u) != n - 1:
        raise ValueError(f"a spanning tree of {n} nodes has {n - 1} edges, got {len(u)}")
    order = np.argsort(d, kind="stable")
    children = _union_find(n, np.asarray(u, np.int64)[order], np.asarray(v, np.int64)[order])
    return children, np.asarray(d, np.float32)[order]


def to_scipy_linkage(children: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """SciPy linkage matrix (n-1, 4) for comparisons and plotting."""
    n = len(children) + 1
    size = np.ones(2 * n - 1)
    for t, (a, b) in enumerate(children):
        size[n + t] = size[a] + size[b]
    return np.column_stack([children.astype(float), heights.astype(float), size[n:]])
