"""Co-abundance network: equivariance property, one-sample behaviour, loss, training command, binning."""
import json
import os

import numpy as np
import pytest

pytest.importorskip("keras")

from conftest import GENOMES, pick_genomes  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small network trained by the CLI on 6 real genomes (contig lengths and GC), 150 steps."""
    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    from genomeface_core.cli.main import main

    d = tmp_path_factory.mktemp("abgenomes")
    for r in pick_genomes(6, min_bp=1_000_000, max_bp=2_500_000):
        os.symlink(GENOMES / r["file"], d / r["file"])
    out = tmp_path_factory.mktemp("abmodel") / "model"
    rc = main(["train-abundance", "--genomes", str(d), "-o", str(out), "--steps", "150",
               "--genomes-per-batch", "6", "--mixing", "1.5,0.02", "--seed", "3"])
    assert rc == 0
    return out


def _angles(e):
    return np.arccos(np.clip(e @ e.T, -1, 1))


def test_sample_permutation_leaves_distances_unchanged(trained):
    from genomeface_core.embed.abundance_net import get_abundance_model

    m = get_abundance_model(trained)
    rng = np.random.default_rng(0)
    d = rng.lognormal(2.0, 1.5, (40, 7)) * (rng.random((40, 7)) > 0.2)
    for perm in (rng.permutation(7), np.arange(7)[::-1]):
        np.testing.assert_allclose(_angles(m.embed(d)), _angles(m.embed(d[:, perm])), atol=2e-3)
    # a different depth profile does change the distances (the property is not trivially true)
    assert np.abs(_angles(m.embed(d)) - _angles(m.embed(d[::-1]))).max() > 0.1


def test_one_sample_embedding_varies_with_depth(trained):
    from genomeface_core.embed.abundance_net import get_abundance_model

    e = get_abundance_model(trained).embed(np.array([[0.0], [1.0], [5.0], [30.0], [300.0]]))
    assert e.shape[0] == 5 and np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    a = _angles(e)
    assert a[0, 1] > 0.01 and a[2, 4] > 0.05  # depth moves the vector
    assert a[2, 3] < a[2, 4]  # 5x is closer to 30x than to 300x


def test_any_sample_count_and_metadata(trained):
    from genomeface_core.embed.abundance_net import get_abundance_model

    m = get_abundance_model(trained)
    for n in (1, 3, 64):
        e = m.embed(np.full((4, n), 7.0))
        assert e.shape[0] == 4 and np.isfinite(e).all()
    assert m.constants("tnf") == m.constants("linear") == (1.5, 0.02)
    meta = json.load(open(trained / "model.json"))["meta"]
    assert meta["steps"] == 150 and len(meta["genomes"]) == 6 and meta["params"] > 1000


def test_supcon_loss_hand_computed():
    from genomeface_core.train.abundance import supcon_loss

    e = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
    y = np.array([0, 0, 1])
    # anchors 0 and 1: positive sim 1 vs negative sim 0 at tau 1; anchor 2 has no positive (0)
    want = -(2 * np.log(np.e / (np.e + 1.0)) + 0.0) / 3
    assert float(supcon_loss(y, e, tau=1.0)) == pytest.approx(want, rel=1e-5)


def test_simulated_batch_shares_genome_abundance():
    from genomeface_core.train.abundance import ContigPool, simulate_batch

    pool = ContigPool([f"g{i}" for i in range(10)], [np.full(5, 2e5)] * 10, [np.full(5, 0.5)] * 10)
    d1, y1 = simulate_batch(pool, 4, np.random.default_rng(1), genomes_per_batch=8, contigs_per_genome=3)
    d2, y2 = simulate_batch(pool, 4, np.random.default_rng(1), genomes_per_batch=8, contigs_per_genome=3)
    assert d1.shape == (24, 4) and np.array_equal(y1, np.repeat(np.arange(8), 3))
    np.testing.assert_array_equal(d1, d2)  # seeded
    # contigs of one genome share its abundance (up to over-dispersion and bias); genomes differ
    u = np.log1p(d1)
    within = np.mean([u[y1 == g].std(axis=0).mean() for g in range(8)])
    assert within < 0.5 * u.std(axis=0).mean()


def test_bin_with_abundance_network(tmp_path, mock8, mock8_markers, trained):
    import genomeface_core
    from benchmarks.lab.evaluate import evaluate

    mock, paths = mock8
    res = genomeface_core.bin(paths["contigs"], paths["depth"], markers=mock8_markers, outdir=tmp_path / "o",
                              abundance=str(trained), threads=2)
    run = json.load(open(tmp_path / "o" / "run.json"))
    assert run["parameters"]["abundance"] == str(trained)
    assert run["abundance_weight_used"] == pytest.approx(1 / (0.02 + 1.5 / 3))
    truth = dict(zip(mock.names, mock.genome))
    ev = evaluate({c: b for c, b in zip(res.names, res.assignment) if b != "unbinned"}, truth,
                  dict(zip(mock.names, map(len, mock.seqs))))
    # measured 6 of 8 NC and ARI 0.9884; TensorFlow training is not bit-reproducible across CPUs
    # (oneDNN), hence one genome of slack
    assert ev.recovered(0.9, 0.95) >= 5, ev.grid()
    assert ev.ari > 0.98, ev.ari


def test_bad_abundance_models(tmp_path, mock8, capsys):
    from genomeface_core.cli.main import main

    _, paths = mock8
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    for model, expect in ((bad, "not a loadable Keras model"), (tmp_path / "missing", "abundance embedding must be"),
                          ("rawish", "abundance embedding must be")):
        rc = main(["bin", "-i", paths["contigs"], "-a", paths["depth"], "-o", str(tmp_path / "out"),
                   "--abundance-model", str(model)])
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1 and str(model) in err[0] and expect in err[0], err
        assert not (tmp_path / "out").exists()


def test_shipped_network_loads_offline_and_is_equivariant():
    from genomeface_core.embed.abundance_net import WEIGHTS, get_abundance_model

    assert os.path.getsize(WEIGHTS) < 1_000_000
    m = get_abundance_model("network")
    assert set(m.mixing) >= {"linear", "tnf", "kmer1712"} and len(m.meta["genomes"]) == 109
    d = np.random.default_rng(5).lognormal(1.0, 1.2, (30, 4))
    np.testing.assert_allclose(_angles(m.embed(d)), _angles(m.embed(d[:, [2, 0, 3, 1]])), atol=2e-3)


def test_model_flags_name_an_incompatible_model(tmp_path, mock8, capsys, trained):
    """--composition-model (alias of --composition) given the abundance network, and
    --abundance-model given a composition-shaped model: one line naming the file, exit 2."""
    from genomeface_core.cli.main import main

    _, paths = mock8
    rc = main(["bin", "-i", paths["contigs"], "-a", paths["depth"], "-o", str(tmp_path / "o1"),
               "--composition-model", str(trained)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "incompatible composition network" in err[0], err
    assert str(trained) in err[0] and not (tmp_path / "o1").exists()
    from genomeface_core.embed.network import __file__ as netmod

    comp_net = os.path.join(os.path.dirname(netmod), "weights", "network.keras")
    rc = main(["bin", "-i", paths["contigs"], "-a", paths["depth"], "-o", str(tmp_path / "o2"),
               "--abundance-model", comp_net])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "incompatible abundance network" in err[0] and comp_net in err[0], err
    assert not (tmp_path / "o2").exists()
