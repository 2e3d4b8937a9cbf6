"""Evaluation on hand-made truth tables with answers worked out by hand."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.lab.evaluate import evaluate, read_bins, read_truth

ROOT = Path(__file__).resolve().parents[1]

# genome A: a1 600, a2 300, a3 100 (1000 bp); genome B: b1 500, b2 500 (1000 bp); C: c1 1000
LEN = {"a1": 600, "a2": 300, "a3": 100, "b1": 500, "b2": 500, "c1": 1000}
TRUTH = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C"}


def test_perfect_binning():
    ev = evaluate(dict(TRUTH), TRUTH, LEN)
    assert ev.recovered(0.99, 0.99) == 3
    assert ev.ari == pytest.approx(1.0)
    assert all(v == 3 for v in ev.grid().values())
    assert ev.binned_bp_frac == pytest.approx(1.0)


def test_known_recall_precision():
    # X = a1 + a2 + b1: A recall 0.9, precision 900/1400; Y = a3 + b2: B recall 0.5, precision 500/600
    # Z = c1 alone: C recall 1, precision 1.  b1 goes with A.
    assign = {"a1": "X", "a2": "X", "b1": "X", "a3": "Y", "b2": "Y", "c1": "Z"}
    ev = evaluate(assign, TRUTH, LEN)
    x, y = ev.bins.index("X"), ev.bins.index("Y")
    a, b = ev.genomes.index("A"), ev.genomes.index("B")
    assert ev.recall[x, a] == pytest.approx(0.9)
    assert ev.precision[x, a] == pytest.approx(900 / 1400)
    assert ev.recall[y, b] == pytest.approx(0.5)
    assert ev.precision[y, b] == pytest.approx(500 / 600)
    assert ev.recovered(0.9, 0.95) == 1      # only C
    assert ev.recovered(0.5, 0.0) == 3       # A by X, B by Y (or X), C by Z


def test_purity_threshold_and_unbinned():
    # A bin holding all of A plus 50 bp of... nothing else -> pure; B split in halves; C unbinned
    assign = {"a1": "X", "a2": "X", "a3": "X", "b1": "Y", "b2": "W", "c1": "unbinned"}
    ev = evaluate(assign, TRUTH, LEN)
    g = ev.grid()
    assert g[(0.99, 0.99)] == 1              # A
    assert g[(0.5, 0.99)] == 2               # A, B (half in Y)
    assert g[(0.7, 0.9)] == 1
    assert ev.binned_bp_frac == pytest.approx(2000 / 3000)
    # precision 0.95 boundary: X = all of A (1000) + 50 bp of a 1050-bp C -> 1000/1050 = 0.952
    ev2 = evaluate({"a1": "X", "a2": "X", "a3": "X", "c": "X"}, {**TRUTH, "c": "C2"}, {**LEN, "c": 50})
    assert ev2.recovered(0.9, 0.95) == 1
    assert ev2.recovered(0.9, 0.96) == 0


def test_ari_hand_computed():
    # two 1-kb contigs per genome, each bin takes one of each: table [[1,1],[1,1]] (kb)
    truth = {"p": "G1", "q": "G1", "r": "G2", "s": "G2"}
    lens = {k: 1000 for k in truth}
    assign = {"p": "b1", "q": "b2", "r": "b1", "s": "b2"}
    ev = evaluate(assign, truth, lens)
    # with kb weights every cell is 1 kb: comb(1)=0 everywhere, row/col sums 2 -> comb=1 each
    # s_ij = 0, s_a = s_b = 2, expected = 2*2/comb(4)=4/6, max = 2 -> ARI = (0-2/3)/(2-2/3) = -0.5
    assert ev.ari == pytest.approx(-0.5)
    assert evaluate(truth, truth, lens).ari == pytest.approx(1.0)


def _write(p: Path, text: str) -> str:
    p.write_text(text)
    return str(p)


def test_read_bins_formats(tmp_path):
    gf = _write(tmp_path / "clusters.tsv", "bin\tcontig\nbin1\ta1\nbin1\ta2\nunbinned\tc1\n")
    vamb = _write(tmp_path / "vae.tsv", "clustername\tcontigname\nS1C5\ta1\nS1C5\ta2\n")
    sb = _write(tmp_path / "contig_bins.tsv", "contig\tbin\na1\t7\na2\t7\n")
    cls = _write(tmp_path / "metabat.cls", "a1\t3\na2\t3\nc1\t0\n")
    d = tmp_path / "bins"
    d.mkdir()
    (d / "bin.1.fa").write_text(">a1 x\nACGT\n>a2\nACGT\n")
    (d / "bin.2.fa").write_text(">c1\nACGT\n")
    assert read_bins(gf, "genomeface") == {"a1": "bin1", "a2": "bin1", "c1": "unbinned"}
    assert read_bins(gf) == read_bins(gf, "genomeface")
    assert read_bins(vamb, "vamb") == {"a1": "S1C5", "a2": "S1C5"} == read_bins(vamb)
    assert read_bins(sb, "semibin") == {"a1": "7", "a2": "7"} == read_bins(sb)
    assert read_bins(cls, "metabat-cls") == {"a1": "bin3", "a2": "bin3", "c1": "unbinned"} == read_bins(cls)
    assert read_bins(str(d), "metabat-dir") == {"a1": "bin.1", "a2": "bin.1", "c1": "bin.2"}


def test_read_truth_min_length(tmp_path):
    t = _write(tmp_path / "truth.tsv", "contig\tgenome\tlength\nx\tA\t1000\ny\tA\t2000\nz\tB\t1600\n")
    truth, lengths = read_truth(t, 1500)
    assert truth == {"y": "A", "z": "B"} and lengths == {"y": 2000, "z": 1600}


def test_cli(tmp_path):
    lines = ["contig\tgenome\tlength"] + [f"{c}\t{g}\t{LEN[c]}" for c, g in TRUTH.items()]
    t = _write(tmp_path / "truth.tsv", "\n".join(lines) + "\n")
    b = _write(tmp_path / "clusters.tsv", "bin\tcontig\n" + "".join(f"{g}\t{c}\n" for c, g in TRUTH.items()
                                                                    if g != "C"))
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "evaluate.py"), "--truth", t, "--bins", b,
                          "--min-length", "0", "--json"], capture_output=True, text=True, check=True).stdout
    import json
    res = json.loads(out)
    assert res["nc"] == 2 and res["grid"]["0.99,0.99"] == 2 and res["ari"] == pytest.approx(1.0)
    assert np.isclose(res["binned_bp_frac"], 2000 / 3000, atol=1e-3)
