"""Raw embeddings and the array-module switch."""
import numpy as np
import pytest

from genomeface_core.embed.raw import abundance_raw, composition_raw
from genomeface_core.embed.kmers import kmer_features
from genomeface_core.graph.knn import knn_approx, knn_exact
from genomeface_core.xp import get_xp, gpu_available


def test_one_sample_abundance_is_informative():
    d = np.array([[0.0], [1.0], [5.0], [20.0], [100.0]])
    y = abundance_raw(d)
    assert np.allclose(np.linalg.norm(y, axis=1), 1.0)
    ang = np.arccos(np.clip(y @ y[0], -1, 1))  # angle from the zero-coverage contig
    assert np.all(np.diff(ang) > 0)  # grows monotonically with depth
    assert y[0].tolist() == [0.0, 1.0]  # zero coverage: defined vector


def test_abundance_scale_invariant_profile_differs():
    y = abundance_raw(np.array([[10.0, 1.0, 0.0], [10.0, 1.0, 0.0], [1.0, 10.0, 0.0]]))
    assert np.isclose(y[0] @ y[1], 1.0) and y[0] @ y[2] < 0.9


def test_composition_raw_units_and_pca():
    rng = np.random.default_rng(0)
    seqs = [rng.choice(np.frombuffer(b"ACGT", np.uint8), size=3000, p=[p, .5 - p, .5 - p, p]).tobytes()
            for p in np.linspace(0.1, 0.4, 40)]
    f = kmer_features(seqs)
    for kind, dims in (("kmer1712", None), ("tnf", None), ("kmer1712", 10)):
        x = composition_raw(f, kind, dims=dims)
        assert x.shape == (40, {None: 1712 if kind == "kmer1712" else 136, 10: 10}[dims])
        assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError):
        composition_raw(f, "nope")


def test_xp_cpu_and_auto():
    assert get_xp("cpu") is np
    if not gpu_available():
        assert get_xp("auto") is np
        with pytest.raises(RuntimeError, match="no usable CUDA GPU"):
            get_xp("gpu")
    with pytest.raises(ValueError):
        get_xp("tpu")


@pytest.fixture(params=["hnsw", "ivf"])
def candidate_index(request, monkeypatch):
    """knn_approx's candidate index: HNSW (<= IVF_MIN contigs) or IVF (above), forced."""
    import genomeface_core.graph.knn as K
    monkeypatch.setattr(K, "IVF_MIN", 0 if request.param == "ivf" else 10**9)
    return request.param


def test_approx_knn_recovers_exact_neighbours(candidate_index):
    pytest.importorskip("faiss")
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(20, 16))
    x = centres[rng.integers(0, 20, 2000)] + 0.3 * rng.normal(size=(2000, 16))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.abs(rng.normal(size=(2000, 4)))
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    ei, ed = knn_exact(x, y, 0.8, 10)
    ai, ad = knn_approx(x, y, 0.8, 10, candidates=64)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(ai, ei)])
    assert recall > 0.99  # measured 1.0000
    assert np.all(ad >= ed - 1e-5)  # re-ranked distances are exact geodesic distances
    assert np.allclose(ad[:, 0], ed[:, 0], atol=1e-5) or recall > 0.99


@pytest.mark.skipif(not gpu_available(), reason="no CUDA GPU")
def test_gpu_knn_matches_cpu():
    import cupy
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 8)); x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.abs(rng.normal(size=(500, 3))); y /= np.linalg.norm(y, axis=1, keepdims=True)
    ci, cd = knn_exact(x, y, 0.5, 8)
    gi, gd = knn_exact(x, y, 0.5, 8, xp=cupy)
    np.testing.assert_allclose(cd, gd, rtol=1e-4, atol=1e-5)


def test_approx_knn_is_deterministic(candidate_index):
    pytest.importorskip("faiss")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3000, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.abs(rng.normal(size=(3000, 3))).astype(np.float32)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    a1, d1 = knn_approx(x, y, 0.5, 8, threads=2)
    a2, d2 = knn_approx(x, y, 0.5, 8, threads=2)
    a3, d3 = knn_approx(x, y, 0.5, 8, threads=1)
    assert np.array_equal(a1, a2) and np.array_equal(d1, d2)
    assert np.array_equal(a1, a3)  # the thread count does not change the graph
