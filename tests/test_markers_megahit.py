"""Fast vs exact marker calls on a real MEGAHIT assembly, built here from simulated reads.

Reads: ``wgsim`` (Debian's samtools) 2x150 bp, 0.5% sequencing errors, at 15x over two real
slices (E. coli K-12 3.30-3.50 Mbp, which holds the S10-spc-alpha r-protein operons, and
S. suis SC84 0-0.20 Mbp; 25 and 24 marker copies), plus 7.5x of a second strain of each (3%
SNPs/indels, ``wgsim -h``): a strain mixture fragments the assembly as in real metagenomes
(measured: 80 contigs >= 500 bp; without the strains, on 2 x 250 kb slices, 8 contigs of N50
250 kb, which leave few contig ends to test).  Assembly: ``megahit`` (Debian package; scripts/setup.sh
installs it) with five k values and no local assembly, to stay well under a minute.

The fast path's calls are compared with exact's on every contig at the agreement level of the
committed results (``tests/test_markers.py::assert_fast_agrees``).
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from genomeface_core.io.fasta import read_fasta, read_genome
from genomeface_core.markers import find_markers
from test_markers import SHARED, assert_fast_agrees, call_agreement

#: (genome file in /work/shared/genomes, slice start, slice end in bp)
SLICES = {
    "ecoli": ("amgma__NC_000913.3.fna.gz", 3_300_000, 3_500_000),
    "ssuis": ("abacasdeb__SS_SC84.fna.gz", 0, 200_000),
}
READ_LEN = 150
PAIRS = 20_000  # 15x of the 400 kb: 20,000 x 2 x 150 / 400,000
STRAIN_PAIRS = 5_000  # 7.5x of each 200 kb slice


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed (Debian package {'samtools' if tool == 'wgsim' else tool}; "
                    "scripts/setup.sh installs it as root)")


def _wgsim(ref, out, pairs: int, seed: int, strain: bool) -> None:
    mutate = ["-r", "0.03", "-R", "0.1", "-X", "0.3", "-h"] if strain else ["-r", "0", "-R", "0", "-X", "0"]
    subprocess.run(["wgsim", "-N", str(pairs), "-1", str(READ_LEN), "-2", str(READ_LEN), "-e", "0.005", *mutate,
                    "-S", str(seed), str(ref), str(out) + "_1.fq", str(out) + "_2.fq"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


@pytest.fixture(scope="module")
def megahit_contigs(tmp_path_factory):
    _need("megahit")
    _need("wgsim")
    for f, _, _ in SLICES.values():
        if not (SHARED / f).exists():
            pytest.skip(f"shared genome {f} not found in {SHARED}")
    d = tmp_path_factory.mktemp("megahit")
    for name, (f, a, b) in SLICES.items():
        seq = max(read_genome(SHARED / f), key=len)[a:b]
        (d / f"{name}.fa").write_text(f">{name}\n{seq.decode() if isinstance(seq, bytes) else seq}\n")
    both = d / "both.fa"
    both.write_text("".join((d / f"{n}.fa").read_text() for n in SLICES))
    _wgsim(both, d / "main", PAIRS, 11, strain=False)
    for k, name in enumerate(SLICES):
        _wgsim(d / f"{name}.fa", d / f"strain_{name}", STRAIN_PAIRS, 12 + k, strain=True)
    for mate in (1, 2):
        with open(d / f"reads_{mate}.fq", "wb") as out:
            for part in ["main", *(f"strain_{n}" for n in SLICES)]:
                out.write((d / f"{part}_{mate}.fq").read_bytes())
    r = subprocess.run(["megahit", "-1", str(d / "reads_1.fq"), "-2", str(d / "reads_2.fq"), "-o", str(d / "asm"),
                        "-t", "2", "-m", "2000000000", "--min-contig-len", "500",
                        "--k-list", "21,41,61,81,101", "--no-local"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return read_fasta(d / "asm" / "final.contigs.fa")


def test_fast_matches_exact_on_megahit_contigs(megahit_contigs):
    """Measured: 80 contigs; exact 50 calls, fast the same 50, none extra; 19 s with the
    assembly on the shared 2-core machine.  Fails when the gene-calling windows lose their flanks
    (MARGIN_BP = 0: 23 of 50 lost)."""
    c = megahit_contigs
    assert len(c.names) >= 30 and np.median(c.lengths) < 10_000, "assembly not fragmented: few contig ends to test"
    exact = find_markers(list(c.seqs), threads=2, mode="exact")
    fast = find_markers(list(c.seqs), threads=2, mode="fast")
    assert exact.sum() >= 40, exact.sum()  # the slices' markers were assembled (measured 50)
    print("megahit contigs:", len(c.names), "exact/common/lost/extra:", exact.sum(), *call_agreement(exact, fast))
    assert_fast_agrees(exact, fast)
