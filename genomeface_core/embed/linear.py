"""Learned linear composition metric (``--composition linear`` or a model PATH).

A model is one ``.npz`` file (loaded with ``allow_pickle=False``) holding

=========  ==============  ==================================================
key        shape / dtype   meaning
=========  ==============  ==================================================
format     str             ``"genomeface-linear"``
version    int             file format version (1)
mean, std  (1712,) float   z-scoring of the k-mer features (training windows)
W          (1712, d) float projection (shrinkage LDA directions, scaled)
v1, v2     float           mixing constants of c2(n) = 1 / (v2 + v1 / n)
meta       str             JSON: training genomes, parameters, date
=========  ==============  ==================================================

The embedding of features f is ``normalise(((f - mean) / std) @ W)``; the
cosine between embeddings is the composition similarity.  A directory is
accepted in place of the file; it must contain ``model.npz``.
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from genomeface_core.embed.mixing import check_mixing
from genomeface_core.errors import InputError
from genomeface_core.embed.kmers import N_FEATURES, feature_matrix
from genomeface_core.embed.raw import l2_normalise

FORMAT = "genomeface-linear"
VERSION = 1
MODEL_FILE = "model.npz"
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
DEFAULT_MODEL = os.path.join(WEIGHTS_DIR, "linear.npz")


@dataclass(frozen=True)
class StoredModel:
    """What every trained composition model carries besides its weights (linear or network)."""

    v1: float  # mixing constants of c2(n) = 1 / (v2 + v1 / n)
    v2: float
    meta: dict = field(default_factory=dict)
    path: str | None = None


@dataclass(frozen=True, kw_only=True)
class LinearModel(StoredModel):
    mean: np.ndarray
    std: np.ndarray
    W: np.ndarray

    @property
    def dims(self) -> int:
        return int(self.W.shape[1])

    def embed(self, features: np.ndarray, batch: int = 65536) -> np.ndarray:
        """(n, 1712) k-mer features -> (n, d) float32 unit vectors."""
        f = feature_matrix(features, "linear embedding")
        mean = self.mean.astype(np.float32)
        inv = (1.0 / self.std).astype(np.float32)
        W = self.W.astype(np.float32)
        out = np.empty((len(f), self.dims), dtype=np.float32)
        for s in range(0, len(f), batch):
            out[s:s + batch] = ((f[s:s + batch] - mean) * inv) @ W
        return l2_normalise(out)


def resolve(path: str | os.PathLike) -> str:
    """Model file of ``path`` (the file itself, or ``DIR/model.npz``)."""
    p = os.fspath(path)
    if os.path.isdir(p):
        return os.path.join(p, MODEL_FILE)
    return p


def stored_mixing(path: str | os.PathLike = DEFAULT_MODEL) -> tuple[float, float]:
    """(v1, v2) stored in a linear model file (default: the shipped one), read without the weights."""
    with np.load(resolve(path), allow_pickle=False) as z:
        return float(z["v1"]), float(z["v2"])


def save_linear(path: str | os.PathLike, mean, std, W, v1: float, v2: float, meta: dict | None = None) -> str:
    """Write a model (``path``: file, or directory -> ``DIR/model.npz``); returns the file written."""
    p = os.fspath(path)
    if os.path.isdir(p) or not p.endswith(".npz"):
        os.makedirs(p, exist_ok=True)
        p = os.path.join(p, MODEL_FILE)
    tmp = p + ".tmp.npz"
    np.savez_compressed(tmp, format=np.array(FORMAT), version=np.array(VERSION, dtype=np.int64),
                        mean=np.asarray(mean, np.float32), std=np.asarray(std, np.float32),
                        W=np.asarray(W, np.float32), v1=np.array(float(v1)), v2=np.array(float(v2)),
                        meta=np.array(json.dumps(meta or {}, sort_keys=True)))
    os.replace(tmp, p)
    return p


def load_linear(path: str | os.PathLike) -> LinearModel:
    """Read and validate a model; any problem is an :class:`InputError` naming the file."""
    p = resolve(path)
    if not os.path.isfile(p):
        raise InputError(p, "composition model not found (expected a .npz file or a directory with model.npz)")
    try:
        with np.load(p, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise InputError(p, f"not a readable composition model (.npz): {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    need = ("format", "version", "mean", "std", "W", "v1", "v2")
    missing = [k for k in need if k not in data]
    if missing:
        raise InputError(p, f"not a genomeface linear model: missing {', '.join(missing)}")
    if str(data["format"]) != FORMAT:
        raise InputError(p, f"unsupported model format {str(data['format'])!r} (expected {FORMAT!r})")
    if int(data["version"]) != VERSION:
        raise InputError(p, f"unsupported model version {int(data['version'])} (this genomeface reads {VERSION})")
    mean, std, W = data["mean"], data["std"], data["W"]
    if mean.shape != (N_FEATURES,) or std.shape != (N_FEATURES,):
        raise InputError(p, f"mean/std must have shape ({N_FEATURES},), got {mean.shape}/{std.shape}")
    if W.ndim != 2 or W.shape[0] != N_FEATURES or W.shape[1] < 1:
        raise InputError(p, f"W must have shape ({N_FEATURES}, d), got {W.shape}")
    for k, a in (("mean", mean), ("std", std), ("W", W)):
        if not np.issubdtype(a.dtype, np.floating) or not np.all(np.isfinite(a)):
            raise InputError(p, f"{k} is not a finite float array")
    if np.any(std <= 0):
        raise InputError(p, "std has non-positive entries")
    try:
        v1, v2 = float(data["v1"]), float(data["v2"])
    except (TypeError, ValueError):
        raise InputError(p, "v1/v2 are not numbers") from None
    check_mixing(p, v1, v2)
    try:
        meta = json.loads(str(data.get("meta", "{}")))
    except json.JSONDecodeError:
        raise InputError(p, "meta is not valid JSON") from None
    return LinearModel(v1, v2, meta if isinstance(meta, dict) else {}, p,
                       mean=mean.astype(np.float64), std=std.astype(np.float64), W=W.astype(np.float64))


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> LinearModel:
    return load_linear(path)


def get_model(path: str | os.PathLike = DEFAULT_MODEL) -> LinearModel:
    """Load (cached per path and modification time)."""
    p = resolve(path)
    try:
        mt = os.path.getmtime(p)
    except OSError:
        return load_linear(p)  # raises InputError
    return _cached(os.path.abspath(p), mt)


def composition_linear(features: np.ndarray, path: str | os.PathLike = DEFAULT_MODEL) -> np.ndarray:
    """Shipped (or ``path``) linear metric embedding of (n, 1712) features."""
    return get_model(path).embed(features)
