"""Multi-split: ``genomeface concatenate`` and splitting bins by sample, on real genomes.

Two "samples" are assembled from three real genomes of ../shared/genomes: sample 1
holds genomes 0 and 1, sample 2 genomes 1 and 2, each cut at its own positions
into contigs named as MEGAHIT names them (``k141_<n>``, so both samples reuse
the same names).  Bins by genome over the concatenation must split into one
bin per genome and sample holding exactly that sample's contigs of it.
"""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from conftest import GENOMES, pick_genomes
from genomeface_core.cli.main import main
from genomeface_core.cli.concat import concatenate
from genomeface_core.errors import InputError
from genomeface_core.io.fasta import read_fasta
from genomeface_core.cut.multisplit import sample_of, split_bins


def _cut(seq: bytes, rng: np.random.Generator) -> list[bytes]:
    """Contigs of 500 bp - 40 kb (some below the 2000 bp default cut-off) covering ``seq``."""
    pieces, pos = [], 0
    while pos < len(seq):
        n = int(rng.integers(500, 40_000))
        pieces.append(seq[pos:pos + n])
        pos += n
    return pieces


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    tmp = tmp_path_factory.mktemp("multisplit")
    rows = pick_genomes(3)
    genomes = [b"".join(read_fasta(GENOMES / r["file"]).seqs)[:300_000] for r in rows]
    rng = np.random.default_rng(3)
    paths, truth = [], {}           # truth: (sample, original contig name) -> (genome, sequence)
    for s, members in enumerate([(0, 1), (1, 2)]):
        names, seqs = [], []
        for g in members:
            for piece in _cut(genomes[g], rng):
                names.append(f"k141_{len(names) + 1}")
                seqs.append(piece)
                truth[(f"S{s + 1}", names[-1])] = (g, piece)
        path = tmp / f"asm{s + 1}.fa"
        with open(path, "w") as fh:
            for n, q in zip(names, seqs):
                fh.write(f">{n} flag=1 multi=3.0 len={len(q)}\n{q.decode()}\n")
        paths.append(path)
    return {"tmp": tmp, "paths": paths, "truth": truth, "genomes": genomes}


def test_concatenate_names_and_filters_like_vamb(samples, tmp_path):
    out = tmp_path / "all.fna.gz"
    assert main(["-q", "concatenate", str(out), *map(str, samples["paths"])]) == 0
    with gzip.open(out, "rb") as fh:      # really gzip, and readable as FASTA
        assert fh.read(1) == b">"
    cat = read_fasta(out)
    truth = samples["truth"]
    expected = [f"{s}C{n}" for (s, n), (_, q) in truth.items() if len(q) >= 2000]
    assert cat.names == expected          # input order kept, descriptions dropped
    assert len(expected) < len(truth)     # some contigs were short
    for name, seq in zip(cat.names, cat.seqs):
        sample, _, original = name.partition("C")
        assert seq == truth[(sample, original)][1]
    # k141_1 exists in both samples; the prefix keeps the names unique
    assert "S1Ck141_1" in cat.names and "S2Ck141_1" in cat.names


def test_split_bins_gives_one_bin_per_genome_and_sample(samples, tmp_path):
    out = tmp_path / "all.fna"
    counts = concatenate(out, samples["paths"], min_length=1000)
    cat = read_fasta(out)
    assert sum(k for k, _ in counts.values()) == len(cat.names)
    assert sample_of(cat.names) == [n.split("C", 1)[0] for n in cat.names]
    truth = samples["truth"]
    genome_of = {n: truth[tuple(n.split("C", 1))][0] for n in cat.names}
    bins = {f"bin_{g}": [n for n in cat.names if genome_of[n] == g] for g in range(3)}

    split = split_bins(bins)
    assert list(split) == ["S1", "S2"]
    assert {s: sorted(b) for s, b in split.items()} == {
        "S1": ["S1Cbin_0", "S1Cbin_1"], "S2": ["S2Cbin_1", "S2Cbin_2"]}
    seq_of = dict(zip(cat.names, cat.seqs))
    for sample, sample_bins in split.items():
        for bin_name, contigs in sample_bins.items():
            g = int(bin_name.rsplit("_", 1)[1])
            assert all(c.startswith(sample + "C") for c in contigs)
            # exactly this sample's contigs of genome g, in assembly order, each a piece of it
            assert contigs == [n for n in cat.names if n.startswith(sample + "C") and genome_of[n] == g]
            assert all(seq_of[c] in samples["genomes"][g] for c in contigs)
    # every contig lands in exactly one split bin
    flat = [c for b in split.values() for cs in b.values() for c in cs]
    assert sorted(flat) == sorted(cat.names)


def test_custom_separator_and_sample_names(samples, tmp_path):
    out = tmp_path / "all.fna"
    assert main(["-q", "concatenate", "--sep", "__", "--samples", "gutA,gutB", "-m", "0",
                 str(out), *map(str, samples["paths"])]) == 0
    names = read_fasta(out).names
    assert len(names) == len(samples["truth"])
    assert set(sample_of(names, "__")) == {"gutA", "gutB"}
    split = split_bins({"b": names[:3] + names[-2:]}, "__")
    assert list(split) == ["gutA", "gutB"] and list(split["gutB"]) == ["gutB__b"]


@pytest.mark.parametrize("extra,bad_file,problem", [
    (["--samples", "S1,xCy"], 1, "contains the separator"),
    (["--samples", "A,A"], 1, "already used"),
    (["--sep", "S"], 0, "contains the separator"),          # default names S1, S2 contain 'S'
])
def test_bad_sample_names_name_the_file(samples, tmp_path, capsys, extra, bad_file, problem):
    out = tmp_path / "all.fna"
    assert main(["concatenate", *extra, str(out), *map(str, samples["paths"])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"genomeface: error: {samples['paths'][bad_file]}: ")
    assert problem in err[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_bad_assembly_writes_nothing(samples, tmp_path, capsys):
    dup = tmp_path / "dup.fa"
    dup.write_text(">k141_1\nACGTACGTAC\n>k141_1\nGGGGCCCCAA\n")
    out = tmp_path / "all.fna"
    assert main(["concatenate", "-m", "0", str(out), str(samples["paths"][0]), str(dup)]) == 2
    err = capsys.readouterr().err
    assert f"{dup}: duplicate contig name 'k141_1'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dup.fa"]     # no output, no temp file


def test_existing_output_needs_force(samples, tmp_path):
    out = tmp_path / "all.fna"
    out.write_text("keep me\n")
    with pytest.raises(InputError, match="output exists"):
        concatenate(out, samples["paths"])
    assert out.read_text() == "keep me\n"
    concatenate(out, samples["paths"], force=True)
    assert read_fasta(out).names[0] == "S1Ck141_1"


def test_names_without_separator_raise():
    with pytest.raises(InputError, match="'k141_7'"):
        sample_of(["S1Ck141_1", "k141_7"])
    with pytest.raises(InputError, match="'Ck141_7'"):      # separator at the start: no sample
        split_bins({"b": ["Ck141_7"]})
    with pytest.raises(InputError, match="separator"):
        sample_of(["S1Ck141_1"], "")


def test_bin_split_sep_bins_jointly_and_splits_by_sample(tmp_path):
    """bin(split_sep=...): one bin per genome and sample holding it, binned on the joint tree.

    Sample 1 assembled genomes 0 and 1, sample 2 genomes 1 and 2 (whole genomes, 10-40 kb
    contigs); every sample's reads map to the concatenation, so a contig's depths are its
    genome's abundances in the two samples.
    """
    import genomeface_core

    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    genomes = [b"".join(read_fasta(GENOMES / r["file"]).seqs) for r in pick_genomes(3)]
    abundance = np.array([[12.0, 0.5], [6.0, 9.0], [0.5, 15.0]])
    rng = np.random.default_rng(5)
    genome_of = {}
    with open(tmp_path / "cat.fna", "w") as fa, open(tmp_path / "depth.tsv", "w") as dt:
        dt.write("contigname\tS1\tS2\n")
        for s, members in enumerate([(0, 1), (1, 2)], 1):
            pos = 0
            for g in members:
                for start in range(0, len(genomes[g]) - 10_000, 20_000):
                    name = f"S{s}Ck141_{pos}"     # both samples reuse assembler names
                    pos += 1
                    genome_of[name] = g
                    fa.write(f">{name}\n{genomes[g][start:start + 20_000].decode()}\n")
                    d = abundance[g] * np.exp(rng.normal(0, 0.05, 2))
                    dt.write(f"{name}\t{d[0]:.3f}\t{d[1]:.3f}\n")
    res = genomeface_core.bin(tmp_path / "cat.fna", tmp_path / "depth.tsv", threads=2, split_sep="C",
                              outdir=tmp_path / "out")
    by_genome = {}
    # measured: S1Cbin1 genome 0, S1Cbin2 + S2Cbin2 genome 1 (95% complete each), S2Cbin1 genome 2;
    # without per-sample cuts genome 1's markers count twice and it is never binned
    for b, members in res.bins.items():
        sample, _, joint = b.partition("C")
        assert {m.partition("C")[0] for m in members} == {sample}      # one sample per bin
        assert len({genome_of[m] for m in members}) == 1                 # one genome per bin
        by_genome.setdefault(genome_of[members[0]], []).append((sample, joint))
    assert sorted(by_genome) == [0, 1, 2]
    assert sorted(s for s, _ in by_genome[1]) == ["S1", "S2"]           # genome 1: a bin in each sample
    assert (tmp_path / "out" / "bins" / f"S1C{by_genome[1][0][1]}.fna").exists()
    rows = [ln.split("\t")[0] for ln in open(tmp_path / "out" / "bins.tsv")][1:]
    assert sorted(rows) == sorted(res.bins)


def test_bin_split_sep_names_the_fasta_when_a_contig_has_no_prefix(tmp_path, capsys):
    fa = tmp_path / "plain.fna"
    fa.write_text(">k141_1\n" + "ACGTTGCA" * 400 + "\n>k141_2\n" + "TTGACCAG" * 400 + "\n")
    assert main(["-q", "bin", "-i", str(fa), "-o", str(tmp_path / "out"), "--split-sep", "C"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(fa) in err[0] and "k141_1" in err[0]
    assert not (tmp_path / "out").exists()
