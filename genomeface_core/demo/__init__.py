"""The bundled example: a small mock community built from real genomes that
installed dependencies ship, so no sequence data is stored in this repository.

Provenance (files inside the installed wheels):

=========================  =====================================================  ========
genome                     source file                                            size
=========================  =====================================================  ========
Corynebacterium            pyrodigal ``tests/data/GCF_001457455.1_NCTC11397_genomic.fna.gz``  2.46 Mbp
diphtheriae NCTC11397      (RefSeq GCF_001457455.1, complete chromosome)
Escherichia coli           pyrodigal ``tests/data/MIIJ01000039.fna.gz``          0.87 Mbp
                           (GenBank MIIJ01000039, one WGS contig)
Bacillus amyloliquefaciens pyhmmer ``tests/data/seqs/1390.SAMEA104415756.OFHT01000022.fna``  0.40 Mbp
                           (ENA OFHT01000022, one WGS contig)
=========================  =====================================================  ========

They are cut into contigs and given depths in 3 samples by
:func:`genomeface_core.demo.mock.make_mock` with a fixed seed.
"""
from __future__ import annotations

import os
from pathlib import Path

from genomeface_core.io.fasta import read_genome
from genomeface_core.demo.mock import make_mock, write_mock


def _sources() -> dict[str, Path]:
    import pyhmmer
    import pyrodigal

    prd = Path(pyrodigal.__file__).parent / "tests" / "data"
    phm = Path(pyhmmer.__file__).parent / "tests" / "data" / "seqs"
    return {
        "Corynebacterium_diphtheriae": prd / "GCF_001457455.1_NCTC11397_genomic.fna.gz",
        "Escherichia_coli_MIIJ01000039": prd / "MIIJ01000039.fna.gz",
        "Bacillus_amyloliquefaciens_OFHT01000022": phm / "1390.SAMEA104415756.OFHT01000022.fna",
    }


def write_demo(outdir: str | os.PathLike, seed: int = 1) -> dict[str, str]:
    """Write the demo's contigs.fna.gz, depth.tsv, truth.tsv and PROVENANCE.txt into ``outdir``."""
    srcs = _sources()
    missing = [str(p) for p in srcs.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"demo source genome missing from the installed packages: {missing[0]}")
    mock = make_mock({k: read_genome(p) for k, p in srcs.items()}, n_samples=3, seed=seed)
    paths = write_mock(mock, outdir)
    with open(os.path.join(outdir, "PROVENANCE.txt"), "w") as fh:
        fh.write("Mock community built by genomeface_core.demo.write_demo(seed=%d) from:\n" % seed)
        for k, p in srcs.items():
            fh.write(f"{k}\t{p}\n")
    return paths
