"""Contig -> source genome truth from minimap2 (asm5) alignments of the contigs to the genomes.

As AMBER's gold standards do, a contig that cannot be given to one genome is left out of the
evaluation (it neither helps nor hurts a binner). Per contig and genome we take the union of
the contig bases the genome's alignments cover and their matching bases (alignments taken
best-first, each counted for the bases it adds). The contig goes to the genome with most
matching bases when that genome covers >= ``min_cover`` of it, and is excluded as

* ``unaligned``: no alignment;
* ``chimeric``: the best genome covers < ``min_cover`` but others cover the rest;
* ``partial``: the best genome covers < ``min_cover`` and no other genome adds to it;
* ``ambiguous``: a second genome has as many matching bases, within ``tie`` (identical
  sequence in two strains, e.g. a collapsed shared gene).

Reference contig names are ``<genome>.<original name>`` (see run.py), so the genome is the
part before the first '.'.
"""
from __future__ import annotations

import os
import subprocess
from collections import defaultdict
from typing import Iterable, Mapping


def align(contigs: str, refs: str, paf: str, threads: int = 2) -> None:
    """minimap2 -x asm5 with secondary alignments (strains), to ``paf``."""
    with open(paf + ".part", "wb") as out:
        subprocess.run(["minimap2", "-x", "asm5", "-t", str(threads), "--secondary=yes", "-N", "20",
                        "-p", "0.5", refs, contigs], check=True, stdout=out, stderr=subprocess.DEVNULL)
    os.replace(paf + ".part", paf)


def _union_add(covered: list[tuple[int, int]], s: int, e: int) -> int:
    """Add [s, e) to a list of disjoint intervals in place; return the number of new bases."""
    new = e - s
    for a, b in covered:
        new -= max(0, min(b, e) - max(a, s))
    covered.append((s, e))
    # merge so that later overlaps are measured against disjoint intervals
    covered.sort()
    merged: list[tuple[int, int]] = []
    for a, b in covered:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    covered[:] = merged
    return max(new, 0)


def assign(paf_lines: Iterable[str], lengths: Mapping[str, int], min_cover: float = 0.9,
           tie: float = 0.001) -> tuple[dict[str, str], dict[str, str]]:
    """(contig: genome, contig: exclusion reason) from PAF lines; every contig of ``lengths``
    lands in exactly one of the two.

    >>> paf = ["c1\\t1000\\t0\\t1000\\t+\\tgA.x\\t9\\t0\\t9\\t990\\t1000\\t60",
    ...        "c1\\t1000\\t0\\t1000\\t+\\tgB.y\\t9\\t0\\t9\\t900\\t1000\\t0",
    ...        "c2\\t1000\\t0\\t500\\t+\\tgA.x\\t9\\t0\\t9\\t500\\t500\\t60",
    ...        "c2\\t1000\\t500\\t1000\\t+\\tgB.x\\t9\\t0\\t9\\t500\\t500\\t60",
    ...        "c3\\t1000\\t0\\t1000\\t+\\tgA.x\\t9\\t0\\t9\\t1000\\t1000\\t60",
    ...        "c3\\t1000\\t0\\t1000\\t+\\tgB.z\\t9\\t0\\t9\\t1000\\t1000\\t60"]
    >>> assign(paf, {"c1": 1000, "c2": 1000, "c3": 1000, "c4": 1000})
    ({'c1': 'gA'}, {'c2': 'chimeric', 'c3': 'ambiguous', 'c4': 'unaligned'})
    """
    hits: dict[str, dict[str, list[tuple[int, int, int]]]] = defaultdict(lambda: defaultdict(list))
    for ln in paf_lines:
        p = ln.split("\t", 12)
        if len(p) < 12:
            continue
        genome = p[5].split(".", 1)[0]
        hits[p[0]][genome].append((int(p[9]), int(p[2]), int(p[3])))
    truth, excluded = {}, {}
    for contig, qlen in lengths.items():
        per = hits.get(contig)
        if not per:
            excluded[contig] = "unaligned"
            continue
        score = {}
        all_cov: list[tuple[int, int]] = []
        for genome, alns in per.items():
            cov: list[tuple[int, int]] = []
            matches = 0.0
            for nm, s, e in sorted(alns, reverse=True):
                new = _union_add(cov, s, e)
                matches += nm * new / max(e - s, 1)
            for s, e in cov:
                _union_add(all_cov, s, e)
            score[genome] = (matches, sum(b - a for a, b in cov))
        ranked = sorted(score.items(), key=lambda kv: -kv[1][0])
        best, (m1, c1) = ranked[0]
        if c1 < min_cover * qlen:
            total = sum(b - a for a, b in all_cov)
            excluded[contig] = "chimeric" if total >= c1 + 0.1 * qlen else "partial"
        elif len(ranked) > 1 and ranked[1][1][0] >= m1 * (1.0 - tie):
            excluded[contig] = "ambiguous"
        else:
            truth[contig] = best
    return truth, excluded


def write_truth(path: str, truth: Mapping[str, str], lengths: Mapping[str, int]) -> None:
    """truth.tsv as benchmarks.lab.evaluate.read_truth reads it (contig, genome, length)."""
    with open(path + ".part", "w") as fh:
        fh.write("contig\tgenome\tlength\n")
        for c, g in truth.items():
            fh.write(f"{c}\t{g}\t{lengths[c]}\n")
    os.replace(path + ".part", path)


def summarise(truth: Mapping[str, str], excluded: Mapping[str, str], lengths: Mapping[str, int],
              min_length: int = 0) -> dict:
    """Contigs and bp per outcome (assigned / each exclusion reason), contigs >= min_length."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"contigs": 0, "bp": 0})
    for c, n in lengths.items():
        if n < min_length:
            continue
        k = "assigned" if c in truth else excluded.get(c, "unaligned")
        out[k]["contigs"] += 1
        out[k]["bp"] += n
    return dict(out)
