"""Fit the linear composition metric: shrinkage LDA on z-scored k-mer features.

Given features X (n, 1712) of random genome windows and a class per window
(a genome, or a species when strains are grouped by ``--labels``):

1. z-score columns (training mean/std, stored in the model);
2. within-class scatter S_w (classes weighted equally) shrunk toward a scaled
   identity, S = (1 - a) S_w + a * tr(S_w)/p * I, with the Ledoit-Wolf
   estimate of a (or a fixed value);
3. between-class scatter S_b of the class means (optionally blended with the
   scatter of given class pairs, e.g. cannot-link pairs: ``pairs``/``pair_weight``);
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


def _blend_pairs(Sb: np.ndarray, means: np.ndarray, classes: np.ndarray, pairs: np.ndarray,
                 weight: float) -> np.ndarray:
    """(1 - weight) Sb + weight * (mean of d d'/2 over the class pairs ``pairs``; d = mean_a - mean_b).

    >>> m = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    >>> _blend_pairs(np.zeros((2, 2)), m, np.array([7, 8, 9]), np.array([[7, 8], [7, 5]]), 1.0)
    array([[2., 0.],
           [0., 0.]])
    """
    import scipy.sparse

    k = len(classes)
    a = np.searchsorted(classes, pairs[:, 0]).clip(0, k - 1)
    b = np.searchsorted(classes, pairs[:, 1]).clip(0, k - 1)
    ok = (classes[a] == pairs[:, 0]) & (classes[b] == pairs[:, 1]) & (a != b)
    if not ok.any():
        return Sb
    a, b = a[ok], b[ok]
    # sum over pairs of d d' = M' L M, L = the pair graph's Laplacian: O(k p^2), not O(pairs p^2)
    A = scipy.sparse.csr_matrix((np.ones(2 * len(a), means.dtype), (np.r_[a, b], np.r_[b, a])), shape=(k, k))
    deg = np.asarray(A.sum(axis=1), dtype=means.dtype)
    LM = deg * means - A @ means
    return (1 - weight) * Sb + weight * (means.T @ LM) / (2 * len(a))


def _lanczos(Mc: np.ndarray, S: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``d`` solutions of Sb v = l S v, Sb = Mc' Mc / k (k centred class means), v' S v = 1.

    With S = L L', u = L' v solves (B B'/k) u = l u, B = L^-1 Mc' (p x k): ARPACK on the
    operator x -> B (B' x) / k, from a fixed start vector (deterministic), then v = L'^-1 u.
    """
    import scipy.sparse.linalg

    k, p = Mc.shape
    Lc = scipy.linalg.cholesky(S, lower=True)
    B = scipy.linalg.solve_triangular(Lc, Mc.T, lower=True)
    op = scipy.sparse.linalg.LinearOperator((p, p), matvec=lambda x: B @ (B.T @ x) / k, dtype=S.dtype)
    evals, U = scipy.sparse.linalg.eigsh(op, k=d, which="LA", v0=np.ones(p, S.dtype), tol=1e-6)
    return evals, scipy.linalg.solve_triangular(Lc, U, lower=True, trans="T")


def fit_lda(X: np.ndarray, y: np.ndarray, dims: int = 32, shrinkage: float | str = 0.5,
            power: float = 0.0, min_std: float = 1e-6, *, dtype=np.float64,
            pairs: np.ndarray | None = None, pair_weight: float = 0.5, solver: str = "eigh") -> dict:
    """Fit; returns dict(mean, std, W, eigenvalues, shrinkage, dims).

    ``dtype``: working precision (float32 halves memory and time; the shipped
    metric was fitted in float64, the default).  ``pairs``: (m, 2) labels
    (values of ``y``) of class pairs known to differ (cannot-link); S_b becomes
    (1 - pair_weight) S_b + pair_weight S_pairs, where S_pairs = mean over pairs
    of d d'/2 (d: difference of the two class means; the /2 puts it on the
    scale of S_b, which is the mean over all ordered class pairs of d d'/2).
    Pairs naming an absent class are ignored; none left: S_b unchanged.
    ``solver``: ``eigh`` (LAPACK's generalised eigensolver, the shipped metric's) or
    ``lanczos`` (Cholesky whitening, then ARPACK's top ``dims`` eigenpairs from a fixed
    start vector: the same directions to ~1e-6, 1.5-3x faster at 1712 features; only
    without ``pairs``, whose S_b is not of the low-rank class-mean form it uses).
    """
    if solver not in ("eigh", "lanczos"):
        raise ValueError(f"solver must be 'eigh' or 'lanczos', not {solver!r}")
    X = np.array(X, dtype=dtype)  # a copy: modified in place below
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
    means = np.zeros((k, Z.shape[1]), dtype=X.dtype)
    np.add.at(means, yi, Z)
    means /= counts[:, None]
    # within-class: rows centred on their class mean, each class weighted equally
    Zw = Z  # in place: rows centred on their class mean, weighted
    Zw -= means[yi]
    Zw *= np.sqrt((1.0 / counts[yi]) * (len(Zw) / k))[:, None]
    n, p = Zw.shape
    Sw = (Zw.T @ Zw) / n
    a = ledoit_wolf_shrinkage(Zw) if shrinkage == "ledoit-wolf" else float(shrinkage)
    S = (1 - a) * Sw + a * (np.trace(Sw) / p) * np.eye(p, dtype=X.dtype)
    gm = means.mean(axis=0)
    Mc = means - gm
    Sb = (Mc.T @ Mc) / k
    if pairs is not None:
        Sb = _blend_pairs(Sb, means, classes, np.asarray(pairs), pair_weight)
    d = int(min(dims, k - 1, p))
    if solver == "lanczos" and pairs is None and d < min(k - 1, p) // 2:
        evals, evecs = _lanczos(Mc, S, d)
    else:
        evals, evecs = scipy.linalg.eigh(Sb, S, subset_by_index=[p - d, p - 1])
    order = np.argsort(evals)[::-1]
    evals, evecs = evals[order], evecs[:, order]
    # deterministic signs
    evecs *= np.sign(evecs[np.argmax(np.abs(evecs), axis=0), np.arange(d)])
    W = evecs * np.maximum(evals, 1e-12) ** power
    # project the equal-weight class centroid to the origin: fold -gm into the mean
    mean_adj = mean + gm * std
    return dict(mean=mean_adj, std=std, W=W, eigenvalues=evals, shrinkage=a, dims=d, classes=list(map(str, classes)))
