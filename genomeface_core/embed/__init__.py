"""Embeddings interface: contigs -> unit vectors on two spheres.

``composition(name)`` maps the (n, 1712) k-mer features to (n, d) unit
vectors; ``abundance(depths)`` maps (n, samples) depths to unit vectors.  Each
composition choice carries the (v1, v2) of its fitted abundance weight
c2(n) = 1 / (v2 + v1 / n), because that weight is only meaningful for the
embedding it was fitted on (see ``benchmarks/fit_mixing.py``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

from genomeface_core.errors import InputError
from genomeface_core.embed.linear import stored_mixing as linear_mixing
from genomeface_core.embed.network import stored_mixing as network_mixing
from genomeface_core.embed.raw import abundance_raw, composition_raw


@dataclass(frozen=True)
class Composition:
    """A composition embedding and the mixing constants fitted for it."""

    name: str
    embed: Callable[[np.ndarray], np.ndarray]
    v1: float
    v2: float
    description: str
    # True when a contig's vector depends only on its own features (a trained
    # model), so the pipeline may compute features and embed in chunks; raw
    # baselines standardise over the whole dataset and need all rows at once.
    per_contig: bool = False
    # why this embedding runs instead of the one asked for (e.g. ``adaptive`` with too few long
    # contigs), or None: the pipeline logs it as a WARNING and records it in run.json
    fallback: str | None = None


def _linear(features: np.ndarray) -> np.ndarray:
    from genomeface_core.embed.linear import composition_linear
    return composition_linear(features)


def _network(features: np.ndarray) -> np.ndarray:
    from genomeface_core.embed.network import shipped_network  # Keras / TensorFlow load on first use only
    return shipped_network().embed(features)


# (v1, v2) per embedding: fitted by benchmarks/fit_mixing.py on leave-genus-out
# mocks from ../shared/genomes (golden-section search of held-out AUROC per
# sample count, then curve_fit of c2(n) = 1/(v2 + v1/n)), then checked by
# near-complete genomes on other held-out mocks (benchmarks/embeddings_binning.py):
# for tnf and kmer1712 4x the AUROC-fitted weight recovers more genomes (NC,
# 1 + 5 samples: tnf 95 vs 87, kmer1712 86 vs 85), so their constants are the
# AUROC fit / 4; for linear the AUROC fit ties for best (105); for network
# (fold networks of 8000 steps) 1x-16x are within 2 NC (95-97), 1x kept.  See
# embed/weights/MODEL_CARD.md.
COMPOSITIONS: dict[str, Composition] = {
    "kmer1712": Composition("kmer1712", lambda f: composition_raw(f, "kmer1712", dims=None),
                            0.03523, 0.0004762, "z-scored 1712 k-mer frequencies, L2-normalised"),
    "tnf": Composition("tnf", lambda f: composition_raw(f, "tnf", dims=None),
                       0.02274, 0.0004968, "z-scored tetranucleotide (136) frequencies, L2-normalised"),
    "linear": Composition("linear", _linear, *linear_mixing(),
                          "learned linear metric (shrinkage LDA on z-scored 1712 k-mer frequencies), L2-normalised",
                          per_contig=True),
    # linear, network: (v1, v2) as stored in weights/linear.npz and weights/network.json;
    # the network loads TensorFlow on first embed
    "network": Composition("network", _network, *network_mixing(),
                           "composition network (CurricularFace-trained, 512/1024 -> 128, weights/network.keras; "
                           "needs the nn extra)", per_contig=True),
}


ENSEMBLE_SHARE = 0.75  # first component's share of the squared angle (leave-genus-out AUROC, MODEL_CARD)


def combine(a: Composition, b: Composition, share: float = ENSEMBLE_SHARE, v1: float | None = None,
            v2: float | None = None) -> Composition:
    """Concatenation [sqrt(share) x_a, sqrt(1 - share) x_b] of two embeddings: a unit vector whose
    cosine is share cos_a + (1 - share) cos_b.  Mixing constants default to ``a``'s."""
    wa, wb = np.float32(np.sqrt(share)), np.float32(np.sqrt(1.0 - share))

    def embed(f: np.ndarray) -> np.ndarray:
        return np.hstack([a.embed(f) * wa, b.embed(f) * wb])

    return Composition(f"{a.name}+{b.name}", embed, a.v1 if v1 is None else v1, a.v2 if v2 is None else v2,
                       f"{share:g} {a.name} + {1 - share:g} {b.name} (concatenated)",
                       per_contig=a.per_contig and b.per_contig)


def get_composition(name: str | os.PathLike) -> Composition:
    """A registered embedding by name, or a trained model: a linear metric (``.npz`` file or folder
    with ``model.npz``) or a composition network (``.keras`` file or folder with ``model.keras``).

    A model file carries its own mixing constants (v1, v2).  A bad model file
    is an :class:`~genomeface_core.errors.InputError` naming it.
    """
    key = os.fspath(name)
    if key in ENSEMBLES:
        return combine(*(get_composition(k) for k in key.split("+")), v1=ENSEMBLES[key][0], v2=ENSEMBLES[key][1])
    if "+" in key and not os.path.exists(key):  # two trained models: FIRST+SECOND
        first, _, second = key.partition("+")
        return combine(get_composition(first), get_composition(second))
    if key == "network":  # fail before any work when the nn extra is missing
        from genomeface_core.embed.network import require_nn

        require_nn("--composition network")
    if key in COMPOSITIONS:
        return COMPOSITIONS[key]
    from genomeface_core.embed.network import is_network_path

    if is_network_path(key):  # .keras file or folder with model.keras (needs the nn extra)
        from genomeface_core.embed.network import get_network

        net = get_network(key)  # raises InputError naming the file
        return Composition(key, net.embed, net.v1, net.v2,
                           f"composition network from {net.path} ({net.dims} dims)", per_contig=True)
    if os.path.exists(key) or key.endswith(".npz") or os.sep in key:
        from genomeface_core.embed.linear import get_model

        model = get_model(key)  # raises InputError naming the file
        return Composition(key, model.embed, model.v1, model.v2,
                           f"linear metric from {model.path} ({model.dims} dims)", per_contig=True)
    raise InputError(None, f"unknown composition embedding {key!r}; choose from "
                           f"{', '.join([*COMPOSITIONS, *ENSEMBLES])} "
                           "or give the path of a trained model")


# registered ensembles -> their fitted (v1, v2) (benchmarks/fit_mixing.py)
#: composition embeddings fitted inside each run, on the assembly itself (:mod:`.adaptive`)
FITTED = ("adaptive",)

#: ``--composition auto`` chooses from the data (:func:`resolve_auto`)
AUTO = "auto"
#: ``auto`` runs ``adaptive`` up to this many samples and ``linear`` above: with one sample the depths
#: separate few genomes and the metric learned from the assembly adds the most -- held out +2 to +6
#: near-complete genomes in every draw (benchmarks/results/adaptive.md), a tie on the *single* mock; with
#: two samples adaptive lost 1 on the *pair* mock (benchmarks/results/composition_auto.md).  A heuristic.
AUTO_ADAPTIVE_MAX_SAMPLES = 1


def resolve_auto(n_samples: int) -> tuple[str, str]:
    """(composition, why) that ``--composition auto`` runs for ``n_samples`` samples (0: no coverage).

    >>> resolve_auto(1)
    ('adaptive', 'auto: adaptive, 1 sample(s) <= 1')
    >>> resolve_auto(2)[0]
    'linear'
    """
    if n_samples <= AUTO_ADAPTIVE_MAX_SAMPLES:
        return "adaptive", f"auto: adaptive, {n_samples} sample(s) <= {AUTO_ADAPTIVE_MAX_SAMPLES}"
    return "linear", f"auto: linear, {n_samples} samples > {AUTO_ADAPTIVE_MAX_SAMPLES}"

ENSEMBLES: dict[str, tuple[float, float]] = {
    "linear+network": (0.1737, 1e-6),
}


def abundance(depths: np.ndarray) -> np.ndarray:
    """Default abundance embedding (variance-stabilised depths, see :mod:`.raw`)."""
    return abundance_raw(depths)
