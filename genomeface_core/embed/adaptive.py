"""Adaptive composition (``--composition adaptive``): a linear metric learned from the run's own contigs.

Every long contig is one genome's DNA, so windows cut from one long contig
are positives and windows of different contigs mostly negatives (SemiBin's
must-link idea, label-free).  Inside a run we

1. take the contigs of >= ``min_length`` bp (at most ``max_contigs`` of them,
   drawn with the run's seed, so memory and time are bounded whatever the
   assembly's size);
2. cut ``per_contig`` random windows from each (1.5 kb to ``max_window`` bp,
   the training length distribution of the shipped metric, capped so that a
   window is a fraction of its contig) with
   :func:`genomeface_core.embed.windows.sample_windows`;
3. fit the shrinkage-LDA metric of :func:`genomeface_core.embed.lda.fit_lda`
   with one class per contig -- the same code that learned the shipped
   ``linear`` metric from reference genomes, here in float32 with the Lanczos
   eigensolver (the same metric on held-out data, about half the time);
4. join it with the shipped metric as :func:`genomeface_core.embed.combine`
   does: x = [sqrt(share) x_linear, sqrt(1 - share) x_self], whose cosine is
   ``share`` cos_linear + (1 - share) cos_self.  ``share`` and the abundance
   weight (``WEIGHT_FACTOR`` x linear's c2(n)) were chosen on leave-genus-out
   mocks (``benchmarks/adaptive_composition.py``, ``benchmarks/results/adaptive.md``).

No pair of windows is ever formed: the LDA needs class means and the
within-class scatter only, O(windows x 1712) memory.  The same seed gives the
same windows and the same metric.  An assembly with fewer than
``min_contigs`` long contigs has too few classes for a metric; then the
shipped metric is used alone: a WARNING says so and the returned
:class:`~genomeface_core.embed.Composition` carries the reason in ``fallback``
(run.json records it and ``composition_used``).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from genomeface_core.embed.kmers import kmer_features
from genomeface_core.embed.lda import fit_lda
from genomeface_core.embed.windows import LengthDistribution, sample_windows
from genomeface_core.embed import Composition, combine, get_composition
from genomeface_core.embed.linear import LinearModel

log = logging.getLogger("genomeface")

MIN_LENGTH = 10_000  # bp: a contig this long is taken as one genome's DNA (a class)
MAX_CONTIGS = 1500  # classes at most: bounds windows (x per_contig) and the fit's memory
PER_CONTIG = 8  # windows per class
MAX_WINDOW = 6000  # bp: longest window (a window stays a fraction of a >= 10 kb contig)
MIN_CONTIGS = 30  # fewer long contigs than this: too few classes, fall back to the shipped metric
DIMS = 32  # LDA directions (the shipped metric's)
SHRINKAGE = 0.5  # toward a scaled identity (the shipped metric's)
SHARE = 0.5  # shipped metric's share of the squared angle (benchmarks/results/adaptive.md)
# abundance weight c2(n) = WEIGHT_FACTOR x linear's (v1, v2 divided by it): near-complete genomes on
# the held-out mocks 40 / 72 (1 / 5 samples) at x4 vs 38 / 71 at x1; the joined embedding's own
# AUROC fit (fit_mixing.py: v1 = 0.2083) gives 37 / 71, 4x it 39 / 71 (benchmarks/results/adaptive.md)
WEIGHT_FACTOR = 4.0
DTYPE = "float32"  # precision of the fit: held-out AUROC and NC as float64, half the time (results/adaptive.md)
SOLVER = "lanczos"  # fit_lda's eigensolver: the same metric as eigh (AUROC, NC identical), 1.2-3x faster
PAIR_WEIGHT = 0.5  # cannot-link share of the between-class scatter (when markers are given)
MAX_PAIRS = 200_000  # cannot-link pairs at most (bounds the scatter's cost)


@dataclass(frozen=True)
class SelfWindows:
    """Windows cut from the long contigs: k-mer features and the contig (class) of each."""

    features: np.ndarray  # (windows, 1712) float32
    contig: np.ndarray  # (windows,) int: index into the run's contigs
    contigs: int  # long contigs used (classes)
    long_contigs: int  # long contigs in the assembly (>= min_length)


def self_windows(seqs: Sequence[bytes], lengths: np.ndarray, *, min_length: int = MIN_LENGTH,
                 max_contigs: int = MAX_CONTIGS, per_contig: int = PER_CONTIG, max_window: int = MAX_WINDOW,
                 seed: int = 0, threads: int | None = 1) -> SelfWindows:
    """``per_contig`` random windows (1.5 kb .. ``max_window`` bp) of each of at most
    ``max_contigs`` contigs of >= ``min_length`` bp, drawn with ``seed``.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> seqs = [rng.choice(np.frombuffer(b"ACGT", np.uint8), n).tobytes() for n in (12_000, 2_000, 15_000)]
    >>> w = self_windows(seqs, np.array([len(s) for s in seqs]), per_contig=3)
    >>> w.features.shape, w.contig.tolist(), w.long_contigs
    ((6, 1712), [0, 0, 0, 2, 2, 2], 2)
    """
    lengths = np.asarray(lengths)
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(lengths >= min_length)
    n_long = len(idx)
    if n_long > max_contigs:  # a seeded subset, kept in input order
        idx = np.sort(rng.choice(idx, size=max_contigs, replace=False))
    dist = LengthDistribution(min_len=min(1500, max_window), max_len=max_window,
                              median=min(3000.0, float(max_window)))
    wseqs, cls = sample_windows({str(i): [seqs[i]] for i in idx}, per_contig, rng, dist)
    feats = kmer_features(wseqs, threads=threads) if wseqs else np.zeros((0, 1712), np.float32)
    return SelfWindows(feats, idx[cls] if len(cls) else np.zeros(0, np.int64), len(idx), n_long)


def cannot_link(markers: np.ndarray, contigs: np.ndarray, *, max_pairs: int = MAX_PAIRS,
                seed: int = 0) -> np.ndarray:
    """(m, 2) pairs of ``contigs`` (indices into the rows of ``markers``, the (n, 40) marker
    copies per contig) that carry the same single-copy marker: almost surely two genomes.
    At most ``max_pairs`` (a seeded subset), each pair once, in sorted order.

    >>> mk = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    >>> cannot_link(mk, np.array([0, 1, 2, 3])).tolist()
    [[0, 1], [1, 2]]
    """
    contigs = np.asarray(contigs)
    has = np.asarray(markers)[contigs] > 0
    found = []
    for m in range(has.shape[1]):
        c = contigs[has[:, m]]
        if len(c) > 1:
            i, j = np.triu_indices(len(c), 1)
            found.append(np.stack([c[i], c[j]], 1))
    if not found:
        return np.zeros((0, 2), np.int64)
    pairs = np.unique(np.sort(np.concatenate(found), axis=1), axis=0)
    if len(pairs) > max_pairs:
        pairs = pairs[np.sort(np.random.default_rng(seed).choice(len(pairs), max_pairs, replace=False))]
    return pairs


def fit_self_metric(w: SelfWindows, *, dims: int = DIMS, shrinkage: float | str = SHRINKAGE,
                    dtype=DTYPE, solver: str = SOLVER, pairs: np.ndarray | None = None,
                    pair_weight: float = PAIR_WEIGHT, v1: float = 1.0, v2: float = 1.0) -> LinearModel:
    """The shrinkage-LDA metric of the windows ``w`` (one class per contig), fitted in ``dtype`` by ``solver``;
    ``pairs``: cannot-link contig pairs (:func:`cannot_link`) blended into the between-class
    scatter with ``pair_weight`` (:func:`genomeface_core.embed.lda.fit_lda`)."""
    m = fit_lda(w.features, w.contig, dims=dims, shrinkage=shrinkage, dtype=np.dtype(dtype),
                solver=solver, pairs=pairs, pair_weight=pair_weight)
    return LinearModel(v1, v2, dict(kind="adaptive", contigs=w.contigs, windows=len(w.contig),
                                    dims=int(m["dims"]), shrinkage=float(m["shrinkage"])),
                       None, mean=m["mean"], std=m["std"], W=m["W"])


def fit_adaptive(seqs: Sequence[bytes], lengths: np.ndarray, *, seed: int = 0, threads: int | None = 1,
                 base: Composition | None = None, share: float = SHARE, min_contigs: int = MIN_CONTIGS,
                 markers: np.ndarray | None = None, **window_kw) -> Composition:
    """``--composition adaptive``: ``base`` (default: the shipped ``linear``) joined with the
    metric learned from the long contigs among ``seqs`` (lengths in bp), or ``base`` alone
    (a WARNING; its ``fallback`` says why) when fewer than ``min_contigs`` long contigs have windows.

    The result is a :class:`~genomeface_core.embed.Composition` (``.embed(features)``,
    ``.v1``, ``.v2``, per-contig) whose mixing constants are ``base``'s divided by
    ``WEIGHT_FACTOR`` (an abundance weight ``WEIGHT_FACTOR`` times ``base``'s).
    ``markers``: (n, 40) marker copies of ``seqs`` (optional): cannot-link pairs for the fit.
    ``window_kw``: ``min_length``, ``max_contigs``, ``per_contig``, ``max_window`` of
    :func:`self_windows`; ``dims``, ``shrinkage``, ``dtype``, ``pair_weight`` go to
    :func:`fit_self_metric`.
    """
    base = base or get_composition("linear")
    fit_kw = {k: window_kw.pop(k) for k in ("dims", "shrinkage", "dtype", "solver", "pair_weight") if k in window_kw}
    t0 = time.perf_counter()
    w = self_windows(seqs, lengths, seed=seed, threads=threads, **window_kw)
    classes = len(np.unique(w.contig))
    if classes < max(min_contigs, 2):
        reason = (f"adaptive composition: {classes} contig(s) of >= {window_kw.get('min_length', MIN_LENGTH)} bp "
                  f"(need {max(min_contigs, 2)}); using the shipped {base.name} metric alone")
        log.warning("%s", reason)
        return dataclasses.replace(base, fallback=reason)
    if markers is not None:  # contigs with the same single-copy marker: different genomes
        fit_kw["pairs"] = cannot_link(markers, np.unique(w.contig), seed=seed)
    model = fit_self_metric(w, **fit_kw)
    log.info("adaptive composition: metric of %d dims learned from %d windows of %d long contigs "
             "(of %d) in %.1f s; joined with %s at share %g", model.dims, len(w.contig), classes,
             w.long_contigs, time.perf_counter() - t0, base.name, share)
    own = Composition("self", model.embed, base.v1, base.v2,
                      f"linear metric learned from {classes} long contigs of this assembly", per_contig=True)
    c = combine(base, own, share)
    return Composition("adaptive", c.embed, c.v1 / WEIGHT_FACTOR, c.v2 / WEIGHT_FACTOR, c.description,
                       per_contig=True)
