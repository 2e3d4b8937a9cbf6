"""Composition network (GenomeFace paper architecture, configurable widths) trained with CurricularFace.

``build_composition_model``: BatchNorm on the 1712 k-mer features ->
Dense(w0, tanh, no bias) -> BN -> Dropout -> Dense(w1, tanh) -> BN -> Dropout
-> Dense(dims, linear) -> BN -> L2Normalize.  The paper uses much wider layers
(4096/16384/512, about 83M parameters); the default here is sized for 2-core
CPU inference.  ``train_network`` draws random windows with
:mod:`genomeface_core.train.sampler` (genomes with replacement, a scaffold
with probability proportional to length, window lengths weighted toward short
contigs) in rounds; the next round's windows and features are computed on a
worker thread (the Numba k-mer kernel releases the GIL) while the current one
trains.  Only the embedding model is saved (``model.keras``, no head), with
``model.json`` holding the mixing constants and metadata.

Keras / TensorFlow are imported inside functions only.
"""
from __future__ import annotations

import datetime
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..features import N_FEATURES
from .sampler import LengthDistribution, sample_features

log = logging.getLogger("genomeface")

DEFAULT_WIDTHS = (512, 1024)
DEFAULT_NET_DIMS = 128
DEFAULT_STEPS = 2000
DEFAULT_BATCH = 256
DEFAULT_ROUND_STEPS = 50  # steps trained on one round of sampled windows


def build_composition_model(widths: Sequence[int] = DEFAULT_WIDTHS, dims: int = DEFAULT_NET_DIMS,
                            dropout: float = 0.2, name: str = "genomeface_composition"):
    """Embedding model (n, 1712) -> (n, dims) unit vectors (a ``keras.Model``)."""
    import keras
    from keras import layers

    from ..embed.network import custom_layers

    widths = tuple(int(w) for w in widths)
    if len(widths) != 2 or min(widths) < 1 or int(dims) < 1 or not 0 <= dropout < 1:
        raise ValueError(f"need two positive widths, dims >= 1 and 0 <= dropout < 1 (got {widths}, {dims}, {dropout})")
    L2 = custom_layers()["L2Normalize"]
    x_in = keras.Input(shape=(N_FEATURES,), name="kmer_features")
    x = layers.BatchNormalization(name="bn_in")(x_in)
    x = layers.Dense(widths[0], activation="tanh", use_bias=False, name="dense1")(x)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.Dropout(dropout, name="drop1")(x)
    x = layers.Dense(widths[1], activation="tanh", name="dense2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.Dropout(dropout, name="drop2")(x)
    x = layers.Dense(int(dims), name="dense_out")(x)
    x = layers.BatchNormalization(name="bn_out")(x)
    out = L2(name="l2_normalize")(x)
    return keras.Model(x_in, out, name=name)


def build_training_model(embedder, n_classes: int, scale: float, margin: float):
    """``[features, labels] -> logits`` with a CurricularFace head on ``embedder``."""
    import keras

    from .losses import curricular_face_layer

    x_in = keras.Input(shape=(N_FEATURES,), name="features")
    y_in = keras.Input(shape=(), dtype="int32", name="labels")
    head = curricular_face_layer()(n_classes, scale=scale, margin=margin, name="curricular_face")
    return keras.Model([x_in, y_in], head([embedder(x_in), y_in]), name="train_composition"), head


def train_network(genomes: str | os.PathLike | Sequence[str], output: str | os.PathLike, *,
                  labels: str | os.PathLike | None = None, seed: int = 0, steps: int = DEFAULT_STEPS,
                  batch: int = DEFAULT_BATCH, widths: Sequence[int] = DEFAULT_WIDTHS, dims: int = DEFAULT_NET_DIMS,
                  dropout: float = 0.2, scale: float | None = None, margin: float | None = None,
                  learning_rate: float = 1e-3, lengths: LengthDistribution = LengthDistribution(),
                  round_steps: int = DEFAULT_ROUND_STEPS, v1: float | None = None, v2: float | None = None,
                  threads: int | None = None) -> str:
    """Train the composition network on random windows of ``genomes``; returns the ``.keras`` file written."""
    from .losses import DEFAULT_MARGIN, DEFAULT_SCALE
    from .train import load_labelled_genomes

    try:
        import keras
    except ImportError:
        raise InputError(None, "--kind network needs TensorFlow: pip install 'genomeface[nn]'") from None
    from ..embed.network import DEFAULT_V1, DEFAULT_V2, save_network

    if steps < 1 or batch < 2 or round_steps < 1:
        raise InputError(None, f"need steps >= 1, batch >= 2 (got steps={steps}, batch={batch})")
    scale = DEFAULT_SCALE if scale is None else float(scale)
    margin = DEFAULT_MARGIN if margin is None else float(margin)
    t0 = time.perf_counter()
    G, names, cls = load_labelled_genomes(genomes, labels)
    classes = sorted(set(cls.values()))
    cid = np.array([classes.index(cls[n]) for n in names], dtype=np.int32)

    keras.utils.set_random_seed(seed)
    embedder = build_composition_model(widths, dims, dropout)
    model, head = build_training_model(embedder, len(classes), scale, margin)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    rng = np.random.default_rng(seed)
    n_rounds = -(-steps // round_steps)

    def draw(r: int):
        n = min(round_steps, steps - r * round_steps) * batch
        counts = rng.multinomial(n, np.full(len(names), 1.0 / len(names)))  # genomes with replacement
        X, gi, wl = sample_features(G, dict(zip(names, counts.tolist())), seed=int(rng.integers(2**31)),
                                    lengths=lengths, threads=threads)
        return X, cid[gi], wl

    log.info("training composition network %s -> %d dims on %d genomes (%d classes): %d steps x %d windows",
             "/".join(map(str, widths)), dims, len(names), len(classes), steps, batch)
    losses, drawn = [], 0
    with ThreadPoolExecutor(1) as pool:
        nxt = pool.submit(draw, 0)
        for r in range(n_rounds):
            X, y, wl = nxt.result()
            if r + 1 < n_rounds:
                nxt = pool.submit(draw, r + 1)  # sample the next round while this one trains
            drawn += len(X)
            h = model.fit([X, y], y, batch_size=batch, epochs=1, shuffle=True, verbose=0)
            losses.append(float(h.history["loss"][-1]))
            log.info("round %d/%d: loss %.4f, t %.3f (%.0f s)", r + 1, n_rounds, losses[-1],
                     float(keras.ops.convert_to_numpy(head.t)), time.perf_counter() - t0)

    if v1 is None or v2 is None:
        v1 = DEFAULT_V1 if v1 is None else v1
        v2 = DEFAULT_V2 if v2 is None else v2
    meta = dict(kind="network", genomes=names, classes=len(classes), windows=drawn, steps=steps, batch=batch,
                widths=list(widths), dims=int(dims), dropout=dropout, scale=scale, margin=margin,
                learning_rate=learning_rate, params=int(embedder.count_params()), final_t=float(keras.ops.convert_to_numpy(head.t)),
                loss=[round(v, 4) for v in losses],
                window_lengths=dict(min=lengths.min_len, max=lengths.max_len, median=lengths.median,
                                    sigma=lengths.sigma, p_uniform=lengths.p_uniform),
                seed=seed, date=datetime.date.today().isoformat(), seconds=round(time.perf_counter() - t0, 1))
    path = save_network(embedder, output, v1, v2, meta)
    log.info("wrote %s (%d parameters) in %.1f s", path, meta["params"], time.perf_counter() - t0)
    return path
