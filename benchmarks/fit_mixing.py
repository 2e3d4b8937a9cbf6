"""Fit the abundance weight c2(n) = 1/(v2 + v1/n) for each composition embedding.

For each leave-genus-out fold (see ``embeddings_auroc.py``) a mock community
is built from up to 15 held-out genomes (``genomeface_core.demo.mock.make_mock``: fragmented,
log-normal abundances, negative-binomial depths with GC bias) for each sample
count n; contigs >= 1500 bp are kept.  Random pairs of contigs (same genome
vs different species) are scored by the combined distance

    d^2 = arccos^2(x.x') + w * arccos^2(y.y')

(x: composition embedding -- raw TNF / raw 1712 z-scored over the mock, or
the linear metric or the composition network trained without the fold, the
network cached in ``--work`` by ``embeddings_auroc.fold_network_for``, or
``adaptive``: the fold's linear metric joined with the metric learned from
the mock's own long contigs, ``embed.adaptive.fit_adaptive``;
y: ``embed.abundance``).  For
each embedding and n, a golden-section search over log10(w) maximises the
mean held-out AUROC over folds; then ``scipy.optimize.curve_fit`` fits
c2(n) = 1/(v2 + v1/n) to the optimal weights.  Results go to stdout and
``--work``/mixing.json (read by ``embeddings_binning.py``; kinds not
computed this run keep their entries).

    .venv/bin/python benchmarks/fit_mixing.py [--genomes DIR] [--kinds network] [--network-steps N]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from genomeface_core.embed import abundance  # noqa: E402
from genomeface_core.embed.linear import load_linear  # noqa: E402
from genomeface_core.embed.raw import composition_raw  # noqa: E402
from genomeface_core.embed.kmers import kmer_features  # noqa: E402
from genomeface_core.demo.mock import make_mock  # noqa: E402
from benchmarks.lab.folds import (auroc, fold_model, make_folds, mock_genomes,  # noqa: E402
                                              read_catalog, sample_pairs)
from genomeface_core.train.sampler import load_genomes  # noqa: E402

from embeddings_auroc import NETWORK_STEPS, fold_network_for  # noqa: E402  (benchmarks/ is sys.path[0])

KINDS = ("tnf", "kmer1712", "linear", "network", "linear+network", "adaptive")
NS = (1, 2, 3, 5, 8, 10)
MIN_LEN = 1500
SEED_FIT = 100


def golden(f, lo: float, hi: float, tol: float = 0.02) -> tuple[float, float]:
    """Maximise f on [lo, hi] (unimodal) by golden-section search; returns (x, f(x))."""
    g = (np.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    while b - a > tol:
        if fc >= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return (c, fc) if fc >= fd else (d, fd)


def c2_model(n, v1, v2):
    return 1.0 / (v2 + v1 / n)


def fit_c2(ns, ws) -> tuple[float, float]:
    from scipy.optimize import curve_fit

    ns, ws = np.asarray(ns, float), np.asarray(ws, float)
    # relative error: fit in log space through the model
    (v1, v2), _ = curve_fit(lambda n, v1, v2: np.log(c2_model(n, v1, v2)), ns, np.log(ws),
                            p0=(1.0 / ws[0], 1.0 / ws[-1]), bounds=([1e-6, 1e-6], [1e6, 1e6]))
    return float(v1), float(v2)


def angle2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c = np.clip(np.einsum("ij,ij->i", a.astype(np.float64), b.astype(np.float64)), -1.0, 1.0)
    return np.arccos(c) ** 2


def build_mocks(cat, G, folds, work, seed_base, ns, threads, max_genomes, network_steps=None):
    """Per fold: contigs (>= MIN_LEN), genome/species index, features, depths per n, linear model path
    and (``network_steps`` given) the fold network's path."""
    out = []
    for fi, fold in enumerate(folds):
        held = {g.name for g in fold}
        train = [g for g in cat if g.name not in held]
        mpath = fold_model(train, G, os.path.join(work, f"fold{fi}_of{len(folds)}_seed0.npz"), seed=0, threads=threads)
        npath = (None if network_steps is None else
                 fold_network_for(cat, fold, fi, len(folds), work, steps=network_steps, threads=threads))
        mg = mock_genomes(fold, max_genomes)
        gen = {g.name: G[g.name] for g in mg}
        depths, names0 = {}, None
        for n in ns:
            m = make_mock(gen, n_samples=n, seed=seed_base + fi)
            keep = np.array([len(s) >= MIN_LEN for s in m.seqs])
            if names0 is None:
                names0 = m.names
                seqs = [s for s, k in zip(m.seqs, keep) if k]
                truth = [t for t, k in zip(m.genome, keep) if k]
                mock0 = m
            assert m.names == names0
            depths[n] = m.depths[keep]
        spec = {g.name: g.species for g in mg}
        gl = sorted(set(truth))
        gidx = np.array([gl.index(t) for t in truth])
        sl = sorted(set(spec.values()))
        sidx = np.array([sl.index(spec[t]) for t in truth])
        feats = kmer_features(seqs, threads=threads)
        out.append(dict(fold=fi, genomes=[g.name for g in mg], seqs=seqs, truth=truth, gidx=gidx, sidx=sidx,
                        feats=feats, depths=depths, model=mpath, network=npath, mock=mock0, keep=keep))
        print(f"fold {fi}: mock of {len(mg)} genomes, {len(seqs)} contigs >= {MIN_LEN} bp, "
              f"{sum(map(len, seqs)) / 1e6:.1f} Mbp", file=sys.stderr, flush=True)
    return out


def composition_of(kind: str, feats: np.ndarray, mock: dict, threads: int = 1) -> np.ndarray:
    """Embedding ``kind`` of a fold's mock features (trained kinds: the fold's model; ``adaptive``:
    the fold's linear metric joined with the one learned from the mock's own long contigs, as
    ``--composition adaptive`` does in a run, seed 0)."""
    if kind == "adaptive":
        from genomeface_core.embed import Composition
        from genomeface_core.embed.adaptive import fit_adaptive

        base = Composition("linear", load_linear(mock["model"]).embed, 1.0, 1.0, "fold linear metric",
                           per_contig=True)
        lengths = np.array([len(s) for s in mock["seqs"]])
        return fit_adaptive(mock["seqs"], lengths, seed=0, threads=threads, base=base).embed(feats)
    if kind == "linear+network":
        from genomeface_core.embed import ENSEMBLE_SHARE

        return np.hstack([composition_of("linear", feats, mock) * np.float32(np.sqrt(ENSEMBLE_SHARE)),
                          composition_of("network", feats, mock) * np.float32(np.sqrt(1 - ENSEMBLE_SHARE))])
    if kind == "network":
        from genomeface_core.embed.network import load_network

        return load_network(mock["network"]).embed(feats)
    return load_linear(mock["model"]).embed(feats) if kind == "linear" else composition_raw(feats, kind)


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genomes", default=os.path.join(here, "..", "..", "shared", "genomes"))
    ap.add_argument("--work", default=os.path.join(here, "work"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--max-genomes", type=int, default=15, help="genomes per mock")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--kinds", default=",".join(KINDS), help="embeddings to fit (default: all; network needs TensorFlow)")
    ap.add_argument("--network-steps", type=int, default=NETWORK_STEPS, help="steps of the cached fold networks")
    a = ap.parse_args(argv)
    kinds = a.kinds.split(",")
    t0 = time.time()
    cat = read_catalog(a.genomes)
    G = load_genomes([g.file for g in cat])
    folds = make_folds(cat, a.folds)
    mocks = build_mocks(cat, G, folds, a.work, SEED_FIT, NS, a.threads, a.max_genomes,
                        a.network_steps if any("network" in k for k in kinds) else None)
    rng = np.random.default_rng(0)
    # per fold: pair indices, labels, squared angles per embedding and per n
    P = []
    for mk in mocks:
        i, j, lab = sample_pairs(mk["gidx"], mk["sidx"], rng)
        ax = {k: angle2(*(lambda e: (e[i], e[j]))(composition_of(k, mk["feats"], mk, a.threads))) for k in kinds}
        ay = {n: angle2(*(lambda e: (e[i], e[j]))(abundance(mk["depths"][n]))) for n in NS}
        P.append((lab, ax, ay))

    def mean_auc(k, n, w):
        return float(np.mean([auroc(-(ax[k][lab] + w * ay[n][lab]), -(ax[k][~lab] + w * ay[n][~lab]))
                              for lab, ax, ay in P]))

    path = os.path.join(a.work, "mixing.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    print(f"\nAbundance weight maximising mean held-out AUROC (contig pairs of {a.folds} leave-genus-out mocks)\n")
    print("| embedding | n | AUROC comp. only | best w | AUROC at best w | c2 fit |")
    print("|---|---|---|---|---|---|")
    for k in kinds:
        best = {}
        for n in NS:
            lw, auc = golden(lambda t: mean_auc(k, n, 10 ** t), -3.0, 2.0)
            best[n] = (10 ** lw, auc, mean_auc(k, n, 0.0))
        v1, v2 = fit_c2(NS, [best[n][0] for n in NS])
        results[k] = dict(v1=v1, v2=v2, per_n={str(n): dict(w=best[n][0], auroc=best[n][1], auroc_comp=best[n][2],
                                                            w_fit=c2_model(n, v1, v2),
                                                            auroc_fit=mean_auc(k, n, c2_model(n, v1, v2)))
                                               for n in NS})
        for n in NS:
            r = results[k]["per_n"][str(n)]
            print(f"| {k} | {n} | {r['auroc_comp']:.4f} | {r['w']:.3g} | {r['auroc']:.4f} | "
                  f"{r['w_fit']:.3g} (AUROC {r['auroc_fit']:.4f}) |")
    print("\nFitted constants, c2(n) = 1/(v2 + v1/n):\n")
    for k in kinds:
        print(f"  {k}: v1 = {results[k]['v1']:.4g}, v2 = {results[k]['v2']:.4g}")
    os.makedirs(a.work, exist_ok=True)
    with open(path, "w") as fh:
        json.dump(results, fh, indent=1)
    print(f"\n({time.time() - t0:.0f} s; written {path})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
