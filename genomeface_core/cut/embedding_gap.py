"""Embedding support of dendrogram merges: is the join a gap or a continuation?

Single linkage joins two subtrees a and b at height h = the shortest kNN-MST
edge between them.  Inside one genome that edge is about as long as a typical
nearest-neighbour distance within either part; between two genomes it spans
the gap between two clouds.  The *gap ratio* of a merge is

    gap = h / max(s_a, s_b),   s_x = length-weighted mean distance from a
                               member of x to its nearest neighbour

(lengths weight the estimate because long contigs' embeddings are precise).
The marker reward cannot see sequence without markers, so selection uses the
ratio to refuse merges that markers cannot vouch for (see
:mod:`genomeface_core.cut.selection`).  Measured on merges whose smaller side holds
>= 50 kb: within one genome gap <= 1.24 (demo) and <= 1.43 (benchmark
``strains`` mock, 268 merges); between genomes 1.15-2.9.

>>> ch = np.array([[0, 1], [2, 3]])                 # ((0,1),2)
>>> h = np.array([0.1, 0.5]); nn = np.array([0.1, 0.1, 0.1])
>>> gap_ratios(ch, h, np.array([60_000, 60_000, 60_000]), nn).round(2).tolist()
[1.0, 5.0]
"""
from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _gaps(children, heights, lengths, nn):
    n = lengths.shape[0]
    w = np.zeros(2 * n - 1)
    s = np.zeros(2 * n - 1)
    for i in range(n):
        w[i] = lengths[i]
        s[i] = lengths[i] * nn[i]
    gap = np.empty(n - 1)
    for t in range(n - 1):
        a = children[t, 0]
        b = children[t, 1]
        scale = max(s[a] / max(w[a], 1.0), s[b] / max(w[b], 1.0))
        gap[t] = heights[t] / scale if scale > 0 else (np.inf if heights[t] > 0 else 1.0)
        w[n + t] = w[a] + w[b]
        s[n + t] = s[a] + s[b]
    return gap


def gap_ratios(children: np.ndarray, heights: np.ndarray, lengths: np.ndarray, nn_dist: np.ndarray) -> np.ndarray:
    """Gap ratio (n-1,) of every merge (row t of ``children`` is node n+t).

    ``heights``: join distances from :func:`genomeface_core.graph.dendrogram.single_linkage`;
    ``lengths``: contig lengths (bp); ``nn_dist``: each contig's distance to its
    nearest neighbour (column 0 of the kNN distances, self excluded).
    """
    return _gaps(np.asarray(children, np.int64), np.asarray(heights, np.float64),
                 np.asarray(lengths, np.float64), np.asarray(nn_dist, np.float64))
