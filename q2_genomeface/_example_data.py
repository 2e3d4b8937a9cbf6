"""Two tiny metagenome samples with real BAM files, in q2-mag's test-data layout.

q2-mag's binner tests and usage examples read ``contigs/samp1_contigs.fa``,
``contigs/samp2_contigs.fa``, ``maps/samp1_alignment.bam`` and
``maps/samp2_alignment.bam`` (q2_mag/semibin2/tests/data/, q2_mag/vamb/tests/data/).
:func:`write_samples` writes the same layout, built from the three real
genomes of the bundled demo (:mod:`genomeface_core.demo`: files that the
installed pyrodigal and pyhmmer wheels ship), so nothing is downloaded and no
sequence data is stored in this repository:

* each sample's "assembly" is the genomes present in it, cut into contigs
  (:func:`genomeface_core.demo.mock.fragment`) and named as MEGAHIT names them,
  ``k141_0``, ``k141_1``, ... in *both* samples (names reused across samples);
* each sample's reads (150 bp, single-end, 0.5% substitutions) are drawn at
  the sample's genome depth and written as a coordinate-sorted BAM whose
  records sit where they were drawn (CIGAR ``150M``, ``NM`` = substitutions),
  i.e. what a perfect aligner would write; samtools-compatible (pysam).
* ``coassembly/all_contigs.fa`` (one assembly of all genomes, as q2-assembly's
  ``coassemble=True`` names it) with each sample's reads on it in
  ``coassembly_maps/samp{1,2}_alignment.bam``.

Depths (x) per sample: C. diphtheriae 3 / 0, E. coli 0 / 3, B. amyloliquefaciens 2 / 1.5.
"""
from __future__ import annotations

import os

import numpy as np

READ_LEN = 150
SUB_RATE = 0.005
#: genome -> depth (x) in samp1, samp2
DEPTHS = {"Corynebacterium_diphtheriae": (3.0, 0.0),
          "Escherichia_coli_MIIJ01000039": (0.0, 3.0),
          "Bacillus_amyloliquefaciens_OFHT01000022": (2.0, 1.5)}
SAMPLES = ("samp1", "samp2")


def _assembly(genomes: dict[str, list[bytes]], present: list[str], rng) -> tuple[list[str], list[bytes], list[str]]:
    """Fragment the ``present`` genomes into contigs, shuffled, named ``k141_<i>``."""
    from genomeface_core.demo.mock import fragment
    pieces = [(g, s) for g in present for s in fragment(genomes[g], rng, median_len=8000.0, sigma=0.8)]
    order = rng.permutation(len(pieces))
    names = [f"k141_{i}" for i in range(len(pieces))]
    return names, [pieces[j][1] for j in order], [pieces[j][0] for j in order]


def write_fasta(path: str, names: list[str], seqs: list[bytes]) -> None:
    """Contigs with MEGAHIT-style descriptions (``flag=1 multi=... len=...``)."""
    with open(path, "wb") as fh:
        for n, s in zip(names, seqs):
            fh.write(b">%s flag=1 multi=5.0000 len=%d\n" % (n.encode(), len(s)))
            for i in range(0, len(s), 80):
                fh.write(s[i:i + 80] + b"\n")


def write_bam(path: str, names: list[str], seqs: list[bytes], depth: np.ndarray, rng, *,
              sample: str, sort: bool = True) -> int:
    """Reads drawn on each contig at ``depth[i]`` (x), written as a BAM; returns the read count.

    ``sort``: coordinate order with ``SO:coordinate`` (else shuffled, ``SO:unsorted``).
    """
    import pysam
    header = {"HD": {"VN": "1.6", "SO": "coordinate" if sort else "unsorted"},
              "SQ": [{"SN": n, "LN": len(s)} for n, s in zip(names, seqs)],
              "PG": [{"ID": "genomeface-q2-example", "PN": "q2_genomeface._example_data"}]}
    reads = []  # (tid, pos, strand, n_subs, seq)
    for tid, (s, d) in enumerate(zip(seqs, depth)):
        n = int(round(d * len(s) / READ_LEN))
        if n == 0 or len(s) < READ_LEN:
            continue
        starts = np.sort(rng.integers(0, len(s) - READ_LEN + 1, n))
        strand = rng.random(n) < 0.5
        for k, st in enumerate(starts):
            r = bytearray(s[st:st + READ_LEN].upper())
            hit = np.flatnonzero(rng.random(READ_LEN) < SUB_RATE)
            for h in hit:  # a different base (an N stays N)
                if r[h] in b"ACGT":
                    r[h] = b"ACGT"[(b"ACGT".index(r[h]) + int(rng.integers(1, 4))) % 4]
            reads.append((tid, int(st), bool(strand[k]), len(hit), bytes(r)))
    if not sort:
        reads = [reads[i] for i in rng.permutation(len(reads))]
    with pysam.AlignmentFile(path, "wb", header=header) as out:
        for i, (tid, pos, rev, nm, seq) in enumerate(reads):
            a = pysam.AlignedSegment(out.header)
            a.query_name = f"{sample}_r{i}"
            a.query_sequence = seq.decode()
            a.flag = 16 if rev else 0
            a.reference_id = tid
            a.reference_start = pos
            a.mapping_quality = 60
            a.cigarstring = f"{READ_LEN}M"
            a.set_tag("NM", nm)
            out.write(a)
    return len(reads)


def write_samples(outdir: str | os.PathLike, seed: int = 0) -> dict[str, str]:
    """Write the two samples (and the co-assembly) under ``outdir``; returns the folders.

    Keys: ``contigs``, ``maps``, ``coassembly``, ``coassembly_maps`` (folders) and
    ``truth`` (TSV: sample, contig, genome, length; sample ``all`` for the co-assembly).
    """
    from genomeface_core.demo import _sources
    from genomeface_core.io.fasta import read_genome

    rng = np.random.default_rng(seed)
    genomes = {k: read_genome(p) for k, p in _sources().items()}
    outdir = os.fspath(outdir)
    dirs = {k: os.path.join(outdir, k) for k in ("contigs", "maps", "coassembly", "coassembly_maps")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    truth = [("sample", "contig", "genome", "length")]
    for j, sample in enumerate(SAMPLES):
        present = [g for g, d in DEPTHS.items() if d[j] > 0]
        names, seqs, origin = _assembly(genomes, present, rng)
        write_fasta(os.path.join(dirs["contigs"], f"{sample}_contigs.fa"), names, seqs)
        depth = np.array([DEPTHS[g][j] for g in origin])
        write_bam(os.path.join(dirs["maps"], f"{sample}_alignment.bam"), names, seqs, depth, rng, sample=sample)
        truth += [(sample, n, g, str(len(s))) for n, g, s in zip(names, origin, seqs)]
    names, seqs, origin = _assembly(genomes, list(DEPTHS), rng)
    write_fasta(os.path.join(dirs["coassembly"], "all_contigs.fa"), names, seqs)
    for j, sample in enumerate(SAMPLES):
        depth = np.array([DEPTHS[g][j] for g in origin])
        write_bam(os.path.join(dirs["coassembly_maps"], f"{sample}_alignment.bam"), names, seqs, depth, rng,
                  sample=sample)
    truth += [("all", n, g, str(len(s))) for n, g, s in zip(names, origin, seqs)]
    dirs["truth"] = os.path.join(outdir, "truth.tsv")
    with open(dirs["truth"], "w") as fh:
        fh.write("".join("\t".join(row) + "\n" for row in truth))
    return dirs
