"""Reference genomes for training: folders of FASTA files, read into records.

Windows of them are drawn by :mod:`genomeface_core.embed.windows`.
"""
from __future__ import annotations

import os
from typing import Iterable

from genomeface_core.errors import InputError

FASTA_SUFFIXES = (".fna", ".fa", ".fasta", ".fas", ".fna.gz", ".fa.gz", ".fasta.gz", ".fas.gz")


def genome_name(path: str | os.PathLike) -> str:
    """File name without directory and FASTA/gzip suffix."""
    base = os.path.basename(os.fspath(path))
    for suf in sorted(FASTA_SUFFIXES, key=len, reverse=True):
        if base.endswith(suf):
            return base[: -len(suf)]
    return base


def list_genomes(directory: str | os.PathLike) -> list[str]:
    """FASTA files (plain or gzip) in ``directory``, sorted by name."""
    d = os.fspath(directory)
    if not os.path.isdir(d):
        raise InputError(d, "not a directory of genome FASTA files")
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(FASTA_SUFFIXES))
    if not files:
        raise InputError(d, f"no genome FASTA files ({', '.join(FASTA_SUFFIXES[:4])}, optionally .gz)")
    return files


def load_genomes(files: Iterable[str | os.PathLike]) -> dict[str, list[bytes]]:
    """name -> records of each genome file (see :func:`genome_name`).

    Files are read by :func:`genomeface_core.io.fasta.read_genome`, so a bad
    genome (not FASTA, truncated gzip, invalid characters, ...) is one
    :class:`InputError` naming the file.
    """
    from genomeface_core.io.fasta import read_genome

    out: dict[str, list[bytes]] = {}
    for f in files:
        recs = read_genome(f)
        name = genome_name(f)
        if name in out:
            raise InputError(f, f"duplicate genome name {name!r}")
        out[name] = recs
    return out
