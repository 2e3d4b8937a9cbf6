"""The Apptainer image (container/genomeface.def) runs genomeface on the bundled demo.

Runs only where an apptainer and a built image exist, skipped otherwise with the reason:
  image:     $GENOMEFACE_SIF, else $GENOMEFACE_BUILD_DIR/genomeface.sif
             ($GENOMEFACE_BUILD_DIR defaults to /var/tmp/genomeface-apptainer, where
             ``bash scripts/build-container.sh`` writes it)
  apptainer: $GENOMEFACE_APPTAINER, else apptainer or singularity on PATH, else the chroot
             wrapper that scripts/build-container.sh sets up ($GENOMEFACE_BUILD_DIR/bin/apptainer)
Everything runs inside the image: demo-data, bin, markers.  The first bin in a fresh /tmp
compiles numba's kernels (about a minute on 2 cores); later ones reuse the cache.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

BUILD_DIR = Path(os.environ.get("GENOMEFACE_BUILD_DIR", "/var/tmp/genomeface-apptainer"))
SIF = Path(os.environ.get("GENOMEFACE_SIF", BUILD_DIR / "genomeface.sif"))


def _apptainer() -> str | None:
    if os.environ.get("GENOMEFACE_APPTAINER"):
        return os.environ["GENOMEFACE_APPTAINER"]
    found = shutil.which("apptainer") or shutil.which("singularity")
    if found:
        return found
    wrapper = BUILD_DIR / "bin" / "apptainer"
    # the chroot wrapper needs root (chroot, mounts)
    return str(wrapper) if wrapper.exists() and os.geteuid() == 0 else None


APPTAINER = _apptainer()
pytestmark = [
    pytest.mark.skipif(APPTAINER is None, reason="no apptainer (set GENOMEFACE_APPTAINER or run "
                       "scripts/build-container.sh --toolchain as root)"),
    pytest.mark.skipif(not SIF.is_file(), reason=f"no image at {SIF} (set GENOMEFACE_SIF or run "
                       "scripts/build-container.sh)"),
]


def _exec(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """``apptainer exec genomeface.sif ARGS`` with a clean environment (no host venv leaking in)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "NUMBA_", "APPTAINERENV_", "SINGULARITYENV_"))}
    return subprocess.run([APPTAINER, "exec", "--cleanenv", str(SIF), *args], env=env,
                          capture_output=True, text=True, check=check, timeout=timeout)


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    """The demo (written by the image's genomeface demo-data) and one bin run of it."""
    root = tmp_path_factory.mktemp("container")
    _exec("genomeface", "demo-data", str(root / "in"))
    _exec("genomeface", "-q", "bin", "-i", str(root / "in" / "contigs.fna.gz"),
          "-a", str(root / "in" / "depth.tsv"), "-o", str(root / "out"), "--threads", "2")
    return {"in": root / "in", "out": root / "out", "root": root}


def test_version_and_labels():
    assert _exec("genomeface", "--version").stdout.strip() == "genomeface 0.1.0"
    # runs as the calling user, not as root inside the image, and from the image's venv
    assert _exec("id", "-u").stdout.strip() == str(os.getuid())
    assert _exec("sh", "-c", "command -v genomeface").stdout.strip() == "/opt/genomeface/bin/genomeface"
    inspect = subprocess.run([APPTAINER, "inspect", "--labels", str(SIF)], capture_output=True,
                             text=True, check=True).stdout
    assert "org.opencontainers.image.title: genomeface" in inspect


def test_bin_on_demo(demo):
    out = demo["out"]
    bins = _tsv(out / "bins.tsv")
    assert bins, "no bin written"
    # the demo's complete C. diphtheriae genome (2.4 Mbp) is a bin of high completeness
    # whose contigs are mostly C. diphtheriae (truth.tsv: contig -> genome)
    truth = {r["contig"]: r["genome"] for r in _tsv(demo["in"] / "truth.tsv")}
    members: dict[str, list[str]] = {}
    for row in _tsv(out / "clusters.tsv"):
        members.setdefault(row["bin"], []).append(row["contig"])
    best = max(bins, key=lambda r: float(r["completeness"]))
    assert float(best["completeness"]) >= 90
    genomes = [truth[c] for c in members[best["bin"]]]
    assert genomes.count("Corynebacterium_diphtheriae") / len(genomes) >= 0.9
    assert 2_000_000 <= int(best["size_bp"]) <= 2_800_000
    # every bin of bins.tsv has its FASTA with the contigs clusters.tsv gives it
    for row in bins:
        fasta = out / "bins" / f"{row['bin']}.fna"
        names = [line[1:].split()[0] for line in fasta.read_text().splitlines() if line.startswith(">")]
        assert sorted(names) == sorted(members[row["bin"]])
    assert {"markers.tsv", "run.json", "unbinned.fna"} <= {p.name for p in out.iterdir()}


def test_markers_equal_bin_stage(demo):
    probe = _exec("genomeface", "markers", "--help", check=False)
    if probe.returncode != 0:
        pytest.skip("this image has no 'genomeface markers' subcommand (built before it existed)")
    table = demo["root"] / "markers.tsv"
    _exec("genomeface", "-q", "markers", "-i", str(demo["in"] / "contigs.fna.gz"), "-o", str(table),
          "--threads", "2")
    rows = _tsv(table)
    assert rows and set(rows[0]) == {"contig", "marker"}
    # the scattered stage calls exactly what bin called in-process
    as_set = lambda rs: sorted((r["contig"], r["marker"]) for r in rs)  # noqa: E731
    assert as_set(rows) == as_set(_tsv(demo["out"] / "markers.tsv"))


def test_bad_input_one_line_error(demo):
    missing = demo["root"] / "no-such.fna"
    r = _exec("genomeface", "bin", "-i", str(missing), "-a", str(demo["in"] / "depth.tsv"),
              "-o", str(demo["root"] / "bad"), check=False)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].startswith("genomeface: error:")
    assert not (demo["root"] / "bad").exists()
