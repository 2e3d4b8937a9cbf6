"""Random windows of genomes and their k-mer features (the adaptive composition and the trainers).

A genome is a list of records (scaffolds).  A window is drawn by picking a record with
probability proportional to its length, a window length from :class:`LengthDistribution`
(weighted toward short contigs, 1.5-10 kb, as in real assemblies), and a uniform start.
Windows that are mostly non-ACGT are redrawn.  Every draw comes from one seeded
``numpy.random.Generator``: the same seed gives the same windows.  Features are computed by
the engine's GIL-free Numba kernel (:func:`genomeface_core.embed.kmers.kmer_features`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from genomeface_core.embed.kmers import kmer_features
from genomeface_core.io.fasta import acgt_fraction


@dataclass(frozen=True)
class LengthDistribution:
    """Window lengths (bp): log-uniform on [min_len, max_len] mixed with a
    log-normal around ``median`` -- most mass at 1.5-5 kb, a tail to ``max_len``.

    ``p_uniform`` is the weight of the log-uniform part.
    """

    min_len: int = 1500
    max_len: int = 10_000
    median: float = 3000.0
    sigma: float = 0.6
    p_uniform: float = 0.5

    def __post_init__(self):
        if not 0 < self.min_len <= self.max_len:
            raise ValueError(f"window lengths need 0 < min ({self.min_len}) <= max ({self.max_len})")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        lo, hi = np.log(self.min_len), np.log(self.max_len)
        uni = rng.random(n) < self.p_uniform
        x = np.where(uni, rng.uniform(lo, hi, n), rng.normal(np.log(self.median), self.sigma, n))
        return np.clip(np.exp(x), self.min_len, self.max_len).astype(np.int64)


def sample_windows(genomes: Mapping[str, Sequence[bytes]], per_genome: int | Mapping[str, int],
                   rng: np.random.Generator, lengths: LengthDistribution = LengthDistribution(),
                   min_acgt: float = 0.9) -> tuple[list[bytes], np.ndarray]:
    """``per_genome`` windows from each genome (in mapping order).

    Returns the window sequences and the genome index of each (int32).
    A genome shorter than a drawn length gives its whole longest record.
    """
    seqs: list[bytes] = []
    idx: list[int] = []
    for g, (name, recs) in enumerate(genomes.items()):
        k = per_genome[name] if isinstance(per_genome, Mapping) else int(per_genome)
        rl = np.array([len(r) for r in recs], dtype=np.float64)
        p = rl / rl.sum()
        got, tries = 0, 0
        while got < k and tries < 20 * k + 20:
            tries += 1
            L = int(lengths.draw(rng, 1)[0])
            r = int(rng.choice(len(recs), p=p))
            rec = recs[r]
            if len(rec) <= L:
                rec = recs[int(np.argmax(rl))]
                w = rec[: L]
            else:
                s = int(rng.integers(0, len(rec) - L + 1))
                w = rec[s:s + L]
            if len(w) < min(lengths.min_len, 1000) or acgt_fraction(w) < min_acgt:
                continue
            seqs.append(bytes(w))
            idx.append(g)
            got += 1
    return seqs, np.asarray(idx, dtype=np.int32)


def sample_features(genomes: Mapping[str, Sequence[bytes]], per_genome: int | Mapping[str, int],
                    seed: int = 0, lengths: LengthDistribution = LengthDistribution(),
                    threads: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features (n, 1712) float32, genome index (n,) and window length (n,) of random windows."""
    rng = np.random.default_rng(seed)
    seqs, idx = sample_windows(genomes, per_genome, rng, lengths)
    feats = kmer_features(seqs, threads=threads)
    return feats, idx, np.array([len(s) for s in seqs], dtype=np.int64)


def fixed_windows(genomes: Mapping[str, Sequence[bytes]], per_genome: int, length: int,
                  seed: int = 0, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features and genome index of ``per_genome`` windows of exactly ``length`` bp per genome."""
    ld = LengthDistribution(min_len=length, max_len=length, median=length, sigma=0.0, p_uniform=0.0)
    f, idx, _ = sample_features(genomes, per_genome, seed=seed, lengths=ld, threads=threads)
    return f, idx
