#!/usr/bin/env python
"""Score a binner's contig -> bin table against a mock's truth (AMBER / VAMB methodology).

    python benchmarks/evaluate.py --truth DIR/truth.tsv --bins OUT/clusters.tsv [--format genomeface]
    python benchmarks/evaluate.py --truth truth.tsv --bins metabat_out/ --format metabat-dir --json

Per bin and genome, bp-weighted recall (bp of the genome in the bin / bp of the genome among
evaluated contigs) and precision (bp of the genome in the bin / bp of the bin).  Prints the
number of near-complete genomes (NC: some bin with recall >= 0.9 and precision >= 0.95), the
grid recall {0.5,0.7,0.9,0.95,0.99} x precision {0.9,0.95,0.99}, the bp-weighted adjusted Rand
index over binned contigs, and the fraction of bp binned.  Contigs missing from the bin table
are unbinned; contigs shorter than --min-length are left out of the truth.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.lab.evaluate import FORMATS, evaluate, format_markdown, read_bins, read_truth  # noqa: E402


def score(truth_path: str, bins_path: str, fmt: str = "auto", min_length: int = 0) -> dict:
    truth, lengths = read_truth(truth_path, min_length)
    assign = read_bins(bins_path, fmt)
    return evaluate(assign, truth, lengths).summary()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--bins", required=True, help="contig->bin table, or a folder of bin FASTAs")
    ap.add_argument("--format", choices=FORMATS, default="auto")
    ap.add_argument("--min-length", type=int, default=1500, help="evaluate contigs >= this (bp)")
    ap.add_argument("--name", default="binner")
    ap.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = ap.parse_args(argv)
    res = score(args.truth, args.bins, args.format, args.min_length)
    print(json.dumps(res, indent=1) if args.json else format_markdown({args.name: res}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
