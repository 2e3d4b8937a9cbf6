"""Leave-genus-out AUROC of composition embeddings on real genome windows.

Genomes of ../shared/genomes are split into 5 folds by group (catalog genus,
else label; strain groups never split).  For each fold, the linear metric is
trained on the other folds (same sampler and defaults as
``genomeface train-composition``); windows of exactly 1.5, 3 and 10 kb are
drawn from the held-out genomes (40 per genome), and we score cosine
similarity of same-genome pairs against pairs from different species (pairs of
two strains of one species are left out).  Raw TNF and raw 1712 are
z-scored over the held-out windows (as over a dataset).

With ``--network``, each fold also trains the Keras composition network
(``genomeface_core.train.network.train_network``, default widths/dims, fixed
seed, ``--network-steps`` steps) on the same training genomes with the same
species classes, and adds a ``network`` row (needs TensorFlow).

    .venv/bin/python benchmarks/embeddings_auroc.py [--genomes DIR] [--work benchmarks/work]
        [--network [--network-steps N]]

``--speed NAME`` instead times ``get_composition(NAME).embed`` on 20,000 real
3 kb windows (k-mer counting excluded) with ``--threads`` threads and reports
contigs/s and the process's peak resident memory.  TensorFlow fixes its thread
pools at start, so give a matching environment, e.g.
``TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 ... --speed network --threads 1``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from genomeface_core.embed.linear import load_linear  # noqa: E402
from genomeface_core.embed.raw import composition_raw  # noqa: E402
from benchmarks.lab.folds import embedding_auroc, fold_model, make_folds, read_catalog  # noqa: E402
from genomeface_core.train.sampler import load_genomes  # noqa: E402
from genomeface_core.embed.windows import fixed_windows  # noqa: E402

LENGTHS = (1500, 3000, 10000)
KINDS = ("tnf", "kmer1712", "linear")
NETWORK_STEPS = 4000  # per fold: ~3 min each on 2 cores (5 folds ~17 min)


def fold_network(train, path: str, *, steps: int, seed: int, threads: int) -> str:
    """Train (or reuse, if ``path`` exists) the composition network on the ``train`` genomes;
    classes are species keys, as for :func:`fold_model`.  Returns the ``.keras`` file."""
    from genomeface_core.train.network import train_network

    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    labels = path[: -len(".keras")] + ".labels.tsv"
    with open(labels, "w") as fh:
        fh.write("genome\tclass\n" + "".join(f"{g.name}\t{g.species}\n" for g in train))
    return train_network([g.file for g in train], path, labels=labels, seed=seed, steps=steps, threads=threads)


def fold_network_for(cat, fold, fi: int, n_folds: int, work: str, *, steps: int = NETWORK_STEPS, seed: int = 0,
                     threads: int = 1) -> str:
    """The cached network of fold ``fi`` (trained without its genomes), shared by
    ``embeddings_auroc.py``, ``fit_mixing.py`` and ``embeddings_binning.py``."""
    held = {g.name for g in fold}
    train = [g for g in cat if g.name not in held]
    return fold_network(train, os.path.join(work, f"net_fold{fi}_of{n_folds}_seed{seed}_steps{steps}.keras"),
                        steps=steps, seed=seed, threads=threads)


def embed_speed(name: str, genomes: str, threads: int, n: int = 20_000, repeats: int = 3) -> dict:
    """contigs/s of ``get_composition(name).embed`` on ``n`` real 3 kb windows (best of ``repeats``,
    after one warm-up call) and peak RSS (MiB) before and after loading and embedding."""
    import resource

    from genomeface_core.embed import get_composition
    from benchmarks.lab.folds import read_catalog

    cat = read_catalog(genomes)
    G = load_genomes([g.file for g in cat])
    X, _ = fixed_windows(G, -(-n // len(G)), 3000, seed=7, threads=threads)
    X = X[:n]
    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # noqa: E731 -- KiB -> MiB on Linux
    before = rss()
    comp = get_composition(name)
    comp.embed(X[:1000])  # warm-up: loads the model (TensorFlow for the network)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        comp.embed(X)
        best = min(best, time.perf_counter() - t)
    return dict(name=name, threads=threads, windows=len(X), contigs_per_s=len(X) / best, seconds=best,
                peak_rss_mib_before=before, peak_rss_mib=rss())


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genomes", default=os.path.join(here, "..", "..", "shared", "genomes"))
    ap.add_argument("--work", default=os.path.join(here, "work"), help="cache of fold models")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--per-genome", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--network", action="store_true",
                    help="also train the composition network per fold and add a 'network' row (needs TensorFlow)")
    ap.add_argument("--network-steps", type=int, default=NETWORK_STEPS,
                    help=f"training steps of each fold's network (default {NETWORK_STEPS})")
    ap.add_argument("--speed", metavar="NAME", help="only time get_composition(NAME).embed (see above)")
    a = ap.parse_args(argv)
    if a.speed:
        print(embed_speed(a.speed, a.genomes, a.threads))
        return 0
    kinds = KINDS + (("network",) if a.network else ())
    t0 = time.time()
    cat = read_catalog(a.genomes)
    G = load_genomes([g.file for g in cat])
    names = list(G)
    spec = {g.name: g.species for g in cat}
    sp = {s: i for i, s in enumerate(sorted(set(spec.values())))}
    gspec = np.array([sp[spec[n]] for n in names])
    test = {L: fixed_windows(G, a.per_genome, L, seed=1000 + L, threads=a.threads) for L in LENGTHS}
    folds = make_folds(cat, a.folds)
    res = {(k, L): [] for k in kinds for L in LENGTHS}
    net_s = []
    for fi, fold in enumerate(folds):
        held = {g.name for g in fold}
        train = [g for g in cat if g.name not in held]
        path = fold_model(train, G, os.path.join(a.work, f"fold{fi}_of{a.folds}_seed{a.seed}.npz"),
                          seed=a.seed, threads=a.threads)
        model = load_linear(path)
        if a.network:
            from genomeface_core.embed.network import load_network

            net = load_network(fold_network_for(cat, fold, fi, a.folds, a.work, steps=a.network_steps,
                                                seed=a.seed, threads=a.threads))
            net_s.append(float(net.meta.get("seconds", float("nan"))))
        tg = np.array([n in held for n in names])
        for L, (X, gi) in test.items():
            m = tg[gi]
            Xf, gf = X[m], gi[m]
            for k in kinds:
                e = (model.embed(Xf) if k == "linear" else net.embed(Xf) if k == "network"
                     else composition_raw(Xf, k))
                res[(k, L)].append(embedding_auroc(e, gf, gspec[gf]))
        groups = sorted({g.group for g in fold}, key=lambda s: -sum(g.group == s for g in fold))
        print(f"fold {fi}: {len(fold)} genomes ({', '.join(groups[:3])}{', ...' if len(groups) > 3 else ''})  "
              + "  ".join(f"{k}@{L // 1000 if L % 1000 == 0 else L / 1000}kb={res[(k, L)][-1]:.3f}"
                          for L in LENGTHS for k in kinds)
              + (f"  (network trained in {net_s[-1]:.0f} s)" if a.network else ""), file=sys.stderr, flush=True)
    print(f"\nLeave-genus-out AUROC (same genome vs different species window pairs), {a.folds} folds, "
          f"{len(cat)} genomes; mean over folds (min-max)\n")
    print("| embedding | " + " | ".join(f"{L / 1000:g} kb" for L in LENGTHS) + " |")
    print("|---|" + "---|" * len(LENGTHS))
    for k in kinds:
        cells = [f"{np.mean(res[(k, L)]):.3f} ({min(res[(k, L)]):.3f}-{max(res[(k, L)]):.3f})" for L in LENGTHS]
        print(f"| {k} | " + " | ".join(cells) + " |")
    if a.network:
        from genomeface_core.train.network import DEFAULT_BATCH, DEFAULT_NET_DIMS, DEFAULT_WIDTHS

        print(f"\nnetwork: widths {'/'.join(map(str, DEFAULT_WIDTHS))}, {DEFAULT_NET_DIMS} dims, "
              f"{a.network_steps} steps x {DEFAULT_BATCH} windows, seed {a.seed}; training s per fold: "
              + ", ".join(f"{t:.0f}" for t in net_s))
    print(f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
