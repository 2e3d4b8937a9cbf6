"""``genomeface markers``: marker genes of one FASTA (or one chunk of an assembly).

The gene-calling stage of ``genomeface bin`` on its own, so that a pipeline can
spread it over nodes: split the assembly (``genomeface split-fasta``), run
``genomeface markers`` on every chunk, and give all the tables to
``genomeface bin --markers A.tsv B.tsv ...``.  It applies the same length filter
as ``bin`` (contigs shorter than ``--min-contig-length`` are skipped: ``bin``
ignores them) and calls :func:`genomeface_core.markers.find_markers` on the rest,
so the calls equal the in-process stage's.  Gene calling is per contig and the
hmmsearch inclusion uses bit-score cutoffs (independent of database size), so
the split does not change any call.  A chunk with no long contig gives a
header-only table.
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile

from genomeface_core.cli.subcommand import add_subparser, option, progress_option, show_progress

#: the line of ``genomeface --help`` and the text of ``genomeface markers --help``
HELP = "call the 40 marker genes on one FASTA (chunk); contig<TAB>marker table for bin --markers"
DESCRIPTION = ("Call the 40 single-copy marker genes on the contigs of one FASTA file (e.g. one chunk "
               "from 'genomeface split-fasta') and write the contig<TAB>marker table that "
               "'genomeface bin --markers' reads (several tables may be given there).")

log = logging.getLogger("genomeface")


def add_parser(subparsers) -> argparse.ArgumentParser:
    return add_subparser(subparsers, "markers", HELP, DESCRIPTION, [
        option("-i", "--contigs", required=True, metavar="FASTA", help="contigs (plain or .gz)"),
        option("-o", "--output", required=True, metavar="TSV", help="output contig<TAB>marker table"),
        # -m, --markers-mode and -t exactly as bin has them (same flags, default, help and checks)
        "min_contig_length", "markers_mode", "threads",
        progress_option(),
    ])


def call_markers(contigs: str | os.PathLike, *, min_contig_length: int, threads: int = 1,
                 progress: bool = False, mode: str = "fast"):
    """(names, counts) of the contigs of ``contigs`` >= ``min_contig_length`` bp:
    counts is the uint16 (n, 40) array of :func:`~genomeface_core.markers.find_markers`."""
    import numpy as np

    from genomeface_core.io.fasta import read_fasta
    from genomeface_core.markers import find_markers

    allc = read_fasta(contigs)
    kept = allc.subset(np.flatnonzero(allc.lengths >= min_contig_length))
    log.info("%d of %d contigs >= %d bp in %s", len(kept.names), len(allc.names), min_contig_length,
             os.fspath(contigs))
    return kept.names, find_markers(kept.seqs, threads=threads, progress=progress, mode=mode)


def _write_atomic(path: str, names, counts) -> None:
    """Write the table next to ``path`` and rename it into place: no partial file on failure."""
    from genomeface_core.markers import write_markers_tsv

    parent = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".genomeface-markers-", dir=parent)
    os.close(fd)
    try:
        write_markers_tsv(tmp, names, counts)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def run(args) -> int:
    from genomeface_core import params
    from genomeface_core.errors import InputError

    params.validate(dict(min_contig_length=args.min_contig_length, threads=args.threads))
    out = os.fspath(args.output)
    if os.path.isdir(out):
        raise InputError(out, "output path is a folder, expected a file name")
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        raise InputError(out, "output folder does not exist")
    names, counts = call_markers(args.contigs, min_contig_length=args.min_contig_length, threads=args.threads,
                                 progress=show_progress(args), mode=args.markers_mode)
    _write_atomic(out, names, counts)
    log.info("%d marker copies on %d contigs written to %s", int(counts.sum()), int(counts.any(axis=1).sum()), out)
    return 0
