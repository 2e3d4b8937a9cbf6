"""Depth coherence inside a bin: contigs whose depth profile is not their bin's leave it.

Single linkage chains two strains of one species through the contigs the
assembler shares between them (they carry both strains' reads, so their depth
is intermediate), and the marker reward cannot object: a strain's accessory
contigs carry no single-copy markers.  Depth can: all contigs of one genome
are sampled from one abundance per sample, up to read-sampling noise.

For a contig i of length L_i (bp) with mean depth d_is in sample s and a bin
whose *core* (its marker-carrying contigs, else its longest half by bp) has
length-weighted median depth c_s, the residual on the log scale is

    z_is = (ln(d_is + 0.5) - ln(c_s + 0.5)) / sqrt(se_is^2 / (min(d_is, c_s) + 0.5)^2 + tol_s^2)

where se_is^2 = max(var_is, d_is, c_s) * r / L_i is the variance of a mean depth
over L_i bases for reads of length r (Poisson read starts give per-base depth
variance d; MetaBAT's ``-var`` column, where known, also carries the extra
dispersion the BAM shows), and ``tol_s`` is a tolerance for real depth
variation inside a genome (origin-to-terminus gradients, GC bias) on the log
scale: the core's own spread beyond sampling, at least 0.15.  Under
coherence, sum_s z_is^2 is about chi-square with S degrees of freedom; a
contig whose upper tail probability is below ``p`` leaves the bin.  The
constants are heuristics: the 0.15 floor and ``p`` 1e-6 (a long contig of a
tight bin leaves when it differs by x2.1 with one sample; with three, by x2.3
in one of them or x1.6 in all; with five, x2.5 or x1.5).

The contigs a bin ejects form a bin of their own when they agree with each
other by the same test (a strain's accessory genome, from the other strain's
depth); what does not stays unbinned.

>>> d = np.array([[10., 10.], [11., 9.], [10., 60.], [12., 10.]])
>>> mc = np.zeros((4, 40), np.uint16); mc[0, :20] = 1; mc[1, 20:] = 1
>>> lab, info = eject_incoherent(np.array([0, 0, 0, 0]), d, None, np.full(4, 20_000), mc)
>>> lab.tolist(), info.ejected_bp.tolist()
([0, 0, -1, 0], [20000])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PSEUDO = 0.5  # depth pseudocount (x): absent samples (depth 0) stay finite on the log scale
#: effective contigs (:func:`effective_count`) a bin's marker core needs to set its centre (a heuristic)
MIN_CORE_CONTIGS = 10.0


@dataclass
class Coherence:
    """What :func:`eject_incoherent` did.

    ``ejected``: (n,) True for contigs that left their input cluster
    (wherever they went).  ``ejected_bp``: bp that left each input cluster.
    ``origin``: each output cluster's input cluster (a new cluster: the one
    its contigs were ejected from); its length is the number of output clusters.
    """

    ejected: np.ndarray
    ejected_bp: np.ndarray
    origin: np.ndarray


def chi2_sf(x: np.ndarray, k: int) -> np.ndarray:
    """Upper tail probability of a chi-square with ``k`` degrees of freedom.

    >>> chi2_sf(np.array([3.841459]), 1).round(4).tolist(), chi2_sf(np.array([7.814728]), 3).round(4).tolist()
    ([0.05], [0.05])
    """
    from scipy.special import gammaincc

    return gammaincc(k / 2.0, np.asarray(x, np.float64) / 2.0)


def residuals(depths: np.ndarray, variances: np.ndarray | None, lengths: np.ndarray, centre: np.ndarray, *,
              read_length: float = 150.0, tol: float = 0.15) -> np.ndarray:
    """(n, S) log-depth residuals of contigs against a depth profile ``centre`` (S,) (see module doc).

    ``depths``, ``variances``: (n, S) mean depth (x) and per-base depth
    variance (x^2; None: Poisson, = depth); ``lengths``: (n,) bp;
    ``read_length``: bp.
    """
    d = np.asarray(depths, np.float64)
    c = np.asarray(centre, np.float64)
    # sampling noise as large as either depth implies: a contig read at 0x from a 2.5x genome has
    # Poisson variance 2.5, not 0 (the bin's own depth is the null hypothesis)
    var = np.maximum(d, c) if variances is None else np.maximum(np.asarray(variances, np.float64), np.maximum(d, c))
    se2 = var * read_length / np.maximum(np.asarray(lengths, np.float64), 1.0)[:, None]
    scale = np.sqrt(se2 / (np.minimum(d, c) + PSEUDO) ** 2 + np.asarray(tol, np.float64) ** 2)
    return (np.log(d + PSEUDO) - np.log(c + PSEUDO)) / scale


def weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Column-wise weighted median of ``x`` (n, S) with weights ``w`` (n,).

    >>> weighted_median(np.array([[1.], [2.], [10.]]), np.array([1., 1., 5.])).tolist()
    [10.0]
    """
    out = np.empty(x.shape[1])
    for s in range(x.shape[1]):
        o = np.argsort(x[:, s], kind="mergesort")
        cw = np.cumsum(w[o])
        out[s] = x[o[np.searchsorted(cw, 0.5 * cw[-1])], s]
    return out


def core_members(members: np.ndarray, lengths: np.ndarray, marker_counts: np.ndarray,
                 min_core_bp: float = 0.2) -> np.ndarray:
    """The contigs that define a bin's depth: those with markers when they hold >= ``min_core_bp``
    of its bp (markers sit in the genome the reward chose), else its longest contigs up to half its bp."""
    ln = lengths[members].astype(np.float64)
    has = marker_counts[members].sum(axis=1) > 0
    if has.any() and ln[has].sum() >= min_core_bp * ln.sum():
        return members[has]
    o = np.argsort(-ln, kind="mergesort")
    k = int(np.searchsorted(np.cumsum(ln[o]), 0.5 * ln.sum())) + 1
    return members[o[:k]]


def eject_incoherent(labels: np.ndarray, depths: np.ndarray | None, variances: np.ndarray | None,
                     lengths: np.ndarray, marker_counts: np.ndarray, *, p: float = 1e-6, tol: float = 0.15,
                     read_length: float = 150.0, n_clusters: int | None = None) -> tuple[np.ndarray, Coherence]:
    """Labels with every contig whose depth profile is incompatible with its bin's core removed.

    ``labels``: (n,) cluster ids, -1 unbinned.  ``depths``/``variances``: (n, S)
    (None depths: nothing to test, labels returned unchanged).  ``p``: tail
    probability below which a contig leaves (0: off).  Ejected contigs of one
    cluster that are coherent with their own core form a new cluster (ids
    after the existing ones: ``n_clusters``, default max + 1); the rest become -1.
    Returns (labels, :class:`Coherence`).
    """
    labels = np.asarray(labels, np.int64)
    n_in = int(labels.max()) + 1 if (labels >= 0).any() else 0
    n_in = max(n_in, n_clusters or 0)
    ejected = np.zeros(len(labels), bool)
    if depths is None or p <= 0 or n_in == 0:
        return labels.copy(), _summary(labels, ejected, lengths, np.arange(n_in), n_in)
    S = depths.shape[1]
    out = labels.copy()
    origin = list(range(n_in))
    order = np.argsort(labels, kind="mergesort")
    starts = np.searchsorted(labels[order], np.arange(n_in + 1))
    for c in range(n_in):
        members = order[starts[c]:starts[c + 1]]
        if len(members) < 2:
            continue
        bad = _incoherent(members, depths, variances, lengths, marker_counts, p, tol, read_length, S)
        if not bad.any():
            continue
        gone = members[bad]
        ejected[gone] = True
        out[gone] = -1
        if len(gone) >= 2:  # the ejected part as a bin of its own, if it is one depth
            stay = gone[~_incoherent(gone, depths, variances, lengths, marker_counts, p, tol, read_length, S)]
            if len(stay):
                out[stay] = len(origin)
                origin.append(c)
    return out, _summary(labels, ejected, lengths, origin, n_in)


def core_profile(members: np.ndarray, depths: np.ndarray, variances: np.ndarray | None, lengths: np.ndarray,
                 marker_counts: np.ndarray, *, tol: float = 0.15, read_length: float = 150.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A bin's depth profile and tolerance: (centre (S,) x, tolerance (S,) on the log scale).

    The centre is the core's length-weighted median depth per sample when the core holds at least
    ``MIN_CORE_CONTIGS`` effective contigs (:func:`effective_count`), else the whole bin's; the
    tolerance is the whole bin's spread beyond read sampling (1.4826 x the MAD of its log residuals,
    less their median sampling variance), at least ``tol``.  The MAD ignores a minority of another
    depth, while a few marker contigs alone understate a genome's own spread (GC bias, replication,
    over-dispersion: on the *diverse* mock 14 marker contigs gave 0.17-0.24 where the bin's 244
    contigs of one genome spread 0.40-0.43, and 99 of them were ejected).
    """
    core = core_members(members, lengths, marker_counts)
    if effective_count(lengths[core]) < MIN_CORE_CONTIGS:
        core = members
    centre = weighted_median(depths[core], lengths[core].astype(np.float64))
    if len(members) < 5:
        return centre, np.full(depths.shape[1], tol)
    d = depths[members].astype(np.float64)
    r = np.log(d + PSEUDO) - np.log(centre + PSEUDO)
    var = d if variances is None else np.maximum(variances[members], d)
    samp = var * read_length / np.maximum(lengths[members], 1.0)[:, None] / (d + PSEUDO) ** 2
    spread = (1.4826 * np.median(np.abs(r - np.median(r, axis=0)), axis=0)) ** 2 - np.median(samp, axis=0)
    return centre, np.sqrt(np.maximum(spread, tol * tol))


def member_residuals(members: np.ndarray, depths: np.ndarray, variances: np.ndarray | None, lengths: np.ndarray,
                     marker_counts: np.ndarray, *, tol: float = 0.15, read_length: float = 150.0) -> np.ndarray:
    """(m, S) residuals of a bin's ``members`` against the bin's own core profile (:func:`core_profile`)."""
    centre, t = core_profile(members, depths, variances, lengths, marker_counts, tol=tol, read_length=read_length)
    return residuals(depths[members], None if variances is None else variances[members], lengths[members], centre,
                     read_length=read_length, tol=t)


def _incoherent(members, depths, variances, lengths, marker_counts, p, tol, read_length, S) -> np.ndarray:
    z = member_residuals(members, depths, variances, lengths, marker_counts, tol=tol, read_length=read_length)
    return chi2_sf((z * z).sum(axis=1), S) < p


def _summary(before, ejected, lengths, origin, n_in) -> Coherence:
    ej_bp = np.zeros(n_in, np.int64)
    np.add.at(ej_bp, before[ejected], lengths[ejected])
    return Coherence(ejected, ej_bp, np.asarray(origin, np.int64))


def cluster_rms_z(labels: np.ndarray, depths: np.ndarray | None, variances: np.ndarray | None,
                  lengths: np.ndarray, marker_counts: np.ndarray, *, tol: float = 0.15,
                  read_length: float = 150.0) -> np.ndarray:
    """Depth coherence of every cluster (ids 0..max): the length-weighted root mean square of its
    members' residuals against its core (about 1 or less when depths differ by sampling noise and
    the tolerance alone; 0 without depths).  bins.tsv's ``depth_rms_z``."""
    labels = np.asarray(labels, np.int64)
    n_out = int(labels.max()) + 1 if (labels >= 0).any() else 0
    rms = np.zeros(n_out)
    if depths is None:
        return rms
    for c in range(n_out):
        m = np.flatnonzero(labels == c)
        if len(m) == 0:
            continue
        z = member_residuals(m, depths, variances, lengths, marker_counts, tol=tol, read_length=read_length)
        w = lengths[m].astype(np.float64)
        rms[c] = float(np.sqrt((w[:, None] * z * z).sum() / (w.sum() * z.shape[1])))
    return rms


# --- a bin of two or more depths: divided where its depth profiles fall into separate groups --------

#: Ashman's D a depth split needs (distance of the two groups' medians over their pooled robust spread,
#: along the line through their centres).  2-means halves one normal cloud at D 2.3-2.8 (20 draws of
#: 400 contigs, 1, 3 and 5 samples), so 4 asks for two clouds, not one cut in half (a heuristic)
SEPARATION = 4.0
MIN_PART_BP = 100_000  # bp: a smaller group of another depth is left to the per-contig test above
MAX_LEVELS = 3  # halvings per bin (at most 2^3 parts)
#: a half leaves only when its median depth is this many times the other half's in some sample (ln):
#: a half that is nowhere deeper may be the same genome's contigs that the other strain does not share
#: (the shared contigs carry both strains' reads, so they are the deeper ones), e.g. E. faecalis T2's own
#: genes beside those it shares with TX0104 in benchmarks/results/assembly_strains.md (a heuristic)
MIN_EXCESS = float(np.log(1.5))
#: Kish effective contigs (:func:`effective_count`) each half needs: a robust spread of fewer is noise
MIN_PART_CONTIGS = 5.0


def split_by_depth(labels: np.ndarray, depths: np.ndarray | None, lengths: np.ndarray,
                   marker_counts: np.ndarray, *, separation: float = SEPARATION, min_part_bp: int = MIN_PART_BP,
                   n_clusters: int | None = None) -> tuple[np.ndarray, Coherence]:
    """Labels with every bin whose contigs form two or more separate depth groups divided into them.

    The co-assembly's way of hiding strains: the assembler collapses what two
    strains share into contigs of the summed depth, and single linkage joins
    each strain's accessory contigs (at that strain's own depth) through them;
    the bin's core is then of mixed depth, so :func:`eject_incoherent`'s core
    spread is wide and nothing leaves.  Here each bin is halved by a
    length-weighted 2-means of its contigs' log depths (started from the
    first principal axis); a halving stands when both halves hold
    ``min_part_bp`` and their Ashman's D (medians of the projections on the
    line through the two centres, over the root of the summed squared robust
    spreads, 1.4826 x MAD) is at least ``separation``; each half is halved
    again, ``MAX_LEVELS`` deep.  The part with most marker genes (then bp)
    keeps the bin; the others are new clusters (ids from ``n_clusters``,
    default max + 1), recorded as ejected from it.  ``separation`` 0: off.

    >>> rng = np.random.default_rng(0)
    >>> d = np.exp(np.vstack([rng.normal(np.log([8, 16, 4]), 0.1, (60, 3)),
    ...                       rng.normal(np.log([8, 4, 16]), 0.1, (40, 3))]))   # two strains' depths
    >>> mc = np.zeros((100, 40), np.uint16); mc[:10, :10] = 1
    >>> lab, info = split_by_depth(np.zeros(100, np.int64), d, np.full(100, 10_000), mc)
    >>> np.unique(lab[:60]).tolist(), np.unique(lab[60:]).tolist(), info.ejected_bp.tolist()
    ([0], [1], [400000])
    >>> one = np.exp(rng.normal(np.log([8, 16, 4]), 0.2, (100, 3)))   # one depth: stays one bin
    >>> np.unique(split_by_depth(np.zeros(100, np.int64), one, np.full(100, 10_000), mc)[0]).tolist()
    [0]
    """
    labels = np.asarray(labels, np.int64)
    n_in = max(int(labels.max()) + 1 if (labels >= 0).any() else 0, n_clusters or 0)
    ejected = np.zeros(len(labels), bool)
    out = labels.copy()
    origin = list(range(n_in))
    if depths is None or separation <= 0 or n_in == 0:
        return out, _summary(labels, ejected, lengths, origin, n_in)
    d = np.asarray(depths, np.float64)
    x = np.log(d + PSEUDO)
    w = np.asarray(lengths, np.float64)
    markers = np.asarray(marker_counts).sum(axis=1)
    order = np.argsort(labels, kind="mergesort")
    starts = np.searchsorted(labels[order], np.arange(n_in + 1))
    for c in range(n_in):
        members = order[starts[c]:starts[c + 1]]
        if w[members].sum() < 2 * min_part_bp:
            continue
        xm, wm = x[members], w[members]
        shape = profile_shape(xm, weighted_median(d[members], wm) > PSEUDO)
        local = _divide(np.arange(len(members)), xm, shape, wm, markers[members], separation, min_part_bp,
                        MAX_LEVELS)
        parts = [members[i] for i in local]
        for part in parts[1:]:  # the first keeps the bin
            out[part] = len(origin)
            origin.append(c)
            ejected[part] = True
    return out, _summary(labels, ejected, lengths, origin, n_in)


def _divide(members: np.ndarray, x: np.ndarray, shape: np.ndarray, w: np.ndarray, markers: np.ndarray,
            separation: float, min_part_bp: float, levels: int) -> list[np.ndarray]:
    """``members`` as a list of depth groups, the one that keeps the bin first (itself alone when no
    halving stands).  The halving and its separation are on the profiles' ``shape`` (:func:`profile_shape`);
    the excess on the log depths ``x``.  Of two halves the one with more marker genes (then bp) keeps the bin."""
    if levels == 0 or w[members].sum() < 2 * min_part_bp:
        return [members]
    side = _two_means(shape[members], w[members])
    if side is None or min(w[members[side]].sum(), w[members[~side]].sum()) < min_part_bp:
        return [members]
    if min(effective_count(w[members[side]]), effective_count(w[members[~side]])) < MIN_PART_CONTIGS:
        return [members]
    keep, leave = members[side], members[~side]
    if (markers[leave].sum(), w[leave].sum()) > (markers[keep].sum(), w[keep].sum()):
        keep, leave = leave, keep
    excess = weighted_median(x[leave], w[leave]) - weighted_median(x[keep], w[keep])
    if excess.max() < MIN_EXCESS or ashman_d(shape[members], w[members], side) < separation:
        return [members]
    return (_divide(keep, x, shape, w, markers, separation, min_part_bp, levels - 1)
            + _divide(leave, x, shape, w, markers, separation, min_part_bp, levels - 1))


def profile_shape(x: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Log depth profiles ``x`` (n, S) in the samples where the bin is ``present`` (S,) bool (default:
    all), less each contig's mean over them when there are >= 2 (else as they are).

    A genome's contigs share one abundance per sample, but their level also moves with GC bias, copy
    number and replication (the same factor in every sample it is in); the shape across samples is
    what two genomes of independent abundances differ in.  Samples the bin is absent from stay out:
    their depth is the pseudocount whatever the level, so they would carry the level into the shape.

    >>> profile_shape(np.log([[2.0, 8.0], [4.0, 16.0]])).round(3).tolist()
    [[-0.693, 0.693], [-0.693, 0.693]]
    >>> profile_shape(np.log([[2.0, 8.0, 0.5], [4.0, 16.0, 0.5]]), np.array([True, True, False])).round(3).tolist()
    [[-0.693, 0.693], [-0.693, 0.693]]
    """
    x = np.asarray(x, np.float64)
    if present is not None and np.asarray(present).any():
        x = x[:, np.asarray(present, bool)]
    return x - x.mean(axis=1, keepdims=True) if x.shape[1] >= 2 else x


def effective_count(w: np.ndarray) -> float:
    """Kish's effective number of weighted items, (sum w)^2 / sum w^2: a few long contigs are few.

    >>> round(effective_count(np.array([1e6, 1e6, 1e3])), 3), effective_count(np.ones(10))
    (2.002, 10.0)
    """
    w = np.asarray(w, np.float64)
    return float(w.sum() ** 2 / max((w * w).sum(), 1e-300))


def _two_means(x: np.ndarray, w: np.ndarray, iterations: int = 30) -> np.ndarray | None:
    """Length-weighted 2-means of the rows of ``x`` (n, S), started by the sign on the first principal
    axis around its weighted median; the boolean side of each row, or None when one side empties."""
    mu = (w[:, None] * x).sum(axis=0) / w.sum()
    xc = x - mu
    _, vecs = np.linalg.eigh((w[:, None] * xc).T @ xc / w.sum())
    p = xc @ vecs[:, -1]
    side = p > weighted_median(p[:, None], w)[0]
    for _ in range(iterations):
        if side.all() or not side.any():
            return None
        c1 = (w[side, None] * x[side]).sum(axis=0) / w[side].sum()
        c0 = (w[~side, None] * x[~side]).sum(axis=0) / w[~side].sum()
        new = ((x - c1) ** 2).sum(axis=1) < ((x - c0) ** 2).sum(axis=1)
        if (new == side).all():
            break
        side = new
    return None if side.all() or not side.any() else side


def ashman_d(x: np.ndarray, w: np.ndarray, side: np.ndarray) -> float:
    """Ashman's D of two groups of rows of ``x``: |m1 - m0| / sqrt(s1^2 + s0^2) x sqrt(2), on the
    projection onto the line through the groups' weighted centres; m: weighted median, s: 1.4826 x
    weighted MAD (robust to the few contigs of a third depth)."""
    c1 = (w[side, None] * x[side]).sum(axis=0) / w[side].sum()
    c0 = (w[~side, None] * x[~side]).sum(axis=0) / w[~side].sum()
    gap = np.linalg.norm(c1 - c0)
    if gap == 0:
        return 0.0
    p = x @ ((c1 - c0) / gap)
    m, s = [], []
    for g in (side, ~side):
        med = weighted_median(p[g, None], w[g])[0]
        m.append(med)
        s.append(1.4826 * weighted_median(np.abs(p[g] - med)[:, None], w[g])[0])
    spread = np.sqrt(s[0] ** 2 + s[1] ** 2)
    return float(np.sqrt(2) * abs(m[0] - m[1]) / max(spread, 1e-9))
