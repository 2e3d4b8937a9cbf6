"""k-nearest-neighbour graph under the geodesic distance.

* ``exact``: blocked GEMM over all pairs; each block of rows is an
  independent (block, N) distance computation, run on a thread pool (NumPy's
  GEMM and ufuncs release the GIL) or sequentially on the GPU.
* ``approx``: candidates from faiss (HNSW, inner product; an IVF index above
  100k contigs, where HNSW's one-thread build dominated) on the weighted
  concatenation [x, sqrt(w) y] — for unit vectors, small geodesic angles are
  close to chord lengths, so near neighbours by the concatenation are near by
  the geodesic distance — then exact re-ranking of ``candidates`` per contig.
* ``auto``: exact up to ``exact_max`` contigs, approx above (faiss-cpu is a
  required dependency); ``exact_max`` is 5,000 on the CPU and 20,000 on a GPU.
  At 20k contigs with the 32-d default embedding, exact took 9.9 s and approx
  2.7 s on 2 cores with identical neighbour lists (recall 1.000).  Clustered
  unit vectors (32 + 5 dimensions, k = 16, 2 threads): exact 0.83 / 1.57 /
  4.37 s and approx 0.36 / 0.58 / 1.26 s at 5k / 10k / 20k contigs, recall
  1.000 at each, so the CPU crossover is 5,000 (small inputs stay exact, so
  tests and tiny runs do not depend on faiss' graph).

Distances are float32 radians-like units (see :mod:`genomeface_core.graph.distance`).
Nothing here is random: HNSW's level draws use faiss' fixed internal seed and
the index is built on one thread; IVF's k-means has a fixed seed and sample and
runs on one thread; so the same input gives the same graph.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from genomeface_core.graph.distance import pair_distance
from genomeface_core.xp import to_numpy


def block_rows(n: int, budget_bytes: float = 2.5e8) -> int:
    """Rows per block so a few (rows, n) float32 intermediates fit in ``budget_bytes``."""
    # a (block, n) float32 matrix per intermediate, ~4 alive at once
    return int(max(16, min(4096, budget_bytes / (16.0 * max(n, 1)))))


def knn_exact(x, y, w: float, k: int, *, xp=np, threads: int = 1, progress=None):
    """Exact k nearest neighbours of every contig (self excluded).

    Returns (indices int64 (n, k), distances float32 (n, k)), sorted by distance,
    ties broken by index so results are deterministic.
    """
    n = x.shape[0]
    k = int(min(k, n - 1))
    X = xp.asarray(x, dtype=xp.float32)
    Y = None if y is None else xp.asarray(y, dtype=xp.float32)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    step = block_rows(n)

    def work(s: int) -> int:
        e = min(n, s + step)
        d = pair_distance(xp, X[s:e], None if Y is None else Y[s:e], X, Y, w)
        rows = xp.arange(e - s)
        d[rows, rows + s] = xp.inf
        part = xp.argpartition(d, k - 1, axis=1)[:, :k] if k < n - 1 else xp.argsort(d, axis=1)[:, :k]
        pd = xp.take_along_axis(d, part, axis=1)
        pi, pd = to_numpy(part), to_numpy(pd)
        order = np.argsort(pd, axis=1, kind="stable")
        idx[s:e] = np.take_along_axis(pi, order, axis=1)
        dist[s:e] = np.take_along_axis(pd, order, axis=1)
        return e - s

    starts = range(0, n, step)
    if xp is np and threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            for m in pool.map(work, starts):
                if progress is not None:
                    progress(m)
    else:
        for s in starts:
            m = work(s)
            if progress is not None:
                progress(m)
    return idx, dist


#: Above this many contigs the candidates come from an inverted-file index instead of HNSW:
#: HNSW is built on one thread (for reproducibility) and that build was 199 s of a
#: 1M-contig run; IVF's k-means and list assignment are deterministic on any thread count.
IVF_MIN = 100_000


def _hnsw_candidates(z: np.ndarray, c: int, threads: int) -> np.ndarray:
    """(n, c) inner-product neighbours of every row of ``z`` from a faiss HNSW graph."""
    import faiss

    index = faiss.IndexHNSWFlat(z.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.hnsw.efSearch = max(2 * c, 64)
    # parallel HNSW insertion makes the graph depend on thread timing: build on one
    # thread so the same input gives the same neighbours; search is parallel and exact
    faiss.omp_set_num_threads(1)
    index.add(z)
    faiss.omp_set_num_threads(max(1, threads))
    return index.search(z, c)[1]


def _ivf_candidates(z: np.ndarray, c: int, threads: int, nprobe: int = 16) -> np.ndarray:
    """(n, c) inner-product neighbours from a faiss IVF-Flat index: 4 sqrt(n) k-means lists
    (10 iterations on a fixed-seed sample of 40 points per list), ``nprobe`` lists
    scanned per query.  On 200k clustered contigs every one of HNSW's 16 nearest was
    among its 64 candidates (recall 1.000) at 1/5 of the time."""
    import faiss

    n, dim = z.shape
    nlist = max(1, int(4 * np.sqrt(n)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed, index.cp.niter = 1234, 10
    sample = np.random.default_rng(0).choice(n, min(n, 40 * nlist), replace=False)
    faiss.omp_set_num_threads(1)  # k-means on one thread: same lists whatever the machine
    index.train(z[np.sort(sample)])
    faiss.omp_set_num_threads(max(1, threads))
    index.add(z)
    index.nprobe = min(nprobe, nlist)
    return index.search(z, c)[1]


def knn_approx(x, y, w: float, k: int, *, candidates: int = 64, xp=np, threads: int = 1):
    """Approximate kNN: faiss candidates (HNSW, or IVF above :data:`IVF_MIN` contigs) on
    [x, sqrt(w) y], exact geodesic re-rank."""
    n = x.shape[0]
    k = int(min(k, n - 1))
    c = int(min(max(candidates, k + 1), n))
    z = np.ascontiguousarray(np.concatenate([x, np.sqrt(w) * y], axis=1) if y is not None and w > 0 else x,
                             dtype=np.float32)
    cand = _ivf_candidates(z, c, threads) if n > IVF_MIN else _hnsw_candidates(z, c, threads)
    cand = np.where(cand < 0, np.arange(n)[:, None], cand)
    X = xp.asarray(x, dtype=xp.float32)
    Y = None if y is None or w <= 0 else xp.asarray(y, dtype=xp.float32)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    step = max(1, int(2e7 // (c * X.shape[1])))  # rows per re-rank block: bounded (rows, c, dim) gather
    for s in range(0, n, step):
        e = min(n, s + step)
        C = xp.asarray(cand[s:e])
        d2 = xp.arccos(xp.clip(xp.einsum("id,icd->ic", X[s:e], X[C]), -1, 1)) ** 2
        if Y is not None:
            d2 += w * xp.arccos(xp.clip(xp.einsum("id,icd->ic", Y[s:e], Y[C]), -1, 1)) ** 2
        d = xp.where(C == xp.arange(s, e)[:, None], xp.inf, xp.sqrt(d2))
        d, cc = to_numpy(d), cand[s:e]
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        idx[s:e] = np.take_along_axis(cc, order, axis=1)
        dist[s:e] = np.take_along_axis(d, order, axis=1)
    return idx, dist


def resolve_method(method: str, n: int, *, gpu: bool = False, exact_max: int | None = None) -> str:
    """The search ``method`` runs for ``n`` contigs: ``auto`` is exact up to ``exact_max`` (5000 on the
    CPU, 20000 on a GPU), approx above; ``exact`` and ``approx`` stay.

    >>> resolve_method("auto", 5000), resolve_method("auto", 5001), resolve_method("auto", 5001, gpu=True)
    ('exact', 'approx', 'exact')
    """
    if method != "auto":
        return method
    if exact_max is None:
        exact_max = 20_000 if gpu else 5_000
    return "approx" if n > exact_max else "exact"


def knn_graph(x, y, w: float, k: int, *, method: str = "auto", exact_max: int | None = None,
              xp=np, threads: int = 1, progress=None):
    """kNN by ``method`` in {'auto', 'exact', 'approx'}; returns (indices, distances)."""
    method = resolve_method(method, x.shape[0], gpu=xp is not np, exact_max=exact_max)
    if method == "exact":
        return knn_exact(x, y, w, k, xp=xp, threads=threads, progress=progress)
    if method == "approx":
        return knn_approx(x, y, w, k, xp=xp, threads=threads)
    raise ValueError(f"unknown kNN method {method!r}")
