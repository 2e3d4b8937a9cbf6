"""``genomeface report OUTDIR``: (re)write OUTDIR/report.html from a bin output folder.

Wired into :mod:`genomeface_core.cli.main` by ``add_parser``/``run``.  A bad folder
is an InputError and a write fault (read-only folder, full disk) an
OutputError: one line naming the path, exit 2, the old report left as it was.
"""
from __future__ import annotations

import argparse

from genomeface_core.cli.subcommand import add_subparser, option

#: the line of ``genomeface --help`` and the text of ``genomeface report --help``
HELP = "write OUTDIR/report.html from a 'genomeface bin' output folder"
DESCRIPTION = ("Read bins.tsv, clusters.tsv, run.json and (when present) projection.tsv of a "
               "'genomeface bin' output folder and write a self-contained report.html into it "
               "(inline SVG figures, no network access needed to view it).")

def add_parser(subparsers) -> argparse.ArgumentParser:
    return add_subparser(subparsers, "report", HELP, DESCRIPTION, [
        option("outdir", metavar="OUTDIR", help="output folder of 'genomeface bin'"),
    ])


def run(args) -> int:
    import os
    import sys

    from genomeface_core.output.write import REPORT, write_error
    from genomeface_core.output.report import write_report

    try:
        path = write_report(args.outdir)  # InputError -> one line and exit 2 in cli.main
    except OSError as exc:
        raise write_error(os.path.join(args.outdir, REPORT), exc, "the folder left as it was") from None
    if not getattr(args, "quiet", False):
        print(path, file=sys.stderr)
    return 0
