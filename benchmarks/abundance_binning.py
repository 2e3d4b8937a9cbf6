"""Near-complete genomes on held-out mocks: raw abundance embedding vs the co-abundance network.

The mocks, markers and fold composition models are those of
``embeddings_binning.py`` (same seeds, cached in ``--work``): per
leave-genus-out fold up to 15 held-out genomes, 1 and 5 samples.  Each is
binned by ``genomeface_core.bin`` with the fold's linear composition metric and
either abundance embedding, the fold's abundance network
(``abundance_auroc.py``) trained without the held-out genera, at its
AUROC-fitted c2(n) (``--work``/abundance_mixing.json; the raw embedding uses
``--work``/mixing.json's linear fit) times each factor.

Then (``--datasets``) the benchmark issue's datasets in ``--work``/data
(``run_all.py``; diverse and strains: 5 samples, single: 1 sample from mapped
reads) are binned with the shipped models -- linear composition with the raw
abundance embedding vs the shipped abundance network, each at its shipped
constants -- reusing the markers of genomeface's run in ``--work``/runs.

    .venv/bin/python benchmarks/abundance_binning.py [--steps 6000] [--factors 0.25,1,4]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time


here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)

from embeddings_binning import MIN_LEN, c2, mock_with_markers, near_complete  # noqa: E402

import genomeface_core  # noqa: E402
from benchmarks.lab.evaluate import evaluate  # noqa: E402
from benchmarks.lab.folds import fold_model, make_folds, mock_genomes, read_catalog  # noqa: E402
from genomeface_core.train.sampler import load_genomes  # noqa: E402

CHOICES = ("raw", "network")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genomes", default=os.path.join(here, "..", "..", "shared", "genomes"))
    ap.add_argument("--work", default=os.path.join(here, "work"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--max-genomes", type=int, default=15)
    ap.add_argument("--samples", default="1,5")
    ap.add_argument("--steps", type=int, default=6000, help="training steps of the fold networks to use")
    ap.add_argument("--factors", default="0.25,1,4", help="multiples of the AUROC-fitted c2(n)")
    ap.add_argument("--datasets", default="diverse-fast,strains-fast,single-reads",
                    help="benchmark datasets in WORK/data to bin with the shipped models ('' skips)")
    ap.add_argument("--skip-folds", action="store_true", help="only the benchmark datasets")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    if a.skip_folds:
        return shipped_on_datasets(a.work, [d for d in a.datasets.split(",") if d], a.threads)
    logging.getLogger("genomeface").setLevel(logging.WARNING)
    t0 = time.time()
    raw_fit = json.load(open(os.path.join(a.work, "mixing.json")))["linear"]
    net_fit = json.load(open(os.path.join(a.work, "abundance_mixing.json")))["mixing"]["linear"]["network"]
    fits = {"raw": (raw_fit["v1"], raw_fit["v2"]), "network": (net_fit["v1"], net_fit["v2"])}
    ns = [int(x) for x in a.samples.split(",")]
    factors = [float(x) for x in a.factors.split(",")]
    cat = read_catalog(a.genomes)
    G = load_genomes([g.file for g in cat])
    folds = make_folds(cat, a.folds)
    nc: dict = {}
    n_genomes = 0
    for fi, fold in enumerate(folds):
        held = {g.name for g in fold}
        comp = fold_model([g for g in cat if g.name not in held], G,
                          os.path.join(a.work, f"fold{fi}_of{a.folds}_seed0.npz"), seed=0, threads=a.threads)
        net = os.path.join(a.work, f"abundance_fold{fi}_of{a.folds}_steps{a.steps}.keras")
        if not os.path.exists(net):
            raise SystemExit(f"{net}: missing; run abundance_auroc.py --steps {a.steps} first")
        gen = {g.name: G[g.name] for g in mock_genomes(fold, a.max_genomes)}
        n_genomes += len(gen)
        for n in ns:
            paths, mk, truth, lengths = mock_with_markers(gen, fi, n, a.work, a.threads)
            for ab in CHOICES:
                for f in factors:
                    nc.setdefault((ab, n, f), []).append(
                        near_complete(paths, mk, truth, lengths, composition=comp,
                                      abundance="raw" if ab == "raw" else net,
                                      abundance_weight=c2(n, *fits[ab]) * f, threads=a.threads))
                print(f"fold {fi} n={n} {ab}: NC " + " ".join(f"x{f:g}={nc[(ab, n, f)][-1]}" for f in factors)
                      + f" of {len(gen)}  ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    print(f"\nNear-complete genomes (recall >= 0.9, precision >= 0.95), sum over {a.folds} held-out mocks "
          f"({n_genomes} genomes); linear composition (fold model); abundance weight = factor x AUROC-fitted c2(n)\n")
    print("| abundance | n | " + " | ".join(f"x{f:g}" for f in factors) + " | per fold at x1 |")
    print("|---|---|" + "---|" * len(factors) + "---|")
    out = {}
    for ab in CHOICES:
        for n in ns:
            sums = [sum(nc[(ab, n, f)]) for f in factors]
            out[f"{ab}/{n}"] = dict(zip(map(str, factors), sums))
            print(f"| {ab} | {n} | " + " | ".join(map(str, sums)) + f" | {nc[(ab, n, 1.0)] if 1.0 in factors else ''} |")
    with open(os.path.join(a.work, "abundance_binning.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"\n({time.time() - t0:.0f} s)")
    if a.datasets:
        shipped_on_datasets(a.work, [d for d in a.datasets.split(",") if d], a.threads)
    return 0


def shipped_on_datasets(work: str, datasets: list[str], threads: int) -> int:
    """NC of the shipped linear composition with raw vs network abundance on benchmark datasets."""
    rows = []
    for ds in datasets:
        data = os.path.join(work, "data", ds)
        if not os.path.isdir(data):
            print(f"{data}: missing (run benchmarks/run_all.py first); skipped", file=sys.stderr)
            continue
        truth, lengths = {}, {}
        with open(os.path.join(data, "truth.tsv")) as fh:
            next(fh)
            for line in fh:
                c, g, ln = line.rstrip("\n").split("\t")
                if int(ln) >= MIN_LEN:
                    truth[c], lengths[c] = g, int(ln)
        mk = os.path.join(work, "runs", ds.rsplit("-", 1)[0], "genomeface", "markers.tsv")
        ncs, secs = [], []
        for ab in CHOICES:
            t1 = time.time()
            r = genomeface_core.bin(os.path.join(data, "contigs.fna.gz"), os.path.join(data, "depth.tsv"),
                                    markers=mk if os.path.exists(mk) else None, abundance=ab, threads=threads)
            secs.append(time.time() - t1)
            ncs.append(evaluate(dict(zip(r.names, r.assignment)), truth, lengths).recovered(0.9, 0.95))
        rows.append((ds, len(r.run_info["samples"]), len(set(truth.values())), ncs, secs))
    print("\nShipped models on the benchmark datasets (linear composition; NC = recall >= 0.9, "
          "precision >= 0.95)\n")
    print("| dataset | samples | genomes | raw abundance | abundance network | seconds raw / network |")
    print("|---|---|---|---|---|---|")
    for ds, n, g, ncs, secs in rows:
        print(f"| {ds} | {n} | {g} | {ncs[0]} | {ncs[1]} | {secs[0]:.0f} / {secs[1]:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
