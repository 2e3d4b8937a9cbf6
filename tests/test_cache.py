"""StageCache: a hit skips the stage; a changed input (even with size and mtime kept) or parameter misses;
a corrupt entry is recomputed.  The cached stage is the real one: k-mer features + composition embedding
of contigs cut from a real genome."""
import gzip
import logging
import os

import numpy as np
import pytest

from genomeface_core import cache as cache_mod
from genomeface_core.cache import StageCache, digest_arrays, digest_file, digest_path
from genomeface_core.errors import InputError

from conftest import GENOMES


@pytest.fixture
def contigs(tmp_path):
    """~200 kb of a real genome as 40 contigs of 5 kb (plain FASTA)."""
    src = GENOMES / "pyrodigal__MIIJ01000039.fna.gz"
    if not src.exists():
        pytest.skip(f"shared genome {src} not found")
    seq = b"".join(ln.strip() for ln in gzip.open(src) if not ln.startswith(b">"))[:200_000]
    path = tmp_path / "contigs.fna"
    path.write_bytes(b"".join(b">c%d\n%s\n" % (i, seq[s:s + 5000]) for i, s in enumerate(range(0, len(seq), 5000))))
    return path


class Stage:
    """The embedding stage as the pipeline runs it, counting its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, path, min_contig_length):
        def compute():
            from genomeface_core.embed import get_composition
            from genomeface_core.embed.kmers import kmer_features
            from genomeface_core.io.fasta import read_fasta

            self.calls += 1
            c = read_fasta(path)
            keep = [i for i, n in enumerate(c.lengths) if n >= min_contig_length]
            c = c.subset(keep)
            return {"names": np.array(c.names), "composition": get_composition("linear").embed(kmer_features(c.seqs))}
        return compute


def _key(path, min_contig_length=1500, composition="linear"):
    return dict(contigs=digest_file(path), min_contig_length=min_contig_length, composition=composition)


def test_hit_skips_compute(contigs, tmp_path, caplog):
    stage = Stage()
    first = StageCache(tmp_path / "cache").get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    assert stage.calls == 1 and first["composition"].shape[0] == 40
    with caplog.at_level(logging.INFO, logger="genomeface"):
        again = StageCache(tmp_path / "cache")  # a new run: only the folder carries over
        second = again.get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    assert stage.calls == 1 and again.hits == 1 and again.reused == ["embed"]
    assert np.array_equal(first["composition"], second["composition"])
    assert second["composition"].dtype == first["composition"].dtype
    assert list(second["names"]) == list(first["names"])
    assert any("embed: reusing cached result" in r.getMessage() for r in caplog.records)
    assert [p for p in os.listdir(tmp_path / "cache") if not p.endswith(".npz")] == []  # no temp files left


def test_changed_content_with_same_size_and_mtime_misses(contigs, tmp_path):
    stage, cache = Stage(), StageCache(tmp_path / "cache")
    before = cache.get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    st = os.stat(contigs)
    data = bytearray(contigs.read_bytes())
    i = data.index(b"\n") + 1 + 2500  # a base in the middle of the first contig
    data[i:i + 200] = b"A" * 200
    contigs.write_bytes(bytes(data))
    os.utime(contigs, ns=(st.st_atime_ns, st.st_mtime_ns))  # what a size+mtime check would be fooled by
    assert os.stat(contigs).st_size == st.st_size and os.stat(contigs).st_mtime_ns == st.st_mtime_ns
    after = cache.get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    assert stage.calls == 2 and cache.misses == 2
    assert not np.allclose(after["composition"][0], before["composition"][0])
    assert np.allclose(after["composition"][1:], before["composition"][1:], atol=1e-6)


def test_parameter_or_version_change_misses(contigs, tmp_path, monkeypatch):
    stage, cache = Stage(), StageCache(tmp_path / "cache")
    a = cache.get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    b = cache.get_or_compute("embed", _key(contigs, 6000), stage(contigs, 6000))
    assert stage.calls == 2 and len(a["names"]) == 40 and len(b["names"]) == 0
    cache.get_or_compute("embed", _key(contigs, composition="tnf"), stage(contigs, 1500))
    assert stage.calls == 3
    cache.get_or_compute("markers", _key(contigs), stage(contigs, 1500))  # another stage, same key
    assert stage.calls == 4
    monkeypatch.setattr(cache_mod, "__version__", "999")
    cache.get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    assert stage.calls == 5
    assert len(os.listdir(tmp_path / "cache")) == 5


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "other_key"])
def test_corrupt_entry_is_recomputed(contigs, tmp_path, caplog, damage):
    stage, cache = Stage(), StageCache(tmp_path / "cache")
    good = cache.get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    entry = cache.path("embed", _key(contigs))
    raw = open(entry, "rb").read()
    if damage == "other_key":  # an entry of another key under this name (e.g. copied by hand)
        os.replace(cache.path("embed", _key(contigs)), entry + ".keep")
        cache.get_or_compute("embed", _key(contigs, 1000), stage(contigs, 1000))
        os.replace(cache.path("embed", _key(contigs, 1000)), entry)
    else:
        open(entry, "wb").write({"truncate": raw[: len(raw) // 2], "garbage": b"\x00garbage" * 50,
                                 "empty": b""}[damage])
    calls = stage.calls
    with caplog.at_level(logging.WARNING, logger="genomeface"):
        again = cache.get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    assert stage.calls == calls + 1 and any("recomputing" in r.getMessage() for r in caplog.records)
    assert np.array_equal(again["composition"], good["composition"])
    cache.get_or_compute("embed", _key(contigs), stage(contigs, 1500))  # the rewritten entry is good again
    assert stage.calls == calls + 1


def test_no_folder_caches_nothing(contigs, tmp_path):
    stage, cache = Stage(), StageCache(None)
    for _ in range(2):
        cache.get_or_compute("embed", _key(contigs), stage(contigs, 1500))
    assert stage.calls == 2 and cache.path("embed", {}) is None


def test_digest_and_bad_paths(contigs, tmp_path):
    d = digest_file(contigs)
    assert len(d) == 64 and d == digest_file(contigs)
    (tmp_path / "copy.fna").write_bytes(contigs.read_bytes())
    assert digest_file(tmp_path / "copy.fna") == d  # content, not name
    with pytest.raises(InputError, match="cannot read"):
        digest_file(tmp_path / "absent.fna")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        StageCache(tmp_path / "file")
    with pytest.raises(ValueError, match="object arrays"):
        StageCache(tmp_path / "c").get_or_compute("s", {}, lambda: {"x": np.array([None])}, code=())
    with pytest.raises(TypeError, match="JSON"):
        StageCache(tmp_path / "c").get_or_compute("s", {"f": object()}, lambda: {}, code=())
    with pytest.raises(ValueError, match="no code registered"):  # a stage whose code the key would not carry
        StageCache(tmp_path / "c").get_or_compute("s", {}, lambda: {})


def test_digest_arrays_sees_one_value(contigs):
    from genomeface_core.io.fasta import read_fasta

    lengths = np.asarray(read_fasta(contigs).lengths, dtype=np.float32)
    changed = lengths.copy()
    changed[7] += 1
    assert digest_arrays(lengths) == digest_arrays(lengths.copy())
    assert digest_arrays(lengths) != digest_arrays(changed)
    assert digest_arrays(lengths) != digest_arrays(lengths.astype(np.float64))
    assert digest_arrays(lengths.reshape(2, -1)) != digest_arrays(lengths)


def test_digest_path_of_a_model_folder(contigs, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text('{"v1": 1}')
    (model / "model.keras").write_bytes(contigs.read_bytes())
    d = digest_path(model)
    assert digest_path(model) == d and digest_path(contigs) == digest_file(contigs)
    (model / "model.json").write_text('{"v1": 2}')
    assert digest_path(model) != d
    (model / "model.json").write_text('{"v1": 1}')
    (model / "model.json").rename(model / "other.json")
    assert digest_path(model) != d  # names count too


def _bin_has_cache():
    import inspect

    from genomeface_core import pipeline
    return "cache" in inspect.signature(pipeline.bin).parameters


@pytest.mark.skipif(not _bin_has_cache(), reason="pipeline.bin() has no cache keyword yet")
def test_bin_reuses_stages_and_never_a_stale_one(tmp_path):
    """bin(cache=...) on the demo: a rerun with other selection parameters reuses embeddings and marker
    genes and gives the same bins; an input changed in place (size and mtime kept) reuses nothing."""
    import json

    from genomeface_core import bin as run_bin
    from genomeface_core.demo import write_demo

    paths = write_demo(tmp_path / "in")
    contigs = tmp_path / "contigs.fna"  # plain, so one base can change without breaking a gzip CRC
    contigs.write_bytes(gzip.decompress(open(paths["contigs"], "rb").read()))

    def run(out, **kw):
        run_bin(contigs, paths["depth"], outdir=tmp_path / out, cache=tmp_path / "cache", threads=2, **kw)
        return json.load(open(tmp_path / out / "run.json"))["cache"]["reused"]

    assert run("o1") == []
    assert sorted(run("o2", min_bin_size=100_000, min_purity=0.9)) == ["embed", "markers"]
    for f in ("markers.tsv", "projection.tsv"):  # what the selection parameters do not touch
        assert (tmp_path / "o1" / f).read_bytes() == (tmp_path / "o2" / f).read_bytes(), f
    st = os.stat(contigs)
    data = bytearray(contigs.read_bytes())
    i = data.index(b"\n") + 100
    data[i:i + 1] = b"A" if data[i:i + 1] != b"A" else b"C"
    contigs.write_bytes(bytes(data))
    os.utime(contigs, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert run("o3") == []


# --- the stage's code is in its key (cache.STAGES) ---------------------------------------------------

def _imports(module: str):
    """(genomeface_core modules, third-party top-level names) that ``module`` imports anywhere in its source
    (function-level imports too), as dotted names relative to the package."""
    import ast
    import sys

    path = cache_mod.module_path(module)
    pkg = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    ours, theirs = set(), set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = "genomeface_core" + ("." + pkg if pkg else "")
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            targets = [base + ("." + node.module if node.module else "")]
            targets += [f"{targets[0]}.{a.name}" for a in node.names]  # `from . import x`: x may be a module
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        else:
            continue
        for t in targets:
            if t.startswith("genomeface_core"):
                rel = t[len("genomeface_core."):]
                if rel and os.path.exists(cache_mod.module_path(rel)):
                    ours.add(rel)
            elif t.split(".")[0] not in sys.stdlib_module_names:
                theirs.add(t.split(".")[0])
    return ours, theirs


@pytest.mark.parametrize("stage", sorted(cache_mod.STAGES))
def test_stage_lists_every_module_it_imports(stage):
    codes = cache_mod.stage_closure(stage)
    listed = {m for c in codes for m in c.modules}
    libs = {n for c in codes for n in c.libraries} | set(cache_mod.NOT_RESULT_LIBRARIES)
    for m in sorted(listed):
        assert os.path.exists(cache_mod.module_path(m)), m
        ours, theirs = _imports(m)
        parents = {".".join(m.split(".")[:i]) for i in range(1, m.count(".") + 1)}  # run on import of m
        assert ours | parents <= listed, f"{stage}: {m} imports {sorted((ours | parents) - listed)} (not listed)"
        assert theirs <= libs, f"{stage}: {m} imports {sorted(theirs - libs)} (not in libraries)"


def test_stage_lists_hold_what_the_pipeline_calls():
    from genomeface_core.embed.abundance_net import get_abundance_model
    from genomeface_core.embed.adaptive import fit_adaptive
    from genomeface_core.embed.kmers import kmer_features
    from genomeface_core.io.bam import read_bam_depths
    from genomeface_core.markers import find_markers

    for stage, f in [("depths", read_bam_depths), ("embed", kmer_features), ("adaptive", fit_adaptive),
                     ("abundance", get_abundance_model), ("markers", find_markers)]:
        assert f.__module__.removeprefix("genomeface_core.") in cache_mod.STAGES[stage].modules, (stage, f)


def test_an_edited_module_or_data_file_changes_only_its_stages_key(tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "genomeface_core"
    shutil.copytree(cache_mod.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_mod, "PACKAGE_DIR", str(copy))
    stages = sorted(cache_mod.STAGES)
    before = {s: cache_mod.stage_code(s) for s in stages}
    assert before["markers"]["libraries"]["fetchmgs"] != "absent" and "pyhmmer" in before["markers"]["libraries"]
    cache = StageCache(tmp_path / "cache")
    calls = []
    cache.get_or_compute("markers", {"n": 1}, lambda: calls.append(1) or {"x": np.zeros(1)})
    for edited, changed in [("markers/seeds.py", {"markers"}), ("io/bam.py", {"depths"}),
                            ("embed/adaptive.py", {"adaptive"}), ("embed/kmers.py", {"embed", "adaptive", "abundance"}),
                            ("io/fasta.py", {"depths", "embed", "adaptive", "abundance", "markers"}),
                            ("embed/weights/linear.npz", {"embed", "adaptive", "abundance"})]:
        with open(copy / edited, "ab") as fh:
            fh.write(b"\n# edited\n")  # a comment: the code may compute the same, but nothing proves it
        cache_mod._stage_code.cache_clear()  # hashed once per process: a new process would see the edit
        after = {s: cache_mod.stage_code(s) for s in stages}
        assert {s for s in stages if after[s] != before[s]} == changed, edited
        before = after
    cache.get_or_compute("markers", {"n": 1}, lambda: calls.append(1) or {"x": np.zeros(1)})
    assert len(calls) == 2  # the entry made by the old code is not reused


# --- a killed run resumes to the same bins ----------------------------------------------------------------

def test_killed_run_resumes_to_identical_bins(tmp_path):
    """SIGKILL a ``genomeface bin --cache`` the moment its first cache file (temporary or entry) appears,
    rerun with the same cache: the bins equal an uncached run's and no temporary file is left."""
    import signal
    import subprocess
    import sys
    import time

    from genomeface_core.demo import write_demo

    paths = write_demo(tmp_path / "in")
    cache = tmp_path / "cache"

    def cmd(out, *extra):
        return [sys.executable, "-m", "genomeface_core", "-q", "bin", "-i", paths["contigs"], "-a", paths["depth"],
                "-o", str(tmp_path / out), "--threads", "1", *extra]

    proc = subprocess.Popen(cmd("killed", "--cache", str(cache)), stderr=subprocess.DEVNULL)
    seen, t0 = [], time.monotonic()
    while not seen and proc.poll() is None and time.monotonic() - t0 < 120:
        seen = os.listdir(cache) if cache.is_dir() else []
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert seen and proc.returncode == -signal.SIGKILL, (seen, proc.returncode)  # killed, not finished
    assert not (tmp_path / "killed").exists()  # nothing written by the killed run
    subprocess.run(cmd("resumed", "--cache", str(cache)), check=True, timeout=300)
    subprocess.run(cmd("plain"), check=True, timeout=300)
    assert (tmp_path / "resumed" / "clusters.tsv").read_text() == (tmp_path / "plain" / "clusters.tsv").read_text()
    assert sorted(p.split("-")[0] for p in os.listdir(cache)) == ["embed", "markers"]  # no .tmp- file left
    again = json_load(tmp_path / "resumed" / "run.json")["cache"]["reused"]
    assert set(again) <= {"embed"}, again  # at most the entry the killed run finished


def json_load(path):
    import json
    return json.load(open(path))


def test_dead_writers_temporary_file_is_swept(contigs, tmp_path):
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    folder = tmp_path / "cache"
    folder.mkdir()
    stale = folder / f".tmp-{dead}@{socket.gethostname()}-{'0' * 32}.npz"
    live = folder / f".tmp-{os.getpid()}@{socket.gethostname()}-{'1' * 32}.npz"  # a running writer's
    for f in (stale, live):
        f.write_bytes(b"half an entry")
    StageCache(folder).get_or_compute("embed", _key(contigs), Stage()(contigs, 1500))
    assert not stale.exists() and live.exists()


# --- a fallback is told -----------------------------------------------------------------------------------

def test_adaptive_fallback_warns_and_is_in_run_json(contigs, tmp_path, caplog):
    """40 contigs of 5 kb: no contig of >= 10 kb to learn a metric from, so adaptive runs as linear."""
    from genomeface_core import bin as run_bin

    with caplog.at_level(logging.WARNING, logger="genomeface"):
        res = run_bin(contigs, composition="adaptive", outdir=tmp_path / "out", threads=1, min_bin_size=10_000)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "adaptive composition" in r.getMessage()]
    assert warned and "using the shipped linear metric alone" in warned[0].getMessage()
    info = json_load(tmp_path / "out" / "run.json")
    assert info["parameters"]["composition"] == "adaptive" and info["composition_used"] == "linear"
    assert info["fallbacks"] == [warned[0].getMessage()] and info["device_used"] == "cpu"
    assert info["parameters"]["knn"] == "auto" and info["knn_used"] == "exact"  # what auto resolved to (40 contigs)
    assert res.run_info["fallbacks"] == info["fallbacks"]
    plain = run_bin(contigs, composition="linear", threads=1, min_bin_size=10_000)
    assert plain.run_info["fallbacks"] == [] and plain.run_info["composition_used"] == "linear"
    assert plain.assignment == res.assignment  # what ran is what run.json says
