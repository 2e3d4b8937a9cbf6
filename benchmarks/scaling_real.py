#!/usr/bin/env python
"""A whole ``genomeface bin`` run, markers included, on up to 1M contigs of real sequence.

    python benchmarks/scaling_real.py --contigs 1000000                      # ~2.2 Gbp, ~15 min
    python benchmarks/scaling_real.py --contigs 57000 --samples 5 --metabat2   # ~124 Mbp, + MetaBAT2
    python benchmarks/scaling_real.py --contigs 21000 --samples 5 --median-kb 5.5 --metabat2

``benchmarks/scaling.py`` times the stages on random sequence with a
precomputed marker table; gene calling depends on real genes, so this one
cuts the shared genomes (../shared/genomes) into contigs: the genomes are
taken round-robin, each pass a new strain-level copy (a seeded 0.2%
substitution rate, so copies are not identical and roughly 1 gene in 15
of a copy gets a premature stop), cut into log-normal lengths (median ``--median-kb``, default 2 kb, clipped to
1.5 kb-4x the median: the synthetic model of scaling.py, 1M contigs ~ 2.2 Gbp), until
``--contigs`` contigs.  Each copy gets a log-normal abundance in 3 samples
with per-contig noise (``--samples``, default 3; written as a depth table
and as ``jgi_summarize_bam_contig_depths`` lays it out, so no reads are
simulated).  ``--metabat2`` runs MetaBAT2 on the same files right after, for
a side-by-side time; ``--vs '--composition adaptive'`` runs genomeface a second
time with those options (per-stage times side by side, and the ratio).

The run is the CLI a user types, ``python -m genomeface_core bin -i contigs.fna
-a depth.tsv -o OUT -t THREADS``, under ``/usr/bin/time -v`` (wall clock, CPU
time, peak RSS) and ``timeout``; per-stage times come from OUT/run.json.
Prints a table and writes ``benchmarks/results/scaling_real.md`` (``--out``).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

MUTATION_RATE = 0.002  # substitutions per bp in each copy after the first
SIGMA = 0.35  # default log-sd of contig lengths (the synthetic model of scaling.py)


def genome_files(genome_dir: Path) -> list[Path]:
    rows = [ln.rstrip("\n").split("\t") for ln in open(genome_dir / "catalog.tsv")][1:]
    return [genome_dir / r[0] for r in sorted(rows)]


def make_dataset(n: int, genome_dir: Path, outdir: Path, samples: int = 3, median_bp: float = 2000,
                 seed: int = 0, sigma: float = SIGMA, max_bp: float | None = None) -> dict:
    """Write OUTDIR/contigs.fna, depth.tsv and depth.metabat.txt (the same depths as
    ``jgi_summarize_bam_contig_depths`` lays them out, variance = depth) with ``n``
    contigs of log-normal lengths (median ``median_bp``, log-sd ``sigma``, clipped to 1.5 kb -
    ``max_bp``, default 4x the median); returns a summary."""
    from genomeface_core.io.fasta import read_genome

    rng = np.random.default_rng(seed)
    files = genome_files(genome_dir)
    genomes = [b"".join(read_genome(f)) for f in files]
    subst = np.frombuffer(b"CGTAGTACTACGACGT", np.uint8).reshape(4, 4)  # base -> one of 3 others
    code = np.full(256, 255, np.uint8)
    for i, c in enumerate(b"ACGT"):
        code[c] = i
    names_bp, copies, n_long = 0, 0, 0
    written = 0
    # every genome in every pass gives the same share of its contigs, so a small
    # dataset samples all genomes instead of the first few
    lo, hi = 1500, max_bp or 4 * median_bp  # contig lengths: log-normal around median_bp, clipped
    mean_bp = float(np.clip(np.random.default_rng(1).lognormal(np.log(median_bp), sigma, 100_000), lo, hi).mean())
    per_pass = sum(len(s) for s in genomes) / mean_bp  # ~contigs of one pass
    passes = int(np.ceil(n / per_pass))
    share = min(1.0, n / (per_pass * passes))
    with open(outdir / "contigs.fna", "wb") as fa, open(outdir / "depth.tsv", "w") as dp, \
            open(outdir / "depth.metabat.txt", "w") as jg:
        dp.write("contigname\t" + "\t".join(f"S{j + 1}" for j in range(samples)) + "\n")
        jg.write("contigName\tcontigLen\ttotalAvgDepth\t"
                 + "\t".join(f"S{j + 1}.bam\tS{j + 1}.bam-var" for j in range(samples)) + "\n")
        while written < n:
            for g, seq in enumerate(genomes):
                if written >= n:
                    break
                arr = np.frombuffer(seq, np.uint8).copy()
                if copies >= len(genomes):  # copies after the first pass are new strains
                    pos = np.flatnonzero(rng.random(len(arr)) < MUTATION_RATE)
                    c = code[arr[pos]]
                    ok = c < 4
                    arr[pos[ok]] = subst[c[ok], rng.integers(0, 3, ok.sum())]
                copies += 1
                ab = rng.lognormal(np.log(10), 1.0, samples)
                lens = np.clip(rng.lognormal(np.log(median_bp), sigma, len(arr) // lo + 1), lo, hi).astype(int)
                ends = np.cumsum(lens)
                ends = ends[ends <= len(arr)]
                starts = np.concatenate([[0], ends[:-1]])
                take = min(int(np.ceil(share * len(ends))), n - written)
                recs, rows, jrows = [], [], []
                for k in range(take):
                    piece = arr[starts[k]:ends[k]]
                    if (code[piece] < 4).mean() < 0.5:  # assemblers emit no gap-only contigs
                        continue
                    name = f"g{copies}_c{k}"
                    recs.append(b">%s\n%s\n" % (name.encode(), piece.tobytes()))
                    d = ab * rng.gamma(20, 1 / 20, samples)
                    rows.append(name + "\t" + "\t".join(f"{x:.3f}" for x in d) + "\n")
                    jrows.append(f"{name}\t{len(piece)}\t{d.sum():.3f}\t"
                                 + "\t".join(f"{x:.3f}\t{x:.3f}" for x in d) + "\n")
                    names_bp += int(ends[k] - starts[k])
                    n_long += int(ends[k] - starts[k] >= 10_000)
                fa.write(b"".join(recs))
                dp.write("".join(rows))
                jg.write("".join(jrows))
                written += len(recs)
    return {"contigs": written, "bp": names_bp, "copies": copies, "genomes": len(genomes), "samples": samples,
            "median_bp": median_bp, "sigma": sigma, "max_bp": hi, "contigs_10kb": n_long}


def timed(cmd: list[str], timeout: float) -> tuple[dict, subprocess.CompletedProcess]:
    """Run ``cmd`` under ``/usr/bin/time -v`` and ``timeout``: wall, CPU, peak RSS."""
    full = ["/usr/bin/time", "-v", "timeout", str(int(timeout)), *cmd]
    t0 = time.perf_counter()
    p = subprocess.run(full, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    tv = dict(re.findall(r"^\s*([^:\n]+):\s*(.+)$", p.stderr, re.M))
    row = {"cmd": " ".join(cmd).replace(str(ROOT) + "/", ""), "rc": p.returncode, "wall_s": round(wall, 1),
           "cpu_s": round(float(tv.get("User time (seconds)", 0)) + float(tv.get("System time (seconds)", 0)), 1),
           "peak_gb": round(int(tv.get("Maximum resident set size (kbytes)", 0)) / 1024 ** 2, 2)}
    if p.returncode != 0:
        errs = [ln for ln in p.stderr.splitlines() if "error" in ln.lower()]
        row["error"] = (errs or p.stderr.strip().splitlines() or [""])[-1][:300]
    return row, p


def run_bin(data: Path, out: Path, threads: int, timeout: float, extra: list[str]) -> dict:
    row, _ = timed([sys.executable, "-m", "genomeface_core", "bin", "-i", str(data / "contigs.fna"),
                    "-a", str(data / "depth.tsv"), "-o", str(out), "-t", str(threads), *extra], timeout)
    if row["rc"] == 0:
        run = json.loads((out / "run.json").read_text())
        row["timings"] = {k: round(v, 1) for k, v in run["timings"].items()}
        row["n_bins"] = run["n_bins"]
    return row


def run_metabat2(data: Path, out: Path, threads: int, timeout: float) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    row, _ = timed(["metabat2", "-i", str(data / "contigs.fna"), "-a", str(data / "depth.metabat.txt"),
                    "-o", str(out / "bin"), "-m", "1500", "-t", str(threads), "--seed", "1"], timeout)
    row["n_bins"] = len(list(out.glob("bin.*.fa")))
    return row


def report(summary: dict, row: dict, args, load: tuple, peer: dict | None = None,
           alt: dict | None = None) -> str:
    mbp = summary["bp"] / 1e6
    lines = ["# A whole run on real-sequence contigs, markers included", "",
             f"`python benchmarks/scaling_real.py --contigs {args.contigs} --threads {args.threads} "
             f"--samples {summary['samples']} --median-kb {summary.get('median_bp', 2000) / 1000:g}"
             f"{f' --sigma {args.sigma:g}' if args.sigma != SIGMA else ''}"
             f"{f' --max-kb {args.max_kb:g}' if args.max_kb else ''}"
             f"{' --metabat2' if args.metabat2 else ''}"
             f"{f' --extra {args.extra!r}' if args.extra else ''}{f' --vs {args.vs!r}' if args.vs else ''}`: "
             f"{summary['contigs']:,} contigs ({summary.get('contigs_10kb', 0):,} >= 10 kb), {mbp:,.0f} Mbp, cut from {summary['copies']} copies of the "
             f"{summary['genomes']} shared genomes (copies after the first {MUTATION_RATE:.1%} mutated), "
             f"{summary['samples']} samples (depth table).  {os.cpu_count()}-core machine, load average "
             f"{load[0]:.1f} at the start.", "",
             f"Command: `{row['cmd']}`", ""]
    if row["rc"] != 0:
        lines.append(f"**Failed** (exit {row['rc']}): {row.get('error', '')}")
        return "\n".join(lines) + "\n"
    lines += ["| binner | wall | CPU | peak RSS | bins | Mbp/s (wall) |", "|---|---:|---:|---:|---:|---:|",
              f"| genomeface | {row['wall_s']:.0f} s ({row['wall_s'] / 60:.1f} min) | {row['cpu_s']:.0f} s | "
              f"{row['peak_gb']:.1f} GB | {row['n_bins']} | {mbp / row['wall_s']:.2f} |"]
    if alt is not None:
        if alt["rc"] == 0:
            lines.append(f"| genomeface {args.vs}, right after | {alt['wall_s']:.0f} s ({alt['wall_s'] / 60:.1f} min) | "
                         f"{alt['cpu_s']:.0f} s | {alt['peak_gb']:.1f} GB | {alt['n_bins']} | {mbp / alt['wall_s']:.2f} |")
        else:
            lines.append(f"| genomeface {args.vs} | failed (exit {alt['rc']}): {alt.get('error', '')} | | | | |")
    if peer is not None:
        if peer["rc"] == 0:
            lines.append(f"| MetaBAT2, right after (`{peer['cmd']}`) | {peer['wall_s']:.0f} s | {peer['cpu_s']:.0f} s | "
                         f"{peer['peak_gb']:.1f} GB | {peer['n_bins']} | {mbp / peer['wall_s']:.2f} |")
            lines += ["", f"genomeface / MetaBAT2 wall time: {row['wall_s'] / peer['wall_s']:.2f}."]
        else:
            lines.append(f"| MetaBAT2 | failed (exit {peer['rc']}): {peer.get('error', '')} | | | | |")
    both = alt is not None and alt["rc"] == 0
    if both:
        lines += ["", f"`{args.vs}` / default: wall {alt['wall_s'] / row['wall_s']:.3f}x, "
                      f"CPU {alt['cpu_s'] / row['cpu_s']:.3f}x, peak RSS {alt['peak_gb'] / row['peak_gb']:.2f}x."]
    lines += ["", "Per stage (s, from run.json):", "",
              "| stage | s | share |" + (f" {args.vs} s | share |" if both else ""),
              "|---|---:|---:|" + ("---:|---:|" if both else "")]
    stages = dict(sorted(row["timings"].items(), key=lambda kv: -kv[1]))
    if both:
        stages.update({k: 0.0 for k in alt["timings"] if k not in stages})
    for k, v in stages.items():
        cells = f"| {k} | {v:.1f} | {v / row['wall_s']:.0%} |"
        if both:
            w = alt["timings"].get(k, 0.0)
            cells += f" {w:.1f} | {w / alt['wall_s']:.0%} |"
        lines.append(cells)
    tot = sum(row["timings"].values())
    cells = f"| (stages) | {tot:.1f} | {tot / row['wall_s']:.0%} |"
    if both:
        t2 = sum(alt["timings"].values())
        cells += f" {t2:.1f} | {t2 / alt['wall_s']:.0%} |"
    lines.append(cells)
    m = row["timings"].get("markers")
    if m:
        lines += ["", f"Marker stage: {mbp / m:.2f} Mbp/s on {args.threads} threads."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contigs", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--median-kb", type=float, default=2.0, help="median contig length (kb); clipped to 1.5 kb-4x")
    ap.add_argument("--sigma", type=float, default=SIGMA, help="log-sd of contig lengths")
    ap.add_argument("--max-kb", type=float, help="longest contig (kb; default 4x the median)")
    ap.add_argument("--metabat2", action="store_true", help="also run MetaBAT2 on the same data, right after")
    ap.add_argument("--genomes", type=Path, default=ROOT.parent / "shared" / "genomes")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--keep", type=Path, help="write the dataset and the run here (default: a temp dir)")
    ap.add_argument("--extra", default="", help="more `genomeface bin` options, e.g. '--composition adaptive'")
    ap.add_argument("--vs", default="", help="run genomeface again with these options instead of --extra, "
                                             "right after, e.g. '--composition adaptive'")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "scaling_real.md")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(dir=os.environ.get("TMPDIR")))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not (work / "summary.json").exists():
            t0 = time.perf_counter()
            summary = make_dataset(args.contigs, args.genomes, work, samples=args.samples,
                                   median_bp=1000 * args.median_kb, sigma=args.sigma,
                                   max_bp=1000 * args.max_kb if args.max_kb else None)
            summary["generate_s"] = round(time.perf_counter() - t0, 1)
            (work / "summary.json").write_text(json.dumps(summary))
        summary = json.loads((work / "summary.json").read_text())
        print(json.dumps(summary), flush=True)
        out = work / "bins"
        shutil.rmtree(out, ignore_errors=True)
        load = os.getloadavg()
        row = run_bin(work, out, args.threads, args.timeout, args.extra.split())
        print(json.dumps(row), flush=True)
        alt = None
        if args.vs:
            shutil.rmtree(out, ignore_errors=True)
            alt = run_bin(work, out, args.threads, args.timeout, args.vs.split())
            print(json.dumps(alt), flush=True)
        peer = None
        if args.metabat2:
            shutil.rmtree(work / "metabat2", ignore_errors=True)
            peer = run_metabat2(work, work / "metabat2", args.threads, args.timeout)
            print(json.dumps(peer), flush=True)
        md = report(summary, row, args, load, peer, alt)
        print(md)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(md)
        args.out.with_suffix(".json").write_text(json.dumps({"summary": summary, "run": row, "vs": alt}, indent=1))
        return 0 if row["rc"] == 0 else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
