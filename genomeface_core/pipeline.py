"""``bin()``: the one place that knows the stage order; timings, memory, the output transaction.

contigs -> length filter -> coverage (by name) -> k-mer features -> embeddings
-> marker genes -> kNN -> MST -> single-linkage dendrogram -> DP cut -> rescue
-> named bins (:mod:`genomeface_core.cut.bins`) -> files (:mod:`genomeface_core.output.write`).

Parameters are checked against :mod:`genomeface_core.params` and the output
folder is checked first, so a refused folder costs no compute; nothing is
written until every stage has succeeded.  A new stage is one more
``with timer("name"):`` line in :func:`bin`; a new output file is one more
entry in :func:`_write`'s ``extra``.
"""
from __future__ import annotations

import logging
import os
import platform
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from genomeface_core.version import __version__
from genomeface_core import params as params_table
from genomeface_core.cut.bins import BinResult, name_bins
from genomeface_core.cache import StageCache, digest_arrays, digest_file, digest_path
from genomeface_core.errors import InputError
from genomeface_core.io.fasta import Contigs, read_fasta
from genomeface_core.threads import honours_threads

log = logging.getLogger("genomeface")

PathLike = str | os.PathLike


@dataclass
class Embedded:
    """Filtered contigs with their depths and both embeddings."""

    contigs: Contigs
    depths: np.ndarray | None  # (n, samples) float32 mean depth, or None
    samples: list[str]
    composition: np.ndarray  # (n, d) unit vectors
    abundance: np.ndarray | None  # (n, e) unit vectors, or None
    abundance_weight: float
    all_names: list[str]
    cache_key: dict | None = None  # contigs digest + min_contig_length when a stage cache is used
    composition_used: str = ""  # the composition embedding that ran (differs from the asked one on a fallback)
    fallbacks: list[str] = field(default_factory=list)  # each silent change of method, why (WARNING + run.json)
    variances: np.ndarray | None = None  # (n, samples) per-base depth variance (x^2) where the coverage gives it
    composition_auto: str = ""  # what --composition auto chose and why ("" when another was asked)


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process so far (MiB), or None where ``resource`` is missing."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)  # bytes on macOS, KiB on Linux


class StageTimer:
    """Seconds and peak memory per stage, for run.json.

    ``memory_mb[stage]`` is the process's peak RSS (MiB) at the end of the
    stage: it can only grow, so the stage where it jumps is the one that set
    the peak.
    """

    def __init__(self):
        self.timings: dict[str, float] = {}
        self.memory_mb: dict[str, float | None] = {}

    def record(self, stage: str, seconds: float) -> None:
        """Add ``seconds`` to the stage (a stage run once per sample sums)."""
        self.timings[stage] = round(self.timings.get(stage, 0.0) + seconds, 3)
        self.memory_mb[stage] = peak_rss_mb()

    @contextmanager
    def __call__(self, stage: str):
        t0 = time.perf_counter()
        log.info("%s ...", stage)
        yield
        dt = time.perf_counter() - t0
        self.record(stage, dt)
        log.info("%s done in %.2f s", stage, dt)


def _load_depths(contigs_path, all_contigs: Contigs, kept: Contigs, coverage, bams, threads,
                 cache: StageCache, key: dict | None):
    """(depths (n, S) x, per-base depth variances (n, S) x^2 or None, sample names), matched by name."""
    if coverage is not None and bams:
        raise InputError(coverage, "give either a coverage table or BAM files, not both")
    if coverage is not None:
        from genomeface_core.io.coverage import align_coverage, read_coverage
        cov = read_coverage(coverage)
        var = None if cov.variances is None else align_coverage(cov, all_contigs.names, kept.names, coverage,
                                                                variances=True)
        return align_coverage(cov, all_contigs.names, kept.names, coverage), var, list(cov.samples)
    if bams:
        from genomeface_core.io.bam import read_bam_depths

        def read() -> dict[str, np.ndarray]:
            d, v = read_bam_depths(list(bams), kept.names, kept.lengths, threads=threads, with_variance=True)
            return {"depths": d, "variances": v}
        # the expensive input: reused when the BAMs' content and the contig set are unchanged
        got = cache.get_or_compute("depths", key and dict(key, bams=[digest_file(b) for b in bams],
                                                          variances=True), read)
        return got["depths"], got["variances"], [os.path.basename(os.fspath(b)) for b in bams]
    return None, None, []


@honours_threads
def embed_contigs(contigs: PathLike, coverage: PathLike | None = None, *, bams: Sequence[PathLike] | None = None,
          min_contig_length: int = 1500, composition: str = "auto", abundance: str = "raw",
          abundance_weight: float | None = None, threads: int = 1, seed: int = 0, timer: StageTimer | None = None,
          chunk: int = 200_000, cache: StageCache | None = None) -> Embedded:
    """Read, filter and embed contigs (the stages before the kNN graph).

    ``abundance``: ``raw`` (variance-stabilised depths), ``network`` (the
    shipped co-abundance network) or the path of a trained one.
    ``chunk``: contigs per feature/embedding batch for per-contig (trained) embeddings.
    ``cache``: stage cache for the BAM depths, composition and abundance-network embeddings.
    ``seed``: draws the windows of ``composition="adaptive"`` (the metric learned from these contigs).
    """
    from genomeface_core import embed as emb
    from genomeface_core.embed.mixing import abundance_weight as c2

    # the table's checks here too: ``genomeface embed`` and API callers reach this without bin()
    params_table.validate(dict(min_contig_length=min_contig_length, composition=composition, abundance=abundance,
                               abundance_weight=abundance_weight, threads=threads, seed=seed))
    timer = timer or StageTimer()
    cache = cache or StageCache(None)
    # what every cached stage of these contigs depends on (content, not path or mtime)
    key = None if cache.folder is None else dict(contigs=digest_file(contigs), min_contig_length=min_contig_length)
    # auto is resolved once the sample count is known (below); any other name fails here, before any work
    comp = None if composition in (*emb.FITTED, emb.AUTO) else emb.get_composition(composition)
    ab_model = None if abundance == "raw" else _abundance_model(abundance)
    with timer("read"):
        allc = read_fasta(contigs)
        keep = np.flatnonzero(allc.lengths >= min_contig_length)
        if len(keep) < 2:
            raise InputError(contigs, f"{len(keep)} contig(s) of >= {min_contig_length} bp; need at least 2 to bin")
        kept = allc.subset(keep)
        depths, variances, samples = _load_depths(contigs, allc, kept, coverage, bams, threads, cache, key)
    chosen = ""
    if composition == emb.AUTO:
        composition, chosen = emb.resolve_auto(len(samples))
        log.info("composition %s", chosen)
        comp = None if composition in emb.FITTED else emb.get_composition(composition)
    if comp is None:
        from genomeface_core.embed.adaptive import fit_adaptive
        with timer("adapt"):
            comp = fit_adaptive(kept.seqs, kept.lengths, seed=seed, threads=threads)
    fallbacks = [comp.fallback] if comp.fallback else []
    t0 = time.perf_counter()
    model_key = [f"{composition}/seed{seed}"] if composition in emb.FITTED else _model_key(composition)
    # a fitted embedding's entry depends on the fit's code (adaptive, which uses embed's and the weights) too
    x = cache.get_or_compute("embed", key and dict(key, composition=model_key),
                             lambda: {"composition": _composition_embedding(comp, kept, threads, timer, chunk)},
                             code=("adaptive",) if composition in emb.FITTED else ("embed",))
    x = x["composition"]
    if "embed" not in timer.timings:  # read back from the cache
        timer.record("embed", time.perf_counter() - t0)
    with timer("abundance"):
        if depths is None:
            y, w = None, 0.0
        else:
            y = emb.abundance(depths) if ab_model is None else cache.get_or_compute(
                "abundance", key and dict(depths=digest_arrays(depths), abundance=_model_key(abundance)),
                lambda: {"abundance": ab_model.embed(depths)})["abundance"]
            if abundance_weight is not None:
                w = float(abundance_weight)
            else:
                # the weight's constants belong to the pair of embeddings they were fitted for
                v = (comp.v1, comp.v2) if ab_model is None else _network_constants(ab_model, composition, fallbacks)
                w = c2(depths.shape[1], *v)
    return Embedded(kept, depths, samples, x, y, w, allc.names, key, composition_used=comp.name,
                    fallbacks=fallbacks, variances=variances, composition_auto=chosen)


def _composition_embedding(comp, kept: Contigs, threads: int, timer: StageTimer, chunk: int) -> np.ndarray:
    """k-mer features -> composition embedding of the kept contigs (timed as features / embed)."""
    from genomeface_core.embed.kmers import kmer_features

    if comp.per_contig:
        # features -> embedding in chunks: the (n, 1712) matrix never exists whole
        # (6.8 GB per million contigs); timings split as features / embed
        t_feat = t_emb = 0.0
        parts = []
        for s in range(0, len(kept.seqs), chunk):
            t0 = time.perf_counter()
            f = kmer_features(kept.seqs[s:s + chunk], threads=threads)
            t1 = time.perf_counter()
            parts.append(comp.embed(f))
            t_feat, t_emb = t_feat + t1 - t0, t_emb + time.perf_counter() - t1
        x = np.concatenate(parts)
        timer.record("features", t_feat)
        timer.record("embed", t_emb)
        log.info("features + composition embedding done in %.2f s", t_feat + t_emb)
    else:
        with timer("features"):
            feats = kmer_features(kept.seqs, threads=threads)
        with timer("embed"):
            x = comp.embed(feats)
            del feats
    return x


def _model_key(name: str) -> list[str]:
    """A model's identity in a cache key: trained models (files, folders) by content, shipped ones by
    name and the content of the shipped weights (refitted weights within one version must miss);
    ``FIRST+SECOND`` part by part."""
    shipped = os.path.join(os.path.dirname(__file__), "embed", "weights")
    return [digest_path(p) if os.path.exists(p) else f"{p}@{digest_path(shipped)}" for p in name.split("+")]


def _abundance_model(name: str):
    """The co-abundance network for ``--abundance-model network|PATH`` (InputError naming a bad file)."""
    from genomeface_core.embed.abundance_net import get_abundance_model

    if name != "network" and not os.path.exists(name):
        raise InputError(name, "abundance embedding must be 'raw', 'network' or the path of a trained "
                               "abundance network (.keras file or folder with model.keras)")
    return get_abundance_model(name)


def _network_constants(model, composition: str, fallbacks: list[str]) -> tuple[float, float]:
    """(v1, v2) the abundance network was fitted with for ``composition`` (else for ``linear``, appended
    to ``fallbacks``)."""
    v = model.constants(composition)
    if v is None:
        raise InputError(model.path, "abundance network has no fitted mixing constants; "
                                     "give --abundance-weight or refit them (benchmarks/abundance_auroc.py)")
    if composition not in model.mixing:
        fallbacks.append(f"abundance network has no mixing constants fitted with composition {composition!r}; "
                         "using those for 'linear'")
        log.warning("%s", fallbacks[-1])
    return v


@honours_threads
def bin(contigs: PathLike, coverage: PathLike | None = None, *, bams: Sequence[PathLike] | None = None,
        outdir: PathLike | None = None, min_contig_length: int = 1500, min_bin_size: int = 200_000,
        markers: PathLike | Sequence[PathLike] | None = None, markers_mode: str = "fast",
        composition: str = "auto", abundance: str = "raw", abundance_weight: float | None = None, k: int = 16,
        knn: str = "auto", device: str = "cpu", threads: int = 1, seed: int = 0, min_purity: float = 0.85,
        rescue_vote: float = 0.5, max_merge_gap: float = 2.0, depth_coherence: float = 1e-6, depth_split: float = 4.0,
        split_sep: str | None = None, prefix: str = "bin",
        force: bool = False, progress: bool = False, cache: PathLike | None = None) -> BinResult:
    """Bin an assembly into genomes (MAGs) by the GenomeFace method.

    contigs: FASTA (plain or gzip) of the assembly.
    coverage: depth table (MetaBAT ``jgi_summarize_bam_contig_depths`` or a
        ``contigname`` TSV), rows matched to contigs by name.  Or ``bams``:
        sorted, indexed BAM files, one per sample.  Neither: composition only.
    outdir: write bins and tables here (refused if non-empty unless ``force``);
        None writes nothing and only returns the result.
    progress: progress bars on stderr.
    cache: folder of the stage cache (BAM depths, embeddings, marker genes keyed by
        input content and the parameters that matter; see :mod:`genomeface_core.cache`),
        so a rerun with other selection parameters skips them; None: no cache.

    Every other keyword is a method parameter described (type, default, range,
    units) in :data:`genomeface_core.params.BIN_PARAMS` and ``docs/options.md``,
    and checked against that table before any work.
    """
    from genomeface_core.graph.dendrogram import single_linkage
    from genomeface_core.cut.depth_coherence import cluster_rms_z
    from genomeface_core.graph.knn import resolve_method
    from genomeface_core.graph.mst import spanning_tree
    from genomeface_core.cut.multisplit import sample_bin_names, sample_groups
    from genomeface_core.graph.layout import projection

    given = locals()  # every keyword of the table, as called (recorded in run.json, validated by the table)
    params = dict(contigs=os.fspath(contigs), coverage=None if coverage is None else os.fspath(coverage),
                  bams=[os.fspath(b) for b in bams or []],
                  **{p.name: given[p.name] for p in params_table.BIN_PARAMS})
    params.update(markers=_paths(markers), abundance=os.fspath(abundance))
    xp = _check(params, outdir, force, cache)
    timer = StageTimer()
    stage_cache = StageCache(cache)
    e = embed_contigs(contigs, coverage, bams=bams, min_contig_length=min_contig_length, composition=composition,
                      abundance=params["abundance"], abundance_weight=abundance_weight, threads=threads, seed=seed,
                      timer=timer, cache=stage_cache)
    n = len(e.contigs.names)
    samples = _contig_samples(contigs, e.contigs.names, split_sep) if split_sep else None
    with timer("markers"):
        counts = marker_counts(e.contigs, markers, threads=threads, progress=progress, cache=stage_cache,
                               key=e.cache_key, mode=markers_mode)
    with timer("knn"):
        idx, dist = _knn(e, k, knn, xp, threads, progress)
    with timer("mst"):
        u, v, d = spanning_tree(e.composition, e.abundance, e.abundance_weight, idx, dist, xp=xp)
    with timer("dendrogram"):
        children, heights = single_linkage(n, u, v, d)
    sample_names, groups = (None, [np.arange(n)]) if samples is None else sample_groups(samples)
    labels, total_reward, cluster_gap, n_rescued, cluster_group, ejected_from, ejected_bp = _cut(
        children, heights, counts, e.contigs.lengths, idx, dist, groups, timer, min_purity=min_purity,
        max_merge_gap=max_merge_gap, rescue_vote=rescue_vote, depths=e.depths, variances=e.variances,
        depth_p=depth_coherence, depth_split=depth_split)
    xy = None
    if outdir is not None:
        with timer("projection"):  # for report.html: the binner's kNN graph laid out in 2-D
            xy = projection(e.composition, e.abundance, e.abundance_weight, seed=seed, neighbours=(idx, dist),
                            threads=threads)
    mean_depth = e.depths.mean(axis=1) if e.depths is not None else np.zeros(n)
    cluster_names = None if samples is None else sample_bin_names(
        labels, e.contigs.lengths, cluster_group, sample_names, split_sep, prefix)
    depth_z = cluster_rms_z(labels, e.depths, e.variances, e.contigs.lengths, counts)
    assignment, bins, table = name_bins(labels, e.contigs.names, e.contigs.seqs, counts, mean_depth,
                                        min_bin_size=min_bin_size, prefix=prefix, cluster_gap=cluster_gap,
                                        cluster_names=cluster_names, cluster_depth_z=depth_z,
                                        cluster_ejected_bp=ejected_bp)
    run_info = _run_info(params, e, timer, total_reward=total_reward, n_rescued=n_rescued, n_bins=len(bins),
                         device_used="cpu" if xp is np else "gpu",  # what --device auto resolved to
                         knn_used=resolve_method(knn, n, gpu=xp is not np),  # and --knn auto
                         depth_ejected=dict(contigs=int((ejected_from >= 0).sum()),
                                            bp=int(e.contigs.lengths[ejected_from >= 0].sum()),
                                            variance="from coverage" if e.variances is not None else "poisson"),
                         cache=dict(folder=stage_cache.folder, reused=stage_cache.reused))
    result = BinResult(e.contigs.names, assignment, bins, table, timer.timings, run_info,
                       ejected=_ejected_rows(labels, ejected_from, e.contigs.names, assignment))
    if outdir is not None:
        with timer("write"):
            _write(result, e.contigs, counts, xy, outdir, force, params, cache)
    return result


def _cut(children: np.ndarray, heights: np.ndarray, counts: np.ndarray, lengths: np.ndarray, idx: np.ndarray,
         dist: np.ndarray, groups: Sequence[np.ndarray], timer: StageTimer, *, min_purity: float,
         max_merge_gap: float, rescue_vote: float, depths: np.ndarray | None = None,
         variances: np.ndarray | None = None, depth_p: float = 0.0, depth_split: float = 0.0):
    """DP cut and rescue in each group of contigs: all of them, or one group per sample (multi-split).

    A group is cut on the dendrogram induced on its contigs (single linkage
    restricted to them), so a genome assembled in two samples, whose markers
    the joint tree sees twice, is one bin in each; rescue votes count only
    neighbours of the same group.  Returns (cluster id per contig, -1
    unbinned; total reward; each cluster's largest gap ratio; contigs
    rescued; each cluster's group; the cluster each contig depth coherence
    took out left, -1 for the others; bp that left each cluster).

    Depth coherence (:mod:`genomeface_core.cut.depth_coherence`) runs after the
    DP cut and again after rescue, so neither keeps a contig of another depth.
    """
    from genomeface_core.cut.embedding_gap import gap_ratios
    from genomeface_core.graph.dendrogram import induced_tree
    from genomeface_core.cut.depth_coherence import eject_incoherent, split_by_depth
    from genomeface_core.cut.rescue import rescue_unbinned
    from genomeface_core.cut.selection import select_bins

    n = len(lengths)
    labels = np.full(n, -1, dtype=np.int64)
    local = np.full(n, -1, dtype=np.int64)
    gaps_of, group_of, total, rescued = [], [], 0.0, 0
    ejected_from = np.full(n, -1, dtype=np.int64)
    ej_bp: list[int] = []
    for g, members in enumerate(groups):
        ch, h = (children, heights) if len(members) == n else induced_tree(children, heights, members)
        ln, mc = lengths[members], counts[members]
        local[members] = np.arange(len(members))
        nb = local[idx[members]]  # -1: a neighbour from another group
        local[members] = -1
        with timer("select"):
            # nearest neighbour within the group (the same genome's copy from another sample is no scale)
            first = np.argmax(nb >= 0, axis=1)
            nn = np.where((nb >= 0).any(axis=1), dist[members, first], dist[members, -1])
            gaps = gap_ratios(ch, h, ln, nn)
            lab, reward, cgap = select_bins(ch, mc, min_purity, gaps=gaps, lengths=ln,
                                            max_gap=max_merge_gap if max_merge_gap > 0 else np.inf)
        dm = None if depths is None else depths[members]
        vm = None if variances is None else variances[members]
        with timer("depth_coherence"):
            # a bin of separate depth groups is divided first, so that each part's own core, not a mixed
            # one, sets the per-contig test; a part keeps its parent's gap ratio
            parts, split = split_by_depth(lab, dm, ln, mc, separation=depth_split, n_clusters=len(cgap))
            cgap = np.concatenate([cgap, cgap[split.origin[len(cgap):]]])
            from_ = np.where(split.ejected, lab, -1)  # the cluster each moved contig left (last move wins)
            lab, info = eject_incoherent(parts, dm, vm, ln, mc, p=depth_p, n_clusters=len(cgap))
            cgap = np.concatenate([cgap, np.zeros(len(info.origin) - len(cgap))])
            from_ = np.where(info.ejected, parts, from_)
        with timer("rescue"):
            nb = np.where(nb >= 0, nb, np.arange(len(members))[:, None])  # outside votes as the contig itself
            lab, k = rescue_unbinned(nb, lab, mc, min_vote=rescue_vote, min_purity=min_purity, knn_dist=dist[members],
                                     lengths=ln, max_gap=max_merge_gap if max_merge_gap > 0 else np.inf)
        before = lab
        with timer("depth_coherence"):
            lab, info2 = eject_incoherent(lab, dm, vm, ln, mc, p=depth_p, n_clusters=len(cgap))
            cgap = np.concatenate([cgap, np.zeros(len(info2.origin) - len(cgap))])
        from_ = np.where(info2.ejected, before, from_)
        ejected_from[members] = np.where(from_ >= 0, from_ + len(gaps_of), -1)
        left = np.zeros(len(cgap), np.int64)
        left[:len(split.ejected_bp)] += split.ejected_bp
        left[:len(info.ejected_bp)] += info.ejected_bp
        left[:len(info2.ejected_bp)] += info2.ejected_bp
        ej_bp.extend(left.tolist())
        labels[members] = np.where(lab >= 0, lab + len(gaps_of), -1)
        gaps_of.extend(cgap)
        group_of.extend([g] * len(cgap))
        total, rescued = total + reward, rescued + k
    return (labels, total, np.asarray(gaps_of), rescued, np.asarray(group_of, dtype=np.int64), ejected_from,
            np.asarray(ej_bp, dtype=np.int64))


def _ejected_rows(labels: np.ndarray, ejected_from: np.ndarray, names: Sequence[str],
                  assignment: Sequence[str]) -> list[tuple[str, str, str]]:
    """(contig, bin it left, bin now) for every contig depth coherence ejected; clusters named as in bins.tsv."""
    name_of = {int(c): a for c, a in zip(labels, assignment) if c >= 0}
    return [(names[i], name_of.get(int(ejected_from[i]), "unbinned"), assignment[i])
            for i in np.flatnonzero(ejected_from >= 0)]


def _contig_samples(contigs: PathLike, names: Sequence[str], sep: str) -> list[str]:
    """Each contig's sample for multi-split (InputError naming the FASTA when a name has no prefix)."""
    from genomeface_core.cut.multisplit import sample_of

    try:
        return sample_of(names, sep)
    except InputError as exc:
        raise InputError(contigs, exc.problem) from None


def _check(params: dict, outdir: PathLike | None, force: bool, cache: PathLike | None = None):
    """Validate parameters and the output folder before any work; the array module for ``device``.

    The folder is checked against the run's input files and ``cache`` folder too: ``force`` never
    replaces a folder holding one of them (:func:`genomeface_core.output.write.check_outdir`).
    """
    from genomeface_core.output.write import check_outdir, input_paths
    from genomeface_core.xp import get_xp

    if outdir is not None:
        check_outdir(outdir, force, inputs=input_paths(params), cache=cache)
    params_table.validate(params)
    try:
        return get_xp(params["device"])
    except (RuntimeError, ValueError) as exc:
        raise InputError(None, str(exc)) from None


@honours_threads
def marker_counts(contigs: Contigs, markers: PathLike | Sequence[PathLike] | None, *, threads: int = 1,
                  progress: bool = False, cache: StageCache | None = None, key: dict | None = None,
                  mode: str = "fast") -> np.ndarray:
    """(n, 40) marker copies per contig: from the ``markers`` table(s) if given, else by gene calling.

    Gene calls go through ``cache`` under ``key`` (contigs digest + min_contig_length) when both are given.
    """
    from genomeface_core.markers import find_markers, read_markers_tsv

    if markers is not None:
        return read_markers_tsv(markers, contigs.names, allow_unknown=True)
    def call() -> dict[str, np.ndarray]:
        return {"counts": find_markers(contigs.seqs, threads=threads, progress=progress, mode=mode)}
    if cache is None or key is None:
        return call()["counts"]
    # the callers' and fetchMGs' versions, the HMM and cutoff files and the code are the stage's code
    # (cache.STAGES["markers"]); the fast path's gate settings are spelled out too
    return cache.get_or_compute("markers", dict(key, mode=mode, gate=_marker_gate() if mode == "fast" else None),
                                call)["counts"]


def _marker_gate() -> dict[str, float]:
    """The fast marker path's gate settings (bits, bp), for its cache key."""
    from genomeface_core.markers import fast as markers_fast
    from genomeface_core.markers.hmms import GATE_BITS

    return dict(forward_gate_bits=GATE_BITS, window_bits=markers_fast.WINDOW_BITS,
                hmm_bits=markers_fast.HMM_BITS, margin_bp=markers_fast.MARGIN_BP)


def _knn(e: Embedded, k: int, method: str, xp, threads: int, progress: bool):
    from tqdm import tqdm

    from genomeface_core.graph.knn import knn_graph

    with tqdm(total=len(e.composition), desc="kNN", unit="contig", disable=not progress, leave=False) as bar:
        return knn_graph(e.composition, e.abundance, e.abundance_weight, k, method=method, xp=xp,
                         threads=threads, progress=bar.update)


def _run_info(params: dict, e: Embedded, timer: StageTimer, **results) -> dict:
    """Everything run.json records: versions, parameters, input sizes, results, timings and memory."""
    from genomeface_core.markers import MARKER_IDS

    return dict(version=__version__, python=sys.version.split()[0], platform=platform.platform(),
                parameters=params, n_contigs_total=len(e.all_names), n_contigs_binned_input=len(e.contigs.names),
                samples=e.samples, abundance_weight_used=e.abundance_weight, markers=list(MARKER_IDS),
                composition_used=e.composition_used, composition_auto=e.composition_auto, fallbacks=e.fallbacks,
                timings=timer.timings, memory_mb=timer.memory_mb, versions=_versions(), **results)


def _write(result: BinResult, contigs: Contigs, counts: np.ndarray, xy: np.ndarray, outdir: PathLike,
           force: bool, params: dict, cache: PathLike | None) -> None:
    """Write the result with its extra files (one writer per file name) as one transaction; the folder
    is checked again against ``params``' input files and the ``cache`` folder."""
    from genomeface_core.markers import write_markers_tsv
    from genomeface_core.output.write import input_paths, write_result
    from genomeface_core.output.report import write_projection

    extra = {"markers.tsv": lambda p: write_markers_tsv(p, contigs.names, counts),
             "projection.tsv": lambda p: write_projection(p, contigs.names, xy),
             "depth_ejected.tsv": lambda p: _write_ejected(p, result.ejected)}
    write_result(result, contigs.seqs, outdir, force=force, extra=extra, inputs=input_paths(params), cache=cache)


def _write_ejected(path: str, rows: list[tuple[str, str, str]]) -> None:
    """``depth_ejected.tsv``: contig, the bin depth coherence took it out of, its bin now (report.html lists them)."""
    with open(path, "w") as fh:
        fh.write("contig\tleft\tnow\n")
        fh.writelines(f"{c}\t{a}\t{b}\n" for c, a, b in rows)


def _paths(p: PathLike | Sequence[PathLike] | None) -> str | list[str] | None:
    """``markers`` as recorded in run.json: one path, a list of paths, or None."""
    if p is None or isinstance(p, (str, os.PathLike)):
        return None if p is None else os.fspath(p)
    return [os.fspath(x) for x in p]


def _versions() -> dict[str, str]:
    out = {}
    for mod in ("numpy", "scipy", "numba", "pyrodigal", "pyhmmer"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # not importable: recorded as absent
            out[mod] = "absent"
    return out
