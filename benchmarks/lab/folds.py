"""Leave-genus-out evaluation of embeddings: catalog, groups, folds, fold models, pair AUROC.

* **group** (never split across folds): the catalog genus, else the label;
  groups in ``MERGE_GROUPS`` are joined (Methanobacteriaceae MAGs are
  Methanobacterium relatives), so strain groups stay in one fold.
* **species** (LDA class, and the "same genome" unit of pair scores): the
  label when it names one species (a binomial other than "<genus> sp", or a
  named species cluster), else the genome file.  Pairs of windows from two
  different genomes of one species are neither positives nor negatives.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from genomeface_core.train.sampler import genome_name
from genomeface_core.train.train import species_key

MERGE_GROUPS = {"Methanobacteriaceae": "Methanobacterium"}


@dataclass(frozen=True)
class Genome:
    file: str
    name: str
    label: str
    genus: str
    group: str
    species: str
    total_bp: int


def read_catalog(directory: str | os.PathLike, catalog: str | os.PathLike | None = None) -> list[Genome]:
    """Genomes listed in ``catalog.tsv`` (columns file, label, genus, total_bp, ...)."""
    d = os.fspath(directory)
    cat = os.fspath(catalog) if catalog else os.path.join(d, "catalog.tsv")
    rows = [ln.rstrip("\n").split("\t") for ln in open(cat) if ln.strip()]
    head = rows[0]
    out = []
    for r in rows[1:]:
        rec = dict(zip(head, r))
        f = rec["file"]
        name = genome_name(f)
        label = rec.get("label", "") or name
        genus = rec.get("genus", "") or ""
        group = MERGE_GROUPS.get(genus, genus) if genus else label
        out.append(Genome(os.path.join(d, f), name, label, genus, group, species_key(name, label),
                          int(rec.get("total_bp", 0) or 0)))
    return out


def make_folds(genomes: list[Genome], k: int = 5) -> list[list[Genome]]:
    """Groups assigned largest first to the fold with fewest genomes (deterministic)."""
    groups: dict[str, list[Genome]] = {}
    for g in genomes:
        groups.setdefault(g.group, []).append(g)
    folds: list[list[Genome]] = [[] for _ in range(k)]
    for name in sorted(groups, key=lambda s: (-len(groups[s]), s)):
        j = min(range(k), key=lambda i: (len(folds[i]), i))
        folds[j].extend(groups[name])
    return folds


def auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half."""
    pos, neg = np.asarray(pos, np.float64).ravel(), np.asarray(neg, np.float64).ravel()
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    r = rankdata(np.concatenate([pos, neg]))
    return float((r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def pair_masks(genome_idx: np.ndarray, species_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper-triangle masks of positive (same genome) and negative (different species) pairs."""
    g = np.asarray(genome_idx)
    s = np.asarray(species_idx)
    iu = np.triu(np.ones((len(g), len(g)), dtype=bool), 1)
    pos = iu & (g[:, None] == g[None, :])
    neg = iu & (s[:, None] != s[None, :])
    return pos, neg


def embedding_auroc(emb: np.ndarray, genome_idx: np.ndarray, species_idx: np.ndarray) -> float:
    """AUROC of cosine similarity for same-genome vs different-species window pairs."""
    sim = emb @ emb.T
    pos, neg = pair_masks(genome_idx, species_idx)
    return auroc(sim[pos], sim[neg])


def fold_model(train: list[Genome], genomes: dict, path: str, *, seed: int = 0, threads: int | None = None,
               **fit_kw) -> str:
    """Train (or reuse, if ``path`` exists) a linear model on the ``train`` genomes
    with the shipped defaults; classes are species keys.  Returns the model file."""
    from genomeface_core.embed.linear import save_linear
    from genomeface_core.embed.lda import fit_lda
    from genomeface_core.embed.windows import sample_features
    from genomeface_core.train.train import DEFAULT_DIMS, DEFAULT_PER_GENOME, DEFAULT_SHRINKAGE

    if os.path.exists(path):
        return path
    sub = {g.name: genomes[g.name] for g in train}
    X, gi, _ = sample_features(sub, fit_kw.pop("per_genome", DEFAULT_PER_GENOME), seed=seed, threads=threads)
    spec = {g.name: g.species for g in train}
    names = list(sub)
    y = np.array([spec[names[i]] for i in gi])
    m = fit_lda(X, y, dims=fit_kw.pop("dims", DEFAULT_DIMS), shrinkage=fit_kw.pop("shrinkage", DEFAULT_SHRINKAGE), **fit_kw)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return save_linear(path, m["mean"], m["std"], m["W"], 1.0, 1.0,
                       dict(kind="linear", genomes=names, note="leave-genus-out fold model"))


def mock_genomes(fold: list[Genome], max_genomes: int = 15) -> list[Genome]:
    """Up to ``max_genomes`` of a fold, round-robin over its groups (deterministic)."""
    by: dict[str, list[Genome]] = {}
    for g in sorted(fold, key=lambda g: g.name):
        by.setdefault(g.group, []).append(g)
    out: list[Genome] = []
    while len(out) < max_genomes and any(by.values()):
        for grp in sorted(by):
            if by[grp] and len(out) < max_genomes:
                out.append(by[grp].pop(0))
    return out


def sample_pairs(genome_idx: np.ndarray, species_idx: np.ndarray, rng: np.random.Generator,
                 n_pos: int = 40_000, n_neg: int = 160_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random contig pairs: (i, j, is_positive); positives share a genome, negatives differ in species."""
    g = np.asarray(genome_idx)
    s = np.asarray(species_idx)
    n = len(g)
    order = np.argsort(g, kind="stable")
    starts = np.searchsorted(g[order], np.unique(g))
    sizes = np.diff(np.append(starts, n))
    ok = sizes >= 2
    # positives: a genome with prob. proportional to its contig count, then two distinct members
    p = np.where(ok, sizes, 0).astype(np.float64)
    gg = rng.choice(len(sizes), size=n_pos, p=p / p.sum())
    a = rng.integers(0, sizes[gg])
    b = (a + 1 + rng.integers(0, np.maximum(sizes[gg] - 1, 1))) % sizes[gg]
    pi, pj = order[starts[gg] + a], order[starts[gg] + b]
    ni = rng.integers(0, n, 3 * n_neg)
    nj = rng.integers(0, n, 3 * n_neg)
    keep = s[ni] != s[nj]
    ni, nj = ni[keep][:n_neg], nj[keep][:n_neg]
    i = np.concatenate([pi, ni])
    j = np.concatenate([pj, nj])
    lab = np.concatenate([np.ones(len(pi), bool), np.zeros(len(ni), bool)])
    return i, j, lab
