"""``threads`` honoured by every worker pool, whatever the caller (CLI, Python API, QIIME 2).

The CLI caps the pools through environment variables before NumPy is imported
(:func:`genomeface_core.cli.main._cap_threads`), but ``genomeface_core.bin(threads=2)``
from Python or QIIME 2 runs in a process whose libraries are already loaded
with one thread per core: on a shared node the parallel kernels would take
every core.  :func:`limit_threads` caps, for the duration of a call and
restored after:

* Numba's parallel kernels (``numba.set_num_threads``; the setting is per
  calling thread, and :func:`genomeface_core.embed.kmers.kmer_features` sets its
  own for its pools' threads);
* the BLAS and OpenMP runtimes loaded in the process (``threadpoolctl``:
  OpenBLAS/MKL under NumPy and SciPy, libgomp), after importing the ones the
  stages load lazily (SciPy's linear algebra, faiss) so that they are capped too;
* faiss' OpenMP pool (``faiss.omp_set_num_threads``);
* libraries first loaded later still (e.g. TensorFlow) through
  ``OMP_NUM_THREADS`` and friends, set for the duration where the caller has
  not set them.

Pyrodigal and pyhmmer take the count as an argument (``markers.find_markers``
passes ``threads`` as pool size and ``cpus``); the BAM reader and the exact kNN
size their thread pools by it.  ``tests/test_threads.py`` measures CPU time /
wall time of ``bin(threads=1)`` in a fresh interpreter.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import logging
import os
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterator

log = logging.getLogger("genomeface")

#: Environment variables read by thread pools when their library is loaded (later in the call).
ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
#: Modules whose native thread pools the stages load lazily: imported before capping so the cap reaches them.
PRELOAD = ("scipy.linalg", "scipy.sparse.linalg", "faiss")


def _numba_cap(threads: int) -> Callable[[], None] | None:
    import numba

    prev = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    return lambda: numba.set_num_threads(prev)


def _faiss_cap(threads: int) -> Callable[[], None] | None:
    try:
        import faiss
    except ImportError:  # optional at this level: the kNN stage says so when it needs it
        return None
    prev = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    return lambda: faiss.omp_set_num_threads(prev)


@contextmanager
def limit_threads(threads: int | None) -> Iterator[dict]:
    """Cap Numba, BLAS/OpenMP (threadpoolctl) and faiss pools at ``threads`` for the ``with`` block.

    Yields what was capped (pool -> limit) for the record.  ``threads`` of None
    or < 1 caps nothing (the parameter table rejects such values before any
    work).  Nested use is fine: the inner block restores the outer caps.
    """
    if threads is None or int(threads) < 1:
        yield {}
        return
    threads = int(threads)
    from threadpoolctl import threadpool_info, threadpool_limits

    capped: dict = {}
    with ExitStack() as stack:
        unset = [v for v in ENV_VARS if v not in os.environ]  # a caller's own setting wins
        for v in unset:
            os.environ[v] = str(threads)
        stack.callback(lambda: [os.environ.pop(v, None) for v in unset])
        for mod in PRELOAD:
            try:
                importlib.import_module(mod)
            except ImportError:
                pass
        for name, cap in (("numba", _numba_cap), ("faiss", _faiss_cap)):
            restore = cap(threads)
            if restore is not None:
                stack.callback(restore)
                capped[name] = threads
        stack.enter_context(threadpool_limits(limits=threads))
        for info in threadpool_info():
            capped[info["user_api"]] = threads  # "blas" / "openmp": the runtimes present in the process
        yield capped


def honours_threads(func: Callable) -> Callable:
    """Decorator: run ``func`` under :func:`limit_threads` of its ``threads`` argument (keyword or positional)."""
    sig = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        threads = sig.bind_partial(*args, **kwargs).arguments.get("threads", sig.parameters["threads"].default)
        with limit_threads(threads if isinstance(threads, int) else None):
            return func(*args, **kwargs)

    return wrapper
