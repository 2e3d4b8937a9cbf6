"""Train the co-abundance network on simulated multi-sample coverage (``genomeface train-abundance``).

Training data: the reference genomes are cut into contigs by the mock
simulator's heavy-tailed length model (:func:`genomeface_core.demo.mock.fragment`),
keeping each contig's length and GC.  Every step draws ``genomes_per_batch``
distinct genomes and ``contigs_per_genome`` of their contigs, a sample count
from ``sample_counts``, and a coverage scenario:

* genome abundance per sample: log-normal (median 1-100x, sigma 0.5-2) with
  absences (0-50%; present in at least one sample);
* strains: a fraction of the genomes copy another batch genome's profile
  times log-normal noise (sigma 0.2-1), i.e. correlated but distinct;
* GC bias per sample (strength 0-1.5, optimum 0.45-0.55), mapping noise
  (log-normal per contig and sample, sigma 0-0.15) and cross-mapping
  (small depths where a genome is absent);
* reads: gamma-Poisson (negative binomial, dispersion 0.01-0.5) on
  ``abundance * bias * length / 150``; depth = reads * 150 / length.

Contigs of one genome share its abundance profile; the loss is the supervised
contrastive loss (Khosla et al. 2020) over cosine similarities with
temperature ``tau``: contigs of one genome are positives, all others
(including its strains) negatives.

Keras / TensorFlow are imported inside functions only.
"""
from __future__ import annotations

import datetime
import logging
import os
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from genomeface_core.errors import InputError

log = logging.getLogger("genomeface")

READ_LEN = 150
MIN_CONTIG = 1500
# sample counts seen in training; 3, 5, 8, 20, 32 are held out for evaluation
# (benchmarks/abundance_auroc.py), so the shipped model's AUROC at those counts
# measures generalisation across sample counts
TRAIN_SAMPLE_COUNTS = (1, 2, 4, 6, 10, 16)
DEFAULT_STEPS = 3000
DEFAULT_GENOMES_PER_BATCH = 64
DEFAULT_CONTIGS_PER_GENOME = 4
DEFAULT_TAU = 0.1


@dataclass(frozen=True)
class ContigPool:
    """Contig lengths (bp) and GC fractions of each training genome."""

    names: list[str]
    lengths: list[np.ndarray]
    gc: list[np.ndarray]


def contig_pool(genomes: Mapping[str, Sequence[bytes]], seed: int = 0, min_len: int = MIN_CONTIG) -> ContigPool:
    """Fragment each genome (heavy-tailed contig lengths) and record length and GC of each contig."""
    from genomeface_core.demo.mock import fragment, gc_content

    rng = np.random.default_rng(seed)
    names, lengths, gcs = [], [], []
    for name, recs in genomes.items():
        pieces = fragment(recs, rng, min_len=min_len, length_model="heavy")
        if len(pieces) < 2:
            continue  # a genome needs two contigs to give a positive pair
        names.append(name)
        lengths.append(np.array([len(p) for p in pieces], dtype=np.float64))
        gcs.append(np.array([gc_content(p) for p in pieces]))
    if len(names) < 2:
        raise InputError(None, f"need at least 2 genomes with >= 2 contigs of >= {min_len} bp to train (got {len(names)})")
    return ContigPool(names, lengths, gcs)


def simulate_batch(pool: ContigPool, n_samples: int, rng: np.random.Generator, *,
                   genomes_per_batch: int = DEFAULT_GENOMES_PER_BATCH,
                   contigs_per_genome: int = DEFAULT_CONTIGS_PER_GENOME,
                   strain_fraction: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """One training batch: depths (B*m, n_samples) float32 (x) and genome slot labels (B*m,) int32."""
    G = min(genomes_per_batch, len(pool.names))
    gi = rng.choice(len(pool.names), G, replace=False)
    abund = rng.lognormal(np.log(10 ** rng.uniform(0, 2)), rng.uniform(0.5, 2.0), (G, n_samples))
    absent = rng.random((G, n_samples)) < rng.uniform(0.0, 0.5)
    absent[np.arange(G), rng.integers(0, n_samples, G)] = False
    abund[absent] = 0.0
    strains = np.flatnonzero(rng.random(G) < strain_fraction)
    for s in strains:  # correlated but distinct profile of another genome in the batch
        src = rng.integers(G)
        if src != s:
            abund[s] = abund[src] * rng.lognormal(0.0, rng.uniform(0.2, 1.0), n_samples)
    lengths, gc, label = [], [], []
    for slot, g in enumerate(gi):
        pick = rng.integers(0, len(pool.lengths[g]), contigs_per_genome)
        lengths.append(pool.lengths[g][pick])
        gc.append(pool.gc[g][pick])
        label.append(np.full(contigs_per_genome, slot, dtype=np.int32))
    L, GC, y = np.concatenate(lengths), np.concatenate(gc), np.concatenate(label)
    strength = rng.uniform(0.0, 1.5, n_samples)
    optimum = rng.uniform(0.45, 0.55, n_samples)
    bias = np.exp(-strength * ((GC[:, None] - optimum) / 0.2) ** 2)
    mapping = rng.lognormal(0.0, rng.uniform(0.0, 0.15), (len(L), n_samples))
    a = abund[y]
    cross = np.where(a == 0, rng.exponential(0.02 * np.median(abund[abund > 0]), a.shape)
                     * (rng.random(a.shape) < 0.3), 0.0)
    mu_reads = (a * bias * mapping + cross) * (L / READ_LEN)[:, None]
    r = 1.0 / 10 ** rng.uniform(-2, np.log10(0.5))
    lam = rng.gamma(r, np.where(mu_reads > 0, mu_reads / r, 0.0))
    depths = rng.poisson(lam) * READ_LEN / L[:, None]
    return depths.astype(np.float32), y


def supcon_loss(labels, emb, tau: float = DEFAULT_TAU):
    """Supervised contrastive loss of unit vectors ``emb`` (b, d) with int labels (b,) (``keras.ops``)."""
    from keras import ops

    sim = ops.matmul(emb, ops.transpose(emb)) / tau
    b = ops.shape(sim)[0]
    eye = ops.eye(b, dtype=sim.dtype)
    same = ops.cast(ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0)), sim.dtype) - eye
    logits = sim - 1e9 * eye  # an anchor is not its own candidate
    logp = logits - ops.logsumexp(logits, axis=1, keepdims=True)
    npos = ops.maximum(ops.sum(same, axis=1), 1.0)
    return -ops.mean(ops.sum(same * logp, axis=1) / npos)


def _supcon_class():
    import keras

    class SupConLoss(keras.losses.Loss):
        def __init__(self, tau: float = DEFAULT_TAU):
            super().__init__(name="supcon")
            self.tau = float(tau)

        def call(self, y_true, y_pred):
            return supcon_loss(y_true, y_pred, self.tau)

    return SupConLoss


def train_abundance(genomes: str | os.PathLike | Sequence[str], output: str | os.PathLike, *, seed: int = 0,
                    steps: int = DEFAULT_STEPS, genomes_per_batch: int = DEFAULT_GENOMES_PER_BATCH,
                    contigs_per_genome: int = DEFAULT_CONTIGS_PER_GENOME,
                    sample_counts: Sequence[int] = TRAIN_SAMPLE_COUNTS, tau: float = DEFAULT_TAU,
                    learning_rate: float = 1e-3, hidden: int | None = None, blocks: int | None = None,
                    mixing: Mapping[str, Sequence[float]] | None = None, threads: int | None = None,
                    progress: bool = False) -> str:
    """Train the co-abundance network; returns the ``.keras`` file written.

    ``genomes``: folder of genome FASTA files or a list of them.  ``mixing``:
    composition name -> (v1, v2) to store with the model (fit them with
    ``benchmarks/abundance_auroc.py``).  ``threads``: TensorFlow threads (None: its default).
    """
    from tqdm import tqdm

    from genomeface_core.embed.abundance_net import DEFAULT_BLOCKS, DEFAULT_HIDDEN, build_abundance_model, save_abundance_model
    from genomeface_core.train.network import limit_tf_threads
    from genomeface_core.train.sampler import genome_name, list_genomes, load_genomes

    try:
        import keras
    except ImportError:
        raise InputError(None, "train-abundance needs TensorFlow: pip install 'genomeface[nn]'") from None
    if steps < 1 or genomes_per_batch < 2 or contigs_per_genome < 2 or not sample_counts or min(sample_counts) < 1:
        raise InputError(None, "need steps >= 1, >= 2 genomes per batch, >= 2 contigs per genome, sample counts >= 1")
    hidden = DEFAULT_HIDDEN if hidden is None else int(hidden)
    blocks = DEFAULT_BLOCKS if blocks is None else int(blocks)
    t0 = time.perf_counter()
    files = list_genomes(genomes) if isinstance(genomes, (str, os.PathLike)) else [os.fspath(g) for g in genomes]
    recs = load_genomes(files)
    pool = contig_pool(recs, seed=seed)
    log.info("abundance network: %d genomes, %d contigs in the pool (%.0f s)", len(pool.names),
             sum(len(x) for x in pool.lengths), time.perf_counter() - t0)

    limit_tf_threads(threads)
    SupConLoss = _supcon_class()
    keras.utils.set_random_seed(seed)
    model = build_abundance_model(hidden=hidden, blocks=blocks)
    opt = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05))
    # the loss is compiled on a wrapper sharing the layers, so the saved model carries no training config
    trainer = keras.Model(model.inputs, model.outputs, name="train_abundance")
    trainer.compile(optimizer=opt, loss=SupConLoss(tau))
    rng = np.random.default_rng(seed)
    losses = []
    bar = tqdm(total=steps, desc="train-abundance", unit="step", disable=not progress)
    for step in range(steps):
        n = int(rng.choice(sample_counts))
        d, y = simulate_batch(pool, n, rng, genomes_per_batch=genomes_per_batch,
                              contigs_per_genome=contigs_per_genome)
        loss = trainer.train_on_batch(d, y)
        losses.append(float(np.asarray(loss).ravel()[0]))
        bar.update(1)
        if (step + 1) % max(steps // 20, 1) == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
            log.info("step %d/%d: loss %.4f (%.0f s)", step + 1, steps, np.mean(losses[-50:]), time.perf_counter() - t0)
    bar.close()
    meta = dict(kind="abundance-network", genomes=[genome_name(f) for f in files], steps=steps,
                genomes_per_batch=genomes_per_batch, contigs_per_genome=contigs_per_genome,
                sample_counts=list(map(int, sample_counts)), tau=tau, learning_rate=learning_rate, hidden=hidden,
                blocks=blocks, params=int(model.count_params()), seed=seed,
                loss=[round(float(np.mean(losses[i:i + 100])), 4) for i in range(0, len(losses), 100)],
                date=datetime.date.today().isoformat(), seconds=round(time.perf_counter() - t0, 1))
    path = save_abundance_model(model, output, mixing or {}, meta)
    log.info("wrote %s (%d parameters) in %.1f s", path, meta["params"], time.perf_counter() - t0)
    return path
