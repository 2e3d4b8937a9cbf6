"""``train_linear``: genome folder (+ optional labels) -> linear composition model file."""
from __future__ import annotations

import datetime
import logging
import os
import time
from typing import Sequence

import numpy as np

from genomeface_core.errors import InputError
from genomeface_core.train.sampler import genome_name, list_genomes, load_genomes
from genomeface_core.embed.windows import LengthDistribution, sample_features

log = logging.getLogger("genomeface")

# defaults chosen by leave-genus-out AUROC (benchmarks/embeddings_auroc.py)
DEFAULT_DIMS = 32
DEFAULT_SHRINKAGE = 0.5
DEFAULT_PER_GENOME = 300


UNSPECIFIC = ("unlabelled", "unlabeled", "archaeon", "bacterium", "endosymbiont")


def species_key(name: str, label: str) -> str:
    """The species class of genome ``name`` with catalog ``label``: the label when it names one
    species (a binomial other than "<genus> sp", or a named species cluster), else the genome.

    >>> species_key("g1", "Escherichia coli"), species_key("g2", "Prevotella sp"), species_key("g3", "bacterium")
    ('Escherichia coli', 'g2', 'g3')
    """
    lab = label.strip()
    low = lab.lower()
    if "species-cluster" in low or "same species" in low:
        return lab
    words = lab.split()
    if (len(words) == 2 and words[0][:1].isupper() and words[1].islower()
            and words[1] not in ("sp", "sp.") and not any(u in low for u in UNSPECIFIC)):
        return lab
    return name


def load_labelled_genomes(genomes, labels=None) -> tuple[dict, list[str], dict[str, str]]:
    """Genomes (a folder or a list of files), their names and class labels (one class per
    genome unless ``labels`` groups them); fewer than 2 classes is an InputError."""
    files = list_genomes(genomes) if isinstance(genomes, (str, os.PathLike)) else list(genomes)
    G = load_genomes(files)
    names = list(G)
    cls = read_labels(labels, names) if labels is not None else {n: n for n in names}
    n_classes = len(set(cls.values()))
    if n_classes < 2:
        where = labels if labels is not None else os.fspath(genomes) if isinstance(genomes, (str, os.PathLike)) else None
        raise InputError(where, f"need genomes of at least 2 classes, got {n_classes}")
    return G, names, cls


def read_labels(path: str | os.PathLike, names: Sequence[str]) -> dict[str, str]:
    """genome name -> class from a labels TSV.

    Either two columns ``genome<TAB>class`` (genome: file name or file name
    without FASTA suffix; optional header), or a catalog with ``file`` and
    ``label`` columns, where genomes whose label names one species (see
    :func:`species_key`) share a class.
    Genomes not listed are classes of their own.
    """
    p = os.fspath(path)
    try:
        rows = [ln.rstrip("\n\r").split("\t") for ln in open(p) if ln.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(p, f"cannot read labels: {e}") from None
    if not rows:
        raise InputError(p, "empty labels file")
    head = [h.strip().lower() for h in rows[0]]
    out: dict[str, str] = {}
    known = set(names)
    if "file" in head and "label" in head:
        fi, li = head.index("file"), head.index("label")
        for r in rows[1:]:
            if len(r) <= max(fi, li):
                raise InputError(p, f"row with {len(r)} column(s): {r[0]!r}")
            n = genome_name(r[fi])
            out[n] = species_key(n, r[li] or n)
    else:
        start = 1 if head[0] in ("genome", "file", "name") else 0
        for r in rows[start:]:
            if len(r) < 2 or not r[1].strip():
                raise InputError(p, f"expected 'genome<TAB>class', got {chr(9).join(r)!r}")
            out[genome_name(r[0])] = r[1].strip()
    hit = known & set(out)
    if not hit:
        raise InputError(p, "no genome of the genome folder is listed")
    return {n: out.get(n, n) for n in names}


def train_linear(genomes: str | os.PathLike | Sequence[str], output: str | os.PathLike, *,
                 labels: str | os.PathLike | None = None, seed: int = 0, per_genome: int = DEFAULT_PER_GENOME,
                 lengths: LengthDistribution = LengthDistribution(), dims: int = DEFAULT_DIMS,
                 shrinkage: float | str = DEFAULT_SHRINKAGE, v1: float | None = None, v2: float | None = None,
                 threads: int | None = None) -> str:
    """Fit the linear metric on windows of ``genomes`` (folder or list of files); returns the model file.

    ``v1, v2``: mixing constants stored with the model (default: those of the
    shipped linear metric, fitted by ``benchmarks/fit_mixing.py``).
    """
    from genomeface_core.embed.linear import save_linear
    from genomeface_core.embed.lda import fit_lda

    t0 = time.perf_counter()
    G, names, cls = load_labelled_genomes(genomes, labels)
    n_classes = len(set(cls.values()))
    log.info("sampling %d windows from each of %d genomes (%d classes)", per_genome, len(names), n_classes)
    X, gi, wl = sample_features(G, per_genome, seed=seed, lengths=lengths, threads=threads)
    y = np.array([cls[names[i]] for i in gi])
    log.info("fitting shrinkage LDA on %d windows", len(X))
    m = fit_lda(X, y, dims=dims, shrinkage=shrinkage)
    del X
    if v1 is None or v2 is None:
        from genomeface_core.embed import COMPOSITIONS
        ship = COMPOSITIONS.get("linear")
        v1 = ship.v1 if v1 is None and ship else v1
        v2 = ship.v2 if v2 is None and ship else v2
    meta = dict(kind="linear", genomes=names, classes=n_classes, windows=int(len(gi)), per_genome=per_genome,
                window_lengths=dict(min=lengths.min_len, max=lengths.max_len, median=lengths.median,
                                    sigma=lengths.sigma, p_uniform=lengths.p_uniform, mean_drawn=float(wl.mean())),
                dims=m["dims"], shrinkage=m["shrinkage"], seed=seed, eigenvalues=[round(float(e), 6) for e in m["eigenvalues"]],
                date=datetime.date.today().isoformat(), seconds=round(time.perf_counter() - t0, 1))
    path = save_linear(output, m["mean"], m["std"], m["W"], v1, v2, meta)
    log.info("wrote %s (%d dims) in %.1f s", path, m["dims"], time.perf_counter() - t0)
    return path
