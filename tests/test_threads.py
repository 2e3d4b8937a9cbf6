"""``threads`` is honoured by bin() itself, whatever the shell: run from Python in a fresh interpreter
with no NUMBA/OMP/BLAS variables set (as QIIME 2 or a notebook would), bin(threads=1) uses one core
(CPU time / wall time), and every pool a stage sees is capped at the given count."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from genomeface_core.threads import ENV_VARS, limit_threads

# run in a fresh interpreter: the caps under test must come from bin(), not from this process' imports
SCRIPT = textwrap.dedent("""
    import json, sys, time
    import numba
    from threadpoolctl import threadpool_info
    import genomeface_core
    from genomeface_core.graph import mst
    from genomeface_core.demo import write_demo

    threads, outdir, disable = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
    if disable:  # the check of the check: bin() without its own cap
        import contextlib
        import genomeface_core.threads as t
        t.limit_threads = lambda n: contextlib.nullcontext({})
    seen = {}
    tree = mst.spanning_tree
    def spy(*a, **kw):  # the pools as the parallel MST kernel and its BLAS calls find them
        seen.update(numba=numba.get_num_threads(),
                    native=sorted({i["num_threads"] for i in threadpool_info()}))
        return tree(*a, **kw)
    mst.spanning_tree = spy  # bin() imports it from genomeface_core.graph.mst when it runs
    paths = write_demo(outdir + "/in")
    genomeface_core.bin(paths["contigs"], paths["depth"], threads=threads, knn="exact")  # warm-up: JIT caches
    cpu, wall = time.process_time(), time.perf_counter()
    genomeface_core.bin(paths["contigs"], paths["depth"], threads=threads, knn="exact", composition="adaptive")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps(dict(ratio=cpu / wall, wall=wall, cores=numba.config.NUMBA_NUM_THREADS, **seen)))
""")


def _run(tmp_path, threads: int, disable: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in (*ENV_VARS, "NUMBA_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(threads), str(tmp_path), "1" if disable else "0"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_bin_threads_1_uses_one_core(tmp_path):
    r = _run(tmp_path, 1)
    assert r["numba"] == 1 and r["native"] == [1], r
    assert r["ratio"] <= 1.3, r  # CPU seconds per wall second of the whole run


@pytest.mark.skipif(os.cpu_count() < 2, reason="needs 2 cores")
def test_bin_threads_2_may_use_two(tmp_path):
    r = _run(tmp_path, 2)
    assert r["numba"] == 2 and r["native"] == [2], r  # capped at 2, not forced to 1
    assert r["ratio"] <= 2.3, r


def test_limit_threads_restores_and_honours_explicit_env(monkeypatch):
    import numba
    from threadpoolctl import threadpool_info

    with limit_threads(2):  # loads the lazily imported native pools (scipy.linalg, faiss) first
        pass
    before = numba.get_num_threads(), [i["num_threads"] for i in threadpool_info()]
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with limit_threads(1) as capped:
        assert numba.get_num_threads() == 1 and {i["num_threads"] for i in threadpool_info()} == {1}
        assert {"numba", "blas"} <= set(capped)
        assert os.environ["OMP_NUM_THREADS"] == "7" and os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert (numba.get_num_threads(), [i["num_threads"] for i in threadpool_info()]) == before
    assert "OPENBLAS_NUM_THREADS" not in os.environ
    with limit_threads(None) as capped:
        assert capped == {}
