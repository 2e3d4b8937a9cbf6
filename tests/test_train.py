"""train-composition end to end on 3 small real genomes, sampler determinism, LDA sanity."""
import numpy as np
import pytest

from conftest import GENOMES, pick_genomes


def _small_genomes(tmp_path, n=3):
    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    d = tmp_path / "genomes"
    d.mkdir()
    rows = pick_genomes(n, min_bp=800_000, max_bp=2_000_000)
    for r in rows:  # symlinks: nothing copied
        (d / r["file"]).symlink_to(GENOMES / r["file"])
    return d, rows


def test_sampler_is_seeded_and_lengths_in_range():
    from genomeface_core.embed.windows import LengthDistribution, sample_windows

    g = {"a": [b"ACGT" * 5000, b"GGCA" * 3000], "b": [b"ATTA" * 8000]}
    ld = LengthDistribution()
    s1, i1 = sample_windows(g, 20, np.random.default_rng(3), ld)
    s2, i2 = sample_windows(g, 20, np.random.default_rng(3), ld)
    assert s1 == s2 and (i1 == i2).all() and np.bincount(i1).tolist() == [20, 20]
    ln = np.array([len(s) for s in s1])
    assert ln.min() >= 1500 and ln.max() <= 10_000
    L = ld.draw(np.random.default_rng(0), 20000)
    assert 0.6 < np.mean(L < 5000) < 0.9  # weighted toward short contigs


def test_lda_recovers_discriminant_direction():
    from genomeface_core.embed.lda import fit_lda

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 200)
    X = rng.normal(size=(800, 1712)) * 0.01
    X[:, 5] += y * 0.05  # class signal on one column only
    m = fit_lda(X, y, dims=3, shrinkage=0.1)
    assert m["W"].shape == (1712, 3)
    assert np.argmax(np.abs(m["W"][:, 0])) == 5


def test_train_command_end_to_end(tmp_path):
    from genomeface_core.embed import get_composition
    from genomeface_core.embed.raw import composition_raw
    from genomeface_core.cli.train import main
    from benchmarks.lab.folds import embedding_auroc
    from genomeface_core.train.sampler import list_genomes, load_genomes
    from genomeface_core.embed.windows import fixed_windows

    d, rows = _small_genomes(tmp_path)
    out = tmp_path / "model"
    rc = main(["train-composition", "--genomes", str(d), "--kind", "linear", "-o", str(out), "--seed", "1",
               "--windows-per-genome", "150", "--mixing", "1.5,0.2", "-t", "2"])
    assert rc == 0 and (out / "model.npz").exists()
    comp = get_composition(str(out))
    assert (comp.v1, comp.v2) == (1.5, 0.2)
    G = load_genomes(list_genomes(d))
    X, gi = fixed_windows(G, 30, 3000, seed=5, threads=2)
    x = comp.embed(X)
    assert x.shape == (len(X), 2)  # 3 classes -> 2 LDA dims
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-5)
    # in-sample sanity: the trained metric separates its own genomes
    assert embedding_auroc(x, gi, gi) > 0.945  # measured 0.9507
    # same seed -> identical model
    out2 = tmp_path / "model2.npz"
    assert main(["train-composition", "--genomes", str(d), "-o", str(out2), "--seed", "1",
                 "--windows-per-genome", "150", "--mixing", "1.5,0.2"]) == 0
    assert np.array_equal(np.load(out / "model.npz")["W"], np.load(out2)["W"])


def test_train_bad_inputs(tmp_path, capsys):
    from genomeface_core.cli.train import main

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train-composition", "--genomes", str(empty), "-o", str(tmp_path / "m")]) == 2
    assert str(empty) in capsys.readouterr().err
    d, rows = _small_genomes(tmp_path, 2)
    lab = tmp_path / "labels.tsv"
    lab.write_text("".join(f"{r['file']}\tsame\n" for r in rows))
    assert main(["train-composition", "--genomes", str(d), "--labels", str(lab), "-o", str(tmp_path / "m")]) == 2
    assert "at least 2 classes" in capsys.readouterr().err


def test_network_composition_is_lazy_and_needs_the_nn_extra(monkeypatch):
    """Registering 'network' imports no TensorFlow; without it, choosing it is a one-line InputError."""
    import importlib.util
    import subprocess
    import sys

    from genomeface_core.embed import get_composition
    from genomeface_core.errors import InputError

    code = ("import sys, genomeface_core.embed as e; e.get_composition('linear'); "
            "assert 'network' in e.COMPOSITIONS; print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("keras", "tensorflow") else real(name, *a))
    with pytest.raises(InputError) as ei:
        get_composition("network")
    msg = str(ei.value)
    assert "genomeface[nn]" in msg and "--composition network" in msg and "\n" not in msg


@pytest.mark.parametrize("command", ["train-composition", "train-abundance"])
@pytest.mark.parametrize("text,words", [
    ("ACGT\n>c1\nACGT\n", ["before the first"]),
    (">c1\n" + "ACGTJ" * 50 + "\n", ["invalid character", "c1"]),
    (None, ["truncated gzip"]),
])
def test_bad_genome_is_one_line_error_naming_the_file(tmp_path, capsys, command, text, words):
    """Training reads genomes through io/fasta: a bad genome stops it with one line naming the file."""
    import gzip

    from genomeface_core.cli.main import main

    d = tmp_path / "genomes"
    d.mkdir()
    (d / "good.fna").write_text(">a\n" + "ACGGTCATTGCA" * 1000 + "\n")
    if text is None:
        bad = d / "bad.fna.gz"
        data = gzip.compress((">b\n" + "ACGTTGCA" * 5000 + "\n").encode())
        bad.write_bytes(data[: len(data) // 2])
    else:
        bad = d / "bad.fna"
        bad.write_text(text)
    out = tmp_path / "model"
    rc = main(["-q", command, "--genomes", str(d), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("genomeface: error: ") and str(bad) in err and all(w in err for w in words), err
    assert not out.exists()
