"""``genomeface split-fasta``: an assembly into N chunks of about equal length.

The scatter step before ``genomeface markers``: gene calling costs time in
proportion to sequence length, so chunks are balanced by bp (longest contig
first onto the lightest chunk), not by contig count, and each chunk keeps its
contigs in assembly order.  Contigs shorter than ``--min-contig-length`` are
left out (``bin`` and ``markers`` ignore them).  Chunks are written as
``PREFIX.1.fna.gz`` ... ``PREFIX.K.fna.gz`` with K = min(N, number of long
contigs), so that no chunk is empty.
"""
from __future__ import annotations

import argparse
import gzip
import logging
import os
import shutil
import tempfile

import numpy as np

from genomeface_core.cli.subcommand import add_subparser, option

#: the line of ``genomeface --help`` and the text of ``genomeface split-fasta --help``
HELP = "split an assembly into N chunks of about equal bp (for genomeface markers)"
DESCRIPTION = ("Split an assembly into N gzipped FASTA chunks of about equal length in bp, "
               "leaving out contigs shorter than --min-contig-length, to run 'genomeface markers' "
               "on each chunk in parallel.")

log = logging.getLogger("genomeface")


def balanced_chunks(lengths: np.ndarray, n: int) -> list[np.ndarray]:
    """Indices of ``lengths`` (bp) in ``min(n, len(lengths))`` groups of about
    equal total bp (greedy longest-first), each group in ascending index order.

    >>> [c.tolist() for c in balanced_chunks(np.array([5, 1, 4, 3, 3]), 2)]
    [[0, 4], [1, 2, 3]]
    >>> balanced_chunks(np.array([7]), 4)[0].tolist()
    [0]
    """
    import heapq

    lengths = np.asarray(lengths, dtype=np.int64)
    k = min(int(n), len(lengths))
    heap = [(0, c) for c in range(k)]  # (bp so far, chunk)
    owner = np.empty(len(lengths), dtype=np.int64)
    for i in np.argsort(-lengths, kind="stable"):
        bp, c = heapq.heappop(heap)
        owner[i] = c
        heapq.heappush(heap, (bp + int(lengths[i]), c))
    return [np.flatnonzero(owner == c) for c in range(k)]


def add_parser(subparsers) -> argparse.ArgumentParser:
    return add_subparser(subparsers, "split-fasta", HELP, DESCRIPTION, [
        option("-i", "--contigs", required=True, metavar="FASTA", help="assembly (plain or .gz)"),
        option("-n", "--chunks", required=True, type=int, metavar="N", help="number of chunks (>= 1)"),
        option("-o", "--outdir", required=True, help="output folder (must be empty or absent)"),
        option("--prefix", default="chunk", help="file name prefix (default 'chunk')"),
        "min_contig_length",  # bin's -m: the same contigs are left out
    ])


def run(args) -> int:
    from genomeface_core import params
    from genomeface_core.errors import InputError
    from genomeface_core.io.fasta import format_fasta, read_fasta
    from genomeface_core.output.write import check_outdir

    params.validate(dict(min_contig_length=args.min_contig_length))
    if args.chunks < 1:
        raise InputError(None, f"chunks (--chunks) must be >= 1, got {args.chunks}")
    check_outdir(args.outdir, force=False)
    allc = read_fasta(args.contigs)
    kept = allc.subset(np.flatnonzero(allc.lengths >= args.min_contig_length))
    if not kept.names:
        raise InputError(args.contigs, f"no contig of >= {args.min_contig_length} bp")
    chunks = balanced_chunks(kept.lengths, args.chunks)
    outdir = os.path.abspath(args.outdir)
    parent = os.path.dirname(outdir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".genomeface-split-", dir=parent)
    try:
        for c, idx in enumerate(chunks, 1):
            path = os.path.join(tmp, f"{args.prefix}.{c}.fna.gz")
            # mtime=0: the same input gives byte-identical chunks (resumable pipelines cache on content)
            with gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as fh:
                fh.write(format_fasta([kept.names[i] for i in idx], [kept.seqs[i] for i in idx]))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 is for the staging only
        if os.path.isdir(outdir):
            os.rmdir(outdir)  # empty: checked above
        os.replace(tmp, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    bp = [int(kept.lengths[idx].sum()) for idx in chunks]
    log.info("%d contigs (%d bp) >= %d bp in %d chunks of %d-%d bp written to %s", len(kept.names), sum(bp),
             args.min_contig_length, len(chunks), min(bp), max(bp), args.outdir)
    return 0
