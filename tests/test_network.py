"""Composition network (nn extra): CurricularFace by hand, model shape/normalisation, safe-mode
save/load round trip, bad model files, train-composition --kind network feeding bin(), per-step
seeded batches, checkpoint + --resume after an interrupted run."""
import math
import os

import numpy as np
import pytest

from conftest import GENOMES, pick_genomes

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")


def test_curricular_logits_hand_computed():
    from genomeface_core.train.losses import curricular_logits

    m, s, t = 0.5, 2.0, 0.5
    cos = np.array([[0.8, 0.7, 0.1],      # target 0.8: theta + m < pi -> cos(theta + m)
                    [0.2, -0.95, -0.99]], np.float32)  # target -0.95: theta + m > pi -> fallback
    onehot = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
    got = np.asarray(curricular_logits(cos, onehot, t, s=s, m=m))
    tm0 = math.cos(math.acos(0.8) + m)              # 0.41441
    assert abs(tm0 - 0.414407) < 1e-5
    fb1 = -0.95 - math.sin(math.pi - m) * m         # -1.18971
    tm1 = math.cos(math.acos(-0.95) + m)            # -0.98339: margined target for the hard-example test
    want = s * np.array([[tm0, 0.7 * (t + 0.7), 0.1],                 # 0.7 > tm0: hard; 0.1 not
                         [0.2 * (t + 0.2), fb1, -0.99]])              # 0.2 > tm1: hard; -0.99 < tm1: easy
    assert -0.99 < tm1 < 0.2
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_curricular_face_layer_running_t():
    from genomeface_core.train.losses import curricular_face_layer

    layer = curricular_face_layer()(3, scale=1.0, margin=0.5)
    emb = np.array([[0.8, 0.6, 0.0], [0.0, 0.8, 0.6]], np.float32) * 3.0  # not unit: layer normalises
    y = np.array([0, 2], np.int32)
    layer.build([(None, 3), (None,)])
    layer.kernel.assign(np.eye(3, dtype=np.float32) * 5.0)  # class weights e1, e2, e3 (normalised too)
    # cosines: row 0 [0.8, 0.6, 0], target 0.8; row 1 [0, 0.8, 0.6], target 0.6 -> mean 0.7
    out = np.asarray(layer([emb, y], training=True))
    t = 0.99 * 0.0 + 0.01 * 0.7
    assert abs(float(keras.ops.convert_to_numpy(layer.t)) - t) < 1e-7
    tm0, tm1 = math.cos(math.acos(0.8) + 0.5), math.cos(math.acos(0.6) + 0.5)
    want = np.array([[tm0, 0.6 * (t + 0.6), 0.0],    # 0.6 > tm0 (0.414): hard; 0 < tm0: easy
                     [0.0, 0.8 * (t + 0.8), tm1]])   # 0.8 > tm1 (0.117): hard
    np.testing.assert_allclose(out, want, atol=1e-5)
    out2 = np.asarray(layer([emb, y], training=False))  # inference: t unchanged, same logits
    assert abs(float(keras.ops.convert_to_numpy(layer.t)) - t) < 1e-7
    np.testing.assert_allclose(out2, want, atol=1e-5)


def test_model_unit_rows_and_safe_round_trip(tmp_path):
    from genomeface_core.embed import get_composition
    from genomeface_core.embed.network import save_network
    from genomeface_core.train.network import build_composition_model

    m = build_composition_model(widths=(64, 32), dims=8)
    X = np.random.default_rng(0).random((300, 1712)).astype(np.float32)
    e = np.asarray(m.predict(X, verbose=0))
    assert e.shape == (300, 8)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    assert not any(type(layer).__name__ == "Lambda" for layer in m.layers)
    path = save_network(m, tmp_path / "net", v1=0.3, v2=0.01, meta={"x": 1})
    assert path == str(tmp_path / "net" / "model.keras")
    comp = get_composition(str(tmp_path / "net"))
    assert comp.per_contig and (comp.v1, comp.v2) == (0.3, 0.01)
    np.testing.assert_array_equal(comp.embed(X), get_composition(path).embed(X))
    np.testing.assert_allclose(comp.embed(X), e, atol=1e-6)
    assert comp.embed(X).dtype == np.float32


def test_bad_network_files(tmp_path):
    from genomeface_core.embed import get_composition
    from genomeface_core.errors import InputError

    bad = tmp_path / "garbage.keras"
    bad.write_bytes(b"this is not a keras archive")
    with pytest.raises(InputError) as ei:
        get_composition(str(bad))
    assert ei.value.path == str(bad) and "\n" not in str(ei.value)
    # a valid Keras model with the wrong input size
    wrong = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3)])
    wrong.save(tmp_path / "wrong.keras")
    with pytest.raises(InputError, match="incompatible"):
        get_composition(str(tmp_path / "wrong.keras"))
    # a Lambda layer is refused in safe mode (no arbitrary code from model files)
    x = keras.Input((1712,))
    lam = keras.Model(x, keras.layers.Lambda(lambda v: v * 2.0)(x))
    lam.save(tmp_path / "lambda.keras")
    with pytest.raises(InputError) as ei:
        get_composition(str(tmp_path / "lambda.keras"))
    assert ei.value.path == str(tmp_path / "lambda.keras")
    # bad metadata next to a good model
    from genomeface_core.embed.network import save_network
    from genomeface_core.train.network import build_composition_model

    p = save_network(build_composition_model((8, 8), 4), tmp_path / "m2", 1.0, 1.0)
    (tmp_path / "m2" / "model.json").write_text("{not json")
    with pytest.raises(InputError) as ei:
        get_composition(p)
    assert ei.value.path == str(tmp_path / "m2" / "model.json")


def test_train_network_command_then_bin(tmp_path, mock8, mock8_markers):
    from genomeface_core import bin as gf_bin
    from genomeface_core.embed import get_composition
    from genomeface_core.cli.train import main

    d = _three_genomes(tmp_path)
    out = tmp_path / "net"
    rc = main(["train-composition", "--genomes", str(d), "--kind", "network", "-o", str(out), "--seed", "1",
               "--steps", "20", "--batch-size", "64", "--widths", "64,64", "--dims", "16", "-t", "2"])
    assert rc == 0 and (out / "model.keras").exists() and (out / "model.json").exists()
    comp = get_composition(str(out))
    assert comp.per_contig and (comp.v1, comp.v2) == (0.1740, 1e-6)  # default: the linear metric's
    import json
    meta = json.load(open(out / "model.json"))["meta"]
    assert meta["kind"] == "network" and meta["steps"] == 20 and meta["classes"] == 3 and meta["windows"] == 20 * 64
    x = comp.embed(np.random.default_rng(0).random((5, 1712)).astype(np.float32))
    assert x.shape == (5, 16)
    _, paths = mock8
    r = gf_bin(paths["contigs"], paths["depth"], markers=mock8_markers, composition=str(out),
               min_bin_size=100_000, threads=2)
    assert r.assignment  # runs end to end with the network's embedding


def test_train_network_bad_widths(tmp_path, capsys):
    from genomeface_core.cli.train import main

    assert main(["train-composition", "--genomes", str(tmp_path), "--kind", "network", "-o", str(tmp_path / "m"),
                 "--widths", "64"]) == 2
    assert "--widths" in capsys.readouterr().err


def _three_genomes(tmp_path):
    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    d = tmp_path / "genomes"
    d.mkdir()
    for r in pick_genomes(3, min_bp=800_000, max_bp=2_000_000):
        (d / r["file"]).symlink_to(GENOMES / r["file"])
    return d


def test_batches_depend_on_seed_and_step_only(tmp_path):
    from genomeface_core.train.network import draw_batches
    from genomeface_core.train.sampler import list_genomes, load_genomes
    from genomeface_core.embed.windows import LengthDistribution

    G = load_genomes(list_genomes(_three_genomes(tmp_path)))
    cid = np.arange(3, dtype=np.int32)
    kw = dict(seed=5, batch=8, lengths=LengthDistribution(), threads=1)
    X, y, sizes = draw_batches(G, cid, 0, 6, **kw)
    X4, y4, sizes4 = draw_batches(G, cid, 4, 2, **kw)  # a resumed run's first round starts at step 4
    assert sizes == [8] * 6 and sizes4 == [8, 8]
    np.testing.assert_array_equal(X4, X[32:])
    np.testing.assert_array_equal(y4, y[32:])
    assert not np.array_equal(draw_batches(G, cid, 0, 1, **{**kw, "seed": 6})[0], X[:8])


def test_interrupted_run_resumes_to_the_same_model(tmp_path, monkeypatch):
    """Kill a run right after its step-4 checkpoint; --resume continues at step 4 and ends
    where an uninterrupted run with the same seed ends (1 TensorFlow thread, CPU)."""
    import json

    import genomeface_core.train.network as N
    from genomeface_core.embed.network import load_network
    from genomeface_core.cli.train import main

    d = _three_genomes(tmp_path)
    args = ["train-composition", "--genomes", str(d), "--kind", "network", "--seed", "3", "--batch-size", "32",
            "--widths", "16,16", "--dims", "8", "--checkpoint-every", "2", "-t", "1", "--steps", "6"]
    assert main(args + ["-o", str(tmp_path / "full")]) == 0
    save = N.save_checkpoint

    def interrupted(model, directory, state):
        save(model, directory, state)
        if state["step"] == 4:
            raise KeyboardInterrupt

    monkeypatch.setattr(N, "save_checkpoint", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(args + ["-o", str(tmp_path / "cut")])
    monkeypatch.undo()
    ck = tmp_path / "cut" / "checkpoint"
    assert not (tmp_path / "cut" / "model.keras").exists()
    assert json.load(open(ck / "state.json"))["step"] == 4
    assert {p.name for p in ck.iterdir()} == {"train.weights.h5", "rng_state.npz", "state.json"}  # no pickle
    assert main(args + ["-o", str(tmp_path / "cut"), "--resume"]) == 0
    net = load_network(tmp_path / "cut")
    assert net.meta["steps"] == 6 and net.meta["resumed_from"] == [4]
    assert json.load(open(ck / "state.json"))["step"] == 6
    X = np.random.default_rng(0).random((40, 1712)).astype(np.float32)
    np.testing.assert_allclose(net.embed(X), load_network(tmp_path / "full").embed(X), atol=1e-5)
    # extending a finished run: --resume with more steps trains steps 7-8 only
    assert main(args[:-1] + ["8", "-o", str(tmp_path / "cut"), "--resume"]) == 0
    assert load_network(tmp_path / "cut").meta["resumed_from"] == [4, 6]


def test_resume_refuses_other_settings(tmp_path, capsys):
    from genomeface_core.cli.train import main

    d = _three_genomes(tmp_path)
    args = ["train-composition", "--genomes", str(d), "--kind", "network", "--steps", "2", "--batch-size", "16",
            "--widths", "8,8", "--dims", "4", "-t", "1", "-o", str(tmp_path / "m")]
    assert main(args + ["--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(args) == 0
    assert main(args[:-2] + ["--seed", "9", "-o", str(tmp_path / "m"), "--resume"]) == 2
    assert "seed" in capsys.readouterr().err


def test_shipped_network_registry_entry():
    """--composition network: the shipped weights, mixing constants as in network.json, unit vectors,
    package weights within 30 MB."""
    from genomeface_core.embed import COMPOSITIONS, get_composition
    from genomeface_core.embed.network import SHIPPED, load_network

    comp = get_composition("network")
    assert comp is COMPOSITIONS["network"] and comp.per_contig
    net = load_network(SHIPPED)
    assert (comp.v1, comp.v2) == pytest.approx((net.v1, net.v2), rel=1e-3)
    assert net.meta["kind"] == "network" and len(net.meta["genomes"]) >= 100
    X = np.random.default_rng(1).random((64, 1712)).astype(np.float32)
    e = comp.embed(X)
    assert e.shape == (64, net.dims) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    weights = os.path.dirname(SHIPPED)
    assert sum(os.path.getsize(os.path.join(weights, f)) for f in os.listdir(weights)) <= 30e6


def test_concatenated_composition_is_a_weighted_cosine(tmp_path):
    from genomeface_core.embed import ENSEMBLE_SHARE, get_composition
    from genomeface_core.errors import InputError
    from genomeface_core.embed.kmers import kmer_features
    from genomeface_core.io.fasta import read_genome

    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    recs = read_genome(GENOMES / pick_genomes(1, min_bp=800_000, max_bp=2_000_000)[0]["file"])
    x = kmer_features([recs[0][i:i + 3000] for i in range(0, 60_000, 3000)])
    ens, lin, net = (get_composition(k) for k in ("linear+network", "linear", "network"))
    e, a, b = ens.embed(x), lin.embed(x), net.embed(x)
    assert np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5) and ens.per_contig
    np.testing.assert_allclose(e @ e.T, ENSEMBLE_SHARE * (a @ a.T) + (1 - ENSEMBLE_SHARE) * (b @ b.T), atol=1e-5)
    assert (ens.v1, ens.v2) != (0.0, 0.0)
    with pytest.raises(InputError, match="unknown composition"):
        get_composition("linear+nonsense")
