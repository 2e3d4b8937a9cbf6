"""``genomeface concatenate``: per-sample assemblies -> one FASTA with sample-prefixed names.

The first step of multi-split binning (see :mod:`genomeface_core.cut.multisplit`),
compatible with VAMB's ``src/concatenate.py`` (RasmussenLab/vamb b146fb6,
``vambtools.concatenate_fasta_ios``): contigs shorter than ``--min-length``
(default 2000, as VAMB's ``-m``) are dropped, the rest renamed
``<sample><sep><name>`` where ``name`` is the first word of the header (the
description is dropped, as VAMB does) and the samples are ``S1``, ``S2``, ...
in input order (or ``--samples``); the separator defaults to VAMB's ``C``.
A ``.gz`` output is gzip level 1 (VAMB's default).  Nothing is written on an
error: the output is assembled in a temporary file next to it and renamed.
"""
from __future__ import annotations

import argparse
import gzip
import os
import tempfile
from typing import Sequence

from genomeface_core.cli.subcommand import add_subparser, option
from genomeface_core.errors import InputError
from genomeface_core.io.fasta import format_fasta, read_fasta
from genomeface_core.cut.multisplit import DEFAULT_SEP

#: the line of ``genomeface --help`` and the text of ``genomeface concatenate --help``
HELP = "concatenate per-sample assemblies with sample-prefixed contig names (multi-split)"
DESCRIPTION = ("Concatenate per-sample assemblies into one FASTA for multi-split binning, renaming "
               "contigs <sample><sep><name> as VAMB's concatenate.py does (S1Ck141_7, S2Ck141_7, ...). "
               "Map every sample's reads to the result, bin it, and split the bins by sample.")

#: VAMB concatenate.py's default minimum contig length (bp).
DEFAULT_MIN_LENGTH = 2000


def sample_names(paths: Sequence[str], sep: str, names: Sequence[str] | None = None) -> list[str]:
    """Sample name of each assembly: ``names`` if given, else ``S1``, ``S2``, ... (VAMB).

    >>> sample_names(["a.fna", "b.fna"], "C")
    ['S1', 'S2']
    >>> sample_names(["a.fna", "b.fna"], "C", ["gutA", "gutC"])
    Traceback (most recent call last):
    ...
    genomeface_core.errors.InputError: b.fna: sample name 'gutC' contains the separator 'C'

    Raises:
        InputError: (naming the assembly) a name is empty, contains the
            separator (the split would cut it there) or repeats an earlier one.
    """
    if not sep:
        raise InputError(None, "the sample separator must not be empty")
    if names is None:
        names = [f"S{k + 1}" for k in range(len(paths))]
    if len(names) != len(paths):
        raise InputError(None, f"{len(names)} sample names for {len(paths)} assemblies")
    seen: dict[str, str] = {}
    for path, name in zip(paths, names):
        if not name:
            raise InputError(path, "empty sample name")
        if sep in name:
            raise InputError(path, f"sample name {name!r} contains the separator {sep!r}")
        if name in seen:
            raise InputError(path, f"sample name {name!r} is already used for {seen[name]}")
        seen[name] = path
    return list(names)


def concatenate(out_path: str | os.PathLike, assemblies: Sequence[str | os.PathLike], *,
                sep: str = DEFAULT_SEP, min_length: int = DEFAULT_MIN_LENGTH,
                samples: Sequence[str] | None = None, force: bool = False) -> dict[str, tuple[int, int]]:
    """Write the assemblies as one FASTA with contigs renamed ``<sample><sep><name>``.

    Args:
        out_path: output FASTA; gzip-compressed (level 1) if it ends in ``.gz``.
        assemblies: per-sample assembly FASTA files (plain or gzip).
        sep: separator between sample name and contig name.
        min_length: contigs shorter than this (bp) are left out.
        samples: sample names, one per assembly (default ``S1``, ``S2``, ...).
        force: replace an existing output file.

    Returns:
        ``sample -> (contigs written, contigs shorter than min_length)``.

    Raises:
        InputError: a bad assembly (naming it: unreadable, not FASTA, duplicate
            contig names), a bad sample name, an existing output without
            ``force``, or a missing output folder; nothing is written.
    """
    out_path = os.fspath(out_path)
    paths = [os.fspath(p) for p in assemblies]
    if not paths:
        raise InputError(None, "no assemblies given")
    if min_length < 0:
        raise InputError(None, f"--min-length must be >= 0, got {min_length}")
    names = sample_names(paths, sep, samples)
    if os.path.exists(out_path) and not force:
        raise InputError(out_path, "output exists (use --force to replace it)")
    parent = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(parent):
        raise InputError(out_path, f"output folder {parent} does not exist")

    counts: dict[str, tuple[int, int]] = {}
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=".concatenate-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw, \
                (gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0)
                 if out_path.endswith(".gz") else raw) as fh:
            for path, sample in zip(paths, names):
                contigs = read_fasta(path)
                keep = [k for k, s in enumerate(contigs.seqs) if len(s) >= min_length]
                fh.write(format_fasta([f"{sample}{sep}{contigs.names[k]}" for k in keep],
                                      [contigs.seqs[k] for k in keep]))
                counts[sample] = (len(keep), len(contigs.names) - len(keep))
        os.replace(tmp, out_path)
    except BaseException:
        os.unlink(tmp)
        raise
    return counts


def add_parser(subparsers) -> argparse.ArgumentParser:
    return add_subparser(subparsers, "concatenate", HELP, DESCRIPTION, [
        option("output", help="output FASTA (.gz: gzip-compressed)"),
        option("assemblies", nargs="+", help="per-sample assembly FASTA files (plain or .gz)"),
        option("--sep", default=DEFAULT_SEP,
               help=f"separator between sample and contig name (default {DEFAULT_SEP!r}, as VAMB)"),
        option("-m", "--min-length", type=int, default=DEFAULT_MIN_LENGTH, metavar="BP",
               help=f"leave out contigs shorter than this (default {DEFAULT_MIN_LENGTH}, as VAMB)"),
        option("--samples", metavar="NAME,NAME,...",
               help="sample names, one per assembly (default S1,S2,...); must not contain --sep"),
        option("--force", action="store_true", help="replace an existing output file"),
    ])


def run(args) -> int:
    import logging

    samples = None if args.samples is None else args.samples.split(",")
    counts = concatenate(args.output, args.assemblies, sep=args.sep, min_length=args.min_length,
                         samples=samples, force=args.force)
    kept = sum(k for k, _ in counts.values())
    short = sum(s for _, s in counts.values())
    logging.getLogger(__name__).info(
        "%d contigs from %d assemblies written to %s (%d shorter than %d bp left out)",
        kept, len(counts), args.output, short, args.min_length)
    return 0
