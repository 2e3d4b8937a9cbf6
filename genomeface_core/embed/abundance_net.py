"""Co-abundance network (Keras 3, optional ``nn`` extra): depths over samples -> unit vectors.

Permutation-equivariant over samples, as in the GenomeFace paper: every
sample's depth is described by the same few transforms (:class:`SampleFeatures`:
log1p depth, log1p depth minus the contig's mean over samples, that mean, and
the sample's share of the contig's total depth), mapped by one shared Dense
layer, mixed across samples by self-attention blocks with no positional
encoding (each sample attends to every other), then a shared Dense to ``k``
values per sample, flattened and L2-normalised.

Why pairwise distances do not depend on sample order: permuting the samples
permutes the per-sample outputs identically for every contig, so the
flattened vectors are the same coordinates in another order and all dot
products (hence angles) are unchanged.  With one sample the output is a
nonlinear curve in R^k, so depth still moves the vector (a raw 1-d profile
would L2-normalise to a constant).

A model is a ``.keras`` file (safe mode: no pickle, no Lambda layers; custom
layers registered under ``genomeface>``) with a JSON file beside it
(``DIR/model.json`` or ``NAME.json``) holding the mixing constants fitted for
it, per composition embedding: ``{"mixing": {"linear": [v1, v2], ...}}``.

Keras / TensorFlow are imported inside functions only.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import numpy as np

from genomeface_core.embed.mixing import check_mixing
from genomeface_core.errors import InputError
from genomeface_core.embed.keras_io import first_line, load_cached, load_keras_file, save_keras_file
from genomeface_core.embed.network import custom_layers, resolve
from genomeface_core.embed.raw import l2_normalise

N_SAMPLE_FEATURES = 4
DEFAULT_HIDDEN = 32
DEFAULT_BLOCKS = 2
DEFAULT_HEADS = 2
DEFAULT_OUT = 8
WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights", "abundance.keras")


@lru_cache(maxsize=1)
def abundance_layers() -> dict:
    """Define and register the custom layers (once); name -> class."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="genomeface", name="SampleFeatures")
    class SampleFeatures(keras.layers.Layer):
        """(batch, n) depths (x) -> (batch, n, 4) per-sample features, equivariant over samples."""

        def call(self, d):
            u = ops.log1p(ops.maximum(ops.cast(d, "float32"), 0.0))
            mean = ops.mean(u, axis=1, keepdims=True)
            total = ops.sum(ops.maximum(ops.cast(d, "float32"), 0.0), axis=1, keepdims=True)
            share = ops.maximum(ops.cast(d, "float32"), 0.0) / ops.maximum(total, 1e-6)
            mean_b = ops.broadcast_to(mean, ops.shape(u))
            return ops.stack([u, u - mean_b, mean_b, share], axis=-1)

        def compute_output_shape(self, input_shape):
            return (*input_shape, N_SAMPLE_FEATURES)

    @keras.saving.register_keras_serializable(package="genomeface", name="FlattenSamples")
    class FlattenSamples(keras.layers.Layer):
        """(batch, n, k) -> (batch, n * k) for any n (concatenates samples in input order)."""

        def call(self, x):
            s = ops.shape(x)
            return ops.reshape(x, (s[0], -1))

        def compute_output_shape(self, input_shape):
            b, n, k = input_shape
            return (b, None if n is None else n * k)

    return {"SampleFeatures": SampleFeatures, "FlattenSamples": FlattenSamples}


def build_abundance_model(hidden: int = DEFAULT_HIDDEN, blocks: int = DEFAULT_BLOCKS, heads: int = DEFAULT_HEADS,
                          out: int = DEFAULT_OUT, name: str = "genomeface_abundance"):
    """``keras.Model``: (batch, n_samples) depths -> (batch, n_samples * out) unit vectors, any n."""
    import keras
    from keras import layers

    if min(hidden, heads, out) < 1 or blocks < 0:
        raise ValueError(f"need hidden, heads, out >= 1 and blocks >= 0 (got {hidden}, {heads}, {out}, {blocks})")
    lay = abundance_layers()
    L2 = custom_layers()["L2Normalize"]
    d_in = keras.Input(shape=(None,), name="depths")
    x = lay["SampleFeatures"](name="sample_features")(d_in)
    x = layers.Dense(hidden, activation="gelu", name="embed_samples")(x)
    for b in range(blocks):
        h = layers.LayerNormalization(name=f"ln_att{b}")(x)
        h = layers.MultiHeadAttention(heads, max(hidden // heads, 1), name=f"attention{b}")(h, h)
        x = layers.Add(name=f"res_att{b}")([x, h])
        h = layers.LayerNormalization(name=f"ln_ff{b}")(x)
        h = layers.Dense(2 * hidden, activation="gelu", name=f"ff{b}_in")(h)
        h = layers.Dense(hidden, name=f"ff{b}_out")(h)
        x = layers.Add(name=f"res_ff{b}")([x, h])
    x = layers.LayerNormalization(name="ln_out")(x)
    x = layers.Dense(out, name="per_sample_out")(x)
    x = lay["FlattenSamples"](name="flatten_samples")(x)
    return keras.Model(d_in, L2(name="l2_normalize")(x), name=name)


@dataclass
class AbundanceModel:
    """A loaded co-abundance network and the mixing constants fitted for it."""

    model: object
    mixing: dict = field(default_factory=dict)  # composition name -> (v1, v2)
    meta: dict = field(default_factory=dict)
    path: str | None = None

    def constants(self, composition: str) -> tuple[float, float] | None:
        """(v1, v2) fitted with ``composition``, else with ``linear``, else None."""
        for key in (composition, "linear"):
            if key in self.mixing:
                return self.mixing[key]
        return None

    def embed(self, depths: np.ndarray, max_cells: int = 1 << 24) -> np.ndarray:
        """(n, samples) depths (x) -> (n, samples * k) float32 unit vectors.

        Batches hold about ``max_cells`` attention scores (contigs x samples^2).
        """
        d = np.asarray(depths, dtype=np.float32)
        if d.ndim != 2 or d.shape[1] < 1:
            raise ValueError(f"abundance network needs (n, samples) depths, got {d.shape}")
        batch = max(1, min(65536, max_cells // (d.shape[1] ** 2)))
        k = int(self.model.outputs[0].shape[-1] or 0) or None
        parts = []
        for s in range(0, len(d), batch):
            parts.append(np.asarray(self.model(d[s:s + batch], training=False), dtype=np.float32))
        out = np.concatenate(parts) if parts else np.zeros((0, k or d.shape[1]), np.float32)
        return l2_normalise(out, inplace=True)


def load_abundance_model(path: str | os.PathLike) -> AbundanceModel:
    """Load and validate; any problem is an :class:`InputError` naming the file."""
    p, mp = resolve(path)
    model = load_keras_file(p, "abundance network", (custom_layers, abundance_layers))
    try:
        ins, outs = model.inputs, model.outputs
        ok = len(ins) == 1 and len(outs) == 1 and len(ins[0].shape) == 2 and len(outs[0].shape) == 2
        probe = np.asarray(model(np.array([[1.0, 4.0], [0.0, 9.0]], np.float32), training=False))
        ok = ok and probe.ndim == 2 and probe.shape[0] == 2 and np.isfinite(probe).all()
    except Exception:  # noqa: BLE001 -- wrong input rank, fixed sample count, ...
        ok = False
    if not ok:
        raise InputError(p, "incompatible abundance network: need input (n, samples) of any sample count "
                            "and output (n, d)")
    mixing, meta = {}, {}
    if os.path.isfile(mp):
        try:
            with open(mp) as fh:
                j = json.load(fh)
            mixing = {str(k): (float(v[0]), float(v[1])) for k, v in j.get("mixing", {}).items()}
            meta = j.get("meta", {}) if isinstance(j.get("meta", {}), dict) else {}
        except (OSError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
            raise InputError(mp, f"unreadable abundance network metadata (JSON with mixing): {first_line(e)}") from None
        for k, (v1, v2) in mixing.items():
            check_mixing(mp, v1, v2, f"mixing constants for {k}")
    return AbundanceModel(model, mixing, meta, p)


def get_abundance_model(path: str | os.PathLike) -> AbundanceModel:
    """Load (cached per path and modification time); ``"network"`` is the shipped model."""
    return load_cached(load_abundance_model, resolve(WEIGHTS if os.fspath(path) == "network" else path)[0])


def save_abundance_model(model, path: str | os.PathLike, mixing: dict[str, Sequence[float]] | None = None,
                         meta: dict | None = None) -> str:
    """Write ``model`` (``.keras`` file, or directory -> ``DIR/model.keras``) and its JSON; returns the model file."""
    p = save_keras_file(model, path)
    write_metadata(p, mixing or {}, meta or {})
    return p


def write_metadata(model_file: str, mixing: dict[str, Sequence[float]], meta: dict) -> str:
    """(Re)write the JSON beside ``model_file``; returns its path."""
    _, mp = resolve(model_file)
    with open(mp, "w") as fh:
        json.dump({"format": "genomeface-abundance-network", "version": 1,
                   "mixing": {k: [float(v[0]), float(v[1])] for k, v in mixing.items()}, "meta": meta},
                  fh, indent=1, sort_keys=True)
    return mp
