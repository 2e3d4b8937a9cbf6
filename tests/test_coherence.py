"""No marker-blind merges: sequence the markers cannot vouch for joins a bin only across no embedding gap."""
from pathlib import Path

import numpy as np
import pytest

import genomeface_core
from genomeface_core.cut.embedding_gap import gap_ratios
from genomeface_core.io.fasta import read_fasta
from genomeface_core.markers import find_markers

from conftest import GENOMES


def _cut(seq: bytes, name: str, step: int = 10_000) -> list[tuple[str, bytes]]:
    return [(f"{name}_{i // step}", seq[i:i + step]) for i in range(0, len(seq) - step + 1, step)]


@pytest.fixture(scope="module")
def marker_poor_parts():
    """C. diphtheriae (complete, 40 markers) and 60 x 10 kb of E. coli K-12 contigs that carry no marker."""
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
    return a, b


def _write_marker_poor(d: Path, a, b, eco_depth) -> Path:
    """The contigs and a depth table: C. diphtheriae at (10, 12, 8), the E. coli part at ``eco_depth``."""
    rng = np.random.default_rng(0)
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "contigs.fna", "w") as fa, open(d / "depth.tsv", "w") as dt:
        dt.write("contigname\tS1\tS2\tS3\n")
        for name, seq in a + b:
            fa.write(f">{name}\n{seq.decode()}\n")
            base = np.array([10.0, 12.0, 8.0] if name.startswith("cor") else eco_depth)
            dt.write(name + "\t" + "\t".join(f"{x:.3f}" for x in base * np.exp(rng.normal(0, 0.1, 3))) + "\n")
    return d


@pytest.fixture(scope="module")
def marker_poor(marker_poor_parts, tmp_path_factory):
    """The E. coli part at its own depth profile (3, 25, 6 vs 10, 12, 8), as a strain-specific or
    accessory region with a different abundance would be."""
    return _write_marker_poor(tmp_path_factory.mktemp("marker_poor"), *marker_poor_parts, [3.0, 25.0, 6.0])


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
    res = genomeface_core.bin(marker_poor / "contigs.fna", marker_poor / "depth.tsv", threads=2, max_merge_gap=0,
                              depth_coherence=0, depth_split=0)
    cor, eco = _members(res, "cor"), _members(res, "eco")
    best = max(cor, key=cor.get)
    assert eco[best] == 60             # measured: all 60 merged into the C. diphtheriae bin


def test_depth_split_alone_divides_the_merged_bin(marker_poor):
    """The per-contig test off: the depth split finds the two depth groups of the merged bin (D >> 4, the
    E. coli part x2.1 deeper in S2) and the marker-free part becomes a bin of its own."""
    res = genomeface_core.bin(marker_poor / "contigs.fna", marker_poor / "depth.tsv", threads=2, max_merge_gap=0,
                              depth_coherence=0)
    cor, eco = _members(res, "cor"), _members(res, "eco")
    best, own = max(cor, key=cor.get), max(eco, key=eco.get)
    assert cor[best] >= 240 and eco[best] == 0 and own != best and eco[own] == 60 and cor[own] == 0
    assert {r["bin"]: r for r in res.table}[best]["depth_ejected_bp"] == 600_000


def test_depth_split_keeps_a_part_that_is_nowhere_deeper(marker_poor_parts, tmp_path):
    """A part below the bin's depth in every sample may be the genome's own contigs beside the ones another
    strain shares (those carry both strains' reads): the split leaves it in the bin."""
    d = _write_marker_poor(tmp_path / "shallow", *marker_poor_parts, [3.0, 4.0, 2.0])
    res = genomeface_core.bin(d / "contigs.fna", d / "depth.tsv", threads=2, max_merge_gap=0, depth_coherence=0)
    cor, eco = _members(res, "cor"), _members(res, "eco")
    best = max(cor, key=cor.get)
    assert eco[best] == 60


def test_depth_coherence_ejects_the_other_depth_into_a_bin_of_its_own(marker_poor, tmp_path):
    """Without the gap test the DP merges the marker-free part; its depth (3, 25, 6 vs 10, 12, 8) takes it out,
    and the 60 contigs of one depth (600 kb) become a bin of their own, as a strain's accessory genome would."""
    res = genomeface_core.bin(marker_poor / "contigs.fna", marker_poor / "depth.tsv", threads=2, max_merge_gap=0,
                              outdir=tmp_path / "out")
    cor, eco = _members(res, "cor"), _members(res, "eco")
    best = max(cor, key=cor.get)
    assert cor[best] >= 240 and eco[best] == 0
    own = max(eco, key=eco.get)
    assert own != best and eco[own] == 60 and cor[own] == 0
    rows = {r["bin"]: r for r in res.table}
    assert rows[best]["depth_ejected_bp"] == 600_000      # the 60 x 10 kb that left it
    assert rows[best]["depth_rms_z"] < 1.0 and rows[own]["depth_rms_z"] < 1.0
    assert res.run_info["depth_ejected"]["contigs"] == 60
    rows = [ln.split("\t") for ln in (tmp_path / "out" / "depth_ejected.tsv").read_text().splitlines()[1:]]
    assert len(rows) == 60 and {r[0][:3] for r in rows} == {"eco"} and {(r[1], r[2]) for r in rows} == {(best, own)}
    page = (tmp_path / "out" / "report.html").read_text()
    assert "Depth coherence" in page and "60 contigs left a bin" in page and rows[0][0] in page


def test_depth_coherence_off_or_without_depths_changes_nothing():
    from genomeface_core.cut.depth_coherence import eject_incoherent

    rng = np.random.default_rng(2)
    lab = np.repeat(np.arange(3), 50)
    d = np.repeat(np.array([[5.0, 20.0], [30.0, 2.0], [8.0, 8.0]]), 50, axis=0) * np.exp(rng.normal(0, 0.05, (150, 2)))
    mc = np.zeros((150, 40), np.uint16)
    mc[np.arange(0, 150, 5), 0] = 1
    ln = np.full(150, 10_000)
    same, info = eject_incoherent(lab, d, None, ln, mc)          # one depth per bin: nobody leaves
    assert (same == lab).all() and not info.ejected.any()
    mixed = lab.copy(); mixed[:10] = 1                            # 10 contigs of bin 0's depth put into bin 1
    out, info = eject_incoherent(mixed, d, None, ln, mc)
    assert info.ejected[:10].all() and info.ejected.sum() == 10 and (out[:10] == 3).all()  # their own new bin
    assert (eject_incoherent(mixed, d, None, ln, mc, p=0)[0] == mixed).all()
    assert (eject_incoherent(mixed, None, None, ln, mc)[0] == mixed).all()


def test_demo_fragments_get_their_own_bins(tmp_path):
    """The demo's two partial genomes (a few markers each) were one bin; now each is its own."""
    from genomeface_core.demo import write_demo

    paths = write_demo(tmp_path / "in")
    res = genomeface_core.bin(paths["contigs"], paths["depth"], threads=2)
    truth = dict(ln.rstrip("\n").split("\t")[:2] for ln in open(paths["truth"]) if not ln.startswith("contig\t"))
    genomes_per_bin = [{truth[c] for c in m} for m in res.bins.values()]
    assert len(res.bins) == 3                              # measured 3 (was 2)
    assert all(len(g) == 1 for g in genomes_per_bin)       # every bin one genome (was E. coli + Bacillus)
    # README: "3 of 3 genomes near-complete" (bp recall >= 0.9 and precision >= 0.95, as benchmarks/ score)
    from genomeface_core.io.fasta import read_fasta
    allc = read_fasta(paths["contigs"])
    bp = {n: int(L) for n, L in zip(allc.names, allc.lengths) if L >= 1500}
    genome_bp: dict[str, int] = {}
    for c, L in bp.items():
        genome_bp[truth[c]] = genome_bp.get(truth[c], 0) + L
    near_complete = set()
    for members in res.bins.values():
        (g,) = {truth[c] for c in members}
        if sum(bp[c] for c in members) >= 0.9 * genome_bp[g]:
            near_complete.add(g)
    assert near_complete == set(genome_bp), (near_complete, genome_bp)


def test_gap_ratio_within_and_between_clouds():
    """Two tight clouds far apart: merges inside a cloud have ratio ~1, the join between them far more."""
    from genomeface_core.graph.dendrogram import single_linkage
    from genomeface_core.graph.knn import knn_graph
    from genomeface_core.graph.mst import spanning_tree

    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(0, 0.05, (200, 8)) + 1, rng.normal(0, 0.05, (200, 8)) - 1])
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    idx, dist = knn_graph(x, None, 0.0, 8, method="exact", xp=np, threads=1)
    u, v, d = spanning_tree(x, None, 0.0, idx, dist, xp=np)
    ch, h = single_linkage(len(x), u, v, d)
    g = gap_ratios(ch, h, np.full(len(x), 10_000), dist[:, 0])
    assert g[-1] > 5 * np.quantile(g[:-1], 0.99)
