"""Per-sample genome depths and seeded 2x150 paired-end reads (Debian ``wgsim``).

Depths: genome g in sample s is absent with probability ``p_absent`` (every genome stays in
at least one sample), else ``median_depth * exp(N(0, sigma))`` (log-normal, x coverage).
Reads: ``wgsim`` on each genome with ``depth * size / 300`` pairs, substitution errors only
(``-e``; mutations and indels off: ``-r 0 -R 0``), fragment (outer distance) 350 +- 35 bp,
seed derived from (seed, sample, genome), appended to the sample's R1/R2 FASTQ.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np

READ_LEN = 150


def draw_depths(n_genomes: int, n_samples: int, seed: int, median_depth: float = 6.0,
                sigma: float = 1.0, p_absent: float = 0.2) -> np.ndarray:
    """(genomes, samples) depth matrix in x coverage; zeros are absences.

    >>> d = draw_depths(50, 3, seed=1)
    >>> d.shape, bool((d.max(axis=1) > 0).all()), bool((d == 0).any())
    ((50, 3), True, True)
    """
    rng = np.random.default_rng(seed)
    depth = median_depth * np.exp(rng.normal(0.0, sigma, (n_genomes, n_samples)))
    absent = rng.random((n_genomes, n_samples)) < p_absent
    nowhere = absent.all(axis=1)
    # a genome absent from every sample is put back in one (seeded) sample
    absent[nowhere, rng.integers(0, n_samples, nowhere.sum())] = False
    depth[absent] = 0.0
    return depth


def read_pairs(depth: float, genome_bp: int) -> int:
    """Number of 2x150 pairs giving ``depth`` x over ``genome_bp``.

    >>> read_pairs(10.0, 3_000_000)
    100000
    """
    return int(round(depth * genome_bp / (2 * READ_LEN)))


def simulate_sample(refs: list[str], sizes: list[int], depths: np.ndarray, out_prefix: str,
                    seed: int, error_rate: float = 0.003) -> tuple[str, str]:
    """Write ``out_prefix``_R1.fq / _R2.fq for one sample; returns the two paths.

    ``refs``: one FASTA per genome (contig names already carry the genome id, so the read
    names say where a read came from); ``depths``: x coverage per genome (0 = absent).
    """
    r1, r2 = f"{out_prefix}_R1.fq", f"{out_prefix}_R2.fq"
    tmp1, tmp2 = r1 + ".part", r2 + ".part"
    with open(tmp1, "wb") as o1, open(tmp2, "wb") as o2:
        for gi, (ref, size, d) in enumerate(zip(refs, sizes, depths)):
            n = read_pairs(float(d), size)
            if n == 0:
                continue
            g1, g2 = f"{out_prefix}.g{gi}.1.fq", f"{out_prefix}.g{gi}.2.fq"
            subprocess.run(["wgsim", "-e", str(error_rate), "-d", "350", "-s", "35", "-N", str(n),
                            "-1", str(READ_LEN), "-2", str(READ_LEN), "-r", "0", "-R", "0",
                            "-S", str(seed * 1000 + gi + 1), ref, g1, g2],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for src, dst in ((g1, o1), (g2, o2)):
                with open(src, "rb") as fh:
                    shutil.copyfileobj(fh, dst, 1 << 22)
                os.remove(src)
    os.replace(tmp1, r1)
    os.replace(tmp2, r2)
    return r1, r2
