"""workflow/Snakefile run for real: split-fasta -> markers per chunk -> bin --markers.

End to end with ``snakemake --cores 2`` on a mock community of 3 small real genomes
(../shared/genomes, as tests/test_markers_cli.py), then the bins are compared with one
direct ``genomeface bin`` given the same chunk tables.  The SLURM profile
(workflow/profiles/slurm, snakemake-executor-plugin-slurm) is checked by a dry run: it parses,
its executor name and slurm-* options are accepted (only with the plugin installed) and its
threads/resources reach the jobs.  A dry run submits nothing and needs neither sbatch nor
sinfo, so no stand-ins are put on PATH; job submission itself is not tested here.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEFILE = ROOT / "workflow" / "Snakefile"
PROFILE = ROOT / "workflow" / "profiles" / "slurm"
BINDIR = Path(sys.executable).parent
SNAKEMAKE = BINDIR / "snakemake"
MIN_BIN = "100000"  # bp: the mock's genomes are 0.7-2 Mbp, so every bin of a genome is kept


def snakemake(workdir: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` with this environment's snakemake and genomeface."""
    if not SNAKEMAKE.exists():
        pytest.fail(f"{SNAKEMAKE} missing: snakemake is in the 'test' extra (pip install -e '.[test]')")
    env = {"PATH": f"{BINDIR}:/usr/bin:/bin", "HOME": str(workdir), "LC_ALL": "C.UTF-8"}
    return subprocess.run([str(SNAKEMAKE), "-s", str(SNAKEFILE), "--directory", str(workdir), *args],
                          env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def mock3_abs(mock3):
    """conftest's mock3 with absolute paths (Snakemake runs in its own --directory)."""
    return {k: Path(v).resolve() for k, v in mock3.items()}


@pytest.fixture(scope="module")
def workflow_run(mock3_abs, tmp_path_factory):
    work = tmp_path_factory.mktemp("smk")
    res = snakemake(work, "--cores", "2", "--config", f"contigs={mock3_abs['contigs']}", f"depth={mock3_abs['depth']}",
                    "chunks=4", "outdir=gf", f"bin_args=--min-bin-size {MIN_BIN}")
    assert res.returncode == 0, res.stderr[-4000:]
    return work / "gf", res


def _folder(d: Path) -> dict[str, bytes]:
    """The deterministic results of a genomeface bin output folder, by relative name."""
    names = ["clusters.tsv", "unbinned.fna", "markers.tsv"] + [f"bins/{p.name}" for p in (d / "bins").glob("*.fna")]
    return {n: (d / n).read_bytes() for n in sorted(names)}


def test_workflow_bins_equal_a_direct_bin_with_the_same_markers(mock3_abs, workflow_run, tmp_path):
    out, res = workflow_run
    assert res.stderr.count("rule markers:") == 4  # one job per chunk ("localrule markers:")
    chunks = sorted((out / "chunks").glob("chunk.*.fna.gz"))
    tables = [out / "markers" / f"chunk.{i}.tsv" for i in range(1, 5)]
    assert [c.name for c in chunks] == [f"chunk.{i}.fna.gz" for i in range(1, 5)]
    assert all(t.read_text().startswith("contig\tmarker\n") for t in tables)
    direct = tmp_path / "direct"
    m = mock3_abs
    subprocess.run([str(BINDIR / "genomeface"), "-q", "bin", "-i", str(m["contigs"]), "-a", str(m["depth"]),
                    "--markers", *map(str, tables), "-m", "1500", "-t", "2", "--min-bin-size", MIN_BIN,
                    "--no-progress", "-o", str(direct)], check=True, capture_output=True)
    got, want = _folder(out / "bin"), _folder(direct)
    assert sorted(got) == sorted(want) and len([n for n in want if n.startswith("bins/")]) >= 2
    assert got == want
    # the gathered tables are what bin used: its markers.tsv holds exactly their lines
    lines = sorted(ln for t in tables for ln in t.read_text().splitlines()[1:])
    assert sorted((out / "bin" / "markers.tsv").read_text().splitlines()[1:]) == lines and len(lines) > 40


def test_bad_input_fails_the_workflow_with_genomeface_s_error_and_no_output(mock3_abs, tmp_path):
    bad = tmp_path / "truncated.fna.gz"
    bad.write_bytes(mock3_abs["contigs"].read_bytes()[:5000])
    res = snakemake(tmp_path, "--cores", "1", "--config", f"contigs={bad}", f"depth={mock3_abs['depth']}", "outdir=gf")
    assert res.returncode != 0
    log = (tmp_path / "gf" / "logs" / "split_fasta.log").read_text().strip().splitlines()
    assert log[-1].startswith("genomeface: error: ") and str(bad) in log[-1], log
    assert not (tmp_path / "gf" / "chunks").exists() and not (tmp_path / "gf" / "bin").exists()


def test_depth_and_bams_together_are_refused(mock3_abs, tmp_path):
    res = snakemake(tmp_path, "-n", "--config", f"contigs={mock3_abs['contigs']}", f"depth={mock3_abs['depth']}",
                    "bams=[s1.bam]")
    assert res.returncode != 0 and "config: give depth or bams, not both" in res.stdout + res.stderr


def test_slurm_profile_dry_run(mock3_abs, tmp_path):
    res = snakemake(tmp_path, "-n", "--profile", str(PROFILE), "--cores", "16", "--config",
                    f"contigs={mock3_abs['contigs']}", f"depth={mock3_abs['depth']}")
    assert res.returncode == 0, res.stderr[-3000:]
    text = res.stdout + res.stderr
    assert f"Using profile {PROFILE}" in text and "This was a dry-run" in text
    assert "\ncheckpoint split_fasta:" in text and "\nrule bin:" in text
    # set-threads / set-resources of the profile reach the bin job
    bin_job = text.split("\nrule bin:", 1)[1].split("\n\n", 1)[0]
    assert "mem_mb=64000" in bin_job and "runtime=720" in bin_job, bin_job
    assert " -t 16 " in text.split("Shell command: genomeface bin", 1)[1].splitlines()[0]
    # the executor name and the slurm-* options are accepted only with the plugin installed:
    # an unknown executor or option makes the same dry run fail
    profile = (PROFILE / "config.yaml").read_text()
    assert "\nexecutor: slurm\n" in profile and "\nslurm-logdir: " in profile
    for old, new in (("executor: slurm", "executor: nosuch"), ("slurm-logdir:", "slurm-nosuch:")):
        bad = tmp_path / new.split(":")[0]
        bad.mkdir()
        (bad / "config.yaml").write_text(profile.replace(old, new))
        res = snakemake(tmp_path, "-n", "--profile", str(bad), "--config", f"contigs={mock3_abs['contigs']}",
                        f"depth={mock3_abs['depth']}")
        assert res.returncode != 0 and "nosuch" in res.stderr, new
