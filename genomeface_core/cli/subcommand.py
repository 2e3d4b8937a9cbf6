"""What the ``genomeface`` subcommands share: the subparser, table options, --progress, errors, logging.

A subcommand module (one of :data:`genomeface_core.cli.main.SUBCOMMANDS`) states
only its own texts and options: its ``add_parser`` is :func:`add_subparser` of
the command's name, its ``HELP`` and ``DESCRIPTION`` and its options, where an
option is either an :func:`option` (the arguments of ``argparse``'s
``add_argument``) or the name of a bin() keyword, added from
:mod:`genomeface_core.params` exactly as ``genomeface bin`` has it (same flags,
default, help and checks).  The entry points run a command through
:func:`report_input_errors` after :func:`setup_logging`: bad input is one line
``genomeface: error: FILE: problem`` and exit 2.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable, NamedTuple, Sequence, Union

from genomeface_core import params
from genomeface_core.errors import InputError


class Option(NamedTuple):
    """One argparse argument: ``parser.add_argument(*flags, **kwargs)``."""

    flags: tuple[str, ...]
    kwargs: dict


#: An option of a subcommand: an :class:`Option`, or a bin() keyword whose option the table makes.
OptionSpec = Union[Option, str]


def option(*flags: str, **kwargs) -> Option:
    """An argparse argument of a subcommand, as ``add_argument`` takes it (added by :func:`add_options`).

    >>> option("-o", "--output", required=True)
    Option(flags=('-o', '--output'), kwargs={'required': True})
    """
    return Option(flags, kwargs)


def progress_option(what: str = "progress bar") -> Option:
    """``--progress/--no-progress``, unset by default: :func:`show_progress` then asks the terminal.

    >>> progress_option().kwargs["help"]
    'progress bar (default: when stderr is a terminal)'
    """
    return option("--progress", action=argparse.BooleanOptionalAction, default=None,
                  help=f"{what} (default: when stderr is a terminal)")


def show_progress(args: argparse.Namespace) -> bool:
    """``--progress``/``--no-progress`` as given, else whether stderr is a terminal."""
    return sys.stderr.isatty() if args.progress is None else args.progress


def add_options(parser: argparse.ArgumentParser, options: Sequence[OptionSpec]) -> None:
    """Add ``options`` to ``parser`` in the order given; a bin() keyword through :func:`params.add_arguments`.

    >>> p = argparse.ArgumentParser()
    >>> add_options(p, [option("-o", "--output"), "min_contig_length"])
    >>> p.parse_args(["-o", "x", "-m", "2000"])
    Namespace(output='x', min_contig_length=2000)
    """
    for spec in options:
        if isinstance(spec, str):
            params.add_arguments(parser, [spec])
        else:
            parser.add_argument(*spec.flags, **spec.kwargs)


def add_subparser(subparsers, name: str, help: str, description: str,
                  options: Sequence[OptionSpec]) -> argparse.ArgumentParser:
    """The parser of subcommand ``name`` with ``options``.

    ``help`` is its line in ``genomeface --help``, ``description`` the text of ``genomeface NAME --help``
    (each module keeps them as ``HELP`` and ``DESCRIPTION``).

    >>> sub = argparse.ArgumentParser(prog="genomeface").add_subparsers()
    >>> add_subparser(sub, "x", "do x", "Do x to a FASTA.", [option("fasta")]).format_usage()
    'usage: genomeface x [-h] fasta\\n'
    """
    parser = subparsers.add_parser(name, help=help, description=description)
    add_options(parser, options)
    return parser


def setup_logging(quiet: bool = False) -> None:
    """Log progress to stderr as ``[genomeface HH:MM:SS] message``; ``quiet``: warnings and errors only."""
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="[genomeface %(asctime)s] %(message)s", datefmt="%H:%M:%S")


def report_input_errors(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """``run(args)``'s exit status; an :class:`InputError` is one line ``genomeface: error: ...`` and exit 2.

    >>> def bad(args):
    ...     raise InputError("x.fna", "file not found")
    >>> report_input_errors(bad, argparse.Namespace())  # stderr: genomeface: error: x.fna: file not found
    2
    """
    try:
        return run(args)
    except InputError as exc:
        print(f"genomeface: error: {exc}", file=sys.stderr)
        return 2
