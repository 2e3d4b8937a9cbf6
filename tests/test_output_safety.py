"""The output folder is safe to write: --force replaces only an earlier result and never the inputs;
a full disk or read-only folder is one line with nothing left; a failed report keeps the bins;
the umask is followed; a killed run leaves nothing a rerun takes for a result.

Real data: the bundled demo (3 real genomes, :mod:`genomeface_core.demo`), binned once per module.
Faults are real: a small tmpfs (full disk) and a tmpfs remounted read-only (tests run as root, where
``chmod 0555`` does not stop writes); those tests skip when ``mount`` is not permitted.
"""
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import genomeface_core
from genomeface_core.output import write as output
from genomeface_core.cli.main import main
from genomeface_core.errors import InputError, OutputError
from genomeface_core.io.fasta import read_fasta

GENOMEFACE = str(Path(sys.executable).with_name("genomeface"))  # the venv's console script


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """Demo inputs, an earlier result folder of them, the BinResult and the contigs' sequences."""
    from genomeface_core.demo import write_demo

    root = tmp_path_factory.mktemp("safety")
    paths = write_demo(root / "in")
    res = genomeface_core.bin(paths["contigs"], paths["depth"], outdir=root / "earlier", threads=1)
    allc = read_fasta(paths["contigs"])
    seq = dict(zip(allc.names, allc.seqs))
    return dict(paths=paths, result=res, seqs=[seq[n] for n in res.names], folder=root / "earlier")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>" for p in folder.rglob("*")}


def _copy_result(earlier, dest: Path) -> Path:
    shutil.copytree(earlier["folder"], dest)
    return dest


def _cli(args, cwd=None, timeout=300):
    r = subprocess.run([GENOMEFACE, "-q", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)
    return r.returncode, r.stderr.strip()


@pytest.fixture
def no_compute(monkeypatch):
    """Any compute fails the test: a refused folder must be refused before it."""
    def fail(*a, **k):
        raise AssertionError("computed before refusing the output folder")
    monkeypatch.setattr(genomeface_core.pipeline, "embed_contigs", fail)


def _refused(capsys, argv, folder: Path | None, words):
    before = _snapshot(folder) if folder is not None and folder.exists() else None
    rc = main(["-q", "bin", *argv])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("genomeface: error: "), err
    assert all(w in err for w in words), err
    if before is not None:
        assert _snapshot(folder) == before  # nothing touched
    return err


# ----------------------------------------------------------------------------- --force

def test_force_replaces_only_an_earlier_result(earlier, tmp_path, capsys, no_compute):
    """Folders that are not a whole earlier result are refused, named, untouched, before any compute."""
    p = earlier["paths"]
    io = ["-i", p["contigs"], "-a", p["depth"], "--force"]
    # the reported bug: -o on the folder of the inputs
    _refused(capsys, [*io, "-o", os.path.dirname(p["contigs"])], Path(p["contigs"]).parent,
             ["holds input file", "contigs.fna.gz"])
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("years of work\n")
    _refused(capsys, [*io, "-o", str(thesis)], thesis, ["thesis", "'chapter1.tex'", "genomeface does not write"])
    extra = _copy_result(earlier, tmp_path / "extra")
    (extra / "notes.txt").write_text("mine\n")
    _refused(capsys, [*io, "-o", str(extra)], extra, ["'notes.txt'"])
    in_bins = _copy_result(earlier, tmp_path / "in_bins")
    (in_bins / "bins" / "keep").mkdir()
    _refused(capsys, [*io, "-o", str(in_bins)], in_bins, ["bins/ holds 'keep'"])
    no_run = _copy_result(earlier, tmp_path / "no_run")
    (no_run / "run.json").write_text('{"somebody": "else"}\n')
    _refused(capsys, [*io, "-o", str(no_run)], no_run, ["no genomeface run.json"])
    not_folder = tmp_path / "file"
    not_folder.write_text("x")
    _refused(capsys, [*io, "-o", str(not_folder)], None, ["not a folder"])
    # without --force any non-empty folder is refused, as before
    _refused(capsys, ["-i", p["contigs"], "-a", p["depth"], "-o", str(earlier["folder"])], earlier["folder"],
             ["not empty"])


@pytest.mark.parametrize("case", ["markers", "contigs", "contigs_in_bins", "cache", "cache_inside"])
def test_force_never_replaces_a_result_holding_an_input(earlier, tmp_path, capsys, no_compute, case):
    """A genuine earlier result that holds (or is) an input or the cache folder is still refused."""
    out = _copy_result(earlier, tmp_path / "out")
    p = earlier["paths"]
    argv, words = {
        "markers": (["-a", p["depth"], "--markers", str(out / "markers.tsv")], ["holds input file", "markers.tsv"]),
        "contigs": (["-a", p["depth"], "-i", str(out / "unbinned.fna")], ["holds input file", "unbinned.fna"]),
        "contigs_in_bins": (["-i", str(next((out / "bins").iterdir()))], ["holds input file", "bins/"]),
        "cache": (["-a", p["depth"], "--cache", str(out)], ["is the cache folder"]),
        "cache_inside": (["-a", p["depth"], "--cache", str(out / "bins")], ["holds the cache folder"]),
    }[case]
    if "-i" not in argv:
        argv = ["-i", p["contigs"], *argv]
    _refused(capsys, [*argv, "-o", str(out), "--force"], out, words)


@pytest.mark.parametrize("where", ["cwd", "home", "root", "cwd_parent"])
def test_force_never_replaces_root_home_or_cwd(earlier, tmp_path, capsys, monkeypatch, no_compute, where):
    out = _copy_result(earlier, tmp_path / "place" / "out")  # a genuine result, yet refused
    p = earlier["paths"]
    if where in ("cwd", "cwd_parent"):
        monkeypatch.chdir(out)
        target, words = (".", ["is the current working directory"]) if where == "cwd" else \
            (str(out.parent), ["holds the current working directory"])
    elif where == "home":
        monkeypatch.setenv("HOME", str(out))
        target, words = str(out), ["is the home folder"]
    else:
        target, words, out = "/", ["is the root folder"], None
    _refused(capsys, ["-i", p["contigs"], "-a", p["depth"], "-o", target, "--force"], out, words)


# ----------------------------------------------------------------------------- faults while writing

def _mount_tmpfs(path: Path, size_kb: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {r.stderr.strip()}")


def _remount(path: Path, opts: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{opts}", str(path)], check=True, capture_output=True)


@pytest.fixture
def mnt(tmp_path):
    path = tmp_path / "mnt"
    yield path
    subprocess.run(["umount", str(path)], capture_output=True)


def _used_kb(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


@pytest.mark.parametrize("force", [False, True])
def test_full_disk_is_one_line_and_leaves_nothing(earlier, mnt, force):
    """ENOSPC on a real (tmpfs) disk, through the CLI: one line naming the file, rc 2, nothing left;
    under --force the earlier result stays exactly as it was."""
    _mount_tmpfs(mnt, 16 * 1024)  # room for the earlier result (~4 MB), then shrunk to 64 kB free
    out = mnt / "out"
    if force:
        _copy_result(earlier, out)
        before = _snapshot(out)
    _remount(mnt, f"size={_used_kb(mnt) + 64}k")  # 64 kB free: the demo's result is ~4 MB
    p = earlier["paths"]
    rc, err = _cli(["bin", "-i", p["contigs"], "-a", p["depth"], "-o", str(out), "-t", "1",
                    *(["--force"] if force else [])])
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"genomeface: error: {out}/") and "No space left on device (ENOSPC)" in err, err
    assert os.listdir(mnt) == (["out"] if force else [])  # no .genomeface-* left
    if force:
        assert _snapshot(out) == before


def test_read_only_folder_is_one_line(earlier, mnt, capsys):
    """A read-only file system (tmpfs remounted ro), through the CLI: bin refuses before any compute,
    report names the file; one line, rc 2, nothing changed."""
    _mount_tmpfs(mnt, 16 * 1024)
    res = _copy_result(earlier, mnt / "result")
    before = _snapshot(res)
    _remount(mnt, "ro")
    p = earlier["paths"]
    for out, force in ((mnt / "new", []), (res, ["--force"])):
        rc, err = _cli(["bin", "-i", p["contigs"], "-a", p["depth"], "-o", str(out), *force])
        assert rc == 2 and len(err.splitlines()) == 1, err
        assert f"{out}: cannot write the output folder in {mnt}: read-only file system" in err, err
    rc, err = _cli(["report", str(res)])
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert f"{res}/report.html: cannot write: Read-only file system (EROFS)" in err, err
    assert sorted(os.listdir(mnt)) == ["result"] and _snapshot(res) == before


def test_read_only_at_write_time_is_an_output_error(earlier, mnt, monkeypatch):
    """A folder that turns read-only after the early check: the writer's own OSError -> OutputError."""
    _mount_tmpfs(mnt, 256)
    _remount(mnt, "ro")
    monkeypatch.setattr(output, "_unwritable", lambda folder: None)  # the early check passes
    with pytest.raises(OutputError, match=rf"^{mnt}/sub: cannot write: Read-only file system \(EROFS\)"):
        output.write_result(earlier["result"], earlier["seqs"], mnt / "sub" / "out")  # the folder it made first
    assert os.listdir(mnt) == []


# ----------------------------------------------------------------------------- report failure

def test_failed_report_keeps_the_bins(earlier, tmp_path, capsys, caplog, monkeypatch):
    """report.html failing is a WARNING and a run.json entry; the bins replace the earlier result (rc 0)."""
    import genomeface_core.output.report as report

    def broken(run):
        raise RuntimeError("renderer broke")
    monkeypatch.setattr(report, "render", broken)
    out = _copy_result(earlier, tmp_path / "out")
    p = earlier["paths"]
    with caplog.at_level("WARNING", logger="genomeface"):
        rc = main(["-q", "bin", "-i", p["contigs"], "-a", p["depth"], "-o", str(out), "--force", "-t", "1"])
    assert rc == 0, capsys.readouterr().err
    warned = [r for r in caplog.records if r.levelname == "WARNING" and "report not written" in r.getMessage()]
    assert warned and "renderer broke" in warned[0].getMessage()
    run = json.loads((out / "run.json").read_text())
    assert run["report"] == "failed: renderer broke"
    assert not (out / "report.html").exists()  # the earlier one went with the earlier result
    bins = sorted(f.name for f in (out / "bins").iterdir())
    assert bins and len(bins) == run["n_bins"]
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]
    # and the report can be made later; a normal run says where it is
    assert json.loads((earlier["folder"] / "run.json").read_text())["report"] == "report.html"


# ----------------------------------------------------------------------------- umask, interrupted runs

@pytest.mark.parametrize("umask,dmode,fmode", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)], ids=["022", "077"])
def test_output_follows_the_umask(earlier, tmp_path, umask, dmode, fmode):
    old = os.umask(umask)
    try:
        output.write_result(earlier["result"], earlier["seqs"], tmp_path / "new" / "out")
    finally:
        os.umask(old)
    out = tmp_path / "new" / "out"
    modes = {str(p.relative_to(out)): p.stat().st_mode & 0o777 for p in [out, *out.rglob("*")]}
    assert modes.pop(".") == dmode and modes.pop("bins") == dmode and (tmp_path / "new").stat().st_mode & 0o777 == dmode
    assert modes and set(modes.values()) == {fmode}, modes


def test_interrupted_write_leaves_nothing_and_keeps_the_earlier_result(earlier, tmp_path, monkeypatch):
    out = _copy_result(earlier, tmp_path / "out")
    before = _snapshot(out)

    def interrupt(path):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        output.write_result(earlier["result"], earlier["seqs"], out, force=True, extra={"markers.tsv": interrupt})
    # the final rename fails: the earlier result is put back
    real_rename = os.rename

    def fail_second(src, dst):
        if os.path.basename(src).startswith(output.TEMP_PREFIX) and not os.path.basename(src).startswith(
                output.TEMP_PREFIX + "old-"):
            raise OSError(28, "No space left on device")
        real_rename(src, dst)
    monkeypatch.setattr(os, "rename", fail_second)
    with pytest.raises(OutputError, match=r"out: cannot write: No space left on device \(ENOSPC\)"):
        output.write_result(earlier["result"], earlier["seqs"], out, force=True)
    assert sorted(os.listdir(tmp_path)) == ["out"] and _snapshot(out) == before


def test_killed_run_leaves_nothing_a_rerun_takes_for_a_result(earlier, tmp_path):
    """SIGKILL while writing: no output folder; the .genomeface-* sibling is no result (no run.json:
    --force and `genomeface report` refuse it) and a rerun writes the folder normally."""
    pkl = tmp_path / "result.pkl"
    pkl.write_bytes(pickle.dumps((earlier["result"], earlier["seqs"])))
    out = tmp_path / "out"
    script = ("import os, pickle, signal, sys; from genomeface_core.output.write import write_result; "
              "r, s = pickle.load(open(sys.argv[1], 'rb')); "
              "write_result(r, s, sys.argv[2], extra={'markers.tsv': lambda p: os.kill(os.getpid(), signal.SIGKILL)})")
    r = subprocess.run([sys.executable, "-c", script, str(pkl), str(out)], capture_output=True, timeout=120)
    assert r.returncode == -9, r.stderr
    left = [f for f in os.listdir(tmp_path) if f.startswith(output.TEMP_PREFIX)]
    assert not out.exists() and len(left) == 1
    with pytest.raises(InputError, match="no genomeface run.json"):
        output.check_outdir(tmp_path / left[0], force=True)
    assert main(["-q", "report", str(tmp_path / left[0])]) == 2
    output.write_result(earlier["result"], earlier["seqs"], out)
    assert json.loads((out / "run.json").read_text())["report"] == "report.html"


def test_every_output_name_is_known(earlier):
    """The names --force accepts are exactly what a run writes (a new output file must be added)."""
    assert set(os.listdir(earlier["folder"])) == output.RESULT_NAMES
    with pytest.raises(ValueError, match="RESULT_NAMES"):
        output.write_result(earlier["result"], earlier["seqs"], earlier["folder"].parent / "x",
                            extra={"new.tsv": lambda p: None})
