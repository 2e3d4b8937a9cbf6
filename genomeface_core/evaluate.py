"""Evaluate bins against a known truth (AMBER / VAMB benchmark methodology).

For every bin b and genome g, bp-weighted
recall(b, g) = bp of g in b / bp of g in the assembly, and
precision(b, g) = bp of g in b / bp of b.
A genome is recovered at (r, p) when some bin has recall >= r and
precision >= p with it.  Contigs absent from the bin table count as unbinned.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

RECALLS = (0.5, 0.7, 0.9, 0.95, 0.99)
PRECISIONS = (0.9, 0.95, 0.99)


@dataclass
class Evaluation:
    recall: np.ndarray  # (bins, genomes) bp-weighted
    precision: np.ndarray  # (bins, genomes)
    bins: list[str]
    genomes: list[str]
    ari: float

    def recovered(self, min_recall: float = 0.9, min_precision: float = 0.95) -> int:
        """Genomes with some bin at recall >= min_recall and precision >= min_precision."""
        ok = (self.recall >= min_recall) & (self.precision >= min_precision)
        return int(ok.any(axis=0).sum())

    def grid(self) -> dict[tuple[float, float], int]:
        return {(r, p): self.recovered(r, p) for p in PRECISIONS for r in RECALLS}


def evaluate(assign: Mapping[str, str], truth: Mapping[str, str], lengths: Mapping[str, int],
             unbinned: Sequence[str] = ("unbinned", "")) -> Evaluation:
    """Score a contig -> bin mapping against contig -> genome truth (bp-weighted).

    ``lengths``: contig lengths (bp) of every contig in the truth.
    """
    genomes = sorted(set(truth.values()))
    gi = {g: i for i, g in enumerate(genomes)}
    bins = sorted({b for b in assign.values() if b not in unbinned})
    bi = {b: i for i, b in enumerate(bins)}
    m = np.zeros((len(bins), len(genomes)))
    gsize = np.zeros(len(genomes))
    for c, g in truth.items():
        gsize[gi[g]] += lengths[c]
        b = assign.get(c)
        if b is not None and b not in unbinned:
            m[bi[b], gi[g]] += lengths[c]
    bsize = m.sum(axis=1, keepdims=True)
    recall = m / np.maximum(gsize[None, :], 1)
    precision = m / np.maximum(bsize, 1)
    return Evaluation(recall, precision, bins, genomes, _ari(assign, truth, lengths, unbinned))


def _ari(assign, truth, lengths, unbinned) -> float:
    """bp-weighted adjusted Rand index over binned contigs (unbinned contigs excluded)."""
    keys = [c for c in truth if assign.get(c) not in (None, *unbinned)]
    if not keys:
        return 0.0
    b = {x: i for i, x in enumerate(sorted({assign[c] for c in keys}))}
    g = {x: i for i, x in enumerate(sorted({truth[c] for c in keys}))}
    t = np.zeros((len(b), len(g)))
    for c in keys:
        t[b[assign[c]], g[truth[c]]] += lengths[c]
    # weights in kb keep the pair counts in float range
    t /= 1000.0
    comb = lambda x: x * (x - 1) / 2.0  # noqa: E731
    s_ij = comb(t).sum()
    s_a, s_b = comb(t.sum(1)).sum(), comb(t.sum(0)).sum()
    exp = s_a * s_b / max(comb(t.sum()), 1e-12)
    mx = (s_a + s_b) / 2.0
    return float((s_ij - exp) / (mx - exp)) if mx != exp else 1.0


def read_table(path: str, key_col: int = 1, val_col: int = 0, header: bool = True) -> dict[str, str]:
    """Two columns of a TSV as a dict (default: clusters.tsv 'bin<TAB>contig' -> contig: bin)."""
    out = {}
    with open(path) as fh:
        for i, ln in enumerate(fh):
            if (header and i == 0) or not ln.strip():
                continue
            p = ln.rstrip("\n").split("\t")
            out[p[key_col]] = p[val_col]
    return out
