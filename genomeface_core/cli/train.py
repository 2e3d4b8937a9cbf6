"""``genomeface train-composition``: wired into :mod:`genomeface_core.cli.main` by ``add_parser``/``run``.

Also a standalone entry, ``python -m genomeface_core.cli.train train-composition ...`` (:func:`main`).
"""
from __future__ import annotations

import argparse

from genomeface_core.cli.subcommand import (add_subparser, option, progress_option, report_input_errors,
                                            setup_logging, show_progress)

#: the line of ``genomeface --help`` and the text of ``genomeface train-composition --help``
HELP = "train a composition metric on a folder of genomes"
DESCRIPTION = ("Train a composition embedding on random windows of reference genomes. "
               "Use the result with --composition MODEL_DIR.")


def add_parser(subparsers) -> argparse.ArgumentParser:
    from genomeface_core.embed.windows import LengthDistribution
    from genomeface_core.train.network import DEFAULT_BATCH, DEFAULT_CHECKPOINT_EVERY, DEFAULT_NET_DIMS, DEFAULT_STEPS, DEFAULT_WIDTHS
    from genomeface_core.train.train import DEFAULT_DIMS, DEFAULT_PER_GENOME, DEFAULT_SHRINKAGE

    ld = LengthDistribution()
    # --seed and -t are not the table's: their help (and -t's use) are training's own
    return add_subparser(subparsers, "train-composition", HELP, DESCRIPTION, [
        option("--genomes", required=True, metavar="DIR",
               help="folder of genome FASTA files (plain or .gz), one genome per file"),
        option("--labels", metavar="TSV", help="genome<TAB>class (strains of one species share a class), "
               "or a catalog with file and label columns; default: one class per genome"),
        option("--kind", choices=["linear", "network"], default="linear",
               help="model kind (default: linear = shrinkage LDA; network = CurricularFace-trained "
                    "Keras network, needs the nn extra)"),
        option("-o", "--output", required=True, metavar="MODEL_DIR",
               help="output folder (model.npz, or model.keras + model.json) or .npz / .keras file"),
        option("--seed", type=int, default=0, help="random seed (default 0)"),
        option("--windows-per-genome", type=int, default=DEFAULT_PER_GENOME,
               help=f"(default {DEFAULT_PER_GENOME})"),
        option("--min-window", type=int, default=ld.min_len, help=f"shortest window, bp (default {ld.min_len})"),
        option("--max-window", type=int, default=ld.max_len, help=f"longest window, bp (default {ld.max_len})"),
        option("--median-window", type=float, default=ld.median,
               help=f"median of the log-normal part, bp (default {ld.median:g})"),
        option("--dims", type=int, default=None,
               help=f"embedding dimensions (linear: at most classes-1, default {DEFAULT_DIMS}; "
                    f"network: default {DEFAULT_NET_DIMS})"),
        option("--shrinkage", default=str(DEFAULT_SHRINKAGE),
               help="within-class covariance shrinkage in [0, 1] or 'ledoit-wolf' "
                    f"(default {DEFAULT_SHRINKAGE})"),
        option("--mixing", metavar="V1,V2",
               help="mixing constants stored with the model (default: the shipped linear metric's)"),
        option("--steps", type=int, default=DEFAULT_STEPS, help=f"network: training steps (default {DEFAULT_STEPS})"),
        option("--batch-size", type=int, default=DEFAULT_BATCH,
               help=f"network: windows per step (default {DEFAULT_BATCH})"),
        option("--widths", default=",".join(map(str, DEFAULT_WIDTHS)), metavar="W1,W2",
               help=f"network: hidden layer widths (default {','.join(map(str, DEFAULT_WIDTHS))})"),
        option("--checkpoint-every", type=int, default=DEFAULT_CHECKPOINT_EVERY, metavar="STEPS",
               help="network: save weights, optimizer and RNG state to OUTPUT/checkpoint (NAME.checkpoint for "
                    f"NAME.keras) every STEPS steps; 0 = never (default {DEFAULT_CHECKPOINT_EVERY})"),
        option("--resume", action="store_true",
               help="network: continue from the checkpoint of an earlier run with the same settings "
                    "(--steps may be larger)"),
        progress_option("network: progress bar"),
        option("-t", "--threads", type=int, default=1,
               help="threads for k-mer counting and, for a network, TensorFlow (default 1)"),
    ])


def parse_numbers(text: str, flag: str, kind: type = float, form: str = "N,N,...") -> list:
    """Comma-separated numbers of option ``flag``; one-line InputError otherwise.

    >>> parse_numbers("1,2.5", "--mixing")
    [1.0, 2.5]
    """
    from genomeface_core.errors import InputError

    try:
        return [kind(x) for x in text.split(",")]
    except ValueError:
        raise InputError(None, f"{flag} must be {form}, got {text!r}") from None


def parse_mixing(text: str | None) -> tuple[float, float] | None:
    """``--mixing V1,V2`` of both training commands (None when not given), checked as model files are."""
    from genomeface_core.embed.mixing import check_mixing
    from genomeface_core.errors import InputError

    if not text:
        return None
    v = parse_numbers(text, "--mixing", float, "V1,V2")
    if len(v) != 2:
        raise InputError(None, f"--mixing must be V1,V2, got {text!r}")
    check_mixing(None, *v, what="--mixing")
    return v[0], v[1]


def run(args) -> int:
    from genomeface_core.errors import InputError
    from genomeface_core.embed.windows import LengthDistribution
    from genomeface_core.train.train import DEFAULT_DIMS, train_linear

    network = getattr(args, "kind", "linear") == "network"
    if args.dims is None:
        from genomeface_core.train.network import DEFAULT_NET_DIMS
        args.dims = DEFAULT_NET_DIMS if network else DEFAULT_DIMS
    if args.shrinkage != "ledoit-wolf":
        try:
            shr: float | str = float(args.shrinkage)
        except ValueError:
            raise InputError(None, f"--shrinkage must be a number in [0, 1] or 'ledoit-wolf', got {args.shrinkage!r}") from None
        if not 0.0 <= shr <= 1.0:
            raise InputError(None, f"--shrinkage must be in [0, 1], got {shr}")
    else:
        shr = "ledoit-wolf"
    v1, v2 = parse_mixing(args.mixing) or (None, None)
    if args.windows_per_genome < 2 or args.dims < 1:
        raise InputError(None, "--windows-per-genome must be >= 2 and --dims >= 1")
    try:
        lengths = LengthDistribution(min_len=args.min_window, max_len=args.max_window,
                                     median=args.median_window, sigma=LengthDistribution.sigma)
    except ValueError as e:
        raise InputError(None, str(e)) from None
    if network:
        from genomeface_core.train.network import train_network

        widths = tuple(parse_numbers(args.widths, "--widths", int, "W1,W2"))
        if len(widths) != 2 or min(widths) < 1:
            raise InputError(None, f"--widths must be two positive integers W1,W2, got {args.widths!r}")
        if args.steps < 1 or args.batch_size < 2 or args.checkpoint_every < 0:
            raise InputError(None, "--steps must be >= 1, --batch-size >= 2 and --checkpoint-every >= 0")
        path = train_network(args.genomes, args.output, labels=args.labels, seed=args.seed, steps=args.steps,
                             batch=args.batch_size, widths=widths, dims=args.dims, lengths=lengths,
                             v1=v1, v2=v2, threads=args.threads, checkpoint_every=args.checkpoint_every,
                             resume=args.resume, progress=show_progress(args))
        print(path)
        return 0
    path = train_linear(args.genomes, args.output, labels=args.labels, seed=args.seed,
                        per_genome=args.windows_per_genome, lengths=lengths, dims=args.dims, shrinkage=shr,
                        v1=v1, v2=v2, threads=args.threads)
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry ``python -m genomeface_core.cli.train train-composition ...`` (MODEL_CARD.md's commands).

    ``genomeface train-composition`` with the same options and messages, but without ``-q``, without
    capping the BLAS/OpenMP pools at ``-t`` before NumPy loads, and a Ctrl-C is a KeyboardInterrupt
    (tests/test_network.py interrupts a run this way).
    """
    parser = argparse.ArgumentParser(prog="genomeface")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    setup_logging()
    return report_input_errors(run, args)


if __name__ == "__main__":
    raise SystemExit(main())
