"""CLI end to end on a community of 8 real genomes from ../shared/genomes."""
import json
import os

import numpy as np

from genomeface_core.cli import main
from genomeface_core.evaluate import evaluate, read_table


def test_cli_bins_real_community(mock8, tmp_path):
    mock, paths = mock8
    out = tmp_path / "out"
    rc = main(["-q", "bin", "-i", paths["contigs"], "-a", paths["depth"], "-o", str(out), "-t", "2"])
    assert rc == 0
    assign = read_table(out / "clusters.tsv")
    truth = dict(zip(mock.names, mock.genome))
    lengths = {n: len(s) for n, s in zip(mock.names, mock.seqs)}
    # every contig >= 1500 bp is listed exactly once
    assert set(assign) == {n for n, s in zip(mock.names, mock.seqs) if len(s) >= 1500}
    ev = evaluate(assign, truth, lengths)
    assert ev.recovered(0.9, 0.95) >= 4, (ev.recall.max(axis=0), ev.grid())
    assert ev.ari > 0.9
    # bins/ FASTA, bins.tsv rows and clusters.tsv agree
    bins = sorted(os.listdir(out / "bins"))
    table = [ln.split("\t") for ln in open(out / "bins.tsv").read().splitlines()]
    assert table[0][:2] == ["bin", "contigs"] and len(table) - 1 == len(bins)
    for row in table[1:]:
        fasta = open(out / "bins" / f"{row[0]}.fna").read()
        assert fasta.count(">") == int(row[1]) == sum(1 for b in assign.values() if b == row[0])
        assert int(row[2]) >= 200_000
        assert 0 <= float(row[6]) <= 100
    run = json.load(open(out / "run.json"))
    assert run["n_bins"] == len(bins) and set(run["timings"]) >= {"features", "knn", "mst", "select"}
    # the markers table written by the run can be fed back and gives the same bins
    out2 = tmp_path / "out2"
    assert main(["-q", "bin", "-i", paths["contigs"], "-a", paths["depth"], "-o", str(out2),
                 "--markers", str(out / "markers.tsv")]) == 0
    assert read_table(out2 / "clusters.tsv") == assign


def test_same_seed_same_output(mock8, tmp_path):
    from genomeface_core import bin as gf_bin

    mock, paths = mock8
    m = str(tmp_path / "m.tsv")
    r1 = gf_bin(paths["contigs"], paths["depth"], min_bin_size=100_000, threads=2)
    r2 = gf_bin(paths["contigs"], paths["depth"], min_bin_size=100_000, threads=1)
    assert r1.assignment == r2.assignment and r1.bins == r2.bins
    assert np.isclose(r1.run_info["total_reward"], r2.run_info["total_reward"])
