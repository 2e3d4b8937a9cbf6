"""The mixing weight of the two embeddings in the contig distance (:mod:`genomeface_core.graph.distance`).

    d(i, j) = sqrt( a * arccos^2(x_i . x_j) + b * arccos^2(y_i . y_j) )

We fix a = 1 and set b = c2(n) = 1 / (v2 + v1 / n) for n samples, so the abundance term
weighs more as samples add evidence.  Upstream's constants (v1 = 4.853660700796253,
v2 = 0.3304441433347871, composition weight 0.8, a + b rescaled to 2) were fitted for its
learned embeddings; every embedding choice here ships its own fitted (v1, v2) (see
``genomeface_core.embed``), since only the ratio b/a matters for kNN, MST and single linkage.
It lives with the embeddings because each stored model carries its constants.
"""
from __future__ import annotations

import math
import os

UPSTREAM_V1 = 4.853660700796253
UPSTREAM_V2 = 0.3304441433347871


def abundance_weight(n_samples: int, v1: float = UPSTREAM_V1, v2: float = UPSTREAM_V2) -> float:
    """c2(n) = 1 / (v2 + v1 / n): weight of the squared abundance angle (composition weight 1).

    >>> round(abundance_weight(1), 4), round(abundance_weight(10), 4)
    (0.1929, 1.2258)
    """
    if n_samples < 1:
        return 0.0
    return 1.0 / (v2 + v1 / n_samples)


def check_mixing(path: str | os.PathLike, v1: float, v2: float, what: str = "mixing constants") -> None:
    """InputError naming ``path`` unless (v1, v2) can define c2(n): finite, >= 0, not both 0.

    >>> check_mixing("m.npz", 0.17, 1e-6)
    >>> check_mixing("m.npz", 0.0, 0.0)
    Traceback (most recent call last):
    ...
    genomeface_core.errors.InputError: m.npz: mixing constants must be finite, >= 0, not both 0 (v1=0.0, v2=0.0)
    """
    from genomeface_core.errors import InputError

    if not (math.isfinite(v1) and math.isfinite(v2) and v1 >= 0 and v2 >= 0 and v1 + v2 > 0):
        raise InputError(path, f"{what} must be finite, >= 0, not both 0 (v1={v1}, v2={v2})")
