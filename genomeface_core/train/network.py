"""Composition network (GenomeFace paper architecture, configurable widths) trained with CurricularFace.

``build_composition_model``: BatchNorm on the 1712 k-mer features ->
Dense(w0, tanh, no bias) -> BN -> Dropout -> Dense(w1, tanh) -> BN -> Dropout
-> Dense(dims, linear) -> BN -> L2Normalize.  The paper uses much wider layers
(4096/16384/512, about 83M parameters); the default here is sized for 2-core
CPU inference.

``train_network`` draws random windows with :mod:`genomeface_core.train.sampler`
(genomes with replacement, a scaffold with probability proportional to length,
window lengths weighted toward short contigs).  The windows of step ``s`` come
from a generator seeded by ``(seed, s)`` alone, so a resumed run draws exactly
the batches the interrupted one would have.  Batches are computed in rounds on
a worker thread (the Numba k-mer kernel releases the GIL) one round ahead and
fed to a single ``model.fit`` through a prefetching ``tf.data`` pipeline, so
sampling overlaps training.  Every ``checkpoint_every`` steps the training
state goes to a checkpoint folder (safe formats only: ``.weights.h5``, ``.npz``,
JSON); ``resume=True`` continues from it.  Only the embedding model is saved
at the end (``model.keras``, no head), with ``model.json`` holding the mixing
constants and metadata.

Keras / TensorFlow are imported inside functions only.
"""
from __future__ import annotations

import datetime
import json
import logging
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Sequence

import numpy as np

from genomeface_core.errors import InputError
from genomeface_core.embed.kmers import N_FEATURES, kmer_features
from genomeface_core.embed.windows import LengthDistribution, sample_windows

log = logging.getLogger("genomeface")

DEFAULT_WIDTHS = (512, 1024)
DEFAULT_NET_DIMS = 128
DEFAULT_STEPS = 2000
DEFAULT_BATCH = 256
DEFAULT_ROUND_STEPS = 50  # batches sampled per worker-thread job (one job ahead of training)
DEFAULT_CHECKPOINT_EVERY = 1000
LOG_EVERY = 500  # steps between log lines when there is no progress bar
CHECKPOINT_DIR = "checkpoint"
CKPT_WEIGHTS, CKPT_STATE, CKPT_JSON = "train.weights.h5", "rng_state.npz", "state.json"
def build_composition_model(widths: Sequence[int] = DEFAULT_WIDTHS, dims: int = DEFAULT_NET_DIMS,
                            dropout: float = 0.2, name: str = "genomeface_composition"):
    """Embedding model (n, 1712) -> (n, dims) unit vectors (a ``keras.Model``)."""
    import keras
    from keras import layers

    from genomeface_core.embed.network import custom_layers

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

    from genomeface_core.train.losses import curricular_face_layer

    x_in = keras.Input(shape=(N_FEATURES,), name="features")
    y_in = keras.Input(shape=(), dtype="int32", name="labels")
    head = curricular_face_layer()(n_classes, scale=scale, margin=margin, name="curricular_face")
    return keras.Model([x_in, y_in], head([embedder(x_in), y_in]), name="train_composition"), head


def checkpoint_dir(output: str | os.PathLike) -> str:
    """Checkpoint folder of a training run: ``OUTPUT/checkpoint`` for a folder output,
    ``NAME.checkpoint`` for ``NAME.keras``."""
    p = os.fspath(output)
    return p[: -len(".keras")] + ".checkpoint" if p.endswith(".keras") else os.path.join(p, CHECKPOINT_DIR)


def draw_batches(genomes: dict, class_of: np.ndarray, first: int, n: int, *, seed: int, batch: int,
                 lengths: LengthDistribution, threads: int | None = None) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Windows of steps ``first .. first + n - 1``: features (m, 1712) float32, class ids (m,) int32 and
    the window count of each step (``batch``, fewer only if a genome is mostly non-ACGT).

    Step ``s`` draws ``batch`` genomes with replacement and one window from each with
    ``numpy.random.default_rng((seed, s))``: its windows depend on seed and step only.
    """
    names = list(genomes)
    p = np.full(len(names), 1.0 / len(names))
    seqs: list[bytes] = []
    ids, sizes = [], []
    for s in range(first, first + n):
        rng = np.random.default_rng((seed, s))
        counts = rng.multinomial(batch, p)
        w, gi = sample_windows(genomes, dict(zip(names, counts.tolist())), rng, lengths)
        seqs += w
        ids.append(class_of[gi])
        sizes.append(len(w))
    return kmer_features(seqs, threads=threads), np.concatenate(ids).astype(np.int32), sizes


def batch_stream(draw: Callable[[int, int], tuple], start: int, steps: int,
                 round_steps: int = DEFAULT_ROUND_STEPS) -> Iterator[tuple]:
    """``((features, labels), labels)`` per step from ``start`` to ``steps - 1``; ``draw(first, n)``
    computes a round of ``n`` steps on a worker thread while the previous round is consumed."""
    firsts = list(range(start, steps, round_steps))
    if not firsts:
        return
    with ThreadPoolExecutor(1) as pool:
        nxt = pool.submit(draw, firsts[0], min(round_steps, steps - firsts[0]))
        for i in range(len(firsts)):
            X, y, sizes = nxt.result()
            if i + 1 < len(firsts):
                nxt = pool.submit(draw, firsts[i + 1], min(round_steps, steps - firsts[i + 1]))
            off = 0
            for k in sizes:
                yield (X[off:off + k], y[off:off + k]), y[off:off + k]
                off += k


def _dataset(stream: Callable[[], Iterator[tuple]]):
    """``tf.data`` pipeline over ``stream()`` with two batches prefetched."""
    import tensorflow as tf

    spec = tf.TensorSpec((None,), tf.int32)
    return tf.data.Dataset.from_generator(
        stream, output_signature=((tf.TensorSpec((None, N_FEATURES), tf.float32), spec), spec)).prefetch(2)


def limit_tf_threads(threads: int | None) -> None:
    """Use ``threads`` TensorFlow threads (only possible before TensorFlow's first op)."""
    if not threads:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    except RuntimeError:  # runtime already initialised in this process: keep its setting
        pass


def _rng_variables(model) -> list:
    """State not in ``model.weights`` (the dropout seed generators): saved next to the weights."""
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def save_checkpoint(model, directory: str, state: dict) -> None:
    """Write training weights + optimizer (.weights.h5), RNG state (.npz) and ``state`` (JSON);
    the folder is replaced as a whole so an interrupted write leaves the previous checkpoint."""
    tmp = directory + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    model.save_weights(os.path.join(tmp, CKPT_WEIGHTS))
    # by position: variable paths carry per-process counters (seed_generator_4)
    np.savez(os.path.join(tmp, CKPT_STATE), **{f"rng{i}": np.asarray(v.numpy()) for i, v in enumerate(_rng_variables(model))})
    with open(os.path.join(tmp, CKPT_JSON), "w") as fh:
        json.dump(state, fh, indent=1)
    old = directory + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.isdir(directory):
        os.replace(directory, old)
    os.replace(tmp, directory)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(model, directory: str, config: dict) -> dict:
    """Restore ``save_checkpoint``'s files into the compiled ``model``; returns the saved state.
    A missing checkpoint or one written with other settings is an InputError."""
    jp = os.path.join(directory, CKPT_JSON)
    if not os.path.isfile(jp):
        raise InputError(directory, "no checkpoint to resume from (run without --resume first)")
    try:
        with open(jp) as fh:
            state = json.load(fh)
    except (OSError, ValueError) as e:
        raise InputError(jp, f"unreadable checkpoint state: {e}") from None
    diff = sorted(k for k in config if state.get("config", {}).get(k) != config[k])
    if diff:
        raise InputError(directory, "checkpoint was written with other settings ("
                         + ", ".join(f"{k}: {state.get('config', {}).get(k)!r} != {config[k]!r}" for k in diff
                                     if k != "genomes") + (", genomes differ" if "genomes" in diff else "") + ")")
    model.optimizer.build(model.trainable_variables)  # so the optimizer slots exist to load into
    model.load_weights(os.path.join(directory, CKPT_WEIGHTS))
    rng = _rng_variables(model)
    with np.load(os.path.join(directory, CKPT_STATE), allow_pickle=False) as z:
        if len(z.files) != len(rng):
            raise InputError(directory, f"checkpoint has {len(z.files)} RNG states, the model {len(rng)}")
        for i, v in enumerate(rng):
            v.assign(z[f"rng{i}"])
    return state


def _progress_callback(start: int, steps: int, every: int, save: Callable[[int, list], None],
                       head, round_steps: int, progress: bool):
    """Keras callback: progress bar, loss per ``round_steps`` steps, checkpoint every ``every`` steps."""
    import keras
    from tqdm import tqdm

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = tqdm(total=steps, initial=start, unit="step", desc="train network", disable=not progress)
            self.prev, self.window, self.losses, self.t0 = 0.0, [], [], time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            # Keras reports the running mean over the fit call; recover this batch's loss
            mean = float(logs["loss"])
            self.window.append(mean * (batch + 1) - self.prev * batch)
            self.prev = mean
            step = start + batch + 1
            if step % round_steps == 0 or step == steps:
                self.losses.append(round(float(np.mean(self.window)), 4))
                self.window = []
            self.bar.update(1)
            if step % round_steps == 0:
                t = float(keras.ops.convert_to_numpy(head.t))
                self.bar.set_postfix(loss=f"{self.losses[-1]:.3f}", t=f"{t:.3f}", refresh=False)
                if not progress and step % LOG_EVERY == 0:
                    log.info("step %d/%d: loss %.4f, t %.3f (%.0f s)", step, steps, self.losses[-1], t,
                             time.perf_counter() - self.t0)
            if every and step % every == 0 and step < steps:
                save(step, self.losses)

        def on_train_end(self, logs=None):
            self.bar.close()

    return Progress()


def train_network(genomes: str | os.PathLike | Sequence[str], output: str | os.PathLike, *,
                  labels: str | os.PathLike | None = None, seed: int = 0, steps: int = DEFAULT_STEPS,
                  batch: int = DEFAULT_BATCH, widths: Sequence[int] = DEFAULT_WIDTHS, dims: int = DEFAULT_NET_DIMS,
                  dropout: float = 0.2, scale: float | None = None, margin: float | None = None,
                  learning_rate: float = 1e-3, lengths: LengthDistribution = LengthDistribution(),
                  round_steps: int = DEFAULT_ROUND_STEPS, v1: float | None = None, v2: float | None = None,
                  threads: int | None = None, checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
                  resume: bool = False, progress: bool = False) -> str:
    """Train the composition network on random windows of ``genomes``; returns the ``.keras`` file written.

    ``checkpoint_every``: steps between checkpoints in :func:`checkpoint_dir` (0: none);
    ``resume``: continue from that checkpoint (same settings; ``steps`` may grow).
    ``threads``: k-mer counting and TensorFlow threads.
    """
    from genomeface_core.train.losses import DEFAULT_MARGIN, DEFAULT_SCALE
    from genomeface_core.train.train import load_labelled_genomes

    try:
        import keras
    except ImportError:
        raise InputError(None, "--kind network needs TensorFlow: pip install 'genomeface[nn]'") from None
    from genomeface_core.embed.linear import stored_mixing
    from genomeface_core.embed.network import save_network

    if steps < 1 or batch < 2 or round_steps < 1 or checkpoint_every < 0:
        raise InputError(None, f"need steps >= 1, batch >= 2, checkpoint_every >= 0 "
                               f"(got steps={steps}, batch={batch}, checkpoint_every={checkpoint_every})")
    scale = DEFAULT_SCALE if scale is None else float(scale)
    margin = DEFAULT_MARGIN if margin is None else float(margin)
    t0 = time.perf_counter()
    G, names, cls = load_labelled_genomes(genomes, labels)
    classes = sorted(set(cls.values()))
    cid = np.array([classes.index(cls[n]) for n in names], dtype=np.int32)
    window_lengths = dict(min=lengths.min_len, max=lengths.max_len, median=lengths.median,
                          sigma=lengths.sigma, p_uniform=lengths.p_uniform)
    config = dict(genomes=names, classes=classes, seed=seed, batch=batch, widths=[int(w) for w in widths],
                  dims=int(dims), dropout=dropout, scale=scale, margin=margin, learning_rate=learning_rate,
                  window_lengths=window_lengths)

    limit_tf_threads(threads)
    keras.utils.set_random_seed(seed)
    embedder = build_composition_model(widths, dims, dropout)
    model, head = build_training_model(embedder, len(classes), scale, margin)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ckpt = checkpoint_dir(output)
    start, losses, resumed, before = 0, [], [], 0.0  # before: seconds spent by earlier runs
    if resume:
        state = load_checkpoint(model, ckpt, config)
        start, losses, resumed = int(state["step"]), list(state["loss"]), list(state.get("resumed_from", []))
        before = float(state.get("seconds", 0.0))
        if start > steps:
            raise InputError(ckpt, f"checkpoint is at step {start}, beyond --steps {steps}")
        resumed.append(start)
        log.info("resuming from %s at step %d", ckpt, start)

    def save(step: int, new_losses: list) -> None:
        save_checkpoint(model, ckpt, dict(step=step, loss=losses + new_losses, resumed_from=resumed, config=config,
                                          seconds=round(before + time.perf_counter() - t0, 1)))

    log.info("training composition network %s -> %d dims on %d genomes (%d classes): steps %d-%d x %d windows",
             "/".join(map(str, widths)), dims, len(names), len(classes), start + 1, steps, batch)
    if start < steps:
        def draw(first: int, n: int):
            return draw_batches(G, cid, first, n, seed=seed, batch=batch, lengths=lengths, threads=threads)

        cb = _progress_callback(start, steps, checkpoint_every, save, head, round_steps, progress)
        model.fit(_dataset(lambda: batch_stream(draw, start, steps, round_steps)), epochs=1,
                  steps_per_epoch=steps - start, shuffle=False, verbose=0, callbacks=[cb])
        losses += cb.losses
    seconds = round(before + time.perf_counter() - t0, 1)  # all runs of a resumed training

    if v1 is None or v2 is None:  # default: the shipped linear metric's
        lv1, lv2 = stored_mixing()
        v1, v2 = lv1 if v1 is None else v1, lv2 if v2 is None else v2
    meta = dict(kind="network", genomes=names, classes=len(classes), windows=steps * batch, steps=steps, batch=batch,
                widths=list(widths), dims=int(dims), dropout=dropout, scale=scale, margin=margin,
                learning_rate=learning_rate, params=int(embedder.count_params()),
                final_t=float(keras.ops.convert_to_numpy(head.t)), loss=losses, loss_every=round_steps,
                window_lengths=window_lengths, seed=seed, resumed_from=resumed,
                date=datetime.date.today().isoformat(), seconds=seconds, threads=threads)
    path = save_network(embedder, output, v1, v2, meta)
    if checkpoint_every:
        save(steps, [])  # the finished run is a checkpoint too: --resume with more --steps extends it
    log.info("wrote %s (%d parameters) in %.1f s", path, meta["params"], time.perf_counter() - t0)
    return path
