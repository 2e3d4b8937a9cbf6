"""Release artefacts: scripts/release.sh's sdist and wheel, their licence and contents,
`twine check --strict`, the conda recipe against pyproject.toml, and the wheel alone in a
fresh venv running the bundled demo.

The build runs in a throwaway git repository holding a copy of this checkout's files (tracked
and untracked-not-ignored, as `GENOMEFACE_WORKTREE=1 scripts/release.sh` takes them), with
`--no-isolation` (GENOMEFACE_NO_ISOLATION=1): this interpreter's build, twine and
setuptools>=77 (the `test` extra) build it, nothing is fetched.  The fresh-venv test installs
the wheel's dependencies from PyPI (~2 min); GENOMEFACE_SKIP_SLOW=1 skips it.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "conda-recipe" / "meta.yaml"
PYPROJECT = ROOT / "pyproject.toml"
PACKAGES = ("genomeface_core", "q2_genomeface")
PYPI_URL = "https://pypi.org/packages/source/{{ name[0] }}/{{ name }}/{{ name }}-{{ version }}.tar.gz"


def _project() -> dict:
    return tomllib.loads(PYPROJECT.read_text())["project"]


def _checkout_files() -> list[str]:
    """This checkout's files as release.sh's GENOMEFACE_WORKTREE mode takes them."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, check=True).stdout.decode()
    return sorted(f for f in out.split("\0") if f and (ROOT / f).is_file())


def _run_release(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON=sys.executable, GENOMEFACE_NO_ISOLATION="1")
    env.pop("GENOMEFACE_WORKTREE", None)
    return subprocess.run(["bash", "scripts/release.sh", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """A committed copy of this checkout in which scripts/release.sh has run (PyPI mode)."""
    pytest.importorskip("build", reason="the `test` extra installs build")
    pytest.importorskip("twine", reason="the `test` extra installs twine")
    if Version(importlib.metadata.version("setuptools")) < Version("77"):
        pytest.skip("setuptools>=77 (the `test` extra) is needed for PEP 639 licence metadata")
    if shutil.which("git") is None:
        pytest.skip("git not found")
    repo = tmp_path_factory.mktemp("release") / "repo"
    for f in _checkout_files():
        (repo / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, repo / f)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release test"], cwd=repo, check=True)
    res = _run_release(repo)
    assert res.returncode == 0, res.stderr[-3000:]
    return repo


def _dists(repo: Path) -> tuple[Path, Path]:
    version = _project()["version"]
    sdist, wheel = repo / "dist" / f"genomeface-{version}.tar.gz", repo / "dist" / f"genomeface-{version}-py3-none-any.whl"
    assert sdist.is_file() and wheel.is_file(), sorted(p.name for p in (repo / "dist").iterdir())
    return sdist, wheel


def test_license_in_sdist_and_wheel(release):
    sdist, wheel = _dists(release)
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "genomeface contributors" in text
    version = _project()["version"]
    with tarfile.open(sdist) as tf:
        assert tf.extractfile(f"genomeface-{version}/LICENSE").read().decode() == text
    with zipfile.ZipFile(wheel) as zf:
        info = f"genomeface-{version}.dist-info"
        assert zf.read(f"{info}/licenses/LICENSE").decode() == text
        meta = zf.read(f"{info}/METADATA").decode()
    # PEP 639 core metadata 2.4, not the deprecated License: free text
    assert "License-Expression: MIT\n" in meta and "License-File: LICENSE\n" in meta
    assert not re.search(r"^License: ", meta, re.M)


def test_wheel_holds_the_packages_and_their_data_only(release):
    """Every tracked file of the two packages (code, weights, citations) and nothing else:
    no tests, benchmarks, docs or recipe."""
    _, wheel = _dists(release)
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
    info = f"genomeface-{_project()['version']}.dist-info/"
    shipped = {n for n in names if not n.startswith(info)}
    wanted = {f for f in _checkout_files() if f.split("/")[0] in PACKAGES and "__pycache__" not in f}
    assert shipped == wanted, (sorted(shipped - wanted)[:10], sorted(wanted - shipped)[:10])
    assert any(n.startswith("genomeface_core/embed/weights/") and n.endswith(".keras") for n in shipped)
    assert not [n for n in names if n.split("/")[0] in ("tests", "benchmarks", "docs", "conda-recipe")]


def test_twine_check_strict(release):
    res = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, _dists(release))],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("PASSED") == 2


def test_release_writes_the_sdist_sha256_into_the_recipe(release):
    sdist, _ = _dists(release)
    sha = hashlib.sha256(sdist.read_bytes()).hexdigest()
    source = _source_block((release / "conda-recipe" / "meta.yaml").read_text())
    assert f"  sha256: {sha}\n" in source and f"  url: {PYPI_URL}\n" in source
    # --local: the same sdist named by file:// (a rebuild, so a new sha256 of the new file)
    res = _run_release(release, "--local")
    assert res.returncode == 0, res.stderr[-3000:]
    source = _source_block((release / "conda-recipe" / "meta.yaml").read_text())
    sha = hashlib.sha256(sdist.read_bytes()).hexdigest()
    assert f"  url: file://{sdist}\n" in source and f"  sha256: {sha}\n" in source
    # everything outside the source block is left as it was
    assert _without_source((release / "conda-recipe" / "meta.yaml").read_text()) == _without_source(RECIPE.read_text())


def _source_block(text: str) -> str:
    m = re.search(r"^source:\n(?:[ ].*\n)+", text, re.M)
    assert m, "no source block"
    return m.group(0)


def _without_source(text: str) -> str:
    return text.replace(_source_block(text), "")


def recipe_run_requirements(text: str) -> dict[str, str]:
    """conda name -> version spec of meta.yaml's requirements/run list (comments skipped)."""
    m = re.search(r"^requirements:\n(?:(?: .*)?\n)*?  run:\n((?:    (?:- .*|#.*)\n)+)", text, re.M)
    assert m, "meta.yaml has no requirements/run list"
    reqs = {}
    for line in m.group(1).splitlines():
        item = line.strip()
        if item.startswith("- "):
            name, _, spec = item[2:].partition(" ")
            reqs[canonicalize_name(name)] = spec.replace(" ", "")
    return reqs


def uncovered_dependencies(pyproject_deps: list[str], run: dict[str, str]) -> list[str]:
    """pyproject dependencies whose conda run entry is missing or has another lower bound.

    conda-forge/bioconda names are the PyPI names lower-cased (fetchMGs -> fetchmgs,
    faiss-cpu -> faiss-cpu), so canonical names compare."""
    bad = []
    for dep in pyproject_deps:
        req = Requirement(dep)
        if run.get(canonicalize_name(req.name)) != str(req.specifier):
            bad.append(dep)
    return bad


def test_recipe_run_requirements_cover_pyproject():
    text, project = RECIPE.read_text(), _project()
    run = recipe_run_requirements(text)
    assert uncovered_dependencies(project["dependencies"], run) == []
    assert run["python"] == ">={{python_min}}"
    assert f'{{% set version = "{project["version"]}" %}}' in text
    # the check can fail: a dropped line or another bound is reported
    dropped = recipe_run_requirements(re.sub(r"^    - deflate .*\n", "", text, flags=re.M))
    assert uncovered_dependencies(project["dependencies"], dropped) == ["deflate>=0.9"]
    assert uncovered_dependencies(["numpy>=2"], run) == ["numpy>=2"]


def test_recipe_is_honest():
    """pip check in its test, a real sha256, no home on another project, no invented maintainer."""
    text = RECIPE.read_text()
    test = text.split("\ntest:\n", 1)[1].split("\nabout:\n", 1)[0]
    for cmd in ("- pip check", "- genomeface --help", "- genomeface_core"):
        assert cmd in test
    assert re.search(r"^  sha256: [0-9a-f]{64}$", _source_block(text), re.M)
    assert "provisional" not in text
    assert not re.search(r"^  (home|dev_url|doc_url):", text, re.M)
    assert "GenomeFaceInference" not in text
    assert not re.search(r"^  recipe-maintainers:", text, re.M)
    assert re.search(r"^  license_file: LICENSE$", text, re.M) and (ROOT / "LICENSE").is_file()


@pytest.mark.skipif(os.environ.get("GENOMEFACE_SKIP_SLOW") == "1", reason="GENOMEFACE_SKIP_SLOW=1")
def test_wheel_alone_runs_the_demo(release, tmp_path):
    """The wheel in a fresh venv (its dependencies from PyPI), run outside the checkout:
    `genomeface demo-data` + `genomeface bin` give the demo's C. diphtheriae bin."""
    _, wheel = _dists(release)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py, gf = env_dir / "bin" / "python", env_dir / "bin" / "genomeface"
    res = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    res = subprocess.run([py, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout
    run = tmp_path / "run"
    run.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    for cmd in ([gf, "demo-data", "in"],
                [gf, "-q", "bin", "-i", "in/contigs.fna.gz", "-a", "in/depth.tsv", "-o", "out", "--threads", "1"]):
        res = subprocess.run(cmd, cwd=run, env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr[-3000:]
    # the engine ran from the venv, not from this checkout
    where = subprocess.run([py, "-c", "import genomeface_core; print(genomeface_core.__file__)"], cwd=run,
                           env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(env_dir))
    rows = [ln.split("\t") for ln in (run / "out" / "bins.tsv").read_text().splitlines()]
    head, rows = rows[0], rows[1:]
    completeness = [float(r[head.index("completeness")]) for r in rows]
    # the complete C. diphtheriae genome (README "Two commands": 95% marker completeness)
    assert len(rows) >= 1 and max(completeness) >= 90


# --- container build contexts: each holds what a pip install of the package needs ----------------

def _def_files() -> dict[str, str]:
    """container/genomeface.def's %files: source (repo-relative) -> destination."""
    text = (ROOT / "container" / "genomeface.def").read_text()
    block = text.split("%files", 1)[1].split("\n%", 1)[0]
    return dict(ln.split() for ln in block.strip().splitlines() if ln.strip() and not ln.lstrip().startswith("#"))


def _docker_copies() -> set[str]:
    """Sources of container/Dockerfile's COPY lines from the build context (not --from=...)."""
    srcs: set[str] = set()
    for ln in (ROOT / "container" / "Dockerfile").read_text().splitlines():
        if ln.startswith("COPY ") and "--from" not in ln:
            srcs.update(ln.split()[1:-1])
    return srcs


def test_container_contexts_hold_the_license_and_agree():
    """The Apptainer %files, the Dockerfile's COPYs, its dockerignore and build-container.sh's context
    name the same sources, LICENSE (pyproject's license-files) and the readme among them."""
    need = {*_project()["license-files"], _project()["readme"], "pyproject.toml", *PACKAGES}
    def_src = set(_def_files())
    assert need <= def_src and need <= _docker_copies(), (need - def_src, need - _docker_copies())
    ignore = (ROOT / "container" / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {ln[1:] for ln in ignore if ln.startswith("!")}
    assert _docker_copies() <= allowed, _docker_copies() - allowed
    script = (ROOT / "scripts" / "build-container.sh").read_text()
    ctx = set(re.search(r"local paths=\(([^)]*)\)", script).group(1).split())
    assert {s.split("/")[0] for s in def_src | _docker_copies()} <= ctx


def test_wheel_builds_from_the_apptainer_files_alone(tmp_path):
    """Copy exactly the image's %files (with their destinations) and build a wheel there, as %post does."""
    pytest.importorskip("build", reason="the `test` extra installs build")
    if Version(importlib.metadata.version("setuptools")) < Version("77"):
        pytest.skip("setuptools>=77 (the `test` extra) is needed for PEP 639 licence metadata")
    src = tmp_path / "opt"
    for s, dest in _def_files().items():
        if not dest.startswith("/opt/src/genomeface/"):
            continue
        target = src / dest.removeprefix("/opt/src/genomeface/")
        if (ROOT / s).is_dir():
            shutil.copytree(ROOT / s, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / s, target)
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "d"),
                        str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = (tmp_path / "d").glob("*.whl")
    assert any(n.endswith("licenses/LICENSE") for n in zipfile.ZipFile(wheel).namelist())
