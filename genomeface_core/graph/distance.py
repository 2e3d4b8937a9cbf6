"""Geodesic distance between contigs on two unit spheres.

    d(i, j) = sqrt( arccos^2(x_i . x_j) + w * arccos^2(y_i . y_j) )

x: composition embedding, y: abundance embedding (unit vectors; arccos gives radians);
w = c2(n) is the abundance weight (:func:`genomeface_core.embed.mixing.abundance_weight`).
"""
from __future__ import annotations


def distance_from_cosines(xp, cx, cy, w: float):
    """The geodesic distance sqrt(arccos(cx)^2 + w arccos(cy)^2) from the cosines of the
    composition (``cx``) and abundance (``cy``, or None: composition only) angles."""
    ax = xp.arccos(xp.clip(cx, -1.0, 1.0))
    d2 = ax * ax
    if w > 0 and cy is not None:
        ay = xp.arccos(xp.clip(cy, -1.0, 1.0))
        d2 += w * (ay * ay)
    return xp.sqrt(d2)


def pair_distance(xp, xs, ys, xt, yt, w: float):
    """Distance matrix (len(xs), len(xt)) between two sets of contigs.

    Written against the array module ``xp`` (NumPy or CuPy).
    """
    return distance_from_cosines(xp, xs @ xt.T, ys @ yt.T if w > 0 and ys is not None else None, w)
