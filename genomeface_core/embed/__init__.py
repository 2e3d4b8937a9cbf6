"""Embeddings interface: contigs -> unit vectors on two spheres.

``composition(name)`` maps the (n, 1712) k-mer features to (n, d) unit
vectors; ``abundance(depths)`` maps (n, samples) depths to unit vectors.  Each
composition choice carries the (v1, v2) of its fitted abundance weight
c2(n) = 1 / (v2 + v1 / n), because that weight is only meaningful for the
embedding it was fitted on (see ``benchmarks/fit_mixing.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .raw import abundance_raw, composition_raw


@dataclass(frozen=True)
class Composition:
    """A composition embedding and the mixing constants fitted for it."""

    name: str
    embed: Callable[[np.ndarray], np.ndarray]
    v1: float
    v2: float
    description: str


# (v1, v2) for the raw baselines: fitted by benchmarks/fit_mixing.py on mocks
# from ../shared/genomes (golden-section search of held-out AUROC, then curve_fit).
COMPOSITIONS: dict[str, Composition] = {
    "kmer1712": Composition("kmer1712", lambda f: composition_raw(f, "kmer1712", dims=None),
                            0.35, 0.05, "z-scored 1712 k-mer frequencies, L2-normalised"),
    "tnf": Composition("tnf", lambda f: composition_raw(f, "tnf", dims=None),
                       0.35, 0.05, "z-scored tetranucleotide (136) frequencies, L2-normalised"),
}


def get_composition(name: str) -> Composition:
    try:
        return COMPOSITIONS[name]
    except KeyError:
        raise ValueError(f"unknown composition embedding {name!r}; choose from {', '.join(COMPOSITIONS)}") from None


def abundance(depths: np.ndarray) -> np.ndarray:
    """Default abundance embedding (variance-stabilised depths, see :mod:`.raw`)."""
    return abundance_raw(depths)
