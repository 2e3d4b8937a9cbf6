"""MST, dendrogram and DP cut against independent references."""
import itertools

import numpy as np
import pytest
from scipy.cluster.hierarchy import cophenet, linkage
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import pdist, squareform

from genomeface_core.graph.dendrogram import single_linkage, to_scipy_linkage
from genomeface_core.embed.raw import l2_normalise
from genomeface_core.graph.knn import knn_exact
from genomeface_core.graph.mst import spanning_tree
from genomeface_core.cut.selection import node_rewards, reward, select_bins


def _points(n, seed, dim=6):
    rng = np.random.default_rng(seed)
    return l2_normalise(rng.normal(size=(n, dim))), l2_normalise(rng.normal(size=(n, 3)))


def _geodesic(x, y, w):
    ax = np.arccos(np.clip(x @ x.T, -1, 1))
    ay = np.arccos(np.clip(y @ y.T, -1, 1))
    return np.sqrt(ax ** 2 + w * ay ** 2)


@pytest.mark.parametrize("seed", range(4))
def test_mst_weight_equals_scipy_on_complete_graph(seed):
    x, y = _points(60, seed)
    w = 0.7
    idx, dist = knn_exact(x, y, w, k=59)  # complete graph
    u, v, d = spanning_tree(x, y, w, idx, dist)
    full = _geodesic(x, y, w).astype(np.float64)
    ref = minimum_spanning_tree(np.triu(full, 1)).sum()
    assert len(u) == 59
    assert d.sum() == pytest.approx(ref, rel=1e-5)


def test_bridging_spans_disconnected_knn_graph():
    # three far-apart clusters with k=2: kNN graph is disconnected, the tree must still span
    rng = np.random.default_rng(0)
    centres = l2_normalise(np.eye(6)[:3])
    x = l2_normalise(np.repeat(centres, 10, axis=0) + 0.01 * rng.normal(size=(30, 6)))
    y = l2_normalise(np.ones((30, 2)))
    idx, dist = knn_exact(x, y, 0.0, k=2)
    u, v, d = spanning_tree(x, y, 0.0, idx, dist)
    assert len(u) == 29
    # the two bridges form the MST of the clusters' minimum cross distances
    full = _geodesic(x, y, 0.0)
    between = np.array([[full[10 * a:10 * a + 10, 10 * b:10 * b + 10].min() if a != b else 0
                         for b in range(3)] for a in range(3)])
    ref = minimum_spanning_tree(np.triu(between, 1)).sum()
    assert np.sort(d)[-2:].sum() == pytest.approx(ref, rel=1e-4)


@pytest.mark.parametrize("w", [0.0, 0.8])
def test_bridges_are_the_exact_nearest_cross_component_pairs(w):
    # 40 clusters of 25 (so 40 kNN components at k=4): each component's bridge must be
    # its true nearest pair to another component, found by the chord prefilter
    from genomeface_core.graph.mst import bridge_edges
    rng = np.random.default_rng(1)
    x = l2_normalise(np.repeat(rng.normal(size=(40, 8)), 25, axis=0) + 0.15 * rng.normal(size=(1000, 8)))
    y = l2_normalise(np.abs(np.repeat(rng.normal(size=(40, 3)), 25, axis=0) + 0.1 * rng.normal(size=(1000, 3))))
    labels = np.repeat(np.arange(40), 25)
    u, v, d = bridge_edges(x.astype(np.float32), y.astype(np.float32), w, labels, block=97)
    full = _geodesic(x, y, w)
    full[labels[:, None] == labels[None, :]] = np.inf
    assert len(u) == 39  # every component but the largest (all tie: the first is kept)
    for a, b, dd in zip(u, v, d):
        members = np.flatnonzero(labels == labels[a])
        i, j = np.unravel_index(np.argmin(full[members]), (len(members), 1000))
        assert full[members[i], j] == pytest.approx(dd, rel=1e-5)
        assert labels[b] != labels[a]


def test_knn_exact_matches_bruteforce_and_threads():
    x, y = _points(300, 5)
    idx, dist = knn_exact(x, y, 1.3, k=7, threads=2)
    full = _geodesic(x, y, 1.3)
    np.fill_diagonal(full, np.inf)
    ref = np.sort(full, axis=1)[:, :7]
    np.testing.assert_allclose(dist, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_dendrogram_matches_scipy_single_linkage(seed):
    x, y = _points(80, seed)
    full = _geodesic(x, y, 0.5)
    idx, dist = knn_exact(x, y, 0.5, k=79)
    u, v, d = spanning_tree(x, y, 0.5, idx, dist)
    ch, h = single_linkage(80, u, v, d)
    ours = cophenet(to_scipy_linkage(ch, h))
    ref = cophenet(linkage(squareform(full, checks=False), "single"))
    np.testing.assert_allclose(ours, ref, rtol=1e-4)
    assert np.all(np.diff(h) >= 0)


def _random_tree(rng, n):
    """Random binary tree in our layout: row t merges two existing roots into node n+t."""
    roots = list(range(n))
    ch = []
    for t in range(n - 1):
        a, b = sorted(rng.choice(len(roots), 2, replace=False))
        ra, rb = roots[a], roots[b]
        roots = [r for i, r in enumerate(roots) if i not in (a, b)] + [n + t]
        ch.append((min(ra, rb), max(ra, rb)))
    return np.array(ch)


def _brute_force(ch, r, n):
    total = 2 * n - 1
    anc = [set() for _ in range(total)]
    parent = {}
    for t, (a, b) in enumerate(ch):
        parent[a] = parent[b] = n + t
    for v in range(total):
        p = v
        while p in parent:
            p = parent[p]
            anc[v].add(p)
    best = 0.0
    nodes = [v for v in range(total) if r[v] > 0]
    for size in range(1, len(nodes) + 1):
        for sub in itertools.combinations(nodes, size):
            if all(a not in anc[b] and b not in anc[a] for a, b in itertools.combinations(sub, 2)):
                best = max(best, sum(r[v] for v in sub))
    return best


@pytest.mark.parametrize("seed", range(25))
def test_dp_equals_bruteforce_antichain(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    ch = _random_tree(rng, n)
    mc = np.zeros((n, 40), np.uint16)
    for i in range(n):  # each leaf: a random chunk of a few "genomes"' markers, sometimes duplicated
        g = rng.integers(0, 3)
        cols = rng.choice(40, size=int(rng.integers(0, 30)), replace=False)
        mc[i, cols] = 1 + (rng.random(len(cols)) < 0.1 * g)
    r = node_rewards(ch, mc)
    labels, total, _ = select_bins(ch, mc)
    assert total == pytest.approx(_brute_force(ch, r, n))
    # the returned partition achieves the optimum
    got = sum(reward(mc[labels == c].sum(axis=0).astype(np.uint16), 0.85) for c in np.unique(labels[labels >= 0]))
    assert got == pytest.approx(total)


def test_reward_hand_computed():
    c = np.zeros(40, np.uint16)
    c[:36] = 1
    c[0] = 3  # TP 36, FP 2, FN 4 -> purity 36/38, F1 = 72/78
    assert reward(c, 0.85) == pytest.approx((72 / 78) ** 4)
    c[:10] = 4  # FP 30 -> purity 36/66 < 0.85
    assert reward(c, 0.85) == 0.0
