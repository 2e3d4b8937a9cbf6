"""Shipped linear composition metric: loading, errors, and separation on real genomes."""
import numpy as np
import pytest

from genomeface_core.embed import COMPOSITIONS, get_composition
from genomeface_core.embed.linear import DEFAULT_MODEL, load_linear, save_linear
from genomeface_core.errors import InputError
from genomeface_core.embed.kmers import N_FEATURES

from conftest import GENOMES, catalog


def test_shipped_weights_load_unit_vectors():
    m = load_linear(DEFAULT_MODEL)
    assert m.W.shape[0] == N_FEATURES and 8 <= m.dims <= 128
    # registry constants are those stored with the model
    assert (COMPOSITIONS["linear"].v1, COMPOSITIONS["linear"].v2) == pytest.approx((m.v1, m.v2))
    f = np.random.default_rng(0).dirichlet(np.ones(136), size=5).astype(np.float32)
    feats = np.tile(np.full(N_FEATURES, 1 / 200, np.float32), (5, 1))
    feats[:, 0:136] = f
    x = COMPOSITIONS["linear"].embed(feats)
    assert x.shape == (5, m.dims) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert get_composition("linear") is COMPOSITIONS["linear"]


def test_unknown_name_is_input_error():
    with pytest.raises(InputError, match="unknown composition"):
        get_composition("no-such-embedding")


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04broken"])
def test_malformed_file_names_it(tmp_path, content):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    with pytest.raises(InputError) as e:
        get_composition(str(bad))
    assert str(bad) in str(e.value) and "\n" not in str(e.value)


def test_incompatible_model_names_it(tmp_path):
    good = load_linear(DEFAULT_MODEL)
    p = save_linear(tmp_path / "short.npz", good.mean[:100], good.std[:100], good.W[:100], 1, 1)
    with pytest.raises(InputError, match="shape") as e:
        load_linear(p)
    assert p in str(e.value)
    np.savez(tmp_path / "other.npz", W=np.zeros((3, 3)))
    with pytest.raises(InputError, match="missing"):
        load_linear(tmp_path / "other.npz")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(InputError, match="not found"):
        get_composition(str(tmp_path / "empty_dir"))


def test_linear_separates_real_genomes_better_than_tnf():
    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    from genomeface_core.embed.raw import composition_raw
    from benchmarks.lab.folds import embedding_auroc
    from genomeface_core.train.sampler import load_genomes
    from genomeface_core.embed.windows import fixed_windows

    rows = {r["file"]: r for r in catalog()}
    # two genomes of different genera and similar GC (0.554, 0.538) that raw TNF confuses
    files = ["yacht__GCF_018918045.1_genomic.fna.gz", "charcoal__LoombaR_2017__SID1050_bax__bin.11.fna.gz"]
    assert all(f in rows for f in files)
    G = load_genomes([GENOMES / f for f in files])
    X, gi = fixed_windows(G, 60, 2000, seed=7, threads=2)
    a_tnf = embedding_auroc(composition_raw(X, "tnf"), gi, gi)
    a_lin = embedding_auroc(COMPOSITIONS["linear"].embed(X), gi, gi)
    assert a_lin > a_tnf + 0.03, (a_lin, a_tnf)
