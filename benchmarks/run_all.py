#!/usr/bin/env python
"""One command: simulate every dataset, run genomeface and the peers, evaluate, write results.

    python benchmarks/run_all.py                                  # all datasets, all binners
    python benchmarks/run_all.py --datasets diverse --binners genomeface metabat2

Every binner gets the same contigs, the same coverage and the same minimum contig length
(1500 bp); every run is wrapped in `/usr/bin/time -v` (wall time; peak RSS of the whole
process tree is sampled from /proc every 0.2 s), capped in memory (the tree is killed past
--mem-gb) and in time (--timeout).  A failure (OOM, timeout, crash, missing install) is a
result row, never a crash of the harness.  Peers come from benchmarks/peers/install.sh.

Writes benchmarks/results/<dataset>.md, benchmarks/results/<dataset>.json and
benchmarks/results/nc_vs_time.png (matplotlib, if importable by this Python or by the VAMB env).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from benchmarks.lab.evaluate import evaluate, format_markdown, read_bins, read_truth  # noqa: E402

WORK = HERE / "work"
RESULTS = HERE / "results"
PY = sys.executable
GENOMEFACE = ROOT / ".venv" / "bin" / "genomeface"
VAMB = WORK / "vamb-env" / "bin" / "vamb"
VAMB_EPOCHS: int | None = None  # None: VAMB's default (300); set by --vamb-epochs
SEMIBIN = WORK / "semibin-env" / "bin" / "SemiBin2"
MODES = {"diverse": "fast", "strains": "fast", "single": "reads", "pair": "fast"}
# genomeface rows: the defaults, and one option changed (-exact: the exact marker path; the rest: the
# composition, for --composition auto's choice, benchmarks/results/composition_auto.md)
GENOMEFACE_VARIANTS = {"genomeface": [], "genomeface-exact": ["--markers-mode", "exact"],
                       **{f"genomeface-{c}": ["--composition", c] for c in ("linear", "adaptive", "auto")}}
MIN_LEN = 1500


def _tree_rss_kb(pid: int) -> int:
    """Sum of VmRSS over a process and all its descendants."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status") as fh:
                for ln in fh:
                    if ln.startswith("VmRSS:"):
                        total += int(ln.split()[1])
                        break
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    todo += [int(x) for x in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_measured(cmd: list[str], log: Path, timeout: float, mem_gb: float, env=None) -> dict:
    """Run cmd under /usr/bin/time -v with a memory cap and a timeout; never raises."""
    tv = log.with_suffix(".time")
    full = ["/usr/bin/time", "-v", "-o", str(tv), *cmd] if os.path.exists("/usr/bin/time") else cmd
    t0 = time.perf_counter()
    peak, status = 0, "ok"
    try:
        with open(log, "w") as fh:
            proc = subprocess.Popen(full, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    except OSError as exc:
        return {"status": f"crash ({exc})", "wall_s": 0.0, "peak_gb": 0.0}
    cap_kb = mem_gb * 1024 ** 2
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        el = time.perf_counter() - t0
        if peak > cap_kb or el > timeout:
            status = "OOM (> %.0f GB)" % mem_gb if peak > cap_kb else "timeout (> %.0f s)" % timeout
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    rc = proc.returncode
    maxrss_kb = 0
    if tv.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv.read_text())
        maxrss_kb = int(m.group(1)) if m else 0
        m = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", tv.read_text())
    if status == "ok" and rc != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        status = f"crash (exit {rc}: {tail[0][:120] if tail else ''})"
    return {"status": status, "wall_s": round(wall, 1), "peak_gb": round(max(peak, maxrss_kb) / 1024 ** 2, 2)}


def simulate(ds: str, mode: str, threads: int, force: bool) -> Path:
    d = WORK / "data" / f"{ds}-{mode}"
    if force or not (d / "meta.json").exists():
        if d.exists():
            shutil.rmtree(d)
        subprocess.run([PY, str(HERE / "simulate.py"), "--dataset", ds, "--mode", mode, "-o", str(d),
                        "--threads", str(threads)], check=True)
    return d


def write_aemb(data: Path, out: Path) -> list[str]:
    """Per-sample strobealign --aemb style files for SemiBin2 (split halves <c>_1/<c>_2 share the depth)."""
    out.mkdir(parents=True, exist_ok=True)
    rows = [ln.rstrip("\n").split("\t") for ln in open(data / "depth.tsv")]
    samples = rows[0][1:]
    paths = []
    for j, s in enumerate(samples):
        p = out / f"{s}.aemb.tsv"
        with open(p, "w") as fh:
            for r in rows[1:]:
                fh.write(f"{r[0]}_1\t{r[j + 1]}\n{r[0]}_2\t{r[j + 1]}\n")
        paths.append(str(p))
    return paths


def binner_commands(name: str, data: Path, out: Path, threads: int, n_samples: int):
    """(command, bins path, bins format) or a reason string when the binner is unavailable."""
    contigs, depth, jgi = data / "contigs.fna.gz", data / "depth.tsv", data / "depth.metabat.txt"
    if name in GENOMEFACE_VARIANTS:
        return ([str(GENOMEFACE), "-q", "bin", "-i", str(contigs), "-a", str(depth), "-o", str(out),
                 "--threads", str(threads), "-m", str(MIN_LEN), "--force", *GENOMEFACE_VARIANTS[name]],
                out / "clusters.tsv", "genomeface")
    if name == "metabat2":
        if not shutil.which("metabat2"):
            return "not installed"
        (out / "bins").mkdir(parents=True, exist_ok=True)
        return (["metabat2", "-i", str(contigs), "-a", str(jgi), "-o", str(out / "bins" / "bin"), "-m", str(MIN_LEN),
                 "-t", str(threads), "--seed", "1"], out / "bins", "metabat-dir")
    if name == "vamb":
        if not VAMB.exists():
            return "not installed"
        return ([str(VAMB), "bin", "default", "--outdir", str(out), "--fasta", str(contigs), "--abundance_tsv",
                 str(depth), "-m", str(MIN_LEN), "-p", str(threads), "--seed", "1"]
                # VAMB's batch-size doubling steps (default 25 75 150 225) must lie below the epoch count
                + (["-e", str(VAMB_EPOCHS), "-q", *[str(s) for s in (25, 75, 150, 225) if s < VAMB_EPOCHS]]
                   if VAMB_EPOCHS else []),
                out / "vae_clusters_unsplit.tsv", "vamb")
    if name == "semibin2":
        if not SEMIBIN.exists():
            return "not installed"
        bams = sorted((data / "bams").glob("*.bam")) if (data / "bams").exists() else []
        cmd = [str(SEMIBIN), "single_easy_bin", "-i", str(contigs), "-o", str(out), "-t", str(threads),
               "--min-len", str(MIN_LEN), "--compression", "none"]
        if bams:
            cmd += ["-b", *map(str, bams)]
        elif n_samples >= 5:
            cmd += ["-a", *write_aemb(data, out.parent / (out.name + "-aemb"))]
        else:
            return "needs BAMs or >= 5 samples"
        if n_samples == 1:
            cmd += ["--environment", "global"]   # pretrained model for single-sample binning
        return cmd, out / "contig_bins.tsv", "semibin"
    return "unknown binner"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=list(MODES))
    ap.add_argument("--binners", nargs="+", default=["genomeface", "metabat2", "vamb", "semibin2"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mem-gb", type=float, default=12.0)
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per binner run")
    ap.add_argument("--resimulate", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep earlier results of binners not run now")
    ap.add_argument("--vamb-epochs", type=int, default=None,
                    help="VAMB training epochs (its hidden -e option; default: VAMB's 300)")
    args = ap.parse_args(argv)
    global VAMB_EPOCHS
    VAMB_EPOCHS = args.vamb_epochs
    RESULTS.mkdir(parents=True, exist_ok=True)
    for ds in args.datasets:
        mode = MODES.get(ds, "fast")
        data = simulate(ds, mode, args.threads, args.resimulate)
        meta = json.loads((data / "meta.json").read_text())
        truth, lengths = read_truth(str(data / "truth.tsv"), MIN_LEN)
        res_json = RESULTS / f"{ds}.json"
        results = json.loads(res_json.read_text())["binners"] if (args.keep and res_json.exists()) else {}
        for b in args.binners:
            out = WORK / "runs" / ds / b
            if out.exists():
                shutil.rmtree(out)
            out.parent.mkdir(parents=True, exist_ok=True)
            spec = binner_commands(b, data, out, args.threads, meta["n_samples"])
            if isinstance(spec, str):
                results[b] = {"status": spec}
                print(f"[{ds}] {b}: {spec}", flush=True)
                continue
            cmd, bins_path, fmt = spec
            if fmt == "metabat-dir":
                out.mkdir(parents=True, exist_ok=True)
            r = run_measured(cmd, out.parent / f"{b}.log", args.timeout, args.mem_gb)
            r["command"] = " ".join(cmd).replace(str(ROOT) + "/", "")
            if r["status"] == "ok":
                try:
                    r.update(evaluate(read_bins(str(bins_path), fmt), truth, lengths).summary())
                except (OSError, ValueError, IndexError) as exc:
                    r["status"] = f"no usable output ({exc.__class__.__name__}: {exc})"
            results[b] = r
            print(f"[{ds}] {b}: {r['status']} NC={r.get('nc')} ARI={r.get('ari')} "
                  f"{r['wall_s']}s {r['peak_gb']}GB", flush=True)
            res_json.write_text(json.dumps({"dataset": ds, "meta": meta, "binners": results}, indent=1, default=str))
        write_md(ds, mode, meta, results)
    plot()
    return 0


def write_md(ds: str, mode: str, meta: dict, results: dict) -> None:
    for r in results.values():
        r["time"] = f"{r['wall_s']:.0f} s" if "wall_s" in r else ""
        r["peak memory"] = f"{r['peak_gb']:.2f} GB" if "peak_gb" in r else ""
        if r.get("status", "ok") != "ok":
            r["time"] += f" ({r['status']})"
    head = (f"# {ds}\n\n{meta['n_genomes']} genomes, {meta['n_samples']} sample(s), {meta['n_contigs_eval']} contigs "
            f">= {MIN_LEN} bp ({meta['assembly_bp'] / 1e6:.1f} Mbp assembly), coverage mode `{mode}`"
            + (" (simulated reads -> minimap2 -> BAM)" if mode == "reads" else " (read-count model)")
            + f".  Machine: {os.cpu_count()} cores; every binner ran with 2 threads.\n\n"
            f"Reproduce: `python benchmarks/run_all.py --datasets {ds}`\n\n")
    cmds = "\n".join(f"* {b}: `{r['command']}`" for b, r in results.items() if "command" in r)
    (RESULTS / f"{ds}.md").write_text(head + format_markdown(results, ("time", "peak memory")) +
                                      "\n\nCommands:\n\n" + cmds + "\n")
    print((RESULTS / f"{ds}.md").read_text())


def plot() -> None:
    pts = []
    for f in sorted(RESULTS.glob("*.json")):
        d = json.loads(f.read_text())
        if not isinstance(d, dict) or "binners" not in d:  # e.g. scaling.json
            continue
        for b, r in d["binners"].items():
            if "nc" in r:
                pts.append((d.get("dataset", f.stem), b, r["wall_s"], r["nc"]))
    if not pts:
        return
    script = f"""
import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
pts = {pts!r}
fig, ax = plt.subplots(figsize=(6, 4))
mk = {{"genomeface": "o", "metabat2": "s", "vamb": "^", "semibin2": "D"}}
cols = {{}}
for ds, b, t, nc in pts:
    c = cols.setdefault(ds, "C%d" % len(cols))
    ax.scatter(t, nc, marker=mk.get(b, "x"), color=c, s=50)
    ax.annotate(b, (t, nc), fontsize=7, xytext=(3, 3), textcoords="offset points")
for ds, c in cols.items():
    ax.scatter([], [], color=c, label=ds)
ax.set_xscale("log"); ax.set_xlabel("wall time (s, 2 threads)"); ax.set_ylabel("near-complete genomes (R>=0.9, P>=0.95)")
ax.legend(title="dataset", fontsize=8); ax.grid(alpha=0.3); fig.tight_layout()
fig.savefig({str(RESULTS / 'nc_vs_time.png')!r}, dpi=120)
"""
    for py in (PY, str(WORK / "plot-env" / "bin" / "python"), str(WORK / "vamb-env" / "bin" / "python"), str(WORK / "semibin-env" / "bin" / "python")):
        if os.path.exists(py) and subprocess.run([py, "-c", script], capture_output=True).returncode == 0:
            print("wrote", RESULTS / "nc_vs_time.png")
            return
    print("matplotlib not available: no PNG (pip install matplotlib into a benchmark venv)")


if __name__ == "__main__":
    sys.exit(main())
