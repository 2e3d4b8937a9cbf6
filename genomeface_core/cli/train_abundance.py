"""``genomeface train-abundance``: wired into :mod:`genomeface_core.cli.main` by ``add_parser``/``run``."""
from __future__ import annotations

import argparse

from genomeface_core.cli.subcommand import add_subparser, option, progress_option, show_progress

#: the line of ``genomeface --help`` and the text of ``genomeface train-abundance --help``
HELP = "train the co-abundance network on simulated coverage of reference genomes"
DESCRIPTION = ("Train the permutation-equivariant co-abundance network on simulated multi-sample "
               "coverage of contigs cut from reference genomes. Use the result with --abundance-model "
               "MODEL_DIR; fit its mixing constants with benchmarks/abundance_auroc.py or pass --mixing.")


def add_parser(subparsers) -> argparse.ArgumentParser:
    from genomeface_core.train.abundance import (DEFAULT_CONTIGS_PER_GENOME, DEFAULT_GENOMES_PER_BATCH, DEFAULT_STEPS, DEFAULT_TAU,
                            TRAIN_SAMPLE_COUNTS)

    # --seed and -t are not the table's: their help (and -t's use) are training's own
    return add_subparser(subparsers, "train-abundance", HELP, DESCRIPTION, [
        option("--genomes", required=True, metavar="DIR", help="folder of genome FASTA files (plain or .gz)"),
        option("-o", "--output", required=True, metavar="MODEL_DIR",
               help="output folder (model.keras + model.json) or .keras file"),
        option("--steps", type=int, default=DEFAULT_STEPS, help=f"training steps (default {DEFAULT_STEPS})"),
        option("--genomes-per-batch", type=int, default=DEFAULT_GENOMES_PER_BATCH,
               help=f"distinct genomes per step (default {DEFAULT_GENOMES_PER_BATCH})"),
        option("--contigs-per-genome", type=int, default=DEFAULT_CONTIGS_PER_GENOME,
               help=f"contigs per genome per step (default {DEFAULT_CONTIGS_PER_GENOME})"),
        option("--sample-counts", default=",".join(map(str, TRAIN_SAMPLE_COUNTS)), metavar="N,N,...",
               help=f"sample counts drawn per step (default {','.join(map(str, TRAIN_SAMPLE_COUNTS))})"),
        option("--tau", type=float, default=DEFAULT_TAU, help=f"contrastive temperature (default {DEFAULT_TAU})"),
        option("--mixing", metavar="V1,V2", help="mixing constants c2(n) = 1/(v2 + v1/n) to store for the "
               "linear composition (default: none; then bin needs --abundance-weight)"),
        option("--seed", type=int, default=0, help="random seed (default 0)"),
        option("-t", "--threads", type=int, default=1, help="TensorFlow threads (default 1)"),
        progress_option(),
    ])


def run(args) -> int:
    from genomeface_core.errors import InputError
    from genomeface_core.train.abundance import train_abundance
    from genomeface_core.cli.train import parse_mixing, parse_numbers

    counts = parse_numbers(args.sample_counts, "--sample-counts", int, "integers N,N,...")
    v = parse_mixing(args.mixing)
    mixing = None if v is None else {"linear": v}
    if not args.tau > 0:
        raise InputError(None, f"--tau must be > 0, got {args.tau}")
    path = train_abundance(args.genomes, args.output, seed=args.seed, steps=args.steps,
                           genomes_per_batch=args.genomes_per_batch, contigs_per_genome=args.contigs_per_genome,
                           sample_counts=counts, tau=args.tau, mixing=mixing, threads=args.threads,
                           progress=show_progress(args))
    print(path)
    return 0
