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
    abundances: np.ndarray | None = None  # (n_genomes, n_samples) genome depth, x
    genomes: list[str] | None = None  # genome labels, rows of ``abundances``


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
            if len(piece) >= min_len and _acgt_fraction(piece) >= 0.5:
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


def _acgt_fraction(seq: bytes) -> float:
    a = np.frombuffer(seq.upper(), dtype=np.uint8)
    return float(np.isin(a, np.frombuffer(b"ACGT", np.uint8)).mean())


def _gc(seq: bytes) -> float:
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
