"""Benchmark-only simulation: paired-end reads from whole genomes, FASTQ and MetaBAT depth writers.

Mock assemblies themselves (contigs, depths, truth) come from the engine's
:mod:`genomeface_core.demo.mock`, which the demo and training use as well.
"""
from __future__ import annotations

import gzip
import os
from typing import Sequence

import numpy as np


def write_metabat_depth(path: str | os.PathLike, names: Sequence[str], lengths: Sequence[int],
                        samples: Sequence[str], depths: np.ndarray, variances: np.ndarray | None = None) -> None:
    """Write a MetaBAT ``jgi_summarize_bam_contig_depths``-style table.

    Without ``variances`` the per-sample variance is set to the depth (Poisson).
    ``totalAvgDepth`` is the sum over samples, as MetaBAT writes it.
    """
    depths = np.asarray(depths, dtype=np.float64)
    var = depths if variances is None else np.asarray(variances, dtype=np.float64)
    with open(path, "w") as fh:
        cols = "\t".join(f"{s}\t{s}-var" for s in samples)
        fh.write(f"contigName\tcontigLen\ttotalAvgDepth\t{cols}\n")
        for n, ln, d, v in zip(names, lengths, depths, var):
            vals = "\t".join(f"{a:.4f}\t{b:.4f}" for a, b in zip(d, v))
            fh.write(f"{n}\t{int(ln)}\t{d.sum():.4f}\t{vals}\n")


_COMP_CODE = np.array([3, 2, 1, 0, 4], dtype=np.uint8)  # A C G T N -> T G C A N
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _CODE[_b] = _i
    _CODE[ord(chr(_b).lower())] = _i
_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


def simulate_reads(genomes: Sequence[Sequence[bytes]], depth: Sequence[float], rng: np.random.Generator, *,
                   read_len: int = 150, insert_mean: float = 350.0, insert_sd: float = 50.0,
                   err_start: float = 0.002, err_end: float = 0.012, prefix: str = "r"):
    """Paired-end short reads (R1, R2 as lists of (name, bytes)) from whole genomes.

    ``depth[g]``: fold coverage of genome g (reads x read_len / genome bp, both mates).
    Fragments of normal length (``insert_mean`` +- ``insert_sd``) start uniformly on a
    record chosen in proportion to its length; each fragment is read from a random
    strand.  Substitution errors rise linearly along each read from ``err_start`` to
    ``err_end`` (Illumina-like).  Numpy-vectorised and seeded by ``rng``.
    """
    r1_all, r2_all = [], []
    pos = np.arange(read_len)
    err = err_start + (err_end - err_start) * pos / max(read_len - 1, 1)
    for g, (records, cov) in enumerate(zip(genomes, depth)):
        recs = [r for r in records if len(r) >= insert_mean + 4 * insert_sd]
        if cov <= 0 or not recs:
            continue
        total = sum(len(r) for r in recs)
        n_pairs = int(round(cov * total / (2 * read_len)))
        if n_pairs == 0:
            continue
        lens = np.array([len(r) for r in recs], dtype=np.int64)
        rec_of = rng.choice(len(recs), size=n_pairs, p=lens / lens.sum())
        frag = np.clip(rng.normal(insert_mean, insert_sd, n_pairs).astype(np.int64), read_len, None)
        flip = rng.random(n_pairs) < 0.5
        for r in np.unique(rec_of):
            sel = np.flatnonzero(rec_of == r)
            code = _CODE[np.frombuffer(recs[r], dtype=np.uint8)]
            f = np.minimum(frag[sel], len(code))
            start = (rng.random(len(sel)) * (len(code) - f + 1)).astype(np.int64)
            fwd = code[start[:, None] + pos[None, :]]
            rev_idx = (start + f - 1)[:, None] - pos[None, :]
            rev = _COMP_CODE[code[rev_idx]]
            fl = flip[sel][:, None]
            a, b = np.where(fl, rev, fwd), np.where(fl, fwd, rev)
            for arr in (a, b):
                hit = rng.random(arr.shape) < err[None, :]
                arr[hit] = np.where(arr[hit] < 4, (arr[hit] + rng.integers(1, 4, hit.sum())) % 4, arr[hit])
            la, lb = _LETTERS[a], _LETTERS[b]
            for k, i in enumerate(sel):
                name = f"{prefix}g{g}_{i}"
                r1_all.append((name, la[k].tobytes()))
                r2_all.append((name, lb[k].tobytes()))
    return r1_all, r2_all


def write_fastq(path: str | os.PathLike, reads, qual: str = "I") -> None:
    """Write (name, seq) reads as FASTQ (gzip when the path ends in .gz)."""
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as fh:
        buf = []
        for name, s in reads:
            buf.append(b"@%s\n%s\n+\n%s\n" % (name.encode(), s, qual.encode() * len(s)))
            if len(buf) >= 100_000:
                fh.write(b"".join(buf))
                buf = []
        fh.write(b"".join(buf))
