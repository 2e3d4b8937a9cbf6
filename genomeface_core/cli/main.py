"""``genomeface`` command line: a thin shell over :func:`genomeface_core.bin`.

Subcommands here: ``bin`` (the binner), ``embed`` (contig names + embeddings
to .npz) and ``demo-data`` (write the bundled example); every other one
(training, marker tables, ...) lives in its own module listed in
:data:`SUBCOMMANDS`, built with :mod:`genomeface_core.cli.subcommand`.  The
options of ``bin`` and ``embed`` that are method parameters are generated from
:mod:`genomeface_core.params`.  Bad input prints one line
``genomeface: error: FILE: problem`` and exits 2, with nothing written.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from genomeface_core import params
from genomeface_core.cli.subcommand import (add_options, progress_option, report_input_errors, setup_logging,
                                            show_progress)
from genomeface_core.version import __version__

#: Subcommands that live in their own module: name -> module with
#: ``add_parser(subparsers)`` and ``run(args) -> int`` (imported when the parser is built).
SUBCOMMANDS = {
    "train-composition": ".train",
    "train-abundance": ".train_abundance",
    "report": ".report",
    "markers": ".markers",
    "split-fasta": ".split",
    "concatenate": ".concat",
}


#: bin() parameters the ``embed`` subcommand also takes (those of the stages before the kNN graph).
EMBED_PARAMS = ("min_contig_length", "composition", "abundance", "abundance_weight", "threads")


def _add_input_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", "--contigs", required=True, help="assembly FASTA (plain or .gz)")
    cov = p.add_mutually_exclusive_group()
    cov.add_argument("-a", "--abundance", dest="coverage", metavar="TSV",
                     help="coverage: MetaBAT depth file or TSV with a 'contigname' column and one column per sample")
    cov.add_argument("-b", "--bam", dest="bams", nargs="+", metavar="BAM",
                     help="sorted, indexed BAM files, one per sample")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genomeface", description="GenomeFace metagenome binner")
    parser.add_argument("--version", action="version", version=f"genomeface {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("bin", help="bin contigs into genomes (MAGs)")
    _add_input_args(b)
    b.add_argument("-o", "--outdir", required=True, help="output folder (must be empty or absent)")
    b.add_argument("--force", action="store_true",
                   help="replace an earlier genomeface result in OUTDIR (a folder holding run.json and only the "
                        "files bin writes); never a folder that is or holds an input, the cache, /, ~ or the "
                        "working directory (genomeface_core/output/write.py, tests/test_output_safety.py)")
    b.add_argument("--cache", metavar="DIR", help="stage cache folder: BAM depths, embeddings and marker genes "
                   "are stored here keyed by the inputs' content and reused by a rerun (default: none)")
    add_options(b, [progress_option("progress bars")])
    params.add_arguments(b)

    e = sub.add_parser("embed", help="write contig names and both embeddings to .npz")
    _add_input_args(e)
    params.add_arguments(e, EMBED_PARAMS)
    e.add_argument("-o", "--output", required=True, help="output .npz")

    d = sub.add_parser("demo-data", help="write the bundled example (contigs, depths, truth)")
    d.add_argument("outdir")
    d.add_argument("--seed", type=int, default=1)

    for mod in SUBCOMMANDS.values():
        importlib.import_module(mod, __package__).add_parser(sub)
    return parser


def _cap_threads(threads: int) -> None:
    """Cap BLAS/OpenMP/Numba pools at --threads (HPC schedulers count cores).

    Must run before NumPy/Numba are imported to take effect; an explicit
    environment setting wins.  bin() caps every pool itself
    (:mod:`genomeface_core.threads`, also from Python and QIIME 2); this early
    cap also keeps Numba from starting a worker per core it would never use.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))


def _quality_summary(table: list[dict]) -> str:
    """Bins by marker-gene quality (MIMAG-like tiers; completeness and contamination in %).

    >>> _quality_summary([dict(completeness=95.0, contamination=2.5), dict(completeness=60.0, contamination=0.0)])
    '1 with completeness >= 90% and contamination <= 5%, 1 more >= 50% / <= 10%'
    """
    high = sum(r["completeness"] >= 90 and r["contamination"] <= 5 for r in table)
    medium = sum(r["completeness"] >= 50 and r["contamination"] <= 10 for r in table) - high
    return f"{high} with completeness >= 90% and contamination <= 5%, {medium} more >= 50% / <= 10%"


def _param_values(args: argparse.Namespace) -> dict:
    """The table's bin() keywords that ``args`` carries, by name."""
    return {p.name: getattr(args, p.name) for p in params.BIN_PARAMS if hasattr(args, p.name)}


def main(argv: list[str] | None = None) -> int:
    # --threads is read before the full parser is built: building it may import NumPy
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("-t", "--threads", type=int)
    known, _ = pre.parse_known_args(sys.argv[1:] if argv is None else argv)
    if known.threads and known.threads > 0 and "numpy" not in sys.modules:
        _cap_threads(known.threads)
    args = build_parser().parse_args(argv)
    setup_logging(args.quiet)
    try:
        return report_input_errors(_run_command, args)
    except KeyboardInterrupt:
        print("genomeface: interrupted; nothing written", file=sys.stderr)
        return 130


def _run_command(args: argparse.Namespace) -> int:
    """Run the parsed command; its exit status (a bad input raises InputError)."""
    if args.command == "bin":
        from genomeface_core.pipeline import bin as run_bin
        res = run_bin(args.contigs, args.coverage, bams=args.bams, outdir=args.outdir, force=args.force,
                      cache=args.cache, progress=show_progress(args), **_param_values(args))
        if not args.quiet:
            print(f"{len(res.bins)} bins written to {args.outdir}: {_quality_summary(res.table)}",
                  file=sys.stderr)
    elif args.command == "embed":
        import numpy as np

        from genomeface_core.pipeline import embed_contigs
        e = embed_contigs(args.contigs, args.coverage, bams=args.bams, **_param_values(args))
        n = len(e.composition)
        np.savez_compressed(args.output, names=np.array(e.contigs.names), composition=e.composition,
                            abundance=e.abundance if e.abundance is not None else np.zeros((n, 0), np.float32),
                            depths=e.depths if e.depths is not None else np.zeros((n, 0), np.float32),
                            samples=np.array(e.samples, dtype=str), abundance_weight=e.abundance_weight)
    elif args.command in SUBCOMMANDS:
        return importlib.import_module(SUBCOMMANDS[args.command], __package__).run(args)
    elif args.command == "demo-data":
        from genomeface_core.demo import write_demo
        paths = write_demo(args.outdir, seed=args.seed)
        print("\n".join(f"{k}\t{v}" for k, v in paths.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
