"""Adaptive composition: a metric learned from a mock assembly's own long contigs (real genomes)."""
import dataclasses
import logging
import pathlib

import numpy as np
import pytest

GENOMES = pathlib.Path(__file__).resolve().parents[2] / "shared" / "genomes"
# four small genomes of four genera; the first two have nearly the same GC (0.510, 0.527)
FILES = ("pyrodigal__MIIJ01000039.fna.gz", "charcoal__GCA_001593925.1_ASM159392v1_genomic.fna.gz",
         "singlem__GCA_002494495.1_genomic.fna.gz", "abacasdeb__SS_SC84.fna.gz")


@pytest.fixture(scope="module")
def mock():
    if not all((GENOMES / f).exists() for f in FILES):
        pytest.skip(f"shared genomes not found at {GENOMES}")
    from genomeface_core.demo.mock import make_mock
    from genomeface_core.train.sampler import load_genomes
    from genomeface_core.embed.windows import fixed_windows

    G = load_genomes([GENOMES / f for f in FILES])
    m = make_mock(G, n_samples=1, seed=0)
    keep = [i for i, s in enumerate(m.seqs) if len(s) >= 1500]
    seqs = [m.seqs[i] for i in keep]
    X, gi = fixed_windows(G, 30, 3000, seed=5, threads=1)  # test windows: 3 kb, 30 per genome
    return seqs, np.array([len(s) for s in seqs]), X, gi


def test_learns_from_long_contigs_deterministically(mock, caplog):
    from benchmarks.lab.folds import embedding_auroc
    from genomeface_core.embed import get_composition
    from genomeface_core.embed.adaptive import WEIGHT_FACTOR, fit_adaptive

    seqs, lengths, X, gi = mock
    assert np.sum(lengths >= 10_000) >= 30
    with caplog.at_level(logging.INFO, logger="genomeface"):
        a = fit_adaptive(seqs, lengths, seed=0, threads=1)
    assert "learned from" in caplog.text
    lin = get_composition("linear")
    assert (a.name, a.v1, a.v2, a.per_contig) == ("adaptive", lin.v1 / WEIGHT_FACTOR, lin.v2 / WEIGHT_FACTOR, True)
    e = a.embed(X)
    assert e.shape == (len(X), 64)
    assert np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    # same seed, same metric
    assert np.array_equal(e, fit_adaptive(seqs, lengths, seed=0, threads=1).embed(X))
    # the self-learned half alone (no reference genome seen) separates the four genomes
    own = e[:, 32:] / np.linalg.norm(e[:, 32:], axis=1, keepdims=True)
    assert embedding_auroc(own, gi, gi) > 0.9


def test_windows_are_capped(mock):
    from genomeface_core.embed.adaptive import self_windows

    seqs, lengths, _, _ = mock
    w = self_windows(seqs, lengths, max_contigs=20, per_contig=3, seed=0)
    assert w.long_contigs > 20 and w.contigs == 20
    assert len(w.contig) == 60 and w.features.shape == (60, 1712)
    assert np.all(lengths[w.contig] >= 10_000)
    other = self_windows(seqs, lengths, max_contigs=20, per_contig=3, seed=1)  # another seed, other windows
    assert not np.array_equal(w.contig, other.contig)


def test_tiny_assembly_falls_back_to_shipped(mock, caplog):
    from genomeface_core.embed import get_composition
    from genomeface_core.embed.adaptive import fit_adaptive

    seqs, lengths, _, _ = mock
    few = np.flatnonzero(lengths >= 10_000)[:5].tolist() + np.flatnonzero(lengths < 10_000)[:50].tolist()
    with caplog.at_level(logging.INFO, logger="genomeface"):
        c = fit_adaptive([seqs[i] for i in few], lengths[few], seed=0)
    assert c.fallback and dataclasses.replace(c, fallback=None) == get_composition("linear")
    assert "5 contig(s) of >= 10000 bp (need 30); using the shipped linear metric alone" in caplog.text


def test_tiny_assembly_falls_back_through_the_pipeline(mock, tmp_path, caplog):
    """embed_contigs(composition="adaptive") on an assembly with 5 long contigs: linear's embedding, logged."""
    from genomeface_core.pipeline import embed_contigs

    seqs, lengths, _, _ = mock
    few = np.flatnonzero(lengths >= 10_000)[:5].tolist() + np.flatnonzero(lengths < 10_000)[:40].tolist()
    fa = tmp_path / "tiny.fna"
    fa.write_text("".join(f">c{i}\n{seqs[i].decode()}\n" for i in few))
    with caplog.at_level(logging.INFO, logger="genomeface"):
        a = embed_contigs(fa, composition="adaptive", seed=0, threads=1)
    assert "using the shipped linear metric alone" in caplog.text
    assert np.array_equal(a.composition, embed_contigs(fa, composition="linear", threads=1).composition)


def test_fast_fit_matches_the_shipped_fit(mock):
    """float32 + Lanczos (the adaptive fit) finds the directions of float64 + LAPACK eigh (the shipped fit)."""
    from genomeface_core.embed.adaptive import self_windows
    from genomeface_core.embed.lda import fit_lda

    seqs, lengths, _, _ = mock
    w = self_windows(seqs, lengths, per_contig=4, seed=0)
    ref = fit_lda(w.features, w.contig, dims=16)
    for kw in (dict(dtype=np.float32), dict(dtype=np.float32, solver="lanczos"), dict(solver="lanczos")):
        m = fit_lda(w.features, w.contig, dims=16, **kw)
        assert m["W"].dtype == kw.get("dtype", np.float64)
        cos = np.sum(ref["W"] * m["W"], 0) / np.linalg.norm(ref["W"], axis=0) / np.linalg.norm(m["W"], axis=0)
        assert np.all(cos > 0.999), (kw, cos.min())  # same directions, same signs
        assert np.allclose(m["eigenvalues"], ref["eigenvalues"], rtol=1e-3)
    with pytest.raises(ValueError, match="solver"):
        fit_lda(w.features, w.contig, solver="svd")


def test_cannot_link_pairs_change_the_between_scatter(mock):
    """Markers of the long contigs -> cannot-link pairs (each sharing a marker) -> another between-scatter."""
    from genomeface_core.embed.adaptive import cannot_link, self_windows
    from genomeface_core.markers import find_markers
    from genomeface_core.embed.lda import fit_lda

    seqs, lengths, _, _ = mock
    w = self_windows(seqs, lengths, per_contig=4, seed=0)
    used = np.unique(w.contig)
    counts = np.zeros((len(seqs), 40), np.uint16)
    counts[used] = find_markers([seqs[i] for i in used], mode="fast")
    pairs = cannot_link(counts, used)
    assert len(pairs) > 3 and np.all(pairs[:, 0] < pairs[:, 1]) and np.all(np.isin(pairs, used))
    shared = (counts[pairs[:, 0]] > 0) & (counts[pairs[:, 1]] > 0)
    assert shared.any(axis=1).all()  # every pair shares a marker
    assert len(cannot_link(counts, used, max_pairs=3, seed=1)) == 3
    plain = fit_lda(w.features, w.contig, dims=8)
    assert np.array_equal(plain["W"], fit_lda(w.features, w.contig, dims=8, pairs=np.zeros((0, 2), int))["W"])
    linked = fit_lda(w.features, w.contig, dims=8, pairs=pairs, pair_weight=0.5)
    assert not np.allclose(plain["eigenvalues"], linked["eigenvalues"])


def test_doctests():
    import doctest

    from genomeface_core.embed import adaptive

    r = doctest.testmod(adaptive)
    assert r.attempted >= 3 and r.failed == 0


def test_bin_composition_adaptive_through_the_pipeline(mock, tmp_path):
    """--composition adaptive from bin(): fitted on the run's contigs, seeded, cached per seed."""
    import genomeface_core
    from genomeface_core.pipeline import embed_contigs

    seqs, lengths, _, _ = mock
    fa = tmp_path / "contigs.fna"
    fa.write_text("".join(f">c{i}\n{s.decode()}\n" for i, s in enumerate(seqs)))
    e = embed_contigs(fa, composition="adaptive", seed=3, threads=1)
    assert e.composition.shape == (len(seqs), 64)
    again = embed_contigs(fa, composition="adaptive", seed=3, threads=1, cache=None)
    assert np.array_equal(e.composition, again.composition)
    res = genomeface_core.bin(fa, composition="adaptive", markers_mode="fast", threads=1, seed=3,
                              cache=tmp_path / "cache")
    assert res.run_info["timings"]["adapt"] > 0
    assert res.run_info["parameters"]["composition"] == "adaptive"
    assert len(res.bins) >= 2
    # same seed, same bins: a fresh run (no cache), metric refitted, genes called again
    again = genomeface_core.bin(fa, composition="adaptive", markers_mode="fast", threads=1, seed=3)
    assert again.assignment == res.assignment and again.bins == res.bins


@pytest.mark.parametrize("n_samples, chosen", [(0, "adaptive"), (1, "adaptive"), (2, "linear")])
def test_composition_auto_follows_the_sample_count(mock, tmp_path, n_samples, chosen):
    """--composition auto (the default) runs adaptive with <= 1 sample and linear with more; run.json says which."""
    import genomeface_core
    from genomeface_core.embed import AUTO_ADAPTIVE_MAX_SAMPLES
    from genomeface_core.pipeline import embed_contigs

    assert AUTO_ADAPTIVE_MAX_SAMPLES == 1
    seqs, _, _, _ = mock
    fa = tmp_path / "contigs.fna"
    fa.write_text("".join(f">c{i}\n{s.decode()}\n" for i, s in enumerate(seqs)))
    cov = None
    if n_samples:
        rng = np.random.default_rng(0)
        cov = tmp_path / "abundance.tsv"  # VAMB's layout; rows in reverse: matched by name, not position
        cov.write_text("contigname\t" + "\t".join(f"S{j}" for j in range(n_samples)) + "\n" + "".join(
            f"c{i}\t" + "\t".join(f"{x:.3f}" for x in rng.gamma(5, 2, n_samples)) + "\n"
            for i in reversed(range(len(seqs)))))
    auto = embed_contigs(fa, cov, composition="auto", seed=3, threads=1)
    same = embed_contigs(fa, cov, composition=chosen, seed=3, threads=1)
    assert auto.composition_used == chosen and auto.composition_auto.startswith(f"auto: {chosen}, {n_samples} ")
    assert np.array_equal(auto.composition, same.composition)
    assert auto.abundance_weight == same.abundance_weight
    if n_samples == 2:  # through bin(), by default: recorded in run.json
        res = genomeface_core.bin(fa, cov, markers_mode="fast", threads=1, seed=3)
        assert res.run_info["parameters"]["composition"] == "auto"
        assert (res.run_info["composition_used"], res.run_info["composition_auto"]) == (
            "linear", "auto: linear, 2 samples > 1")
