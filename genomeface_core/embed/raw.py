"""Baseline embeddings: unit vectors computed from the data alone, no training.

Composition (``tnf`` or ``kmer1712``): columns z-scored over the dataset, then
optionally PCA-whitened to ``dims`` components, then L2-normalised.

Abundance: ``log1p`` of per-sample depth (variance-stabilising for counts)
with one extra constant coordinate kappa, then L2-normalised.  The constant
makes a one-sample embedding informative (its angle is atan(log1p(depth)/kappa),
monotone in depth; a 1-d vector would normalise to a constant), keeps total
abundance in the angle for any sample count, and gives zero-coverage contigs a
well-defined vector (0, ..., 0, 1).  kappa is the dataset's median norm of the
log-depth vectors, so the angle is most sensitive at typical depths.
"""
from __future__ import annotations

import numpy as np

from genomeface_core.embed.kmers import tnf_columns


def l2_normalise(a: np.ndarray, inplace: bool = False) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32.

    ``inplace`` reuses ``a``'s memory when it already is float32.
    """
    a = np.asarray(a, dtype=np.float32)
    n = np.linalg.norm(a, axis=1, keepdims=True)
    n[n == 0] = 1.0
    if inplace:
        a /= n
        return a
    return a / n


def column_stats(x: np.ndarray, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and standard deviation, accumulated in float64 over row chunks."""
    n = max(len(x), 1)
    s = np.zeros(x.shape[1])
    for i in range(0, len(x), chunk):
        s += x[i:i + chunk].sum(axis=0, dtype=np.float64)
    mean = s / n
    ss = np.zeros(x.shape[1])
    for i in range(0, len(x), chunk):
        ss += ((x[i:i + chunk] - mean) ** 2).sum(axis=0)
    return mean.astype(np.float32), np.sqrt(ss / n).astype(np.float32)


def composition_raw(features: np.ndarray, kind: str = "kmer1712", dims: int | None = None) -> np.ndarray:
    """Standardised (optionally PCA-whitened) k-mer features as unit vectors.

    ``features``: (n, 1712) frequencies from :func:`genomeface_core.embed.kmers.kmer_features`.
    ``dims``: keep this many principal components, each scaled to unit variance
    (None: no PCA).
    """
    if kind == "tnf":
        x = np.array(features[:, tnf_columns()], dtype=np.float32)
    elif kind == "kmer1712":
        x = np.array(features, dtype=np.float32)  # one float32 copy, then in place: 6.8 GB per 1M contigs
    else:
        raise ValueError(f"unknown raw composition {kind!r}")
    mean, sd = column_stats(x)
    x -= mean
    x /= np.where(sd > 1e-12, sd, 1.0).astype(np.float32)
    if dims:
        cov = (x.T @ x).astype(np.float64) / max(len(x) - 1, 1)
        w, v = np.linalg.eigh(cov)
        order = np.argsort(w)[::-1][:dims]
        # deterministic sign per component
        v = v[:, order] * np.sign(v[np.argmax(np.abs(v[:, order]), axis=0), np.arange(len(order))])
        x = (x @ v.astype(np.float32)) / np.sqrt(np.maximum(w[order], 1e-12)).astype(np.float32)
    return l2_normalise(x, inplace=True)


def abundance_raw(depths: np.ndarray, kappa: float | None = None) -> np.ndarray:
    """Variance-stabilised depth profile with a constant coordinate, as unit vectors.

    ``depths``: (n, n_samples) mean depth (x).  Returns (n, n_samples + 1).

    >>> y = abundance_raw(np.array([[1.0], [10.0], [0.0]]), kappa=1.0)
    >>> [[round(float(v), 3) for v in row] for row in y]
    [[0.57, 0.822], [0.923, 0.385], [0.0, 1.0]]
    """
    d = np.log1p(np.asarray(depths, dtype=np.float64))
    if kappa is None:
        norms = np.linalg.norm(d, axis=1)
        pos = norms[norms > 0]
        kappa = float(np.median(pos)) if len(pos) else 1.0
    y = np.concatenate([d, np.full((len(d), 1), kappa)], axis=1)
    return l2_normalise(y)
