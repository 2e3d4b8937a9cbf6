"""Evaluate bins against a known truth (AMBER / VAMB benchmark methodology).

For every bin b and genome g, bp-weighted
recall(b, g) = bp of g in b / bp of g in the assembly, and
precision(b, g) = bp of g in b / bp of b.
A genome is recovered at (r, p) when some bin has recall >= r and
precision >= p with it.  Contigs absent from the bin table count as unbinned.
"""
from __future__ import annotations

import os
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

    def summary(self) -> dict:
        """NC count, the grid (as "r,p" keys), ARI, bin count and binned bp fraction."""
        return {"nc": self.recovered(0.9, 0.95), "ari": round(self.ari, 4), "n_bins": len(self.bins),
                "n_genomes": len(self.genomes), "binned_bp_frac": round(self.binned_bp_frac, 4),
                "grid": {f"{r},{p}": n for (r, p), n in self.grid().items()}}

    binned_bp_frac: float = 0.0


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
    ev = Evaluation(recall, precision, bins, genomes, _ari(assign, truth, lengths, unbinned))
    ev.binned_bp_frac = float(m.sum() / max(gsize.sum(), 1))
    return ev


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


FORMATS = ("auto", "genomeface", "vamb", "semibin", "metabat-cls", "metabat-dir", "tsv")
_FASTA_EXT = (".fa", ".fna", ".fasta", ".fa.gz", ".fna.gz", ".fasta.gz")


def read_truth(path: str, min_length: int = 0) -> tuple[dict[str, str], dict[str, int]]:
    """truth.tsv (contig, genome, length; header) -> (contig: genome, contig: length), contigs >= min_length."""
    truth, lengths = {}, {}
    with open(path) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        ci, gi, li = head.index("contig"), head.index("genome"), head.index("length")
        for ln in fh:
            if not ln.strip():
                continue
            p = ln.rstrip("\n").split("\t")
            if int(p[li]) >= min_length:
                truth[p[ci]] = p[gi]
                lengths[p[ci]] = int(p[li])
    return truth, lengths


def _fasta_names(path: str) -> list[str]:
    from genomeface_core.io.compressed import open_input

    with open_input(path, text=True) as fh:
        return [ln[1:].split()[0] for ln in fh if ln.startswith(">")]


def read_bins(path: str, fmt: str = "auto") -> dict[str, str]:
    """Any binner's contig -> bin assignment.

    * ``genomeface``: clusters.tsv, ``bin<TAB>contig`` with header (``unbinned`` = no bin);
    * ``vamb``: ``clustername<TAB>contigname`` with header (vae_clusters_*.tsv);
    * ``semibin``: ``contig<TAB>bin`` with header (contig_bins.tsv);
    * ``metabat-cls``: MetaBAT ``--saveCls`` file, ``contig<TAB>id`` without header (0 = unbinned);
    * ``metabat-dir``: a folder of bin FASTAs (any binner): bin = file name without extension;
    * ``tsv`` / ``auto``: two columns; the header (if any) says which is the contig column
      (``contig``/``contigname``), else the column order is guessed from a directory or
      from the ``bin``/``cluster`` words.
    """
    if os.path.isdir(path) or fmt == "metabat-dir":
        out = {}
        for f in sorted(os.listdir(path)):
            if f.endswith(_FASTA_EXT):
                b = next(f[: -len(e)] for e in _FASTA_EXT if f.endswith(e))
                for c in _fasta_names(os.path.join(path, f)):
                    out[c] = b
        return out
    with open(path) as fh:
        rows = [ln.rstrip("\n").split("\t") for ln in fh if ln.strip() and not ln.startswith("#")]
    if not rows:
        return {}
    if fmt == "metabat-cls":
        return {r[0]: ("unbinned" if r[1] == "0" else f"bin{r[1]}") for r in rows}
    if fmt in ("genomeface", "vamb"):
        return {r[1]: r[0] for r in rows[1:]}
    if fmt == "semibin":
        return {r[0]: r[1] for r in rows[1:]}
    head = [h.strip().lower() for h in rows[0]]
    contig_words = ("contig", "contigname", "contig_name", "contigs", "sequence", "seqname")
    if any(h in contig_words for h in head):
        ci = next(i for i, h in enumerate(head) if h in contig_words)
        return {r[ci]: r[1 - ci] for r in rows[1:]}
    if head[0] in ("bin", "cluster", "clustername", "cluster_name"):
        return {r[1]: r[0] for r in rows[1:]}
    # headerless: a MetaBAT --saveCls-like table (contig, numeric id) or (contig, bin)
    if all(r[1].lstrip("-").isdigit() for r in rows[:100]):
        return {r[0]: ("unbinned" if r[1] == "0" else f"bin{r[1]}") for r in rows}
    return {r[0]: r[1] for r in rows}


def format_markdown(results: dict[str, dict], extra_cols: Sequence[str] = ()) -> str:
    """Markdown tables: one row per binner (NC, ARI, ...) and the NC grid per binner."""
    def row(cells):
        return "| " + " | ".join(cells) + " |"

    lines = [row(["binner", "NC (R>=0.9, P>=0.95)", "ARI", "bins", "binned bp", *extra_cols]),
             "|---|---:|---:|---:|---:|" + "---:|" * len(extra_cols)]
    for name, r in results.items():
        extra = [str(r.get(c, "")) for c in extra_cols]
        if "nc" not in r:
            lines.append(row([name, r.get("status", "failed"), "", "", "", *extra]))
            continue
        lines.append(row([name, str(r["nc"]), f"{r['ari']:.3f}", str(r["n_bins"]),
                          f"{100 * r['binned_bp_frac']:.1f}%", *extra]))
    lines += ["", "Genomes recovered at recall >= R (columns) and precision >= P (rows):", ""]
    for name, r in results.items():
        if "grid" in r:
            lines += grid_markdown(name, r["grid"])
    return "\n".join(lines)


def grid_markdown(name: str, grid: dict) -> list[str]:
    """Markdown lines of one binner's recall x precision grid (``summary()["grid"]``), then a blank line."""
    lines = [f"**{name}**", "", "| P \\ R | " + " | ".join(str(x) for x in RECALLS) + " |",
             "|---|" + "---:|" * len(RECALLS)]
    lines += [f"| {p} | " + " | ".join(str(grid[f"{x},{p}"]) for x in RECALLS) + " |" for p in PRECISIONS]
    return lines + [""]
