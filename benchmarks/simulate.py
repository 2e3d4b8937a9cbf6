#!/usr/bin/env python
"""Build a mock metagenome described in benchmarks/datasets.toml.

    python benchmarks/simulate.py --dataset diverse --mode fast  -o benchmarks/work/diverse
    python benchmarks/simulate.py --dataset single  --mode reads -o benchmarks/work/single-reads

Writes to -o DIR:
  contigs.fna.gz       the mock assembly (genomes cut with a heavy-tailed length distribution)
  truth.tsv            contig, genome, length
  abundances.tsv       genome depth (x) per sample (0 = absent)
  depth.tsv            contigname TSV (genomeface -a, VAMB --abundance_tsv)
  depth.metabat.txt    jgi_summarize_bam_contig_depths format (MetaBAT2 -a); fast mode: variance
                       column = depth + dispersion * depth^2 (negative binomial)
  meta.json            dataset, parameters, sizes, timings (and the BAM depth cross-check)
  reads mode only:     bams/S<j>.bam(.bai) sorted, indexed (for SemiBin2 and anyone else)

fast:  per-contig depth from the read-count model of genomeface_core.demo.mock (negative
       binomial with GC bias).
reads: paired 150 bp reads with substitution errors, simulated from the uncut genomes at
       the sample abundances (coverage capped at reads_bp_per_sample), mapped with
       `minimap2 -ax sr`, sorted and indexed with samtools; depth.tsv from the engine's BAM
       reader, depth.metabat.txt from `jgi_summarize_bam_contig_depths`, and the two compared.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from genomeface_core.io.coverage import write_coverage_tsv  # noqa: E402
from benchmarks.lab.reads import simulate_reads, write_fastq, write_metabat_depth  # noqa: E402
from genomeface_core.io.fasta import read_genome  # noqa: E402
from genomeface_core.demo.mock import make_mock, write_mock  # noqa: E402

DEFAULT_GENOMES = Path(os.environ.get("GENOMEFACE_SHARED", HERE.parent.parent / "shared")) / "genomes"


def load_config(name: str, config: Path = HERE / "datasets.toml") -> dict:
    with open(config, "rb") as fh:
        cfg = tomllib.load(fh)
    if name not in cfg or name == "defaults":
        raise SystemExit(f"unknown dataset {name!r}; known: {[k for k in cfg if k != 'defaults']}")
    out = dict(cfg.get("defaults", {}))
    out.update(cfg[name])
    if "genomes_from" in out:  # the genome list of another dataset, drawn anew with this one's seed
        out["genomes"] = cfg[out.pop("genomes_from")]["genomes"]
    out["name"] = name
    return out


def label_of(file: str) -> str:
    return file.split(".fna")[0]


def build_mock(cfg: dict, genome_dir: Path):
    genomes = {label_of(f): read_genome(genome_dir / f) for f in cfg["genomes"]}
    mock = make_mock(genomes, n_samples=cfg["n_samples"], seed=cfg["seed"],
                     length_model=cfg.get("length_model", "heavy"), min_len=cfg.get("min_contig_len", 1000),
                     p_absent=cfg.get("p_absent", 0.2), mean_depth=cfg.get("mean_depth", 8.0),
                     abund_sigma=cfg.get("abund_sigma", 1.0), dispersion=cfg.get("dispersion", 0.15),
                     gc_bias=cfg.get("gc_bias", 1.0))
    return mock, genomes


def reads_mode(mock, genomes, cfg, out: Path, threads: int, seed: int) -> dict:
    """Simulate reads per sample, map, depth by the engine and by MetaBAT; returns cross-check stats."""
    for tool in ("minimap2", "samtools", "jgi_summarize_bam_contig_depths"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found (apt-get install -y minimap2 samtools metabat)")
    from genomeface_core.io.bam import read_bam_depths

    rng = np.random.default_rng([seed, 7])
    bamdir = out / "bams"
    bamdir.mkdir(exist_ok=True)
    labels = list(genomes)
    gsize = np.array([sum(len(r) for r in genomes[g]) for g in labels], dtype=np.float64)
    cap = float(cfg.get("reads_bp_per_sample", 150e6))
    bams, info = [], {"samples": []}
    contigs = str(out / "contigs.fna.gz")
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        idx = os.path.join(tmp, "contigs.mmi")
        subprocess.run(["minimap2", "-x", "sr", "-t", str(threads), "-d", idx, contigs], check=True,
                       stderr=subprocess.DEVNULL)
        for j, s in enumerate(mock.samples):
            depth = mock.abundances[:, j].copy()
            total = float((depth * gsize).sum())
            scale = min(1.0, cap / max(total, 1.0))
            depth *= scale
            t0 = time.perf_counter()
            r1, r2 = simulate_reads([genomes[g] for g in labels], depth, rng, prefix=f"{s}_")
            fq1, fq2 = os.path.join(tmp, f"{s}_1.fq"), os.path.join(tmp, f"{s}_2.fq")
            write_fastq(fq1, r1)
            write_fastq(fq2, r2)
            n_pairs = len(r1)
            del r1, r2
            t1 = time.perf_counter()
            bam = bamdir / f"{s}.bam"
            mm = subprocess.Popen(["minimap2", "-ax", "sr", "-t", str(threads), idx, fq1, fq2],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            subprocess.run(["samtools", "sort", "-@", "1", "-m", "512M", "-T", os.path.join(tmp, s),
                            "-o", str(bam), "-"], stdin=mm.stdout, check=True, stderr=subprocess.DEVNULL)
            mm.stdout.close()
            if mm.wait() != 0:
                raise SystemExit(f"minimap2 failed on sample {s}")
            subprocess.run(["samtools", "index", str(bam)], check=True)
            os.remove(fq1)
            os.remove(fq2)
            info["samples"].append({"sample": s, "pairs": n_pairs, "scale": scale,
                                    "simulate_s": round(t1 - t0, 1), "map_s": round(time.perf_counter() - t1, 1)})
            print(f"  {s}: {n_pairs} pairs (coverage x{scale:.3f}), mapped in {time.perf_counter() - t1:.0f}s",
                  flush=True)
            bams.append(str(bam))
    lengths = np.array([len(x) for x in mock.seqs])
    t0 = time.perf_counter()
    ours = read_bam_depths(bams, mock.names, lengths, threads=threads)
    info["engine_depth_s"] = round(time.perf_counter() - t0, 1)
    write_coverage_tsv(out / "depth.tsv", mock.names, mock.samples, ours)
    t0 = time.perf_counter()
    subprocess.run(["jgi_summarize_bam_contig_depths", "--outputDepth", str(out / "depth.metabat.txt"), *bams],
                   check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    info["jgi_depth_s"] = round(time.perf_counter() - t0, 1)
    from genomeface_core.io.coverage import read_coverage
    jgi = read_coverage(out / "depth.metabat.txt")
    pos = {n: i for i, n in enumerate(jgi.names)}
    theirs = jgi.depths[[pos[n] for n in mock.names]]
    diff = np.abs(ours - theirs)
    info["crosscheck"] = {"max_abs_diff": float(diff.max()),
                          "max_rel_diff": float((diff / np.maximum(theirs, 1e-3)).max()),
                          "frac_within_1e-3": float((diff <= 1e-3 + 1e-4 * theirs).mean())}
    # agreement between the read-based depth and the genome abundance it was drawn from
    gi = {g: i for i, g in enumerate(labels)}
    expected = np.stack([mock.abundances[gi[g]] for g in mock.genome]) * np.array(
        [x["scale"] for x in info["samples"]])[None, :]
    ok = expected > 0
    info["median_depth_over_expected"] = float(np.median(ours[ok] / expected[ok])) if ok.any() else None
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--mode", choices=("fast", "reads"), default="fast")
    ap.add_argument("-o", "--outdir", required=True, type=Path)
    ap.add_argument("--config", type=Path, default=HERE / "datasets.toml")
    ap.add_argument("--genomes", type=Path, default=DEFAULT_GENOMES, help="folder of genome FASTAs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reads-bp", type=float, default=None, help="override reads_bp_per_sample (reads mode)")
    args = ap.parse_args(argv)
    cfg = load_config(args.dataset, args.config)
    if args.reads_bp:
        cfg["reads_bp_per_sample"] = args.reads_bp
    out = args.outdir
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    mock, genomes = build_mock(cfg, args.genomes)
    paths = write_mock(mock, out)
    lengths = [len(s) for s in mock.seqs]
    with open(out / "abundances.tsv", "w") as fh:
        fh.write("genome\t" + "\t".join(mock.samples) + "\n")
        for g, row in zip(mock.genomes, mock.abundances):
            fh.write(g + "\t" + "\t".join(f"{v:.4g}" for v in row) + "\n")
    meta = {"dataset": args.dataset, "mode": args.mode, "config": cfg, "n_contigs": len(mock.names),
            "n_contigs_eval": int(sum(ln >= cfg["min_eval_len"] for ln in lengths)),
            "assembly_bp": int(sum(lengths)), "n_genomes": len(genomes), "n_samples": len(mock.samples),
            "contig_len_quantiles": {q: int(np.quantile(lengths, q)) for q in (0.1, 0.5, 0.9, 0.99)},
            "contigs_ge_100kb": int(sum(ln >= 100_000 for ln in lengths))}
    if args.mode == "fast":
        # MetaBAT's -var column is the per-base depth variance within a contig; a Poisson value
        # (= depth) would understate the over-dispersion the model puts between a genome's
        # contigs and make MetaBAT split genomes, so use the negative-binomial variance.
        disp = float(cfg.get("dispersion", 0.15))
        d = mock.depths.astype(np.float64)
        write_metabat_depth(out / "depth.metabat.txt", mock.names, lengths, mock.samples, d, d + disp * d * d)
    else:
        meta["reads"] = reads_mode(mock, genomes, cfg, out, args.threads, cfg["seed"])
    meta["simulate_s"] = round(time.perf_counter() - t0, 1)
    meta["paths"] = {**paths, "depth_metabat": str(out / "depth.metabat.txt")}
    with open(out / "meta.json", "w") as fh:
        json.dump(meta, fh, indent=1, default=str)
    print(f"{args.dataset} ({args.mode}): {meta['n_contigs']} contigs ({meta['n_contigs_eval']} >= "
          f"{cfg['min_eval_len']} bp), {meta['assembly_bp'] / 1e6:.1f} Mbp, {meta['n_genomes']} genomes, "
          f"{meta['n_samples']} samples, {meta['simulate_s']}s -> {out}")
    if "reads" in meta:
        print("  BAM depth cross-check vs jgi_summarize_bam_contig_depths:", meta["reads"]["crosscheck"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
