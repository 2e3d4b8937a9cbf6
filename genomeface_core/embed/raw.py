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

from ..features import tnf_columns


def l2_normalise(a: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    a = np.asarray(a, dtype=np.float32)
    n = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(n > 0, n, 1.0)


def composition_raw(features: np.ndarray, kind: str = "kmer1712", dims: int | None = None) -> np.ndarray:
    """Standardised (optionally PCA-whitened) k-mer features as unit vectors.

    ``features``: (n, 1712) frequencies from :func:`genomeface_core.features.kmer_features`.
    ``dims``: keep this many principal components, each scaled to unit variance
    (None: no PCA).
    """
    x = np.asarray(features, dtype=np.float64)
    if kind == "tnf":
        x = x[:, tnf_columns()]
    elif kind != "kmer1712":
        raise ValueError(f"unknown raw composition {kind!r}")
    x = x - x.mean(axis=0)
    sd = x.std(axis=0)
    x /= np.where(sd > 1e-12, sd, 1.0)
    if dims:
        cov = x.T @ x / max(len(x) - 1, 1)
        w, v = np.linalg.eigh(cov)
        order = np.argsort(w)[::-1][:dims]
        # deterministic sign per component
        v = v[:, order] * np.sign(v[np.argmax(np.abs(v[:, order]), axis=0), np.arange(len(order))])
        x = (x @ v) / np.sqrt(np.maximum(w[order], 1e-12))
    return l2_normalise(x)


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
