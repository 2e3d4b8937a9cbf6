"""Near-complete genomes (recall >= 0.9, precision >= 0.95) on held-out mocks, per embedding.

For each leave-genus-out fold, a mock of up to 15 held-out genomes (seed
differs from the ``fit_mixing.py`` mocks) is binned by
``genomeface_core.bin`` with 1 and 5 samples, for each composition embedding
(raw TNF, raw 1712, the linear metric and the composition network trained
without the fold -- the network cached in ``--work`` by
``embeddings_auroc.fold_network_for``), at the
AUROC-fitted abundance weight c2(n) (from ``--work``/mixing.json) times each
factor in ``--factors``.  Markers are computed once per mock and passed with
``markers=`` (gene calling is the slow part); they are cached in ``--work``.
Results are merged into ``--work``/binning.json (kinds not run keep theirs).

    .venv/bin/python benchmarks/embeddings_binning.py [--factors 0.0625,0.25,1] [--kinds network]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import genomeface_core  # noqa: E402
from benchmarks.lab.evaluate import evaluate  # noqa: E402
from genomeface_core.markers import find_markers, write_markers_tsv  # noqa: E402
from genomeface_core.demo.mock import make_mock, write_mock  # noqa: E402
from benchmarks.lab.folds import fold_model, make_folds, mock_genomes, read_catalog  # noqa: E402
from genomeface_core.train.sampler import load_genomes  # noqa: E402

from embeddings_auroc import NETWORK_STEPS, fold_network_for  # noqa: E402  (benchmarks/ is sys.path[0])

KINDS = ("tnf", "kmer1712", "linear", "network", "linear+network")
MIN_LEN = 1500
SEED_BIN = 200


def mock_with_markers(gen: dict, fi: int, n: int, work: str, threads: int):
    """Fold ``fi``'s binning mock with ``n`` samples written under ``work``: (paths, markers TSV, truth, lengths).

    The contigs do not depend on ``n`` (same seed), so gene calling runs once per fold.
    """
    m = make_mock(gen, n_samples=n, seed=SEED_BIN + fi)
    keep = [i for i, s in enumerate(m.seqs) if len(s) >= MIN_LEN]
    mdir = os.path.join(work, f"binmock{fi}")
    paths = write_mock(m, os.path.join(mdir, f"n{n}"))
    mk = os.path.join(mdir, "markers.tsv")
    if not os.path.exists(mk):
        t1 = time.time()
        counts = find_markers([m.seqs[i] for i in keep], threads=threads)
        write_markers_tsv(mk + ".tmp", [m.names[i] for i in keep], counts)
        os.replace(mk + ".tmp", mk)
        print(f"fold {fi}: markers in {time.time() - t1:.0f} s", file=sys.stderr, flush=True)
    truth = {m.names[i]: m.genome[i] for i in keep}
    lengths = {m.names[i]: len(m.seqs[i]) for i in keep}
    return paths, mk, truth, lengths


def near_complete(paths: dict, markers: str, truth: dict, lengths: dict, **bin_kw) -> int:
    """Genomes recovered at recall >= 0.9, precision >= 0.95 when ``genomeface_core.bin`` bins the mock."""
    r = genomeface_core.bin(paths["contigs"], paths["depth"], markers=markers, **bin_kw)
    return evaluate(dict(zip(r.names, r.assignment)), truth, lengths).recovered(0.9, 0.95)


def c2(n, v1, v2):
    return 1.0 / (v2 + v1 / n)


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genomes", default=os.path.join(here, "..", "..", "shared", "genomes"))
    ap.add_argument("--work", default=os.path.join(here, "work"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--max-genomes", type=int, default=15)
    ap.add_argument("--samples", default="1,5")
    ap.add_argument("--factors", default="0.0625,0.25,1", help="multiples of the AUROC-fitted c2(n)")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--network-steps", type=int, default=NETWORK_STEPS, help="steps of the cached fold networks")
    a = ap.parse_args(argv)
    logging.getLogger("genomeface").setLevel(logging.WARNING)
    t0 = time.time()
    mix = json.load(open(os.path.join(a.work, "mixing.json")))
    kinds = a.kinds.split(",")
    missing = [k for k in kinds if k not in mix]
    if missing:
        ap.error(f"no fitted mixing constants for {', '.join(missing)} in mixing.json: run fit_mixing.py --kinds ...")
    ns = [int(x) for x in a.samples.split(",")]
    factors = [float(x) for x in a.factors.split(",")]
    cat = read_catalog(a.genomes)
    G = load_genomes([g.file for g in cat])
    folds = make_folds(cat, a.folds)
    nc = {}  # (kind, n, factor) -> list per fold
    total = {}
    for fi, fold in enumerate(folds):
        held = {g.name for g in fold}
        train = [g for g in cat if g.name not in held]
        mpath = fold_model(train, G, os.path.join(a.work, f"fold{fi}_of{a.folds}_seed0.npz"), seed=0, threads=a.threads)
        npath = (fold_network_for(cat, fold, fi, a.folds, a.work, steps=a.network_steps, threads=a.threads)
                 if any("network" in k for k in kinds) else None)
        gen = {g.name: G[g.name] for g in mock_genomes(fold, a.max_genomes)}
        for n in ns:
            paths, mk, truth, lengths = mock_with_markers(gen, fi, n, a.work, a.threads)
            total[(fi, n)] = len(gen)
            for k in kinds:
                comp = {"linear": mpath, "network": npath, "linear+network": f"{mpath}+{npath}"}.get(k, k)
                wfit = c2(n, mix[k]["v1"], mix[k]["v2"])
                for f in factors:
                    nc.setdefault((k, n, f), []).append(
                        near_complete(paths, mk, truth, lengths, composition=comp, abundance_weight=wfit * f,
                                      threads=a.threads))
                print(f"fold {fi} n={n} {k}: NC " + " ".join(f"x{f:g}={nc[(k, n, f)][-1]}" for f in factors)
                      + f" of {len(gen)}  ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    print(f"\nNear-complete genomes (recall >= 0.9, precision >= 0.95), sum over {a.folds} held-out mocks "
          f"({sum(total[(fi, ns[0])] for fi in range(a.folds))} genomes); abundance weight = factor x AUROC-fitted c2(n)\n")
    print("| embedding | n | " + " | ".join(f"x{f:g}" for f in factors) + " | per fold at best |")
    print("|---|---|" + "---|" * len(factors) + "---|")
    path = os.path.join(a.work, "binning.json")
    out = json.load(open(path)) if os.path.exists(path) else {}
    for k in kinds:
        for n in ns:
            sums = [sum(nc[(k, n, f)]) for f in factors]
            b = int(np.argmax(sums))
            out[f"{k}/{n}"] = dict(zip(map(str, factors), sums))
            print(f"| {k} | {n} | " + " | ".join(f"**{s}**" if i == b else str(s) for i, s in enumerate(sums))
                  + f" | {nc[(k, n, factors[b])]} |")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
