"""Bad input: one-line error naming the file, non-zero exit, nothing written."""
import gzip
import os

import pytest

from genomeface_core.cli.main import main

GOOD = ">c1\n" + "ACGTTGCAAGGCTTAA" * 200 + "\n>c2\n" + "GGCATCGATTACAGTC" * 200 + "\n>c3\n" + "TTGACCA" * 500 + "\n"
DEPTH = "contigname\tS1\tS2\nc1\t1.5\t2\nc2\t3\t4\nc3\t0\t1\n"


def _write(tmp_path, name, text, gz=False):
    p = tmp_path / name
    if gz:
        with gzip.open(p, "wt") as fh:
            fh.write(text)
    else:
        p.write_text(text)
    return str(p)


def _run(tmp_path, capsys, fasta, depth, extra=()):
    out = tmp_path / "out"
    rc = main(["-q", "bin", "-i", fasta, "-a", depth, "-o", str(out), "--markers", _markers(tmp_path), *extra])
    err = capsys.readouterr().err.strip()
    return rc, err, out


def _markers(tmp_path):
    return _write(tmp_path, "markers.tsv", "contig\tmarker\n")


def _expect_error(tmp_path, capsys, fasta, depth, bad_file, words):
    rc, err, out = _run(tmp_path, capsys, fasta, depth)
    assert rc == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("genomeface: error: ") and bad_file in err, err
    for w in words:
        assert w in err, err
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".genomeface-")]


def test_good_input_runs(tmp_path, capsys):
    import json

    rc, err, out = _run(tmp_path, capsys, _write(tmp_path, "a.fna", GOOD), _write(tmp_path, "d.tsv", DEPTH))
    assert rc == 0 and (out / "clusters.tsv").exists()
    run = json.load(open(out / "run.json"))
    # peak RSS (MiB) at the end of every timed stage, next to its seconds
    assert set(run["memory_mb"]) == set(run["timings"]) >= {"read", "features", "knn", "select"}
    assert all(m > 10 for m in run["memory_mb"].values()), run["memory_mb"]


@pytest.mark.parametrize("text,words", [
    ("", ["empty"]),
    ("ACGT\n>c1\nACGT\n", ["before the first"]),
    (GOOD + ">c1\n" + "ACGT" * 500 + "\n", ["duplicate", "c1"]),
    (GOOD + ">n1\n" + "N" * 3000 + "\n", ["N-only", "n1"]),
    (GOOD + ">e1\n>c9\nACGT\n", ["empty sequence", "e1"]),
    (GOOD + ">x1\n" + "ACGT1234" * 300 + "\n", ["invalid character", "x1"]),
])
def test_bad_fasta(tmp_path, capsys, text, words):
    fasta = _write(tmp_path, "a.fna", text)
    _expect_error(tmp_path, capsys, fasta, _write(tmp_path, "d.tsv", DEPTH), fasta, words)


def test_truncated_gzip(tmp_path, capsys):
    full = _write(tmp_path, "full.fna.gz", GOOD * 3, gz=True)
    data = open(full, "rb").read()
    fasta = str(tmp_path / "cut.fna.gz")
    open(fasta, "wb").write(data[: len(data) // 2])
    _expect_error(tmp_path, capsys, fasta, _write(tmp_path, "d.tsv", DEPTH), fasta, ["truncated"])


def test_corrupt_gzip(tmp_path, capsys):
    fasta = str(tmp_path / "bad.fna.gz")
    open(fasta, "wb").write(b"\x1f\x8b" + os.urandom(200))
    _expect_error(tmp_path, capsys, fasta, _write(tmp_path, "d.tsv", DEPTH), fasta, ["gzip"])


@pytest.mark.parametrize("text,words", [
    ("", ["empty"]),
    ("contigname\tS1\tS2\nc1\t1\t2\nc2\t3\t4\n", ["no coverage row", "c3"]),
    (DEPTH + "zz\t1\t1\n", ["not in the assembly", "zz"]),
    (DEPTH.replace("3\t4", "-3\t4"), ["negative", "c2"]),
    (DEPTH.replace("3\t4", "abc\t4"), ["non-numeric", "c2"]),
    (DEPTH.replace("3\t4", "nan\t4"), ["non-finite", "c2"]),
    (DEPTH + "c1\t1\t1\n", ["duplicate", "c1"]),
    (DEPTH.replace("3\t4", "3"), ["columns"]),
    ("name\tS1\nc1\t1\n", ["unrecognised"]),
])
def test_bad_depth(tmp_path, capsys, text, words):
    depth = _write(tmp_path, "d.tsv", text)
    _expect_error(tmp_path, capsys, _write(tmp_path, "a.fna", GOOD), depth, depth, words)


def test_depth_rows_matched_by_name_not_position(tmp_path, capsys):
    from genomeface_core.pipeline import embed_contigs

    fasta = _write(tmp_path, "a.fna", GOOD)
    d1 = _write(tmp_path, "d1.tsv", DEPTH)
    lines = DEPTH.splitlines()
    d2 = _write(tmp_path, "d2.tsv", "\n".join([lines[0]] + lines[1:][::-1]) + "\n")
    e1, e2 = embed_contigs(fasta, d1), embed_contigs(fasta, d2)
    assert (e1.depths == e2.depths).all()
    assert e1.depths[0].tolist() == [1.5, 2.0]


def test_metabat_depth_format(tmp_path):
    from genomeface_core.io.coverage import read_coverage

    p = _write(tmp_path, "m.txt", "contigName\tcontigLen\ttotalAvgDepth\ts1.bam\ts1.bam-var\ts2.bam\ts2.bam-var\n"
                                  "c1\t3200\t3.5\t1.5\t0.2\t2\t0.3\n")
    cov = read_coverage(p)
    assert cov.samples == ["s1.bam", "s2.bam"] and cov.depths.tolist() == [[1.5, 2.0]]


def test_nonempty_outdir_refused_then_force(tmp_path, capsys):
    fasta, depth = _write(tmp_path, "a.fna", GOOD), _write(tmp_path, "d.tsv", DEPTH)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    rc, err, _ = _run(tmp_path, capsys, fasta, depth)
    assert rc == 2 and "not empty" in err and (out / "keep.txt").exists()
    rc, err, _ = _run(tmp_path, capsys, fasta, depth, ["--force"])   # not a genomeface result: --force refuses too
    assert rc == 2 and "genomeface does not write" in err and (out / "keep.txt").exists()
    assert len(err.strip().splitlines()) == 1


def test_missing_file(tmp_path, capsys):
    missing = str(tmp_path / "nope.fna")
    _expect_error(tmp_path, capsys, missing, _write(tmp_path, "d.tsv", DEPTH), missing, ["not found"])


def test_gpu_requested_without_gpu_is_one_line_error(tmp_path, capsys):
    from genomeface_core.xp import gpu_available

    if gpu_available():
        pytest.skip("a GPU is present")
    fasta, depth = _write(tmp_path, "a.fna", GOOD), _write(tmp_path, "d.tsv", DEPTH)
    rc, err, out = _run(tmp_path, capsys, fasta, depth, ["--device", "gpu"])
    assert rc == 2 and "no usable CUDA GPU" in err and len(err.splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize("extra,words", [
    (["--min-purity", "0"], ["min_purity"]),
    (["--rescue-vote", "1.5"], ["rescue_vote"]),
    (["--abundance-weight", "-1"], ["abundance_weight"]),
    (["-m", "0"], ["min_contig_length"]),
])
def test_bad_parameters_one_line(tmp_path, capsys, extra, words):
    fasta, depth = _write(tmp_path, "a.fna", GOOD), _write(tmp_path, "d.tsv", DEPTH)
    rc, err, out = _run(tmp_path, capsys, fasta, depth, extra)
    assert rc == 2 and len(err.splitlines()) == 1 and not out.exists(), err
    assert all(w in err for w in words), err
