"""Mock metagenomes from real genomes: contigs, per-sample depths, truth.

The engine's own uses: the bundled example (``genomeface demo-data``,
:mod:`genomeface_core.demo`), the contig lengths and GC of the co-abundance
network's training data (:mod:`genomeface_core.train.abundance`) and the
QIIME 2 example data.  The benchmarks and tests build their mocks with it too;
read simulation and the benchmark-only writers live in ``benchmarks/lab``.

Genomes are cut into contigs with a heavy-tailed length distribution
(log-normal around ``median_len`` bp, so most contigs are 1.5-10 kb with some
>= 100 kb).  Each genome gets a log-normal abundance per sample (absent from a
sample with probability ``p_absent``); a contig's depth is the read count of a
negative binomial (over-dispersed Poisson) with a GC-dependent mean, times read
length over contig length, so depths vary within a genome as they do in real
data.  Everything is drawn from one seeded generator: same seed, same mock.
Genome files are read with :func:`genomeface_core.io.fasta.read_genome`.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from genomeface_core.io.fasta import acgt_fraction, format_fasta


@dataclass
class Mock:
    """A mock assembly: contig names/sequences, genome of each contig, depths."""

    names: list[str]
    seqs: list[bytes]
    genome: list[str]  # truth label per contig
    depths: np.ndarray  # (n_contigs, n_samples) float32, x
    samples: list[str]
    abundances: np.ndarray | None = None  # (n_genomes, n_samples) genome depth, x
    genomes: list[str] | None = None  # genome labels, rows of ``abundances``


def fragment(records: Sequence[bytes], rng: np.random.Generator, *, median_len: float = 5000.0,
             sigma: float = 1.0, min_len: int = 1000, length_model: str = "lognormal") -> list[bytes]:
    """Cut each record into consecutive contigs (bp); drops pieces < min_len.

    ``length_model``: ``"lognormal"`` (log-normal around ``median_len``) or
    ``"heavy"`` (:func:`draw_contig_length`: most contigs 1.5-10 kb, a heavy tail
    reaching >= 100 kb, as in short-read metagenome assemblies).
    """
    out = []
    for rec in records:
        pos = 0
        while pos < len(rec):
            if length_model == "heavy":
                ln = draw_contig_length(rng, min_len=min_len)
            elif length_model == "lognormal":
                ln = int(np.clip(rng.lognormal(np.log(median_len), sigma), min_len, 500_000))
            else:
                raise ValueError(f"unknown length_model {length_model!r}")
            piece = rec[pos:pos + ln]
            pos += ln
            # assemblers do not emit gap-only contigs: skip pieces that are mostly N
            if len(piece) >= min_len and acgt_fraction(piece) >= 0.5:
                out.append(piece)
    return out


def draw_contig_length(rng: np.random.Generator, *, min_len: int = 1000, max_len: int = 1_000_000) -> int:
    """One contig length from a two-part mixture with a heavy (Pareto) tail.

    85%: log-normal, median 3.5 kb, sigma 0.6 (the bulk: 1.5-10 kb);
    15%: Pareto with x_min 10 kb and shape 1.1 (about 1 in 8 of these >= 100 kb).
    By count most contigs are short; by bp a large share sits in long contigs.
    """
    if rng.random() < 0.85:
        ln = rng.lognormal(np.log(3500.0), 0.6)
    else:
        ln = 10_000.0 * (1.0 + rng.pareto(1.1))
    return int(np.clip(ln, min_len, max_len))


def sample_abundances(n_genomes: int, n_samples: int, rng: np.random.Generator, *, p_absent: float = 0.2,
                      mean_depth: float = 10.0, sigma: float = 1.0) -> np.ndarray:
    """Log-normal genome abundance (x depth) per sample; absent with probability ``p_absent``
    (but every genome is present in at least one sample)."""
    abund = rng.lognormal(np.log(mean_depth), sigma, size=(n_genomes, n_samples))
    absent = rng.random((n_genomes, n_samples)) < p_absent
    absent[np.arange(n_genomes), rng.integers(0, n_samples, n_genomes)] = False  # present somewhere
    abund[absent] = 0.0
    return abund


def gc_content(seq: bytes) -> float:
    """G+C over A+C+G+T bases of one sequence (0..1; 0 without ACGT)."""
    a = np.frombuffer(seq.upper(), dtype=np.uint8)
    acgt = np.isin(a, np.frombuffer(b"ACGT", np.uint8)).sum()
    return float(np.isin(a, np.frombuffer(b"GC", np.uint8)).sum() / max(acgt, 1))


def simulate_depths(seqs: Sequence[bytes], genome_idx: np.ndarray, n_genomes: int, n_samples: int,
                    rng: np.random.Generator, *, p_absent: float = 0.2, read_len: int = 150,
                    dispersion: float = 0.15, gc_bias: float = 1.0, mean_depth: float = 10.0,
                    abund_sigma: float = 1.0, abundances: np.ndarray | None = None) -> np.ndarray:
    """Depth (x) per contig per sample; contigs of a genome share its abundance.

    ``dispersion``: negative-binomial over-dispersion (variance = mu + dispersion * mu^2).
    ``gc_bias``: strength of the depth loss away from 50% GC.
    ``abundances``: (n_genomes, n_samples) genome depths; drawn by
    :func:`sample_abundances` when None.
    """
    if abundances is None:
        abund = sample_abundances(n_genomes, n_samples, rng, p_absent=p_absent, mean_depth=mean_depth,
                                  sigma=abund_sigma)
    else:
        abund = np.asarray(abundances, dtype=np.float64)
        if abund.shape != (n_genomes, n_samples):
            raise ValueError(f"abundances shape {abund.shape} != {(n_genomes, n_samples)}")
    lengths = np.array([len(s) for s in seqs], dtype=np.float64)
    gc = np.array([gc_content(s) for s in seqs])
    bias = np.exp(-gc_bias * ((gc - 0.5) / 0.2) ** 2)
    mu_reads = abund[genome_idx] * (bias * lengths / read_len)[:, None]
    r = 1.0 / dispersion
    lam = rng.gamma(r, np.where(mu_reads > 0, mu_reads / r, 0.0))
    reads = rng.poisson(lam)
    return (reads * read_len / lengths[:, None]).astype(np.float32)


def make_mock(genomes: dict[str, Sequence[bytes]], n_samples: int = 3, seed: int = 0, **kw) -> Mock:
    """Fragment each genome and simulate depths; ``kw`` goes to :func:`fragment`/:func:`simulate_depths`."""
    rng = np.random.default_rng(seed)
    frag_kw = {k: kw.pop(k) for k in ("median_len", "sigma", "min_len", "length_model") if k in kw}
    names, seqs, truth, gidx = [], [], [], []
    for g, (label, records) in enumerate(genomes.items()):
        for i, piece in enumerate(fragment(records, rng, **frag_kw)):
            names.append(f"{label}_c{i}")
            seqs.append(piece)
            truth.append(label)
            gidx.append(g)
    if "abundances" not in kw:
        # drawn here (same generator, same order as simulate_depths would) so the mock records them
        kw["abundances"] = sample_abundances(len(genomes), n_samples, rng, p_absent=kw.pop("p_absent", 0.2),
                                             mean_depth=kw.pop("mean_depth", 10.0),
                                             sigma=kw.pop("abund_sigma", 1.0))
    depths = simulate_depths(seqs, np.array(gidx), len(genomes), n_samples, rng, **kw)
    return Mock(names, seqs, truth, depths, [f"S{j + 1}" for j in range(n_samples)],
                np.asarray(kw["abundances"]), list(genomes))


def write_mock(mock: Mock, outdir: str | os.PathLike) -> dict[str, str]:
    """Write contigs.fna.gz, depth.tsv (contigname TSV) and truth.tsv; returns their paths."""
    from genomeface_core.io.coverage import write_coverage_tsv

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
