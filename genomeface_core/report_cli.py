"""``genomeface report OUTDIR``: (re)write OUTDIR/report.html from a bin output folder.

Wired into :mod:`genomeface_core.cli` by ``add_parser``/``run``.
"""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report", help="write OUTDIR/report.html from a 'genomeface bin' output folder",
        description="Read bins.tsv, clusters.tsv, run.json and (when present) projection.tsv of a "
                    "'genomeface bin' output folder and write a self-contained report.html into it "
                    "(inline SVG figures, no network access needed to view it).")
    p.add_argument("outdir", metavar="OUTDIR", help="output folder of 'genomeface bin'")
    return p


def run(args) -> int:
    import sys

    from .report import write_report

    path = write_report(args.outdir)  # InputError -> one line and exit 2 in cli.main
    if not getattr(args, "quiet", False):
        print(path, file=sys.stderr)
    return 0
