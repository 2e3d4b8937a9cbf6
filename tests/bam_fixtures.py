"""Helpers that build real BAM files for tests/test_bam.py and read MetaBAT's answers for them.

Genomes come from /work/shared/genomes (real sequences, never copied into the
repository); reads are simulated (wgsim for paired short reads, a small
simulator here for HiFi-like long reads), mapped with minimap2, sorted and
indexed with samtools.  :func:`metabat` runs the Debian ``metabat`` 2.15
``jgi_summarize_bam_contig_depths`` on the same files.
"""
from __future__ import annotations

import gzip
import pathlib
import shutil
import subprocess
from typing import Sequence

import numpy as np
import pytest

from conftest import GENOMES
COMP = bytes.maketrans(b"ACGTN", b"TGCAN")


def require_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"not on PATH: {', '.join(missing)}")


def shared_genome(file: str) -> list[tuple[str, bytes]]:
    """(name, upper-case sequence) of every record of one genome in /work/shared/genomes."""
    path = GENOMES / file
    if not path.exists():
        pytest.skip(f"shared genome missing: {path}")
    records: list[tuple[str, list[str]]] = []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if line.startswith(">"):
                records.append((line[1:].split()[0], []))
            else:
                records[-1][1].append(line.strip())
    return [(name, "".join(parts).upper().encode()) for name, parts in records]


def write_fasta(path: pathlib.Path, names: Sequence[str], seqs: Sequence[bytes]) -> None:
    with open(path, "w") as fh:
        for n, s in zip(names, seqs):
            fh.write(f">{n}\n{s.decode()}\n")


def write_fastq(path: pathlib.Path, reads: Sequence[tuple[str, bytes]]) -> None:
    with open(path, "w") as fh:
        for name, s in reads:
            fh.write(f"@{name}\n{s.decode()}\n+\n{'I' * len(s)}\n")


def read_fastq(path: pathlib.Path) -> list[tuple[str, bytes]]:
    lines = path.read_bytes().split(b"\n")
    return [(lines[k][1:].decode(), lines[k + 1]) for k in range(0, len(lines) - 3, 4)]


def map_sort_index(ref: pathlib.Path, fastqs: Sequence[pathlib.Path], bam: pathlib.Path, preset: str,
                   extra: Sequence[str] = ()) -> pathlib.Path:
    """minimap2 -ax ``preset`` | samtools sort, then samtools index; returns ``bam``."""
    mm = subprocess.Popen(["minimap2", "-ax", preset, "-t", "2", *extra, str(ref), *map(str, fastqs)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    subprocess.run(["samtools", "sort", "-@", "1", "-o", str(bam), "-"], stdin=mm.stdout, check=True,
                   stderr=subprocess.DEVNULL)
    assert mm.wait() == 0
    subprocess.run(["samtools", "index", str(bam)], check=True)
    return bam


def wgsim_pairs(ref: pathlib.Path, prefix: pathlib.Path, n_pairs: int, read_len: int,
                seed: int) -> tuple[pathlib.Path, pathlib.Path]:
    """Paired reads from wgsim: 1% base errors, 0.1% mutations (10% of them indels), 350 +- 50 bp
    fragments."""
    r1, r2 = prefix.with_suffix(".1.fq"), prefix.with_suffix(".2.fq")
    subprocess.run(["wgsim", "-N", str(n_pairs), "-1", str(read_len), "-2", str(read_len), "-e", "0.01",
                    "-r", "0.001", "-R", "0.1", "-d", "350", "-s", "50", "-S", str(seed),
                    str(ref), str(r1), str(r2)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return r1, r2


def long_reads(genome: bytes, depth: float, rng: np.random.Generator, prefix: str,
               bad_fraction: float = 0.1) -> list[tuple[str, bytes]]:
    """HiFi-like reads of 5-20 kb: 0.3% substitutions and 0.1% 1-3 bp indels, and
    ``bad_fraction`` of them with 4% errors (below MetaBAT's 97% identity)."""
    reads = []
    n = int(depth * len(genome) / 12_500)
    for k in range(n):
        size = int(rng.integers(5_000, 20_000))
        start = int(rng.integers(0, len(genome) - size))
        frag = genome[start:start + size]
        if rng.random() < 0.5:
            frag = frag.translate(COMP)[::-1]
        rate = 0.04 if rng.random() < bad_fraction else 0.004
        out = bytearray()
        pos = 0
        for e in np.sort(rng.choice(size, size=max(1, int(rate * size)), replace=False)).tolist():
            if e < pos:
                continue
            out += frag[pos:e]
            u = rng.random()
            if u < 0.75:                                              # substitution
                out.append(b"ACGT"[(b"ACGT".find(frag[e:e + 1]) + int(rng.integers(1, 4))) % 4])
                pos = e + 1
            elif u < 0.875:                                           # insertion
                out += bytes(b"ACGT"[j] for j in rng.integers(0, 4, size=int(rng.integers(1, 4))))
                pos = e
            else:                                                     # deletion
                pos = e + int(rng.integers(1, 4))
        out += frag[pos:]
        reads.append((f"{prefix}{k}", bytes(out)))
    return reads


def metabat(bams: Sequence[pathlib.Path], out: pathlib.Path,
            args: Sequence[str] = ()) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``jgi_summarize_bam_contig_depths`` on ``bams``: contig -> (means, variances), one value per BAM."""
    subprocess.run(["jgi_summarize_bam_contig_depths", "--outputDepth", str(out), *args, *map(str, bams)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lines = out.read_text().splitlines()
    header = lines[0].split("\t")
    cols = [header.index(pathlib.Path(b).name) for b in bams]
    assert all(header[c + 1] == header[c] + "-var" for c in cols)
    rows = {}
    for f in (ln.split("\t") for ln in lines[1:]):
        rows[f[0]] = (np.array([float(f[c]) for c in cols]), np.array([float(f[c + 1]) for c in cols]))
    return rows


def metabat_arrays(rows: dict, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(means, variances) of :func:`metabat`'s rows for ``names``, shape (contigs, BAMs)."""
    return np.array([rows[n][0] for n in names]), np.array([rows[n][1] for n in names])
