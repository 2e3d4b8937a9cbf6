"""Adaptive composition (``genomeface_core.embed.adaptive``) vs the shipped ``linear``, held out.

Leave-genus-out protocol of the model card (``embeddings_auroc.py``,
``embeddings_binning.py``; their helpers are imported, not copied): for each
fold, the linear metric is trained without the fold (``fold_model``, cached in
``--work``) and plays the shipped metric; the adaptive metric is learned,
label-free, from a mock assembly of the held-out genomes (``make_mock``, the
contigs a user would bin) and joined with it at each share in ``--shares``
(1 = linear alone, 0 = the self-learned metric alone).

``auroc``: mock of all the fold's genomes (seed 300 + fold); test windows of
exactly 1.5 / 3 / 10 kb from the held-out genomes (``--per-genome`` each, seed
1000 + L as in ``embeddings_auroc.py``), same-genome vs different-species pairs.

``nc``: the binning mocks of ``embeddings_binning.py`` (same seeds, up to 15
genomes, markers cached in ``--work``), binned by ``genomeface_core.bin`` with
1 and 5 samples at linear's fitted c2(n) (the shipped v1, v2), near-complete
genomes (recall >= 0.9, precision >= 0.95).

``timing``: seconds of ``fit_adaptive`` on mocks of ``--sizes`` contigs (real
genomes, all of ../shared/genomes cut as by ``make_mock``).

    .venv/bin/python benchmarks/adaptive_composition.py auroc [--folds 5] [--shares 1,0.75,0.5,0.25,0]
    .venv/bin/python benchmarks/adaptive_composition.py nc [--folds 5] [--shares 1,0.5]
    .venv/bin/python benchmarks/adaptive_composition.py timing [--sizes 5000,20000]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks.lab.folds import embedding_auroc, fold_model, make_folds, mock_genomes, read_catalog  # noqa: E402
from genomeface_core import embed as emb  # noqa: E402
from genomeface_core.embed.adaptive import cannot_link, fit_adaptive, fit_self_metric, self_windows  # noqa: E402
from genomeface_core.markers import read_markers_tsv  # noqa: E402
from genomeface_core.embed.linear import load_linear  # noqa: E402
from genomeface_core.embed.kmers import kmer_features  # noqa: E402
from genomeface_core.io.fasta import read_fasta  # noqa: E402
from genomeface_core.demo.mock import make_mock  # noqa: E402
from genomeface_core.train.sampler import load_genomes  # noqa: E402
from genomeface_core.embed.windows import fixed_windows  # noqa: E402

from embeddings_auroc import LENGTHS  # noqa: E402  (benchmarks/ is sys.path[0])
from embeddings_binning import c2, mock_with_markers, near_complete  # noqa: E402

SEED_AUROC = 300


def fold_base(cat, G, fold, fi: int, n_folds: int, work: str, threads: int) -> emb.Composition:
    """The fold's linear metric (trained without the fold) as a Composition with the shipped (v1, v2)."""
    held = {g.name for g in fold}
    train = [g for g in cat if g.name not in held]
    model = load_linear(fold_model(train, G, os.path.join(work, f"fold{fi}_of{n_folds}_seed0.npz"),
                                   seed=0, threads=threads))
    v1, v2 = emb.COMPOSITIONS["linear"].v1, emb.COMPOSITIONS["linear"].v2
    return emb.Composition("linear", model.embed, v1, v2, "fold linear metric", per_contig=True)


def joined(base: emb.Composition, own, share: float) -> emb.Composition:
    """``base`` alone (share 1), the self metric alone (share 0) or their concatenation."""
    if share >= 1:
        return base
    o = emb.Composition("self", own.embed, base.v1, base.v2, "self-learned", per_contig=True)
    return o if share <= 0 else emb.combine(base, o, share)


def variants(spec: str) -> list[dict]:
    """``--variants`` 'name:key=val/key=val,...' -> list of dict(name, kw)."""
    out = []
    for item in spec.split(","):
        name, _, kv = item.partition(":")
        kw = {}
        for pair in filter(None, kv.split("/")):
            k, _, v = pair.partition("=")
            try:
                kw[k] = float(v) if "." in v else int(v)
            except ValueError:  # e.g. dtype=float32
                kw[k] = v
        out.append(dict(name=name, kw=kw))
    return out


WINDOW_KW = ("min_length", "max_contigs", "per_contig", "max_window")
FIT_KW = ("dims", "shrinkage", "dtype", "solver", "pair_weight")


def mock_markers(m, fi: int, work: str, threads: int, min_length: int = 10_000) -> np.ndarray:
    """(contigs, 40) marker copies of the AUROC mock ``m`` of fold ``fi``, found (fast mode) on its
    contigs of >= ``min_length`` bp only (the classes; zeros elsewhere), cached in ``work``."""
    path = os.path.join(work, f"aurocmock{fi}_markers_L{min_length}.npy")
    if os.path.exists(path):
        return np.load(path)
    from genomeface_core.markers import find_markers

    t0 = time.time()
    idx = [i for i, s in enumerate(m.seqs) if len(s) >= min_length]
    out = np.zeros((len(m.seqs), 40), np.uint16)
    out[idx] = find_markers([m.seqs[i] for i in idx], threads=threads, mode="fast")
    np.save(path + ".tmp.npy", out)
    os.replace(path + ".tmp.npy", path)
    print(f"fold {fi}: markers of {len(idx)} long contigs in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    return out


def run_auroc(a, cat, G, folds) -> None:
    names = list(G)
    spec = {g.name: g.species for g in cat}
    sp = {s: i for i, s in enumerate(sorted(set(spec.values())))}
    gspec = np.array([sp[spec[n]] for n in names])
    test = {L: fixed_windows(G, a.per_genome, L, seed=1000 + L, threads=a.threads) for L in LENGTHS}
    shares = [float(x) for x in a.shares.split(",")]
    vs = variants(a.variants)
    res: dict = {}
    for fi, fold in enumerate(folds):
        t0 = time.time()
        base = fold_base(cat, G, fold, fi, a.folds, a.work, a.threads)
        gen = {g.name: G[g.name] for g in fold}
        m = make_mock(gen, n_samples=1, seed=SEED_AUROC + fi)
        lengths = np.array([len(s) for s in m.seqs])
        held = {g.name for g in fold}
        tg = np.array([n in held for n in names])
        for v in vs:
            wkw = {k: v["kw"][k] for k in WINDOW_KW if k in v["kw"]}
            fkw = {k: v["kw"][k] for k in FIT_KW if k in v["kw"]}
            w = self_windows(m.seqs, lengths, seed=a.seed, threads=a.threads, **wkw)
            if v["kw"].get("markers"):  # cannot-link pairs from the long contigs' markers
                fkw["pairs"] = cannot_link(mock_markers(m, fi, a.work, a.threads), np.unique(w.contig))
            own = fit_self_metric(w, **fkw) if len(np.unique(w.contig)) >= 2 else None
            for share in shares:
                if own is None and share < 1:
                    continue
                comp = joined(base, own, share)
                for L, (X, gi) in test.items():
                    msk = tg[gi]
                    res.setdefault((v["name"], share, L), []).append(
                        embedding_auroc(comp.embed(X[msk]), gi[msk], gspec[gi[msk]]))
            print(f"fold {fi} ({len(fold)} genomes, {len(m.seqs)} contigs, {w.long_contigs} long) {v['name']}: "
                  + "  ".join(f"s{share:g}@{L / 1000:g}kb={res[(v['name'], share, L)][-1]:.3f}"
                              for share in shares for L in LENGTHS if (v['name'], share, L) in res
                              and len(res[(v['name'], share, L)]) == fi + 1)
                  + f"  ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    print(f"\nLeave-genus-out AUROC, {a.folds} folds, {len(cat)} genomes, {a.per_genome} test windows per genome "
          "and length; mean over folds (per fold)\n")
    print("| variant | share of linear | " + " | ".join(f"{L / 1000:g} kb" for L in LENGTHS) + " |")
    print("|---|---|" + "---|" * len(LENGTHS))
    for v in vs:
        for share in shares:
            if (v["name"], share, LENGTHS[0]) not in res:
                continue
            cells = [f"{np.mean(res[(v['name'], share, L)]):.3f} ("
                     + "/".join(f"{x:.3f}" for x in res[(v['name'], share, L)]) + ")" for L in LENGTHS]
            print(f"| {v['name']} {v['kw'] or ''} | {share:g} | " + " | ".join(cells) + " |")


def run_nc(a, cat, G, folds) -> None:
    logging.getLogger("genomeface").setLevel(logging.WARNING)
    shares = [float(x) for x in a.shares.split(",")]
    ns = [int(x) for x in a.samples.split(",")]
    vs = variants(a.variants)
    nc: dict = {}
    total = 0
    real_get = emb.get_composition
    try:
        for fi, fold in enumerate(folds[: a.max_folds]):
            base = fold_base(cat, G, fold, fi, a.folds, a.work, a.threads)
            gen = {g.name: G[g.name] for g in mock_genomes(fold, a.max_genomes)}
            total += len(gen)
            for n in ns:
                paths, mk, truth, lengths = mock_with_markers(gen, fi, n, a.work, a.threads)
                contigs = read_fasta(paths["contigs"])
                keep = contigs.lengths >= 1500  # the pipeline's default length filter
                seqs = [s for s, k in zip(contigs.seqs, keep) if k]
                counts = read_markers_tsv(mk, [nm for nm, k in zip(contigs.names, keep) if k], allow_unknown=True)
                for v, share in ((v, share) for v in vs for share in shares):
                    if share >= 1 and v is not vs[0]:
                        continue  # linear alone: once
                    kw = {k: v["kw"][k] for k in WINDOW_KW + FIT_KW if k in v["kw"]}
                    t0 = time.perf_counter()
                    comp = base if share >= 1 else fit_adaptive(
                        seqs, contigs.lengths[keep], seed=a.seed, threads=a.threads, base=base, share=share,
                        markers=counts if v["kw"].get("markers") else None, **kw)
                    fit_s = time.perf_counter() - t0
                    # the pipeline resolves --composition by name: hand it this run's object
                    emb.get_composition = lambda name, _c=comp: _c if name == "adaptive-bench" else real_get(name)
                    w = c2(n, base.v1, base.v2) * a.factor
                    r = near_complete(paths, mk, truth, lengths, composition="adaptive-bench",
                                      abundance_weight=w, threads=a.threads)
                    name = "linear" if share >= 1 else v["name"]
                    nc.setdefault((name, share, n), []).append(r)
                    print(f"fold {fi} n={n} {name} share {share:g}: NC {r} of {len(gen)} (fit {fit_s:.1f} s)",
                          file=sys.stderr, flush=True)
    finally:
        emb.get_composition = real_get
    print(f"\nNear-complete genomes, sum over {min(a.max_folds, a.folds)} held-out mocks ({total} genomes), "
          f"abundance weight = {a.factor:g} x linear's c2(n)\n")
    print("| variant | share of linear | " + " | ".join(f"{n} sample(s)" for n in ns) + " |")
    print("|---|---|" + "---|" * len(ns))
    for name, share in dict.fromkeys((nm, sh) for nm, sh, _ in nc):
        kw = next((v["kw"] for v in vs if v["name"] == name), {})
        print(f"| {name} {kw or ''} | {share:g} | " + " | ".join(
            f"{sum(nc[(name, share, n)])} ({'/'.join(map(str, nc[(name, share, n)]))})" for n in ns) + " |")


def run_timing(a, cat, G) -> None:
    base = emb.get_composition("linear")
    allg = {g.name: G[g.name] for g in cat}
    m = make_mock(allg, n_samples=1, seed=7)
    lengths = np.array([len(s) for s in m.seqs])
    keep = np.flatnonzero(lengths >= 1500)
    print(f"mock of {len(cat)} genomes: {len(keep)} contigs >= 1.5 kb, {np.sum(lengths[keep] >= 10_000)} >= 10 kb")
    rng = np.random.default_rng(0)
    kmer_features([m.seqs[0][:5000]])  # compile the k-mer kernel outside the timings
    for n in (int(x) for x in a.sizes.split(",")):
        sel = np.sort(rng.choice(keep, size=min(n, len(keep)), replace=False))
        seqs = [m.seqs[i] for i in sel]
        t0, c0 = time.perf_counter(), time.process_time()
        fit_adaptive(seqs, lengths[sel], seed=0, threads=a.threads, base=base)
        print(f"{len(sel)} contigs ({int(np.sum(lengths[sel] >= 10_000))} >= 10 kb): fit_adaptive "
              f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU, {a.threads} threads",
              flush=True)


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("auroc", "nc", "timing"))
    ap.add_argument("--genomes", default=os.path.join(here, "..", "..", "shared", "genomes"))
    ap.add_argument("--work", default=os.path.join(here, "work"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--max-folds", type=int, default=5, help="nc: run only the first folds")
    ap.add_argument("--per-genome", type=int, default=40)
    ap.add_argument("--shares", default="1,0.75,0.5,0.25,0")
    ap.add_argument("--variants", default="default",
                    help="name:key=val/key=val,... (self_windows/fit kwargs; markers=1: cannot-link pairs)")
    ap.add_argument("--samples", default="1,5")
    ap.add_argument("--max-genomes", type=int, default=15)
    ap.add_argument("--factor", type=float, default=1.0, help="nc: abundance weight = factor x linear's c2(n)")
    ap.add_argument("--sizes", default="5000,20000")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="auroc/nc: the run's seed for the adaptive fit (its windows)")
    a = ap.parse_args(argv)
    t0 = time.time()
    cat = read_catalog(a.genomes)
    G = load_genomes([g.file for g in cat])
    if a.what == "timing":
        run_timing(a, cat, G)
    else:
        folds = make_folds(cat, a.folds)
        (run_auroc if a.what == "auroc" else run_nc)(a, cat, G, folds)
    print(f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
