#!/usr/bin/env python
"""Time and peak memory of every genomeface stage versus the number of contigs.

    python benchmarks/scaling.py                       # N = 10k, 100k
    python benchmarks/scaling.py --sizes 10000 100000 1000000 --mem-gb 12

Synthetic data (the engine's speed does not depend on biology): G genomes, each a random
order-0 composition (its own GC), cut into contigs of log-normal length (median 2 kb,
1.5-8 kb); 3 samples of log-normal genome abundance with per-contig noise; markers: every
genome carries the 40 markers once, on random contigs, given as a precomputed --markers
table (gene calling is timed separately on real data: ~0.6 Mbp/s on 2 threads).  Each N runs
in its own process calling genomeface_core.bin(..., markers=TSV) with --threads; per-stage
times come from result.timings, per-stage peak RSS from a 50 ms /proc sampler.  Prints a
table and the fitted growth exponent b of time ~ N^b per stage (log-log least squares), and
writes benchmarks/results/scaling.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

STAGES = ("read", "features", "embed", "markers", "knn", "mst", "dendrogram", "select", "rescue")


def make_synthetic(n: int, outdir: str, seed: int = 0, samples: int = 3) -> dict:
    from genomeface_core.markers import MARKER_IDS
    rng = np.random.default_rng(seed)
    g = max(10, n // 200)
    genome = rng.integers(0, g, n)
    gc = rng.uniform(0.3, 0.7, g)
    lengths = np.clip(rng.lognormal(np.log(2000), 0.35, n), 1500, 8000).astype(np.int64)
    letters = np.frombuffer(b"ACGT", np.uint8)
    contigs = os.path.join(outdir, "contigs.fna")
    with open(contigs, "wb") as fh:
        for start in range(0, n, 20000):
            buf = []
            for i in range(start, min(n, start + 20000)):
                p = gc[genome[i]] / 2
                s = letters[rng.choice(4, lengths[i], p=[0.5 - p, p, p, 0.5 - p])].tobytes()
                buf.append(b">c%d\n%s\n" % (i, s))
            fh.write(b"".join(buf))
    ab = rng.lognormal(np.log(10), 1.0, (g, samples))
    depth = ab[genome] * rng.gamma(20, 1 / 20, (n, samples))
    dpath = os.path.join(outdir, "depth.tsv")
    with open(dpath, "w") as fh:
        fh.write("contigname\t" + "\t".join(f"S{j + 1}" for j in range(samples)) + "\n")
        for i in range(n):
            fh.write(f"c{i}\t" + "\t".join(f"{x:.3f}" for x in depth[i]) + "\n")
    mpath = os.path.join(outdir, "markers.tsv")
    with open(mpath, "w") as fh:
        fh.write("contig\tmarker\n")
        for k in range(g):
            members = np.flatnonzero(genome == k)
            if len(members) == 0:
                continue
            for m, c in zip(MARKER_IDS, rng.choice(members, len(MARKER_IDS))):
                fh.write(f"c{c}\t{m}\n")
    return {"contigs": contigs, "depth": dpath, "markers": mpath, "bp": int(lengths.sum()), "genomes": g}


class RssSampler(threading.Thread):
    def __init__(self, cap_gb: float):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self.cap_kb = cap_gb * 1024 ** 2
        self.stop = False

    def run(self):
        while not self.stop:
            with open("/proc/self/status") as fh:
                kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:"))
            self.samples.append((time.perf_counter(), kb))
            if kb > self.cap_kb:
                sys.stderr.write(f"memory cap exceeded ({kb / 1024 ** 2:.1f} GB)\n")
                os._exit(137)
            time.sleep(0.05)


def one(n: int, threads: int, knn: str, cap_gb: float) -> dict:
    import genomeface_core
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        t0 = time.perf_counter()
        syn = make_synthetic(n, tmp)
        gen_s = time.perf_counter() - t0
        sampler = RssSampler(cap_gb)
        sampler.start()
        t0 = time.perf_counter()
        res = genomeface_core.bin(syn["contigs"], coverage=syn["depth"], markers=syn["markers"],
                                  threads=threads, knn=knn)
        total = time.perf_counter() - t0
        sampler.stop = True
        sampler.join()
    # per-stage peak RSS: stages run back to back in the order of res.timings
    peaks, t = {}, t0
    for st, dt in res.timings.items():
        win = [kb for (ts, kb) in sampler.samples if t - 0.05 <= ts <= t + dt + 0.05]
        peaks[st] = round(max(win) / 1024 ** 2, 3) if win else None
        t += dt
    return {"n": n, "bp": syn["bp"], "genomes": syn["genomes"], "threads": threads, "knn": knn,
            "timings": res.timings, "peak_gb": peaks, "total_s": round(total, 2), "generate_s": round(gen_s, 1),
            "overall_peak_gb": round(max(kb for _, kb in sampler.samples) / 1024 ** 2, 3),
            "n_bins": len(res.bins)}


def fit_exponent(ns, ts) -> float | None:
    ok = [(n, t) for n, t in zip(ns, ts) if t and t > 0]
    if len(ok) < 2:
        return None
    x, y = np.log([o[0] for o in ok]), np.log([o[1] for o in ok])
    return float(np.polyfit(x, y, 1)[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--knn", default="auto")
    ap.add_argument("--mem-gb", type=float, default=10.0)
    ap.add_argument("--timeout", type=float, default=1500)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("-o", "--output", type=Path, default=HERE / "results" / "scaling.md")
    args = ap.parse_args(argv)
    if args.one:
        print("RESULT " + json.dumps(one(args.one, args.threads, args.knn, args.mem_gb)), flush=True)
        return 0
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--threads", str(args.threads), "--knn", args.knn,
               "--mem-gb", str(args.mem_gb)]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
            if line:
                rows.append(json.loads(line[0][7:]))
            else:
                rows.append({"n": n, "failed": f"exit {p.returncode}: {p.stderr.strip()[-200:]}"})
        except subprocess.TimeoutExpired:
            rows.append({"n": n, "failed": f"timeout > {args.timeout:.0f} s"})
        print(json.dumps(rows[-1]), flush=True)
    md = report(rows, args)
    print(md)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(md)
    args.output.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    return 0


def report(rows, args) -> str:
    ok = [r for r in rows if "timings" in r]
    stages = [s for s in STAGES if any(s in r["timings"] for r in ok)]
    lines = ["# genomeface stage scaling", "",
             f"Synthetic contigs (median 2 kb), 3 samples, precomputed markers, {args.threads} threads, "
             f"`--knn {args.knn}`, {os.cpu_count()}-core machine.  "
             f"Reproduce: `python benchmarks/scaling.py --sizes {' '.join(map(str, args.sizes))}`", "",
             "Time (s) per stage; last column: fitted exponent b of time ~ N^b.", "",
             "| stage | " + " | ".join(f"N={r['n']:,}" for r in ok) + " | b |",
             "|---|" + "---:|" * (len(ok) + 1)]
    for s in stages + ["total"]:
        ts = [r["total_s"] if s == "total" else r["timings"].get(s) for r in ok]
        b = fit_exponent([r["n"] for r in ok], ts)
        lines.append(f"| {s} | " + " | ".join(f"{t:.3f}" if t is not None else "" for t in ts)
                     + f" | {b:.2f} |" if b is not None else " | |")
    lines += ["", "Peak RSS (GB) during each stage:", "",
              "| stage | " + " | ".join(f"N={r['n']:,}" for r in ok) + " |", "|---|" + "---:|" * len(ok)]
    for s in stages:
        lines.append(f"| {s} | " + " | ".join(str(r["peak_gb"].get(s, "")) for r in ok) + " |")
    lines += ["", "Feature throughput (1712 k-mer features):", ""]
    for r in ok:
        f = r["timings"].get("features")
        if f:
            lines.append(f"* N={r['n']:,}: {r['bp'] / 1e6:.0f} Mbp in {f:.2f} s = {r['bp'] / 1e6 / f:.1f} Mbp/s "
                         f"= {r['bp'] / 1e6 / f / r['threads']:.1f} Mbp/s per core")
    for r in rows:
        if "failed" in r:
            lines.append(f"* N={r['n']:,}: not measured ({r['failed']})")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
