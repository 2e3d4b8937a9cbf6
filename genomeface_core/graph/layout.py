"""The report's 2-D picture of the contigs, in the binning geometry: a PCA plane or a UMAP-style
layout of the binner's own kNN graph (Numba, deterministic for a seed).  Drawn by
:mod:`genomeface_core.output.plots`; written to ``projection.tsv``.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np


def pca(composition: np.ndarray, abundance: np.ndarray | None, weight: float, seed: int = 0,
        max_points: int = 20000) -> np.ndarray:
    """(n, 2) coordinates: the first two principal axes of [composition, sqrt(weight) * abundance].

    The binner's distance is sqrt(angle_x^2 + weight * angle_y^2) on two unit
    spheres; for the small angles that make neighbours, an angle is the chord
    |x_i - x_j|, so Euclidean distance in the concatenated space follows the
    binning geometry.  Above ``max_points`` contigs the axes are fitted on a
    ``seed``-determined sample and every contig is projected on them.  Axes are
    oriented so the largest loading is positive (the layout does not flip between runs).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(50, 4)); x[:25, 0] += 10
    >>> xy = pca(x / np.linalg.norm(x, axis=1, keepdims=True), None, 0.0)
    >>> xy.shape, bool(np.all(np.sign(xy[:25, 0]) != np.sign(xy[25:, 0].mean())))
    ((50, 2), True)
    """
    z = _concatenated(composition, abundance, weight)
    n = len(z)
    out = np.zeros((n, 2))
    if n < 2:
        return out
    fit = z if n <= max_points else z[_sample(n, max_points, seed)]
    mu = fit.mean(axis=0)
    # eigenvectors of the (d, d) covariance: cheaper than an SVD of the (n, d) matrix for n >> d
    _, vecs = np.linalg.eigh(np.cov(fit - mu, rowvar=False).reshape(z.shape[1], z.shape[1]))
    axes = vecs[:, ::-1][:, :2].T
    axes *= np.where(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)] < 0, -1.0, 1.0)[:, None]
    out[:, :len(axes)] = (z - mu) @ axes.T
    return out


def _concatenated(composition, abundance, weight) -> np.ndarray:
    z = np.asarray(composition, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"composition must be (n, d), got shape {z.shape}")
    if abundance is None or weight <= 0:
        return z
    y = np.asarray(abundance, dtype=np.float64)
    if len(y) != len(z):
        raise ValueError(f"abundance has {len(y)} rows, composition {len(z)}")
    return np.hstack([z, math.sqrt(weight) * y])


def _sample(n: int, m: int, seed: int) -> np.ndarray:
    """Sorted indices of a ``seed``-determined sample of m of n rows."""
    return np.sort(np.random.default_rng(seed).choice(n, m, replace=False))


# UMAP's curve 1 / (1 + a d^2b) for min_dist 0.1, spread 1 (umap.umap_.find_ab_params)
_A, _B = 1.577, 0.8951


@nb.njit(cache=True, nogil=True, fastmath=True)
def _sgd(pos, head, tail, epochs_per_edge, n_epochs, negatives, seed):  # pragma: no cover - compiled
    """UMAP-style layout: edges pull their ends together, random pairs push apart (in place)."""
    np.random.seed(seed)
    n, m = pos.shape[0], head.shape[0]
    next_at = epochs_per_edge.copy()
    for epoch in range(n_epochs):
        alpha = 1.0 - epoch / n_epochs
        for e in range(m):
            if next_at[e] > epoch + 1:
                continue
            next_at[e] += epochs_per_edge[e]
            i, j = head[e], tail[e]
            dx, dy = pos[i, 0] - pos[j, 0], pos[i, 1] - pos[j, 1]
            d2 = dx * dx + dy * dy
            if d2 > 0.0:
                c = -2.0 * _A * _B * d2 ** (_B - 1.0) / (1.0 + _A * d2 ** _B)
                gx, gy = max(-4.0, min(4.0, c * dx)), max(-4.0, min(4.0, c * dy))
                pos[i, 0] += alpha * gx
                pos[i, 1] += alpha * gy
                pos[j, 0] -= alpha * gx
                pos[j, 1] -= alpha * gy
            for _ in range(negatives):
                k = np.random.randint(n)
                if k == i:
                    continue
                dx, dy = pos[i, 0] - pos[k, 0], pos[i, 1] - pos[k, 1]
                d2 = dx * dx + dy * dy
                if d2 > 0.0:
                    c = 2.0 * _B / ((0.001 + d2) * (1.0 + _A * d2 ** _B))
                    pos[i, 0] += alpha * max(-4.0, min(4.0, c * dx))
                    pos[i, 1] += alpha * max(-4.0, min(4.0, c * dy))


def _fuzzy_edges(idx: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric weighted edges (head, tail, weight) of a kNN graph, as UMAP's fuzzy union.

    Each contig's neighbour weights are exp(-(d - d_nearest) / sigma), with sigma set
    (bisection) so that they sum to log2(k): dense and sparse regions weigh alike.
    """
    n, k = idx.shape
    d = dist.astype(np.float64) - dist[:, :1]
    lo, hi = np.zeros(n), np.full(n, np.inf)
    sigma = np.ones(n)
    target = math.log2(k)
    for _ in range(64):
        s = np.exp(-d / sigma[:, None]).sum(axis=1)
        big = s > target  # too much weight: sigma too large
        hi = np.where(big, sigma, hi)
        lo = np.where(big, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2, (lo + hi) / 2)
    w = np.exp(-d / np.maximum(sigma, 1e-12)[:, None]).ravel()
    rows = np.repeat(np.arange(n), k)
    cols = idx.ravel()
    keep = cols != rows
    # fuzzy union w_ij + w_ji - w_ij * w_ji over both directions
    a, b = np.minimum(rows, cols)[keep], np.maximum(rows, cols)[keep]
    key = a * n + b
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[keep][order]
    uniq, start, count = np.unique(key, return_index=True, return_counts=True)
    w1 = w[start]
    w2 = np.where(count > 1, w[np.minimum(start + 1, len(w) - 1)], 0.0)
    return uniq // n, uniq % n, w1 + w2 - w1 * w2


def projection(composition: np.ndarray, abundance: np.ndarray | None, weight: float, seed: int = 0,
               max_points: int = 10000, *, method: str = "layout", neighbours: tuple | None = None, k: int = 15,
               epochs: int = 200, negatives: int = 3, threads: int = 1) -> np.ndarray:
    """(n, 2) coordinates of the contigs for the report, in the binning geometry.

    ``method="layout"`` (default): a UMAP-style embedding of the kNN graph built
    with the binner's own distance sqrt(angle_x^2 + weight * angle_y^2)
    (:func:`genomeface_core.graph.knn.knn_graph` with ``k`` neighbours and ``threads``,
    or the binner's own graph: ``neighbours`` = its (indices, distances) over all
    rows, used when nothing is subsampled), started from the PCA plane
    (:func:`pca`) and refined by ``epochs`` rounds of stochastic gradient descent
    with ``negatives`` repulsive samples per edge update (UMAP uses 5; 3 keeps
    the bins apart in a picture at 0.6x the time) (Numba, deterministic for a
    ``seed``).  About 1 s per 8,000 contigs.  Contigs the binner
    sees as neighbours sit together; distances between far groups mean little.
    Above ``max_points`` contigs only a ``seed``-determined sample is laid out
    and the other rows are NaN (:func:`write_projection` skips them).
    ``method="pca"``: :func:`pca`, every row.
    """
    if method == "pca":
        return pca(composition, abundance, weight, seed=seed, max_points=max_points)
    if method != "layout":
        raise ValueError(f"method must be 'layout' or 'pca', got {method!r}")
    from genomeface_core.graph.knn import knn_graph

    x = np.asarray(composition, dtype=np.float32)
    y = None if abundance is None or weight <= 0 else np.asarray(abundance, dtype=np.float32)
    n = len(x)
    out = np.full((n, 2), np.nan)
    rows = np.arange(n) if n <= max_points else _sample(n, max_points, seed)
    if len(rows) <= max(k, 3):  # too few for a graph: the plane is all there is
        out[rows] = pca(x[rows], None if y is None else y[rows], weight)
        return out
    xs, ys = x[rows], None if y is None else y[rows]
    init = pca(xs, ys, weight)
    # UMAP starts from a layout spread over about 10 units
    pos = np.ascontiguousarray(10.0 * (init - init.mean(axis=0)) / max(float(np.abs(init).max()), 1e-12))
    if neighbours is not None and len(rows) == n:
        idx, dist = (np.asarray(a) for a in neighbours)
        if idx.shape[0] != n or dist.shape != idx.shape:
            raise ValueError(f"neighbours must be two ({n}, k) arrays, got {idx.shape} and {dist.shape}")
    else:
        # exact below 5,000 contigs, else faiss HNSW candidates re-ranked exactly: a layout needs no more
        idx, dist = knn_graph(xs, ys, float(weight), k, exact_max=5000, threads=threads)
    head, tail, w = _fuzzy_edges(idx, dist)
    keep = w >= w.max() / epochs  # edges that would be sampled less than once
    head, tail, w = head[keep], tail[keep], w[keep]
    _sgd(pos, head.astype(np.int64), tail.astype(np.int64), w.max() / w, epochs, negatives, seed)
    out[rows] = pos
    return out
