#!/usr/bin/env python
"""Marker calls on genomes that use genetic code 4 (TGA = Trp: Mycoplasma, Spiroplasma).

    python benchmarks/markers_code4.py --genomes 6

The shared catalogue holds no code-4 genome, so this makes some: the genes
Prodigal calls in a real genome (single mode, table 11) get every in-frame
TGG (Trp) codon rewritten as TGA, the codon Mycoplasma uses for Trp.  The
protein is unchanged under code 4, but under table 11 each such gene is cut
at its Trp codons.  The recoded genome is cut into contigs as the mocks are
(``mock.fragment``, heavy-tailed, >= 1 kb), and ``find_markers`` counts
markers with each mode.  Prodigal's metagenomic models include code-4 ones,
so the exact path calls the genes whole; the fast path's seed scan
translates with table 11 only, which is what this measures.

Prints, per genome, the distinct markers found by exact and fast on the
original and on the recoded contigs, and writes
``benchmarks/results/markers_code4.md``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from genomeface_core import markers as M  # noqa: E402
from genomeface_core.io.fasta import read_genome  # noqa: E402
from genomeface_core.demo.mock import fragment  # noqa: E402

_COMP = bytes.maketrans(b"ACGTacgt", b"TGCAtgca")


def recode_tgg(record: bytes, finder) -> tuple[bytes, int]:
    """``record`` with every in-frame TGG of the genes ``finder`` (Prodigal, trained on
    the genome) calls rewritten as TGA (TCA on the reverse strand); returns it and the
    number of codons rewritten."""
    seq = bytearray(record)
    n = 0
    for g in finder.find_genes(record):
        a, b = g.begin - 1, g.end  # 0-based half-open, forward strand
        if g.strand == 1:
            for p in range(a + 3, b - 3, 3):  # keep the start and stop codons
                if seq[p:p + 3].upper() == b"TGG":
                    seq[p + 2] = ord("A")
                    n += 1
        else:
            for p in range(b - 6, a + 2, -3):  # codons of the reverse strand, read on the forward
                if seq[p:p + 3].upper() == b"CCA":  # revcomp of TGG
                    seq[p] = ord("T")  # TCA = revcomp of TGA
                    n += 1
    return bytes(seq), n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genomes-dir", type=Path, default=HERE.parents[1] / "shared" / "genomes")
    ap.add_argument("--genomes", type=int, default=6, help="every k-th catalogue genome, this many")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "markers_code4.md")
    args = ap.parse_args(argv)
    rows = [ln.rstrip("\n").split("\t") for ln in open(args.genomes_dir / "catalog.tsv")][1:]
    files = sorted(r[0] for r in rows)
    files = files[:: max(1, len(files) // args.genomes)][: args.genomes]
    lines = ["# Markers on genetic-code-4 genomes (recoded), fast vs exact", "",
             f"`python benchmarks/markers_code4.py --genomes {args.genomes}`: in-frame TGG -> TGA in every "
             "Prodigal gene of each genome (code 4 reads TGA as Trp), then cut like the mocks.  "
             "Distinct markers of the 40 found on the genome's contigs:", "",
             "| genome | TGG recoded | original exact | original fast | code 4 exact | code 4 fast | code 4 copies exact / fast |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    print("\n".join(lines), flush=True)
    tot = np.zeros(4, int)
    for f in files:
        import pyrodigal

        recs = read_genome(args.genomes_dir / f)
        finder = pyrodigal.GeneFinder()
        finder.train(*recs)  # single mode, trained on the whole genome
        recoded, n = zip(*(recode_tgg(r, finder) for r in recs))
        res = []
        for genome in (recs, recoded):
            contigs = fragment(list(genome), np.random.default_rng(0), length_model="heavy", min_len=1000)
            for mode in ("exact", "fast"):
                res.append(M.find_markers(contigs, threads=args.threads, mode=mode).sum(axis=0))
        present = [int((r > 0).sum()) for r in res]
        tot += present
        line = (f"| {f} | {sum(n)} | {present[0]} | {present[1]} | {present[2]} | {present[3]} | "
                f"{int(res[2].sum())} / {int(res[3].sum())} |")
        lines.append(line)
        print(line, flush=True)
    lines.append(f"| all | | {tot[0]} | {tot[1]} | {tot[2]} | {tot[3]} | |")
    print(lines[-1])
    args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
