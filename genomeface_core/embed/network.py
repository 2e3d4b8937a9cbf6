"""Composition network (Keras 3, optional ``nn`` extra): ``--composition PATH`` with a ``.keras`` model.

A model is a ``.keras`` file (the embedding network only, no training head),
loaded with ``keras.saving.load_model(safe_mode=True, compile=False)``: no
pickle, no Lambda layers; the only custom layer is :class:`L2Normalize`,
registered as ``genomeface>L2Normalize``.  Next to it, a JSON file
(``DIR/model.json`` for ``DIR/model.keras``, else ``NAME.json`` for
``NAME.keras``) holds the mixing constants ``v1, v2`` and training metadata;
without it the shipped linear metric's constants are used.

Keras / TensorFlow are imported inside functions only.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from genomeface_core.embed.mixing import check_mixing
from genomeface_core.errors import InputError
from genomeface_core.embed.kmers import N_FEATURES, feature_matrix
from genomeface_core.embed.keras_io import MODEL_FILE, first_line, load_cached, load_keras_file, save_keras_file
from genomeface_core.embed.linear import StoredModel
from genomeface_core.embed.linear import stored_mixing as linear_mixing
from genomeface_core.embed.raw import l2_normalise

META_FILE = "model.json"
SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights", "network.keras")  # --composition network


def require_nn(what: str) -> None:
    """InputError (one line) unless Keras and TensorFlow are installed; checked without importing them."""
    from importlib.util import find_spec

    if find_spec("keras") is None or find_spec("tensorflow") is None:
        raise InputError(None, f"{what} needs TensorFlow: pip install 'genomeface[nn]'")


def shipped_network() -> "NetworkModel":
    """The shipped network (``weights/network.keras`` + ``network.json``), loaded once."""
    require_nn("--composition network")
    return get_network(SHIPPED)


@lru_cache(maxsize=1)
def custom_layers() -> dict:
    """Define and register the custom Keras layers (once); name -> class."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="genomeface", name="L2Normalize")
    class L2Normalize(keras.layers.Layer):
        """Rows scaled to unit L2 norm (``epsilon`` guards zero rows)."""

        def __init__(self, epsilon: float = 1e-12, **kw):
            super().__init__(**kw)
            self.epsilon = float(epsilon)

        def call(self, x):
            return x / ops.maximum(ops.norm(x, axis=-1, keepdims=True), self.epsilon)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "epsilon": self.epsilon}

    return {"L2Normalize": L2Normalize}


def is_network_path(path: str | os.PathLike) -> bool:
    p = os.fspath(path)
    return p.endswith(".keras") or (os.path.isdir(p) and os.path.isfile(os.path.join(p, MODEL_FILE)))


def resolve(path: str | os.PathLike) -> tuple[str, str]:
    """(model file, metadata JSON file) of a ``.keras`` file or a folder holding ``model.keras``."""
    p = os.fspath(path)
    if os.path.isdir(p):
        return os.path.join(p, MODEL_FILE), os.path.join(p, META_FILE)
    d, base = os.path.split(p)
    meta = os.path.join(d, META_FILE) if base == MODEL_FILE else p[: -len(".keras")] + ".json"
    return p, meta


@dataclass(frozen=True, kw_only=True)
class NetworkModel(StoredModel):
    model: object

    @property
    def dims(self) -> int:
        return int(self.model.outputs[0].shape[-1])

    def embed(self, features: np.ndarray, batch: int = 8192) -> np.ndarray:
        """(n, 1712) k-mer features -> (n, d) float32 unit vectors."""
        f = feature_matrix(features, "network embedding")
        out = np.empty((len(f), self.dims), dtype=np.float32)
        for s in range(0, len(f), batch):
            out[s:s + batch] = np.asarray(self.model(f[s:s + batch], training=False), dtype=np.float32)
        # renormalise in float32 (the model ends in L2Normalize; this removes rounding drift)
        return l2_normalise(out, inplace=True)


def load_network(path: str | os.PathLike) -> NetworkModel:
    """Load and validate; any problem is an :class:`InputError` naming the file."""
    p, mp = resolve(path)
    model = load_keras_file(p, "composition network", (custom_layers,))
    try:
        ins, outs = model.inputs, model.outputs
        ok = (len(ins) == 1 and len(outs) == 1 and tuple(ins[0].shape)[1:] == (N_FEATURES,)
              and len(outs[0].shape) == 2 and (outs[0].shape[-1] or 0) >= 1)
    except Exception:  # noqa: BLE001 -- e.g. a subclassed model without symbolic inputs
        ok = False
    if not ok:
        raise InputError(p, f"incompatible composition network: need one input (n, {N_FEATURES}) and one output (n, d)")
    (v1, v2), meta = linear_mixing(), {}  # without metadata: the shipped linear metric's
    if os.path.isfile(mp):
        try:
            with open(mp) as fh:
                j = json.load(fh)
            v1, v2 = float(j.get("v1", v1)), float(j.get("v2", v2))
            meta = j.get("meta", {}) if isinstance(j.get("meta", {}), dict) else {}
        except (OSError, ValueError, TypeError, AttributeError) as e:
            raise InputError(mp, f"unreadable network metadata (JSON with v1, v2): {first_line(e)}") from None
        check_mixing(mp, v1, v2)
    return NetworkModel(v1, v2, meta, p, model=model)


def get_network(path: str | os.PathLike) -> NetworkModel:
    """Load (cached per path and modification time)."""
    return load_cached(load_network, resolve(path)[0])


def stored_mixing(path: str | os.PathLike = SHIPPED) -> tuple[float, float]:
    """(v1, v2) in the JSON next to a network (default: the shipped one), read without loading Keras."""
    _, mp = resolve(path)
    with open(mp) as fh:
        j = json.load(fh)
    return float(j["v1"]), float(j["v2"])


def save_network(model, path: str | os.PathLike, v1: float, v2: float, meta: dict | None = None) -> str:
    """Write ``model`` (path: ``.keras`` file, or directory -> ``DIR/model.keras``) and its JSON; returns the model file."""
    p = save_keras_file(model, path)
    _, mp = resolve(p)
    with open(mp, "w") as fh:
        json.dump({"format": "genomeface-network", "version": 1, "v1": float(v1), "v2": float(v2),
                   "meta": meta or {}}, fh, indent=1, sort_keys=True)
    return p
