"""No marker-blind merges: sequence the markers cannot vouch for joins a bin only across no embedding gap."""
from pathlib import Path

import numpy as np
import pytest

import genomeface_core
from genomeface_core.coherence import gap_ratios
from genomeface_core.io.fasta import read_fasta
from genomeface_core.markers import find_markers

from conftest import GENOMES


def _cut(seq: bytes, name: str, step: int = 10_000) -> list[tuple[str, bytes]]:
    return [(f"{name}_{i // step}", seq[i:i + step]) for i in range(0, len(seq) - step + 1, step)]


@pytest.fixture(scope="module")
def marker_poor(tmp_path_factory):
    """C. diphtheriae (complete, 40 markers) + 600 kb of E. coli K-12 contigs that carry no marker.

    The E. coli part has its own depth profile (3, 25, 6 vs 10, 12, 8), as a strain-specific
    or accessory region with a different abundance would.
    """
    import pyrodigal

    eco_path = GENOMES / "amgma__NC_000913.3.fna.gz"
    if not eco_path.exists():
        pytest.skip(f"shared genome {eco_path} not found")
    cor = read_fasta(Path(pyrodigal.__file__).parent / "tests" / "data" / "GCF_001457455.1_NCTC11397_genomic.fna.gz")
    a = _cut(cor.seqs[0], "cor")
    b = _cut(read_fasta(eco_path).seqs[0][:3_000_000], "eco")
    no_marker = find_markers([s for _, s in b], threads=2).sum(axis=1) == 0
    b = [c for c, keep in zip(b, no_marker) if keep][:60]
    assert len(b) == 60
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("marker_poor")
    with open(d / "contigs.fna", "w") as fa, open(d / "depth.tsv", "w") as dt:
        dt.write("contigname\tS1\tS2\tS3\n")
        for name, seq in a + b:
            fa.write(f">{name}\n{seq.decode()}\n")
            base = np.array([10.0, 12.0, 8.0] if name.startswith("cor") else [3.0, 25.0, 6.0])
            dt.write(name + "\t" + "\t".join(f"{x:.3f}" for x in base * np.exp(rng.normal(0, 0.1, 3))) + "\n")
    return d


def _members(result, prefix):
    return {b: sum(c.startswith(prefix) for c in m) for b, m in result.bins.items()}


def test_marker_free_part_stays_out_of_the_genome_bin(marker_poor):
    res = genomeface_core.bin(marker_poor / "contigs.fna", marker_poor / "depth.tsv", threads=2)
    cor, eco = _members(res, "cor"), _members(res, "eco")
    best = max(cor, key=cor.get)
    assert cor[best] >= 240            # measured 246 of 246 C. diphtheriae contigs
    assert eco[best] == 0              # measured 0 of the 60 marker-free E. coli contigs
    row = next(r for r in res.table if r["bin"] == best)
    assert row["embedding_gap"] < 2.0  # no gap inside the bin


def test_without_the_gap_test_the_dp_merges_it(marker_poor):
    """The failure this guards against: the reward ties, so the parent (genome + marker-free part) is kept."""
    res = genomeface_core.bin(marker_poor / "contigs.fna", marker_poor / "depth.tsv", threads=2, max_merge_gap=0)
    cor, eco = _members(res, "cor"), _members(res, "eco")
    best = max(cor, key=cor.get)
    assert eco[best] == 60             # measured: all 60 merged into the C. diphtheriae bin


def test_demo_fragments_get_their_own_bins(tmp_path):
    """The demo's two partial genomes (a few markers each) were one bin; now each is its own."""
    from genomeface_core.demo import write_demo

    paths = write_demo(tmp_path / "in")
    res = genomeface_core.bin(paths["contigs"], paths["depth"], threads=2)
    truth = dict(ln.rstrip("\n").split("\t")[:2] for ln in open(paths["truth"]) if not ln.startswith("contig\t"))
    genomes_per_bin = [{truth[c] for c in m} for m in res.bins.values()]
    assert len(res.bins) == 3                              # measured 3 (was 2)
    assert all(len(g) == 1 for g in genomes_per_bin)       # every bin one genome (was E. coli + Bacillus)


def test_gap_ratio_within_and_between_clouds():
    """Two tight clouds far apart: merges inside a cloud have ratio ~1, the join between them far more."""
    from genomeface_core.dendrogram import single_linkage
    from genomeface_core.knn import knn_graph
    from genomeface_core.mst import spanning_tree

    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(0, 0.05, (200, 8)) + 1, rng.normal(0, 0.05, (200, 8)) - 1])
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    idx, dist = knn_graph(x, None, 0.0, 8, method="exact", xp=np, threads=1)
    u, v, d = spanning_tree(x, None, 0.0, idx, dist, xp=np)
    ch, h = single_linkage(len(x), u, v, d)
    g = gap_ratios(ch, h, np.full(len(x), 10_000), dist[:, 0])
    assert g[-1] > 5 * np.quantile(g[:-1], 0.99)
