"""Mock metagenomes: length distribution, abundances, depths, reads, and the benchmark CLI."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from genomeface_core.io.coverage import read_coverage
from benchmarks.lab.reads import simulate_reads, write_metabat_depth
from genomeface_core.demo.mock import draw_contig_length, fragment, make_mock, sample_abundances, write_mock

ROOT = Path(__file__).resolve().parents[1]


def _genome(n, seed):
    return bytes(np.random.default_rng(seed).choice(np.frombuffer(b"ACGT", np.uint8), n))


def test_heavy_tailed_lengths():
    rng = np.random.default_rng(0)
    L = np.array([draw_contig_length(rng) for _ in range(20000)])
    assert L.min() >= 1000
    assert ((L >= 1500) & (L <= 10_000)).mean() > 0.6          # most contigs 1.5-10 kb
    assert (L >= 100_000).sum() > 50                            # some >= 100 kb
    assert L[L >= 20_000].sum() / L.sum() > 0.4                 # bp sit largely in long contigs
    pieces = fragment([_genome(300_000, 1)], np.random.default_rng(1), length_model="heavy")
    assert all(len(p) >= 1000 for p in pieces) and sum(map(len, pieces)) > 290_000
    with pytest.raises(ValueError):
        fragment([b"ACGT" * 1000], rng, length_model="nope")


def test_abundances_absent_but_present_somewhere():
    a = sample_abundances(200, 5, np.random.default_rng(3), p_absent=0.3)
    assert (a == 0).mean() > 0.15
    assert ((a > 0).sum(axis=1) >= 1).all()
    pos = a[a > 0]
    assert 0.7 < np.std(np.log(pos)) < 1.3                       # log-normal, sigma ~1


def test_make_mock_seeded_and_records_abundances(tmp_path):
    g = {"A": [_genome(120_000, 1)], "B": [_genome(80_000, 2)], "C": [_genome(60_000, 3)]}
    m1 = make_mock(g, n_samples=4, seed=5, length_model="heavy")
    m2 = make_mock(g, n_samples=4, seed=5, length_model="heavy")
    assert m1.names == m2.names and np.array_equal(m1.depths, m2.depths)
    assert m1.abundances.shape == (3, 4) and m1.genomes == ["A", "B", "C"]
    # a genome absent from a sample has zero depth on all its contigs there
    gi = np.array([m1.genomes.index(x) for x in m1.genome])
    zero = m1.abundances[gi] == 0
    assert (m1.depths[zero] == 0).all()
    # contig depths follow the genome abundance (ratio ~ 1 on average, GC bias aside)
    ok = ~zero
    ratio = np.median(m1.depths[ok] / m1.abundances[gi][ok])
    assert 0.5 < ratio < 1.5
    paths = write_mock(m1, tmp_path)
    p = tmp_path / "depth.metabat.txt"
    write_metabat_depth(p, m1.names, [len(s) for s in m1.seqs], m1.samples, m1.depths)
    a, b = read_coverage(paths["depth"]), read_coverage(p)
    assert a.names == b.names and np.allclose(a.depths, b.depths, atol=1e-3)


def test_simulate_reads_counts_and_errors():
    genome = _genome(50_000, 4)
    rng = np.random.default_rng(9)
    r1, r2 = simulate_reads([[genome], [genome]], [4.0, 0.0], rng)
    assert len(r1) == len(r2) == round(4.0 * 50_000 / 300)
    assert all(len(s) == 150 for _, s in r1[:50])
    comp = bytes.maketrans(b"ACGT", b"TGCA")
    mism, n = 0, 0
    for (_, a), (_, b) in zip(r1[:300], r2[:300]):
        for read in (a, b):
            fw = genome.find(read[:20])
            rc = read.translate(comp)[::-1]
            if fw >= 0:
                ref = genome[fw:fw + 150]
            elif genome.find(rc[-20:]) >= 0:
                k = genome.find(rc[-20:]) - 130
                ref, read = genome[k:k + 150], rc
            else:
                continue
            mism += sum(x != y for x, y in zip(read, ref))
            n += 150
    assert n > 0.8 * 600 * 150
    assert 0.003 < mism / n < 0.015                              # ~0.7% substitutions


def test_datasets_config_is_valid():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from simulate import load_config  # benchmarks/simulate.py
    names = [load_config(n)["name"] for n in ("diverse", "strains", "single")]
    assert names == ["diverse", "strains", "single"]
    assert load_config("single")["n_samples"] == 1
    assert len(load_config("strains")["genomes"]) >= 20
    pair = load_config("pair")  # strains' genomes, its own seed and sample count
    assert (pair["genomes"], pair["n_samples"], "genomes_from" in pair) == (load_config("strains")["genomes"], 2, False)
    assert pair["seed"] != load_config("strains")["seed"]


@pytest.mark.skipif(not all(shutil.which(t) for t in ("minimap2", "samtools", "jgi_summarize_bam_contig_depths")),
                    reason="minimap2/samtools/metabat not installed")
def test_reads_mode_cli_crosscheck(tmp_path):
    gdir = tmp_path / "genomes"
    gdir.mkdir()
    cfg = tmp_path / "ds.toml"
    for i in range(3):
        (gdir / f"g{i}.fna").write_bytes(b">r\n" + _genome(60_000, 10 + i) + b"\n")
    cfg.write_text('[defaults]\nmin_eval_len = 1500\n[tiny]\nseed = 1\nn_samples = 2\nmean_depth = 6.0\n'
                   'genomes = ["g0.fna", "g1.fna", "g2.fna"]\n')
    out = tmp_path / "out"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "simulate.py"), "--dataset", "tiny", "--mode",
                    "reads", "--config", str(cfg), "--genomes", str(gdir), "-o", str(out), "--threads", "2"],
                   check=True, capture_output=True)
    meta = json.loads((out / "meta.json").read_text())
    assert (out / "bams" / "S1.bam.bai").exists()
    cc = meta["reads"]["crosscheck"]
    assert cc["frac_within_1e-3"] > 0.99, cc                     # engine BAM reader == MetaBAT
    assert 0.6 < meta["reads"]["median_depth_over_expected"] < 1.2
    d = read_coverage(out / "depth.tsv")
    assert d.depths.shape[1] == 2
