"""Fit the linear composition metric: shrinkage LDA on z-scored k-mer features.

Given features X (n, 1712) of random genome windows and a class per window
(a genome, or a species when strains are grouped by ``--labels``):

1. z-score columns (training mean/std, stored in the model);
2. within-class scatter S_w (classes weighted equally) shrunk toward a scaled
   identity, S = (1 - a) S_w + a * tr(S_w)/p * I, with the Ledoit-Wolf
   estimate of a (or a fixed value);
3. between-class scatter S_b of the class means;
4. the top d generalised eigenvectors of S_b v = l S v (normalised v' S v = 1,
   so projected within-class scatter is ~identity), each scaled by l**power.

Embeddings are the projections L2-normalised; the cosine is the metric.
NumPy/SciPy only.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg


def ledoit_wolf_shrinkage(Xc: np.ndarray) -> float:
    """Ledoit-Wolf shrinkage intensity of the covariance of centred rows ``Xc`` toward mu*I."""
    n, p = Xc.shape
    S = (Xc.T @ Xc) / n
    mu = np.trace(S) / p
    delta = np.sum(S * S) - 2 * mu * np.trace(S) + mu * mu * p  # ||S - mu I||_F^2
    row_sq = np.einsum("ij,ij->i", Xc, Xc)
    beta = (np.sum(row_sq ** 2) / n - np.sum(S * S)) / n
    beta = min(max(beta, 0.0), delta)
    return float(beta / delta) if delta > 0 else 1.0


def fit_lda(X: np.ndarray, y: np.ndarray, dims: int = 32, shrinkage: float | str = 0.5,
            power: float = 0.0, min_std: float = 1e-6) -> dict:
    """Fit; returns dict(mean, std, W, eigenvalues, shrinkage, dims)."""
    X = np.array(X, dtype=np.float64)  # a copy: modified in place below
    y = np.asarray(y)
    classes, yi = np.unique(y, return_inverse=True)
    k = len(classes)
    if k < 2:
        raise ValueError("need at least 2 classes to fit a linear metric")
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.maximum(std, max(min_std, 1e-3 * float(np.median(std))))
    Z = X
    Z -= mean
    Z /= std
    counts = np.bincount(yi, minlength=k).astype(np.float64)
    means = np.zeros((k, Z.shape[1]))
    np.add.at(means, yi, Z)
    means /= counts[:, None]
    # within-class: rows centred on their class mean, each class weighted equally
    Zw = Z  # in place: rows centred on their class mean, weighted
    Zw -= means[yi]
    Zw *= np.sqrt((1.0 / counts[yi]) * (len(Zw) / k))[:, None]
    n, p = Zw.shape
    Sw = (Zw.T @ Zw) / n
    a = ledoit_wolf_shrinkage(Zw) if shrinkage == "ledoit-wolf" else float(shrinkage)
    S = (1 - a) * Sw + a * (np.trace(Sw) / p) * np.eye(p)
    gm = means.mean(axis=0)
    Mc = means - gm
    Sb = (Mc.T @ Mc) / k
    d = int(min(dims, k - 1, p))
    evals, evecs = scipy.linalg.eigh(Sb, S, subset_by_index=[p - d, p - 1])
    order = np.argsort(evals)[::-1]
    evals, evecs = evals[order], evecs[:, order]
    # deterministic signs
    evecs *= np.sign(evecs[np.argmax(np.abs(evecs), axis=0), np.arange(d)])
    W = evecs * np.maximum(evals, 1e-12) ** power
    # project the equal-weight class centroid to the origin: fold -gm into the mean
    mean_adj = mean + gm * std
    return dict(mean=mean_adj, std=std, W=W, eigenvalues=evals, shrinkage=a, dims=d, classes=list(map(str, classes)))
