"""Mock metagenomes from real genomes: contigs, per-sample depths, truth.

Used by the demo, the end-to-end tests and the benchmarks.  Genomes are cut
into contigs with a heavy-tailed length distribution (log-normal around
``median_len`` bp, so most contigs are 1.5-10 kb with some >= 100 kb).  Each
genome gets a log-normal abundance per sample (absent from a sample with
probability ``p_absent``); a contig's depth is the read count of a negative
binomial (over-dispersed Poisson) with a GC-dependent mean, times read length
over contig length, so depths vary within a genome as they do in real data.
Everything is drawn from one seeded generator: same seed, same mock.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .io.fasta import format_fasta


@dataclass
class Mock:
    """A mock assembly: contig names/sequences, genome of each contig, depths."""

    names: list[str]
    seqs: list[bytes]
    genome: list[str]  # truth label per contig
    depths: np.ndarray  # (n_contigs, n_samples) float32, x
    samples: list[str]


def read_genome(path: str | os.PathLike) -> list[bytes]:
    """Sequences (one per record) of a plain or gzipped FASTA genome."""
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    recs = []
    for rec in data.split(b">")[1:]:
        _, _, body = rec.partition(b"\n")
        s = body.replace(b"\n", b"").replace(b"\r", b"")
        if s:
            recs.append(s)
    return recs


def fragment(records: Sequence[bytes], rng: np.random.Generator, *, median_len: float = 5000.0,
             sigma: float = 1.0, min_len: int = 1000) -> list[bytes]:
    """Cut each record into consecutive contigs of log-normal length (bp); drops pieces < min_len."""
    out = []
    for rec in records:
        pos = 0
        while pos < len(rec):
            ln = int(np.clip(rng.lognormal(np.log(median_len), sigma), min_len, 500_000))
            piece = rec[pos:pos + ln]
            pos += ln
            # assemblers do not emit gap-only contigs: skip pieces that are mostly N
            if len(piece) >= min_len and _acgt_fraction(piece) >= 0.5:
                out.append(piece)
    return out


def _acgt_fraction(seq: bytes) -> float:
    a = np.frombuffer(seq.upper(), dtype=np.uint8)
    return float(np.isin(a, np.frombuffer(b"ACGT", np.uint8)).mean())


def _gc(seq: bytes) -> float:
    a = np.frombuffer(seq.upper(), dtype=np.uint8)
    acgt = np.isin(a, np.frombuffer(b"ACGT", np.uint8)).sum()
    return float(np.isin(a, np.frombuffer(b"GC", np.uint8)).sum() / max(acgt, 1))


def simulate_depths(seqs: Sequence[bytes], genome_idx: np.ndarray, n_genomes: int, n_samples: int,
                    rng: np.random.Generator, *, p_absent: float = 0.2, read_len: int = 150,
                    dispersion: float = 0.15, gc_bias: float = 1.0, mean_depth: float = 10.0) -> np.ndarray:
    """Depth (x) per contig per sample; contigs of a genome share its abundance.

    ``dispersion``: negative-binomial over-dispersion (variance = mu + dispersion * mu^2).
    ``gc_bias``: strength of the depth loss away from 50% GC.
    """
    abund = rng.lognormal(np.log(mean_depth), 1.0, size=(n_genomes, n_samples))
    absent = rng.random((n_genomes, n_samples)) < p_absent
    absent[np.arange(n_genomes), rng.integers(0, n_samples, n_genomes)] = False  # present somewhere
    abund[absent] = 0.0
    lengths = np.array([len(s) for s in seqs], dtype=np.float64)
    gc = np.array([_gc(s) for s in seqs])
    bias = np.exp(-gc_bias * ((gc - 0.5) / 0.2) ** 2)
    mu_reads = abund[genome_idx] * (bias * lengths / read_len)[:, None]
    r = 1.0 / dispersion
    lam = rng.gamma(r, np.where(mu_reads > 0, mu_reads / r, 0.0))
    reads = rng.poisson(lam)
    return (reads * read_len / lengths[:, None]).astype(np.float32)


def make_mock(genomes: dict[str, Sequence[bytes]], n_samples: int = 3, seed: int = 0, **kw) -> Mock:
    """Fragment each genome and simulate depths; ``kw`` goes to :func:`fragment`/:func:`simulate_depths`."""
    rng = np.random.default_rng(seed)
    frag_kw = {k: kw.pop(k) for k in ("median_len", "sigma", "min_len") if k in kw}
    names, seqs, truth, gidx = [], [], [], []
    for g, (label, records) in enumerate(genomes.items()):
        for i, piece in enumerate(fragment(records, rng, **frag_kw)):
            names.append(f"{label}_c{i}")
            seqs.append(piece)
            truth.append(label)
            gidx.append(g)
    depths = simulate_depths(seqs, np.array(gidx), len(genomes), n_samples, rng, **kw)
    return Mock(names, seqs, truth, depths, [f"S{j + 1}" for j in range(n_samples)])


def write_mock(mock: Mock, outdir: str | os.PathLike) -> dict[str, str]:
    """Write contigs.fna.gz, depth.tsv (contigname TSV) and truth.tsv; returns their paths."""
    from .io.coverage import write_coverage_tsv

    os.makedirs(outdir, exist_ok=True)
    paths = {k: os.path.join(outdir, f) for k, f in
             (("contigs", "contigs.fna.gz"), ("depth", "depth.tsv"), ("truth", "truth.tsv"))}
    with gzip.open(paths["contigs"], "wb", compresslevel=3) as fh:
        fh.write(format_fasta(mock.names, mock.seqs))
    write_coverage_tsv(paths["depth"], mock.names, mock.samples, mock.depths)
    with open(paths["truth"], "w") as fh:
        fh.write("contig\tgenome\tlength\n")
        for n, g, s in zip(mock.names, mock.genome, mock.seqs):
            fh.write(f"{n}\t{g}\t{len(s)}\n")
    return paths
