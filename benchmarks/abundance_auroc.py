"""Co-abundance network vs the raw variance-stabilised baseline: held-out AUROC and fitted c2(n).

For each leave-genus-out fold (``benchmarks.lab.folds.make_folds``)
an abundance network is trained (``train_abundance``) on the fold's training
genomes only (their contig lengths and GC; cached in ``--work``), with the
training sample counts of ``TRAIN_SAMPLE_COUNTS``.  Each fold's held-out
genomes form a mock per sample count n (``genomeface_core.demo.mock.make_mock``: the engine's
mock simulator -- negative-binomial reads, GC bias shared by the samples --
not the training simulator), including counts never seen in training.  On
random contig pairs (same genome vs different species) it reports

1. abundance-only AUROC (angle of the abundance embedding): raw vs network;
2. AUROC of the combined distance arccos^2(x.x') + w arccos^2(y.y') with the
   composition embedding ``x`` of each kind (the linear metric is the fold's),
   maximised over w by golden-section search, and c2(n) = 1/(v2 + v1/n) fitted
   to the optimal w of n <= 10 by ``curve_fit`` (as ``fit_mixing.py``).

Writes ``--work``/abundance_mixing.json (read by ``abundance_binning.py``).

    .venv/bin/python benchmarks/abundance_auroc.py [--steps 6000] [--folds 5]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)

from fit_mixing import angle2, build_mocks, c2_model, composition_of, fit_c2, golden  # noqa: E402

from genomeface_core.embed import abundance as abundance_raw  # noqa: E402
from genomeface_core.train.abundance import TRAIN_SAMPLE_COUNTS, train_abundance  # noqa: E402
from benchmarks.lab.folds import auroc, make_folds, read_catalog, sample_pairs  # noqa: E402
from genomeface_core.train.sampler import load_genomes  # noqa: E402

NS = (1, 2, 3, 5, 8, 10, 20, 32)
# c2(n) is fitted on n <= 10 only: above that AUROC saturates at 1.0000 on these
# mocks, so the optimal weight is undetermined there (golden search returns noise)
FIT_NS = tuple(n for n in NS if n <= 10)
KINDS = ("linear", "tnf", "kmer1712", "network")
SEED_FIT = 100


def fold_abundance_model(cat, fold, fi: int, k: int, work: str, steps: int) -> str:
    """Train (or reuse) the fold's abundance network on the genomes outside ``fold``."""
    path = os.path.join(work, f"abundance_fold{fi}_of{k}_steps{steps}.keras")
    if not os.path.exists(path):
        held = {g.name for g in fold}
        train_abundance([g.file for g in cat if g.name not in held], path, steps=steps, seed=fi)
    return path


def main(argv=None) -> int:
    from genomeface_core.embed.abundance_net import get_abundance_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genomes", default=os.path.join(here, "..", "..", "shared", "genomes"))
    ap.add_argument("--work", default=os.path.join(here, "work"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--max-genomes", type=int, default=15, help="genomes per mock")
    ap.add_argument("--steps", type=int, default=6000, help="training steps per fold network")
    ap.add_argument("--kinds", default=",".join(KINDS), help="composition embeddings to fit c2(n) with")
    ap.add_argument("--network-steps", type=int, default=8000,
                    help="training steps of the fold composition networks (cached by embeddings_auroc.py)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    kinds = a.kinds.split(",")
    t0 = time.time()
    os.makedirs(a.work, exist_ok=True)
    cat = read_catalog(a.genomes)
    G = load_genomes([g.file for g in cat])
    folds = make_folds(cat, a.folds)
    nets = [fold_abundance_model(cat, f, i, a.folds, a.work, a.steps) for i, f in enumerate(folds)]
    t_train = time.time() - t0
    mocks = build_mocks(cat, G, folds, a.work, SEED_FIT, NS, a.threads, a.max_genomes,
                        network_steps=a.network_steps if "network" in kinds else None)
    rng = np.random.default_rng(0)
    P = []  # per fold: labels, composition angles per kind, abundance angles per (embedding, n)
    for mk, net in zip(mocks, nets):
        i, j, lab = sample_pairs(mk["gidx"], mk["sidx"], rng)
        model = get_abundance_model(net)
        ax = {k: angle2(*(lambda e: (e[i], e[j]))(composition_of(k, mk["feats"], mk))) for k in kinds}
        ay = {}
        for n in NS:
            ay["raw", n] = angle2(*(lambda e: (e[i], e[j]))(abundance_raw(mk["depths"][n])))
            ay["network", n] = angle2(*(lambda e: (e[i], e[j]))(model.embed(mk["depths"][n])))
        P.append((lab, ax, ay))

    def mean_auc(k, ab, n, w):
        if k is None:  # abundance only
            return float(np.mean([auroc(-ay[ab, n][lab], -ay[ab, n][~lab]) for lab, ax, ay in P]))
        return float(np.mean([auroc(-(ax[k][lab] + w * ay[ab, n][lab]), -(ax[k][~lab] + w * ay[ab, n][~lab]))
                              for lab, ax, ay in P]))

    held_out = [n for n in NS if n not in TRAIN_SAMPLE_COUNTS]
    print(f"\nAbundance-only AUROC, mean over {a.folds} leave-genus-out folds "
          f"(* = sample count not seen in training)\n")
    print("| n | raw (log1p + kappa) | network |")
    print("|---|---|---|")
    res: dict = dict(abundance_only={}, mixing={}, steps=a.steps, folds=a.folds)
    for n in NS:
        r, nn = mean_auc(None, "raw", n, 0), mean_auc(None, "network", n, 0)
        res["abundance_only"][str(n)] = dict(raw=r, network=nn)
        print(f"| {n}{'*' if n in held_out else ''} | {r:.4f} | {nn:.4f} |")
    print("\nCombined distance, AUROC at the best abundance weight w (golden-section over log10 w)\n")
    print("| composition | n | raw: best w | raw: AUROC | raw at c2 fit | network: best w | network: AUROC "
          "| network at c2 fit |")
    print("|---|---|---|---|---|---|---|---|")
    for k in kinds:
        best = {}
        for ab in ("raw", "network"):
            for n in NS:
                lw, auc = golden(lambda t: mean_auc(k, ab, n, 10 ** t), -3.0, 2.0)
                best[ab, n] = (10 ** lw, auc)
        fits = {ab: fit_c2(FIT_NS, [best[ab, n][0] for n in FIT_NS]) for ab in ("raw", "network")}
        res["mixing"][k] = {ab: dict(v1=fits[ab][0], v2=fits[ab][1],
                                     per_n={str(n): dict(w=best[ab, n][0], auroc=best[ab, n][1],
                                                         auroc_fit=mean_auc(k, ab, n, c2_model(n, *fits[ab])))
                                            for n in NS}) for ab in ("raw", "network")}
        for n in NS:
            r, q = res["mixing"][k]["raw"]["per_n"][str(n)], res["mixing"][k]["network"]["per_n"][str(n)]
            print(f"| {k} | {n}{'*' if n in held_out else ''} | {r['w']:.3g} | {r['auroc']:.4f} | "
                  f"{r['auroc_fit']:.4f} | {q['w']:.3g} | {q['auroc']:.4f} | {q['auroc_fit']:.4f} |")
    print("\nFitted c2(n) = 1/(v2 + v1/n):\n")
    for k in kinds:
        for ab in ("raw", "network"):
            f = res["mixing"][k][ab]
            print(f"  {k} + {ab}: v1 = {f['v1']:.4g}, v2 = {f['v2']:.4g}")
    res["seconds_training"] = round(t_train, 1)
    out = os.path.join(a.work, "abundance_mixing.json")
    with open(out, "w") as fh:
        json.dump(res, fh, indent=1)
    print(f"\n({time.time() - t0:.0f} s, of which fold-network training {t_train:.0f} s; written {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
