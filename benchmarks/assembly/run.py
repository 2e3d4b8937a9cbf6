#!/usr/bin/env python
"""Assembly-based binning benchmark: simulated reads -> MEGAHIT -> BAMs -> five binners.

    python benchmarks/assembly/run.py --genomes 12 --samples 2 --depth 4 --out benchmarks/work/assembly
    python benchmarks/assembly/run.py --genomes 48 --samples 3 --mode both --results assembly

Steps (each cached in --out; a rerun skips what is finished, so a crashed run resumes):

1. genomes: ``--genomes`` N from /work/shared/genomes/catalog.tsv, round-robin over the strain
   groups (pick.py; near-identical duplicates skipped), contig names prefixed ``gNNN.``;
2. reads: per sample, log-normal depths with absences, seeded 2x150 ``wgsim`` reads (reads.py);
3. assembly: co-assembly of all samples with MEGAHIT (``--k-list 21,41,61,81 --no-local``), or
   (multi-split) one MEGAHIT assembly per sample concatenated as VAMB does (``S1C<contig>``);
4. mapping: every sample with ``minimap2 -ax sr`` to a sorted, indexed BAM (samtools);
5. truth: contigs aligned to the genomes (minimap2 asm5), AMBER-style exclusions (truth.py);
6. binners (peers.py): genomeface from BAMs, genomeface from the MetaBAT depth file, MetaBAT2
   (+ ``jgi_summarize_bam_contig_depths``, timed apart), VAMB, SemiBin2; wall time and peak RSS
   from ``/usr/bin/time -v``; peers capped with ``prlimit --as``; a failure is a result row;
7. evaluation (benchmarks/lab/evaluate.py, as benchmarks/evaluate.py): NC (recall >= 0.9,
   precision >= 0.95 by bp), the recall x precision grid; multi-split counts NC per sample
   (bins split by the sample prefix) and sums them, as VAMB does.

Writes benchmarks/results/<results>.md/.json (co-assembly) and <results>_multisplit.md/.json.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import peers  # noqa: E402
import pick  # noqa: E402
import reads  # noqa: E402
import truth as truthmod  # noqa: E402
from benchmarks.lab.evaluate import evaluate, grid_markdown, read_bins, read_truth  # noqa: E402
from genomeface_core.io.fasta import format_fasta, read_fasta  # noqa: E402
from genomeface_core.cut.multisplit import split_bins  # noqa: E402

SPLIT_SEP = "C"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def cached(path: Path, what: str, fn, *a, **kw) -> dict:
    """Run ``fn`` once: its timing record is stored in ``path``.step.json, reused on reruns."""
    rec = Path(str(path) + ".step.json")
    if rec.exists():
        return json.loads(rec.read_text())
    log(f"{what} ...")
    t0 = time.monotonic()
    extra = fn(*a, **kw) or {}
    out = {"step": what, "wall_s": round(time.monotonic() - t0, 1), **extra}
    rec.write_text(json.dumps(out, indent=1))
    log(f"{what}: {out['wall_s']} s")
    return out


def sh(cmd: str, log_path: Path | None = None) -> None:
    with open(log_path or os.devnull, "a") as fh:
        subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=True, stdout=fh, stderr=fh)


# ---------------------------------------------------------------- genomes and reads

def write_refs(genomes: list[pick.Genome], work: Path) -> list[Path]:
    """One plain FASTA per genome with contigs renamed gNNN.<name>, and all.fna (truth index)."""
    d = work / "refs"
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    with open(d / "all.fna.part", "wb") as allfh:
        for i, g in enumerate(genomes):
            c = read_fasta(os.path.join(os.path.dirname(pick.CATALOG), g.file))
            text = format_fasta([f"g{i:03d}.{n}" for n in c.names], c.seqs)
            p = d / f"g{i:03d}.fna"
            p.write_bytes(text)
            allfh.write(text)
            paths.append(p)
    os.replace(d / "all.fna.part", d / "all.fna")
    return paths


def setup(args, work: Path) -> tuple[list[pick.Genome], np.ndarray, list[tuple[str, str]]]:
    """Genomes, depth matrix and per-sample reads (cached)."""
    work.mkdir(parents=True, exist_ok=True)
    gfile = work / "genomes.tsv"
    if not gfile.exists():
        genomes = pick.pick_genomes(args.genomes, seed=args.seed, cache_dir=str(work.parent / "sketches"))
        depth = reads.draw_depths(len(genomes), args.samples, args.seed, args.depth, args.sigma, args.p_absent)
        write_refs(genomes, work)
        with open(str(gfile) + ".part", "w") as fh:
            fh.write("id\tgenome\tgroup\tlabel\ttotal_bp\t" + "\t".join(f"depth_S{j + 1}" for j in range(args.samples)) + "\n")
            for i, g in enumerate(genomes):
                fh.write(f"g{i:03d}\t{g.name}\t{g.group}\t{g.label}\t{g.total_bp}\t"
                         + "\t".join(f"{x:.3f}" for x in depth[i]) + "\n")
        os.replace(str(gfile) + ".part", gfile)
    rows = list(csv.DictReader(open(gfile), delimiter="\t"))
    genomes = [pick.Genome(r["genome"] + ".fna.gz", r["label"], r["group"], int(r["total_bp"])) for r in rows]
    depth = np.array([[float(r[f"depth_S{j + 1}"]) for j in range(args.samples)] for r in rows])
    refs = [str(work / "refs" / f"g{i:03d}.fna") for i in range(len(genomes))]
    (work / "reads").mkdir(exist_ok=True)
    samples = []
    for j in range(args.samples):
        prefix = work / "reads" / f"S{j + 1}"
        cached(prefix, f"reads S{j + 1}", _reads_stats, refs, [g.total_bp for g in genomes], depth[:, j],
               str(prefix), args.seed * 100 + j + 1)
        samples.append((f"{prefix}_R1.fq", f"{prefix}_R2.fq"))
    return genomes, depth, samples


def _reads_stats(refs, sizes, depths, prefix, seed) -> dict:
    reads.simulate_sample(refs, sizes, depths, prefix, seed)
    return {"read_pairs": int(sum(reads.read_pairs(float(d), s) for d, s in zip(depths, sizes)))}


# ---------------------------------------------------------------- assembly and mapping

def megahit(r1: list[str], r2: list[str], outdir: Path, args) -> dict:
    if outdir.exists():
        shutil.rmtree(outdir)  # MEGAHIT refuses an existing folder (half-done run)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    rec = peers.timed(["megahit", "-1", ",".join(r1), "-2", ",".join(r2), "--k-list", args.k_list,
                       "--no-local", "-t", str(args.threads), "-m", str(int(args.megahit_mem_gb * 1e9)),
                       "--min-contig-len", str(args.min_contig), "-o", str(outdir)],
                      str(outdir) + ".log", args.step_timeout)
    if rec["status"] != "ok":
        raise RuntimeError(f"megahit {outdir}: {rec['status']} (see {outdir}.log)")
    return {"megahit_peak_rss_gb": rec["peak_rss_gb"]}


def assembly_stats(lengths: np.ndarray) -> dict:
    """Contigs, total bp, N50 (bp), contigs >= 1500 bp.

    >>> assembly_stats(np.array([5000, 3000, 1000, 1000]))
    {'contigs': 4, 'total_bp': 10000, 'n50': 5000, 'contigs_ge1500': 2, 'bp_ge1500': 8000}
    """
    s = np.sort(lengths)[::-1]
    n50 = int(s[np.searchsorted(np.cumsum(s), s.sum() / 2)]) if len(s) else 0
    return {"contigs": int(len(s)), "total_bp": int(s.sum()), "n50": n50,
            "contigs_ge1500": int((s >= 1500).sum()), "bp_ge1500": int(s[s >= 1500].sum())}


def write_contigs(sources: list[tuple[str, Path]], out: Path, min_len: int, concatenate: bool = False) -> dict:
    """Contigs >= min_len from MEGAHIT outputs, renamed <prefix><first word> (VAMB style).

    ``concatenate``: the per-sample assemblies go through ``genomeface concatenate`` (the
    multi-split workflow a user runs; same S<n>C<name> names) when this genomeface has it.
    """
    if concatenate and subprocess.run([peers.GENOMEFACE, "concatenate", "--help"],
                                      capture_output=True).returncode == 0:
        sh(f"{peers.GENOMEFACE} concatenate {out} {' '.join(str(fa) for _, fa in sources)} "
           f"--sep {SPLIT_SEP} -m {min_len} --force")
        return {**assembly_stats(read_fasta(out).lengths), "via": "genomeface concatenate"}
    names, seqs = [], []
    for prefix, fa in sources:
        c = read_fasta(fa)
        for n, s in zip(c.names, c.seqs):
            if len(s) >= min_len:
                names.append(prefix + n)
                seqs.append(s)
    Path(str(out) + ".part").write_bytes(format_fasta(names, seqs))
    os.replace(str(out) + ".part", out)
    return assembly_stats(np.array([len(s) for s in seqs]))


def map_samples(contigs: Path, samples: list[tuple[str, str]], bamdir: Path, args) -> dict:
    """minimap2 -ax sr per sample -> sorted, indexed BAM (S<n>.bam)."""
    bamdir.mkdir(parents=True, exist_ok=True)
    idx = bamdir / "contigs.mmi"
    if not idx.exists():
        sh(f"minimap2 -x sr -d {idx}.part {contigs} && mv {idx}.part {idx}")
    walls = {}
    for j, (r1, r2) in enumerate(samples):
        bam = bamdir / f"S{j + 1}.bam"
        if (bamdir / f"S{j + 1}.bam.bai").exists():
            continue
        t0 = time.monotonic()
        sh(f"minimap2 -ax sr -t {args.threads} {idx} {r1} {r2} | samtools view -u -F 0x904 - | "
           f"samtools sort -@ 1 -m 768M -T {bam}.tmp -o {bam}.part - && mv {bam}.part {bam} "
           f"&& samtools index {bam}", bamdir / "map.log")
        walls[f"S{j + 1}"] = round(time.monotonic() - t0, 1)
    return {"map_wall_s": walls}


def jgi_depth(bamdir: Path, out: Path, n: int, args) -> dict:
    bams = [str(bamdir / f"S{j + 1}.bam") for j in range(n)]
    rec = peers.timed(["jgi_summarize_bam_contig_depths", "--outputDepth", str(out) + ".part", *bams],
                      str(out) + ".log", args.step_timeout)
    if rec["status"] != "ok":
        raise RuntimeError(f"jgi_summarize_bam_contig_depths: {rec['status']}")
    os.replace(str(out) + ".part", out)
    return {"jgi_wall_s": rec["wall_s"], "jgi_peak_rss_gb": rec["peak_rss_gb"]}


def build_truth(contigs: Path, work: Path, genomes: list[pick.Genome], out: Path, args) -> dict:
    paf = out.with_suffix(".paf")
    if not paf.exists():
        truthmod.align(str(contigs), str(work / "refs" / "all.fna"), str(paf), args.threads)
    c = read_fasta(contigs)
    lengths = dict(zip(c.names, (len(s) for s in c.seqs)))
    ids, excluded = truthmod.assign(open(paf), lengths, args.truth_min_cover)
    names = {f"g{i:03d}": g.name for i, g in enumerate(genomes)}
    truth = {k: names[v] for k, v in ids.items()}
    with open(out.with_suffix(".excluded.tsv"), "w") as fh:
        fh.write("contig\treason\tlength\n")
        fh.writelines(f"{k}\t{v}\t{lengths[k]}\n" for k, v in excluded.items())
    truthmod.write_truth(str(out), truth, lengths)
    return {"truth": truthmod.summarise(truth, excluded, lengths, args.min_len)}


# ---------------------------------------------------------------- evaluation and report

def split_by_sample(assign: dict[str, str], sep: str) -> dict[str, str]:
    """Bin names prefixed with the contig's sample, as VAMB's binsplit names them.

    >>> split_by_sample({"S1Ck1": "b7", "S2Ck9": "b7", "S2Ck3": "unbinned"}, "C")
    {'S1Ck1': 'S1Cb7', 'S2Ck9': 'S2Cb7', 'S2Ck3': 'unbinned'}
    """
    bins: dict[str, list[str]] = {}
    for c, b in assign.items():
        if b not in ("unbinned", ""):
            bins.setdefault(b, []).append(c)
    # the engine's VAMB rules (genomeface_core.cut.multisplit), so the harness scores what --split-sep names
    name_of = {c: name for per in split_bins(bins, sep).values() for name, cs in per.items() for c in cs}
    return {c: name_of.get(c, b) for c, b in assign.items()}


def _nc_genomes(ev) -> list[str]:
    """Genomes some bin recovers at recall >= 0.9 and precision >= 0.95."""
    ok = ((ev.recall >= 0.9) & (ev.precision >= 0.95)).any(axis=0)
    return [g for g, k in zip(ev.genomes, ok) if k]


def score(rec: dict, truth_path: Path, min_len: int, per_sample: list[str] | None) -> dict:
    """Evaluation summary of one binner; multi-split: per-sample evaluations summed."""
    tr, lengths = read_truth(str(truth_path), min_len)
    assign = read_bins(rec["bins"], rec["fmt"])
    if rec.get("split_sep"):
        assign = split_by_sample(assign, rec["split_sep"])
    if not per_sample:
        ev = evaluate(assign, tr, lengths)
        return {**ev.summary(), "nc_genomes": _nc_genomes(ev)}
    tot: dict = {"nc": 0, "n_bins": 0, "n_genomes": 0, "grid": {}, "per_sample": {}}
    binned = allbp = 0.0
    for s in per_sample:
        pre = s + SPLIT_SEP
        t_s = {c: g for c, g in tr.items() if c.startswith(pre)}
        ev = evaluate({c: b for c, b in assign.items() if c.startswith(pre)}, t_s,
                      {c: lengths[c] for c in t_s})
        sm = ev.summary()
        tot["per_sample"][s] = sm["nc"]
        tot.setdefault("nc_genomes", []).extend(f"{s}:{g}" for g in _nc_genomes(ev))
        for k in ("nc", "n_bins", "n_genomes"):
            tot[k] += sm[k]
        for k, v in sm["grid"].items():
            tot["grid"][k] = tot["grid"].get(k, 0) + v
        bp = sum(lengths[c] for c in t_s)
        binned += sm["binned_bp_frac"] * bp
        allbp += bp
    tot["binned_bp_frac"] = round(binned / max(allbp, 1), 4)
    return tot


def report(title: str, setup_info: dict, rows: dict[str, dict], out_md: Path,
           group_of: dict[str, str] | None = None) -> None:
    L = [f"# {title}", "", *setup_info.pop("_lines"), "",
         "| binner | NC (R>=0.9, P>=0.95) | bins | binned bp | wall (s) | peak RSS (GB) | status |",
         "|---|---:|---:|---:|---:|---:|---|"]
    for name, r in rows.items():
        nc = str(r["nc"]) if "nc" in r else "-"
        if r.get("per_sample"):
            nc += " (" + ", ".join(f"{k} {v}" for k, v in r["per_sample"].items()) + ")"
        binned = f"{100 * r['binned_bp_frac']:.1f}%" if "binned_bp_frac" in r else "-"
        L.append(f"| {name} | {nc} | {r.get('n_bins', '-')} | {binned} | "
                 f"{r.get('wall_s', '-')} | {r.get('peak_rss_gb', '-')} | {r.get('status', '')} |")
    if group_of:
        groups = sorted(set(group_of.values()))
        total = {g: sum(1 for v in group_of.values() if v == g) for g in groups}
        L += ["", "NC genomes per strain group (genomes in the group; multi-split: summed over samples):", "",
              "| binner | " + " | ".join(f"{g} ({total[g]})" for g in groups) + " |",
              "|---|" + "---:|" * len(groups)]
        for name, r in rows.items():
            if "nc_genomes" in r:
                got = [group_of.get(x.split(":", 1)[-1], "?") for x in r["nc_genomes"]]
                L.append(f"| {name} | " + " | ".join(str(got.count(g)) for g in groups) + " |")
    L += ["", "Genomes recovered at recall >= R (columns) and precision >= P (rows), by bp:", ""]
    for name, r in rows.items():
        if "grid" in r:
            L += grid_markdown(name, r["grid"])
    out_md.write_text("\n".join(L) + "\n")


# ---------------------------------------------------------------- modes

def run_mode(mode: str, args, work: Path, genomes, depth, samples, on_row) -> tuple[dict, dict]:
    d = work / mode
    d.mkdir(parents=True, exist_ok=True)
    n = len(samples)
    names = [f"S{j + 1}" for j in range(n)]
    steps = {}
    if mode == "coassembly":
        steps["assembly"] = cached(d / "megahit", "megahit co-assembly", megahit,
                                   [s[0] for s in samples], [s[1] for s in samples], d / "megahit", args)
        sources = [("", d / "megahit" / "final.contigs.fa")]
    else:
        walls, rss = {}, {}
        for j, s in enumerate(samples):
            r = cached(d / f"megahit_{names[j]}", f"megahit {names[j]}", megahit, [s[0]], [s[1]],
                       d / f"megahit_{names[j]}", args)
            walls[names[j]], rss[names[j]] = r["wall_s"], r.get("megahit_peak_rss_gb")
        steps["assembly"] = {"wall_s": round(sum(walls.values()), 1), "per_sample_wall_s": walls,
                             "megahit_peak_rss_gb": max(v or 0 for v in rss.values())}
        sources = [(f"{nm}{SPLIT_SEP}", d / f"megahit_{nm}" / "final.contigs.fa") for nm in names]
    contigs = d / "contigs.fna"
    steps["contigs"] = cached(contigs, "contigs", write_contigs, sources, contigs, args.min_contig,
                              mode == "multisplit")
    bamdir = d / "bam"
    steps["mapping"] = cached(bamdir, "mapping", map_samples, contigs, samples, bamdir, args)
    steps["truth"] = cached(d / "truth.tsv", "truth", build_truth, contigs, work, genomes, d / "truth.tsv", args)
    depthfile = d / "depth.txt"
    steps["depth"] = cached(depthfile, "jgi depth", jgi_depth, bamdir, depthfile, n, args)
    bams = [str(bamdir / f"{nm}.bam") for nm in names]
    # VAMB's --bamdir reads every .bam in the folder: a folder of links to just these
    vdir = d / "bamlinks"
    vdir.mkdir(exist_ok=True)
    for b in bams:
        if not (vdir / os.path.basename(b)).exists():
            os.symlink(os.path.abspath(b), vdir / os.path.basename(b))
    split = SPLIT_SEP if mode == "multisplit" else None
    rows = {}
    for b in peers.binners(str(contigs), bams, str(vdir), str(depthfile), str(d / "bins"), args.threads,
                           args.mem_cap_gb, args.min_len, split, tuple(args.binners)):
        timeout = args.binner_timeout
        if args.deadline:
            timeout = min(timeout, int(args.deadline - time.time()))
        if timeout < 60 and not Path(d / "bins" / f"{b.name}.result.json").exists():
            rows[b.name] = {"status": "not run (deadline)"}
            continue
        log(f"{mode}: {b.name} (timeout {timeout} s) ...")
        rec = peers.run_binner(b, str(d / "bins"), timeout)
        row = dict(rec)
        if rec["status"] == "ok":
            try:
                row.update(score(rec, d / "truth.tsv", args.min_len, names if split else None))
            except Exception as exc:  # a malformed table is that binner's failure, not the run's
                row["status"] = f"evaluation failed: {exc}"
        if "depth" in rec.get("pre", []) and row.get("wall_s") is not None:
            row["wall_s_with_depth"] = round(row["wall_s"] + steps["depth"]["jgi_wall_s"], 1)
        rows[b.name] = row
        log(f"{mode}: {b.name}: {row['status']} NC {row.get('nc', '-')} {row.get('wall_s')} s")
        on_row(steps, rows)  # the table so far, so that a killed run still leaves its rows
    return steps, rows


def write_results(mode: str, steps: dict, rows: dict, args, argv, work: Path, genomes, depth, samples) -> None:
    """benchmarks/results/<results>[_multisplit].md/.json from the steps and binner rows so far."""
    groups = {}
    for g in genomes:
        groups[g.group] = groups.get(g.group, 0) + 1
    present = int((depth > 0).sum())
    n_pairs = sum(json.loads(Path(f"{work / 'reads' / f'S{j + 1}'}.step.json").read_text())["read_pairs"]
                  for j in range(len(samples)))
    ctg = steps["contigs"]
    tr = steps["truth"]["truth"]
    ev_bp = sum(v["bp"] for v in tr.values())
    lines = [
        f"Command: `python benchmarks/assembly/run.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        "",
        f"- {len(genomes)} genomes ({', '.join(f'{k} {v}' for k, v in sorted(groups.items()))}), "
        f"{sum(g.total_bp for g in genomes) / 1e6:.1f} Mbp; {len(samples)} samples, median depth "
        f"{args.depth}x (log-normal sigma {args.sigma}), {present} of {depth.size} genome-sample pairs present",
        f"- reads: 2x150 wgsim (substitution errors 0.3%), {n_pairs / 1e6:.2f} M pairs in all",
        f"- MEGAHIT ({'co-assembly' if mode == 'coassembly' else 'one assembly per sample'}, "
        f"--k-list {args.k_list} --no-local -t {args.threads}): {steps['assembly']['wall_s']} s, peak "
        f"{steps['assembly'].get('megahit_peak_rss_gb')} GB; {ctg['contigs']} contigs >= {args.min_contig} bp, "
        f"{ctg['total_bp'] / 1e6:.1f} Mbp, N50 {ctg['n50']} bp; {ctg['contigs_ge1500']} contigs >= 1500 bp",
        f"- mapping (minimap2 -ax sr, samtools sort): {steps['mapping']['wall_s']} s; "
        f"jgi_summarize_bam_contig_depths {steps['depth']['jgi_wall_s']} s",
        f"- truth (minimap2 asm5, genome covering >= {args.truth_min_cover:.0%} of a contig), contigs >= {args.min_len} bp: "
        + ", ".join(f"{k} {v['contigs']} ({100 * v['bp'] / max(ev_bp, 1):.1f}% bp)" for k, v in sorted(tr.items())),
    ]
    if mode == "multisplit":
        lines.append("- NC counted per sample (bins split by the S<n>C prefix) and summed, as VAMB counts")
    lines.append("- wall times on the shared 2-core machine (other jobs running); MetaBAT2 and "
                 "genomeface-depth exclude the depth file's time (above)")
    info = {"mode": mode, "genomes": [g.name for g in genomes], "steps": steps, "args": vars(args),
            "_lines": lines}
    name = args.results if mode == "coassembly" else f"{args.results}_multisplit"
    res_dir = ROOT / "benchmarks" / "results"
    (res_dir / f"{name}.json").write_text(json.dumps({**{k: v for k, v in info.items() if k != '_lines'},
                                                      "lines": lines, "binners": rows}, indent=1))
    report(f"Assembly benchmark ({mode})", info, rows, res_dir / f"{name}.md", {g.name: g.group for g in genomes})
    log(f"wrote benchmarks/results/{name}.md")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genomes", type=int, default=12)
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--depth", type=float, default=6.0, help="median genome depth per sample (x)")
    ap.add_argument("--sigma", type=float, default=1.0, help="log-normal sigma of the depths")
    ap.add_argument("--p-absent", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mode", choices=("coassembly", "multisplit", "both"), default="coassembly")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "work" / "assembly"))
    ap.add_argument("--results", default="assembly", help="benchmarks/results/<NAME>.md/.json")
    ap.add_argument("--binners", nargs="+", default=["genomeface-bam", "genomeface-depth", "metabat2",
                                                     "vamb", "semibin2"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--k-list", default="21,41,61,81")
    ap.add_argument("--min-contig", type=int, default=1000, help="MEGAHIT --min-contig-len (bp)")
    ap.add_argument("--min-len", type=int, default=1500, help="binners and evaluation use contigs >= this")
    ap.add_argument("--truth-min-cover", type=float, default=0.9,
                    help="a contig's genome must cover this fraction of it")
    ap.add_argument("--megahit-mem-gb", type=float, default=6.0)
    ap.add_argument("--mem-cap-gb", type=float, default=12.0, help="address-space cap of the peers")
    ap.add_argument("--step-timeout", type=int, default=5400)
    ap.add_argument("--binner-timeout", type=int, default=3600)
    ap.add_argument("--deadline", type=lambda x: time.mktime(time.strptime(time.strftime("%Y-%m-%d ") + x, "%Y-%m-%d %H:%M")),
                    help="HH:MM local time: binners get at most the time left until then")
    args = ap.parse_args(argv)
    work = Path(args.out)
    genomes, depth, samples = setup(args, work)
    modes = ["coassembly", "multisplit"] if args.mode == "both" else [args.mode]
    for mode in modes:
        run_mode(mode, args, work, genomes, depth, samples,
                 lambda steps, rows, mode=mode: write_results(mode, steps, rows, args, argv, work, genomes,
                                                              depth, samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
