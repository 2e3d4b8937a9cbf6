"""Marker-stage speed and agreement: ``find_markers`` mode "fast" against "exact".

Genomes from ../shared/genomes (catalog.tsv, sorted by file name; every
``--every``-th from ``--offset``) are cut into contigs as the benchmark mocks
cut them (``mock.fragment``, heavy-tailed lengths, >= 1000 bp, seed 0).

Measured:

* profile of the exact path on a timing subset (``--profile-mbp`` of
  contigs, one thread): gene calling, translation and hmmsearch, gene calling
  per contig-length band; the fast path's stages on the same subset;
* Mbp/s of each mode on 1 thread (timing subset) and 2 threads (all
  contigs), wall clock and per CPU second (the machine is shared: the load
  average is printed with each run);
* agreement of the per-contig counts with exact: over all (contig, marker)
  pairs, over the pairs where either mode finds a copy, per contig-length
  band; per genome, distinct markers and extra copies of each mode, and
  "near-complete" by markers (>= 36 of 40 present, <= 2 extra copies) with
  every contig of the genome in one bin.

Prints the tables and writes them to ``--out`` (benchmarks/results/markers.md).

    nice -n 10 .venv/bin/python benchmarks/markers_speed.py --every 4 --offset 1
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from genomeface_core import markers as M  # noqa: E402
from genomeface_core.markers import calls as MC  # noqa: E402
from genomeface_core.markers import hmms as MH  # noqa: E402
from genomeface_core.io.fasta import read_genome  # noqa: E402
from genomeface_core.demo.mock import fragment  # noqa: E402

BANDS = [(1000, 2500), (2500, 5000), (5000, 10_000), (10_000, 50_000), (50_000, 10**12)]


def band_name(lo: int, hi: int) -> str:
    f = lambda x: f"{x / 1000:g} kb"  # noqa: E731
    return f"{f(lo)}-{f(hi)}" if hi < 10**12 else f">= {f(lo)}"


def load(genome_dir: Path, every: int, offset: int):
    rows = [ln.rstrip("\n").split("\t") for ln in open(genome_dir / "catalog.tsv")][1:]
    files = sorted(r[0] for r in rows)[offset::every]
    rng = np.random.default_rng(0)
    seqs, gid = [], []
    for k, f in enumerate(files):
        pieces = fragment(read_genome(genome_dir / f), rng, length_model="heavy", min_len=1000)
        seqs += pieces
        gid += [k] * len(pieces)
    return files, seqs, np.array(gid)


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def profile_exact(seqs) -> dict:
    """One thread: seconds in gene calling (per band), translation, hmmsearch."""
    import pyhmmer

    gf = MC.gene_finder()
    lens = np.array([len(s) for s in seqs])
    t_gene = np.zeros(len(seqs))
    t_tr = 0.0
    prots = []
    for i, s in enumerate(seqs):
        c = time.process_time()
        genes = gf.find_genes(s)
        c2 = time.process_time()
        prots += [(i, g.translate(include_stop=False)) for g in genes]
        t_gene[i] = c2 - c
        t_tr += time.process_time() - c2
    hmms = MH.load_hmms()
    ab = hmms[0].alphabet
    c = time.process_time()
    block = pyhmmer.easel.DigitalSequenceBlock(ab, [MC.digitize(f"{i}_{k}", p, ab)
                                                    for k, (i, p) in enumerate(prots)])
    t_dig = time.process_time() - c
    c = time.process_time()
    list(pyhmmer.hmmsearch(hmms, block, bit_cutoffs="trusted", cpus=1))
    t_hmm = time.process_time() - c
    bands = []
    for lo, hi in BANDS:
        m = (lens >= lo) & (lens < hi)
        bands.append((band_name(lo, hi), int(m.sum()), lens[m].sum() / 1e6, t_gene[m].sum()))
    return dict(gene=t_gene.sum(), translate=t_tr, digitize=t_dig, hmmsearch=t_hmm, bands=bands,
                n_prot=len(prots), aa=sum(len(p) for _, p in prots))


def profile_fast(seqs) -> dict:
    """One thread: seconds in the seed scan, windowed gene calling + HMM sets, hmmsearch."""
    from genomeface_core.markers import fast as markers_fast
    from genomeface_core.markers import seeds as markers_seeds

    table = markers_seeds.seed_table()
    c = time.process_time()
    rows = markers_seeds.scan_seeds(seqs, table, min_bits=markers_fast.HMM_BITS)
    t_scan = time.process_time() - c
    c = time.process_time()
    markers_fast.candidate_proteins(seqs, MC.gene_finder(), threads=1)
    t_cand = time.process_time() - c - t_scan  # candidate_proteins scans again
    c = time.process_time()
    M.find_markers(seqs, threads=1, mode="fast")
    t_all = time.process_time() - c
    strong = rows[rows[:, 5] >= markers_fast.WINDOW_BITS]
    lens = np.array([len(s) for s in seqs])
    win = markers_fast._windows(strong, lens, markers_fast.MARGIN_BP)
    return dict(scan=t_scan, windows=max(t_cand, 0.0), hmmsearch=max(t_all - t_scan - t_cand, 0.0),
                total=t_all, window_bp=sum(b - a for _, a, b in win), n_windows=len(win))


def agreement(ref: np.ndarray, got: np.ndarray, mask=None) -> tuple[float, float, int]:
    if mask is not None:
        ref, got = ref[mask], got[mask]
    eq = ref == got
    nz = (ref > 0) | (got > 0)
    return float(eq.mean()) if eq.size else 1.0, float(eq[nz].mean()) if nz.any() else 1.0, int(nz.sum())


def genome_stats(counts: np.ndarray, gid: np.ndarray, n: int) -> np.ndarray:
    """(n, 2): distinct markers present, extra copies, per genome (all its contigs)."""
    out = np.zeros((n, 2), int)
    for g in range(n):
        tot = counts[gid == g].sum(axis=0).astype(int)
        out[g] = (tot > 0).sum(), (tot[tot > 0] - 1).sum()
    return out


def binning_tables(datasets: list[str], threads: int, out) -> None:
    """Bin each benchmark dataset with genomeface (fast, then exact markers) and
    MetaBAT2 back to back, through run_all.py's harness (same inputs, time -v,
    memory cap), and print NC and wall time side by side."""
    from benchmarks import run_all as R

    out("## Whole runs: genomeface with each marker mode, and MetaBAT2")
    out()
    out(f"`benchmarks/run_all.py`'s harness, {threads} threads each, run back to back per dataset "
        "(MetaBAT2 reads the depth file made beforehand, as in every results table).  NC: recall >= 0.9, "
        "precision >= 0.95 against the simulation's truth.")
    out()
    out("| dataset | Mbp | genomeface fast: NC / wall | genomeface exact: NC / wall | MetaBAT2: NC / wall "
        "| fast / MetaBAT2 wall | load avg |")
    out("|---|---:|---:|---:|---:|---:|---:|")
    for ds in datasets:
        data = R.simulate(ds, R.MODES.get(ds, "fast"), threads, False)
        meta = json.loads((data / "meta.json").read_text())
        truth, lengths = R.read_truth(str(data / "truth.tsv"), R.MIN_LEN)
        la = os.getloadavg()[0]
        cells = {}
        for b in ("genomeface", "genomeface-exact", "metabat2"):
            run_dir = R.WORK / "runs" / f"{ds}-markers" / b
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir.mkdir(parents=True)
            spec = R.binner_commands(b, data, run_dir, threads, meta["n_samples"])
            if isinstance(spec, str):
                cells[b] = (None, spec)
                continue
            cmd, bins_path, fmt = spec
            r = R.run_measured(cmd, run_dir.parent / f"{b}.log", 1800, 12.0)
            nc = R.evaluate(R.read_bins(str(bins_path), fmt), truth, lengths).summary()["nc"] \
                if r["status"] == "ok" else r["status"]
            cells[b] = (nc, r["wall_s"])
        f, e, m = cells["genomeface"], cells["genomeface-exact"], cells["metabat2"]
        ratio = f"{f[1] / m[1]:.2f}" if isinstance(m[1], float) and isinstance(f[1], float) else ""
        out(f"| {ds} | {meta['assembly_bp'] / 1e6:.0f} | {f[0]} / {f[1]} s | {e[0]} / {e[1]} s | "
            f"{m[0]} / {m[1]} s | {ratio} | {la:.1f} |")
    out()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genomes", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "genomes")
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--offset", type=int, default=1)
    ap.add_argument("--profile-mbp", type=float, default=8.0, help="timing/profile subset size")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/genomeface_markers_bench"))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "markers.md")
    ap.add_argument("--datasets", nargs="*", default=["diverse", "strains"],
                    help="benchmark datasets (run_all.py) binned with each marker mode and by MetaBAT2")
    args = ap.parse_args(argv)

    files, seqs, gid = load(args.genomes, args.every, args.offset)
    lens = np.array([len(s) for s in seqs])
    total_mbp = lens.sum() / 1e6
    # timing subset: contigs in a fixed shuffled order up to --profile-mbp
    order = np.random.default_rng(1).permutation(len(seqs))
    take = order[np.cumsum(lens[order]) <= args.profile_mbp * 1e6]
    sub = [seqs[i] for i in take]
    sub_mbp = sum(map(len, sub)) / 1e6
    lines: list[str] = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    M.find_markers(seqs[:20], mode="fast")  # compile / load outside the timings
    out("# Marker stage: fast vs exact")
    out()
    out(f"Command: `.venv/bin/python benchmarks/markers_speed.py --every {args.every} "
        f"--offset {args.offset} --profile-mbp {args.profile_mbp:g} --threads {args.threads}"
        + (f" --datasets {' '.join(args.datasets)}" if args.datasets else " --datasets") + "`  ")
    out(f"Genomes: {len(files)} of the shared catalog (sorted by file, every {args.every}th from "
        f"{args.offset}), cut by `mock.fragment` (heavy-tailed, >= 1 kb, seed 0): "
        f"{len(seqs)} contigs, {total_mbp:.1f} Mbp.  Timing subset: {len(sub)} contigs, {sub_mbp:.1f} Mbp.  ")
    out(f"Machine: {os.cpu_count()} cores shared with other jobs; load average at start "
        f"{os.getloadavg()[0]:.1f}.  Wall-clock rates are depressed by the load; CPU-second rates "
        "(process CPU time, all threads) are the fairer comparison.")
    out()

    # ------------------------------------------------------------ profile
    pe = profile_exact(sub)
    tot = pe["gene"] + pe["translate"] + pe["digitize"] + pe["hmmsearch"]
    out("## Profile of the exact path (1 thread, timing subset, CPU s)")
    out()
    out("| stage | CPU s | share |")
    out("|---|---:|---:|")
    for k in ("gene", "translate", "digitize", "hmmsearch"):
        out(f"| {dict(gene='gene calling (pyrodigal meta)', translate='translation', digitize='digitize', hmmsearch='hmmsearch (41 HMMs)')[k]} | {pe[k]:.1f} | {pe[k] / tot:.0%} |")
    out(f"| total | {tot:.1f} | {sub_mbp / tot:.2f} Mbp/s |")
    out()
    out(f"{pe['n_prot']} proteins, {pe['aa'] / 1e6:.1f} M residues.")
    out()
    out("| contig length | contigs | Mbp | gene calling CPU s | Mbp/s |")
    out("|---|---:|---:|---:|---:|")
    for name, n, mbp, t in pe["bands"]:
        out(f"| {name} | {n} | {mbp:.1f} | {t:.1f} | {mbp / t if t else 0:.2f} |")
    out()
    pf = profile_fast(sub)
    out("## Profile of the fast path (1 thread, same subset, CPU s)")
    out()
    out("| stage | CPU s |")
    out("|---|---:|")
    out(f"| six-frame seed scan | {pf['scan']:.1f} |")
    out(f"| gene calling on windows ({pf['n_windows']} windows, {pf['window_bp'] / 1e6 / sub_mbp:.1%} of the bp) | {pf['windows']:.1f} |")
    out(f"| hmmsearch (HMM sets, Forward gate) + rest | {pf['hmmsearch']:.1f} |")
    out(f"| total | {pf['total']:.1f} ({sub_mbp / pf['total']:.1f} Mbp/s) |")
    out()

    # ------------------------------------------------------------ speed
    out("## Speed")
    out()
    out("| mode | threads | contigs | Mbp | wall s | Mbp/s (wall) | CPU s | Mbp/s per CPU s | load avg |")
    out("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    speed = {}
    for mode in ("exact", "fast"):
        la = os.getloadavg()[0]
        res, w, c = timed(lambda: M.find_markers(sub, threads=1, mode=mode))
        speed[(mode, 1)] = (w, c)
        out(f"| {mode} | 1 | {len(sub)} | {sub_mbp:.1f} | {w:.1f} | {sub_mbp / w:.2f} | {c:.1f} | {sub_mbp / c:.2f} | {la:.1f} |")
    args.cache.mkdir(parents=True, exist_ok=True)
    # the exact counts (and that run's timing) are cached: reruns only redo the fast side
    key = args.cache / f"exact_{args.every}_{args.offset}_{args.threads}_{len(seqs)}_{lens.sum()}.npz"
    counts = {}
    for mode in ("exact", "fast"):
        la = os.getloadavg()[0]
        note = ""
        if mode == "exact" and key.exists():
            z = np.load(key)
            res, w, c, la = z["counts"], float(z["wall"]), float(z["cpu"]), float(z["load"])
            note = " (earlier run)"
        else:
            res, w, c = timed(lambda: M.find_markers(seqs, threads=args.threads, mode=mode))
            if mode == "exact":
                np.savez(key, counts=res, wall=w, cpu=c, load=la)
        counts[mode] = res
        speed[(mode, 2)] = (w, c)
        out(f"| {mode}{note} | {args.threads} | {len(seqs)} | {total_mbp:.1f} | {w:.1f} | {total_mbp / w:.2f} | {c:.1f} | {total_mbp / c:.2f} | {la:.1f} |")
    out()
    e1, f1 = speed[("exact", 1)][1], speed[("fast", 1)][1]
    out(f"Fast / exact on 1 thread: {e1 / f1:.1f}x less CPU, {speed[('exact', 1)][0] / speed[('fast', 1)][0]:.1f}x less wall time; "
        f"on {args.threads} threads: {speed[('exact', 2)][1] / speed[('fast', 2)][1]:.1f}x less CPU, "
        f"{speed[('exact', 2)][0] / speed[('fast', 2)][0]:.1f}x less wall time.")
    out()
    # ------------------------------------------------------------ agreement
    ref, got = counts["exact"].astype(int), counts["fast"].astype(int)
    out("## Agreement with exact (per (contig, marker) pair, all contigs)")
    out()
    out("| contig length | contigs | pairs agree | pairs with a copy in either | of those agree | copies exact | copies fast |")
    out("|---|---:|---:|---:|---:|---:|---:|")
    for lo, hi in [(0, 10**12)] + BANDS:
        m = (lens >= lo) & (lens < hi)
        a_all, a_nz, n_nz = agreement(ref, got, m)
        name = "all" if lo == 0 else band_name(lo, hi)
        out(f"| {name} | {int(m.sum())} | {a_all:.5f} | {n_nz} | {a_nz:.4f} | {ref[m].sum()} | {got[m].sum()} |")
    out()
    diff = np.argwhere(ref != got)
    if len(diff):
        out("Disagreements (contig length, marker, exact, fast): " + "; ".join(
            f"{lens[c]} bp {M.MARKER_IDS[j]} {ref[c, j]}/{got[c, j]}" for c, j in diff[:30]))
        out()
    gs_e, gs_f = genome_stats(ref, gid, len(files)), genome_stats(got, gid, len(files))
    nc = lambda g: (g[:, 0] >= 36) & (g[:, 1] <= 2)  # noqa: E731
    out("## Per genome (all contigs of a genome in one bin)")
    out()
    out(f"Genomes with the same distinct-marker count in both modes: {(gs_e[:, 0] == gs_f[:, 0]).sum()} / {len(files)}; "
        f"same extra copies: {(gs_e[:, 1] == gs_f[:, 1]).sum()} / {len(files)}.  "
        f"Near-complete by markers (>= 36/40 present, <= 2 extra): exact {nc(gs_e).sum()}, fast {nc(gs_f).sum()}, "
        f"lost by fast {(nc(gs_e) & ~nc(gs_f)).sum()}.")
    out()
    bad = np.flatnonzero((gs_e != gs_f).any(axis=1))
    if len(bad):
        out("| genome | present exact | present fast | extra exact | extra fast |")
        out("|---|---:|---:|---:|---:|")
        for g in bad:
            out(f"| {files[g]} | {gs_e[g, 0]} | {gs_f[g, 0]} | {gs_e[g, 1]} | {gs_f[g, 1]} |")
        out()
    if args.datasets:
        binning_tables(args.datasets, args.threads, out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
