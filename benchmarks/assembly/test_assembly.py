"""Tests of the assembly benchmark's parts on real genomes (seconds): genome choice, truth."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pick  # noqa: E402
import truth  # noqa: E402
from genomeface_core.io.fasta import format_fasta, read_fasta  # noqa: E402

G = Path(pick.CATALOG).parent
needs_genomes = pytest.mark.skipif(not (G / "catalog.tsv").exists(), reason="shared genomes absent")


@needs_genomes
def test_duplicate_genomes_are_detected_and_strains_kept():
    # K-12 MG1655 is in the catalog twice; Blochmannia pennsylvanicus twice as two strains
    k12a = pick.sketch(read_fasta(G / "amgma__NC_000913.3.fna.gz").seqs)
    k12b = pick.sketch(read_fasta(G / "sylph__e.coli-K12.fna.gz").seqs)
    o157 = pick.sketch(read_fasta(G / "sylph__e.coli-o157.fna.gz").seqs)
    assert pick.containment(k12a, k12b) > 0.95
    assert 0.2 < pick.containment(k12a, o157) < 0.95


@needs_genomes
def test_pick_is_deterministic_and_covers_the_groups(tmp_path):
    a = pick.pick_genomes(6, seed=3, cache_dir=str(tmp_path))
    b = pick.pick_genomes(6, seed=3, cache_dir=str(tmp_path))
    assert a == b
    assert [g.group for g in a] == [*pick.GROUPS, "other"]


@needs_genomes
@pytest.mark.skipif(shutil.which("minimap2") is None, reason="minimap2 absent")
def test_truth_assigns_clean_contigs_and_excludes_chimeras(tmp_path):
    ga = read_fasta(G / "pyani__GCF_000185985.2_ASM18598v2_genomic.fna.gz")   # Blochmannia vafer
    gb = read_fasta(G / "pyani__GCF_000011745.1_ASM1174v1_genomic.fna.gz")   # B. pennsylvanicus
    sa, sb = ga.seqs[0], gb.seqs[0]
    refs = tmp_path / "refs.fna"
    refs.write_bytes(format_fasta(["g000.a", "g001.b"], [sa, sb]))
    rng = np.random.default_rng(0)
    rand = bytes(rng.choice(list(b"ACGT"), 5000).astype(np.uint8))
    contigs = {"ca": sa[10_000:30_000], "cb": sb[50_000:62_000],
               "chim": sa[100_000:106_000] + sb[200_000:206_000], "junk": rand}
    cfa = tmp_path / "contigs.fna"
    cfa.write_bytes(format_fasta(list(contigs), list(contigs.values())))
    truth.align(str(cfa), str(refs), str(tmp_path / "t.paf"), threads=1)
    t, ex = truth.assign(open(tmp_path / "t.paf"), {k: len(v) for k, v in contigs.items()})
    assert t == {"ca": "g000", "cb": "g001"}
    assert ex == {"chim": "chimeric", "junk": "unaligned"}


def test_doctests():
    import doctest

    import reads
    import run
    for mod in (pick, reads, truth, run):
        assert doctest.testmod(mod).failed == 0, mod.__name__
