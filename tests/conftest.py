"""Shared fixtures: real genomes from ../shared/genomes built into a mock community."""
import os
import sys
from pathlib import Path

import pytest

# the lab (benchmarks/lab: evaluation, folds, read simulation) is imported as benchmarks.lab
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("GENOMEFACE_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
GENOMES = SHARED / "genomes"


def catalog():
    rows = [ln.rstrip("\n").split("\t") for ln in open(GENOMES / "catalog.tsv")]
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def pick_genomes(n, min_bp=1_500_000, max_bp=3_000_000):
    """First n genomes of distinct genera by increasing size (deterministic)."""
    seen, out = set(), []
    for r in sorted(catalog(), key=lambda r: (int(r["total_bp"]), r["file"])):
        if not r["genus"] or r["genus"] in seen or not min_bp <= int(r["total_bp"]) <= max_bp:
            continue
        seen.add(r["genus"])
        out.append(r)
        if len(out) == n:
            break
    return out


@pytest.fixture(scope="session")
def mock8(tmp_path_factory):
    """8 real genomes of distinct genera, fragmented, depth over 3 samples."""
    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    from genomeface_core.io.fasta import read_genome
    from genomeface_core.demo.mock import make_mock, write_mock

    rows = pick_genomes(8)
    genomes = {r["file"].split(".fna")[0]: read_genome(GENOMES / r["file"]) for r in rows}
    mock = make_mock(genomes, n_samples=3, seed=0)
    paths = write_mock(mock, tmp_path_factory.mktemp("mock8"))
    return mock, paths


@pytest.fixture(scope="session")
def mock3(tmp_path_factory):
    """3 small real genomes of distinct genera, fragmented (many contigs < 1500 bp), 3 samples: write_mock's paths."""
    if not (GENOMES / "catalog.tsv").exists():
        pytest.skip(f"shared genomes not found at {GENOMES}")
    from genomeface_core.io.fasta import read_genome
    from genomeface_core.demo.mock import make_mock, write_mock

    rows = pick_genomes(3, min_bp=700_000, max_bp=2_000_000)
    genomes = {r["file"].split(".fna")[0]: read_genome(GENOMES / r["file"]) for r in rows}
    mock = make_mock(genomes, n_samples=3, seed=0, median_len=4000, min_len=500)
    return write_mock(mock, tmp_path_factory.mktemp("mock3"))


@pytest.fixture(scope="session")
def mock8_markers(mock8, tmp_path_factory):
    """Marker table of the mock8 contigs (gene calling once per session)."""
    from genomeface_core.markers import find_markers, write_markers_tsv

    mock, _ = mock8
    path = tmp_path_factory.mktemp("markers") / "markers.tsv"
    write_markers_tsv(path, mock.names, find_markers(mock.seqs, threads=2))
    return str(path)
