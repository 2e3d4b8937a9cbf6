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


@nb.njit(cache=True, nogil=True)
def _induced(children, heights, keep_index, n_keep):
    n = children.shape[0] + 1
    rep = np.full(2 * n - 1, -1, dtype=np.int64)  # node of the induced tree each node maps to
    for j in range(n_keep):
        rep[keep_index[j]] = j
    out = np.empty((max(n_keep - 1, 0), 2), dtype=np.int64)
    out_h = np.empty(max(n_keep - 1, 0), dtype=heights.dtype)
    t2 = 0
    for t in range(n - 1):
        ra = rep[children[t, 0]]
        rb = rep[children[t, 1]]
        if ra >= 0 and rb >= 0:
            out[t2, 0] = min(ra, rb)
            out[t2, 1] = max(ra, rb)
            out_h[t2] = heights[t]
            rep[n + t] = n_keep + t2
            t2 += 1
        else:
            rep[n + t] = ra if ra >= 0 else rb
    return out, out_h


def induced_tree(children: np.ndarray, heights: np.ndarray, leaves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dendrogram restricted to ``leaves`` (sorted indices): single linkage of that subset.

    A merge with a side holding none of the leaves disappears; leaf j of the
    result is ``leaves[j]``.  (Cophenetic distances of an ultrametric restricted
    to a subset are the subset's single-linkage tree.)

    >>> ch, h = single_linkage(4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0]))
    >>> sub, sh = induced_tree(ch, h, np.array([0, 2, 3]))   # ((0,1),2),3) without leaf 1
    >>> sub.tolist(), sh.tolist()
    ([[0, 1], [2, 3]], [2.0, 3.0])
    """
    leaves = np.asarray(leaves, dtype=np.int64)
    return _induced(np.asarray(children, np.int64), np.asarray(heights), leaves, len(leaves))


def to_scipy_linkage(children: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """SciPy linkage matrix (n-1, 4) for comparisons and plotting."""
    n = len(children) + 1
    size = np.ones(2 * n - 1)
    for t, (a, b) in enumerate(children):
        size[n + t] = size[a] + size[b]
    return np.column_stack([children.astype(float), heights.astype(float), size[n:]])
