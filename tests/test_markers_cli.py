"""`genomeface markers` and `genomeface split-fasta`: the scattered gene-calling stage.

On a mock community of small real genomes (../shared/genomes): split into 4
chunks -> `markers` on each -> `bin --markers` all four gives the same marker
calls (as a multiset of contig/marker lines) and the same bins as the
in-process stage of `bin`.
"""
import gzip
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from genomeface_core.cli.main import main


def _lines(path):
    return Counter(Path(path).read_text().splitlines()[1:])


def _fasta_names(path):
    with gzip.open(path, "rt") as fh:
        return [ln[1:].split()[0] for ln in fh if ln.startswith(">")]


@pytest.fixture(scope="module")
def in_process(mock3, tmp_path_factory):
    out = tmp_path_factory.mktemp("inproc") / "out"
    assert main(["-q", "bin", "-i", mock3["contigs"], "-a", mock3["depth"], "-o", str(out), "-t", "2",
                 "--min-bin-size", "100000", "--no-progress"]) == 0
    return out


@pytest.fixture(scope="module")
def scattered(mock3, tmp_path_factory):
    d = tmp_path_factory.mktemp("scatter")
    assert main(["-q", "split-fasta", "-i", mock3["contigs"], "-n", "4", "-o", str(d / "chunks")]) == 0
    tables = []
    for chunk in sorted((d / "chunks").glob("chunk.*.fna.gz")):
        tables.append(d / (chunk.name.split(".fna")[0] + ".tsv"))
        assert main(["-q", "markers", "-i", str(chunk), "-o", str(tables[-1]), "-t", "2", "--no-progress"]) == 0
    return d, tables


def test_split_is_balanced_and_keeps_every_long_contig_once(mock3, scattered):
    from genomeface_core.io.fasta import read_fasta

    d, tables = scattered
    allc = read_fasta(mock3["contigs"])
    long_names = [n for n, ln in zip(allc.names, allc.lengths) if ln >= 1500]
    assert len(long_names) < len(allc.names)  # the mock has short contigs, left out of the chunks
    chunks = sorted((d / "chunks").glob("chunk.*.fna.gz"))
    assert [c.name for c in chunks] == [f"chunk.{i}.fna.gz" for i in range(1, 5)]
    names = [_fasta_names(c) for c in chunks]
    assert sorted(sum(names, [])) == sorted(long_names)
    order = {n: i for i, n in enumerate(long_names)}
    assert all([order[n] for n in ns] == sorted(order[n] for n in ns) for ns in names)  # assembly order kept
    bp = [int(read_fasta(c).lengths.sum()) for c in chunks]
    assert max(bp) - min(bp) <= int(allc.lengths.max())  # greedy: within one contig of each other


def test_scattered_calls_equal_the_in_process_stage(in_process, scattered):
    _, tables = scattered
    merged = sum((_lines(t) for t in tables), Counter())
    assert merged == _lines(in_process / "markers.tsv")
    assert sum(merged.values()) > 100  # three genomes' worth of markers, not an empty table


def test_bin_with_scattered_tables_gives_the_same_bins(mock3, in_process, scattered, tmp_path):
    _, tables = scattered
    out = tmp_path / "out"
    assert main(["-q", "bin", "-i", mock3["contigs"], "-a", mock3["depth"], "-o", str(out), "-t", "2",
                 "--min-bin-size", "100000", "--no-progress", "--markers", *map(str, tables)]) == 0
    assert (out / "clusters.tsv").read_text() == (in_process / "clusters.tsv").read_text()
    assert len(list((out / "bins").iterdir())) >= 2
    assert _lines(out / "markers.tsv") == _lines(in_process / "markers.tsv")


def test_chunk_without_long_contigs_gives_a_header_only_table(mock3, tmp_path):
    from genomeface_core.io.fasta import format_fasta, read_fasta

    allc = read_fasta(mock3["contigs"])
    short = np.flatnonzero(allc.lengths < 1500)[:20]
    fa = tmp_path / "short.fna"
    fa.write_bytes(format_fasta([allc.names[i] for i in short], [allc.seqs[i] for i in short]))
    out = tmp_path / "m.tsv"
    assert main(["-q", "markers", "-i", str(fa), "-o", str(out)]) == 0
    assert out.read_text() == "contig\tmarker\n"
    # the same contigs with the length filter lowered do get gene calls
    assert main(["-q", "markers", "-i", str(fa), "-o", str(out), "-m", "1"]) == 0
    assert set(n.split("\t")[0] for n in _lines(out)) <= {allc.names[i] for i in short}


@pytest.mark.parametrize("argv, problem", [
    (["markers", "-i", "{d}/missing.fna", "-o", "{d}/m.tsv"], "missing.fna: file not found"),
    (["markers", "-i", "{contigs}", "-o", "{d}/no/such/dir/m.tsv"], "output folder does not exist"),
    (["markers", "-i", "{contigs}", "-o", "{d}"], "output path is a folder"),
    (["split-fasta", "-i", "{d}/missing.fna", "-n", "2", "-o", "{d}/s"], "missing.fna: file not found"),
    (["split-fasta", "-i", "{contigs}", "-n", "2", "-o", "{d}/full"], "output folder is not empty"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(mock3, tmp_path, capsys, argv, problem):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    argv = [a.format(d=tmp_path, contigs=mock3["contigs"]) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("genomeface: error: ") and problem in err[0]
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_split_more_chunks_than_contigs(tmp_path):
    from genomeface_core.io.fasta import format_fasta

    fa = tmp_path / "two.fna"
    fa.write_bytes(format_fasta(["a", "b", "tiny"], [b"ACGT" * 500, b"GGCA" * 600, b"ACGT" * 10]))
    assert main(["-q", "split-fasta", "-i", str(fa), "-n", "8", "-o", str(tmp_path / "s")]) == 0
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["chunk.1.fna.gz", "chunk.2.fna.gz"]
    assert sorted(_fasta_names(tmp_path / "s" / "chunk.1.fna.gz") + _fasta_names(tmp_path / "s" / "chunk.2.fna.gz")) \
        == ["a", "b"]
