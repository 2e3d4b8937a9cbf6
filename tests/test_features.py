"""Features equal a naive pure-Python count (random + real sequences, N's, lowercase)."""
import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

from genomeface_core.embed.kmers import BLOCK_SIZES, N_FEATURES, kmer_features

COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}
RY = {"A": "R", "G": "R", "C": "Y", "T": "Y"}
RYC = {"R": "Y", "Y": "R"}


def _naive_block(seq: str, k: int, letters: str, to: dict, comp: dict) -> np.ndarray:
    """Frequencies of canonical k-mers over ``letters`` (``to`` maps ACGT to them; N-free windows)."""
    canon = sorted({min("".join(p), "".join(comp[c] for c in reversed(p)))
                    for p in itertools.product(letters, repeat=k)})
    idx = {c: i for i, c in enumerate(canon)}
    v = np.zeros(len(canon))
    for i in range(len(seq) - k + 1):
        w = seq[i:i + k]
        if all(c in COMP for c in w):
            r = "".join(to[c] for c in w)
            v[idx[min(r, "".join(comp[c] for c in reversed(r)))]] += 1
    return v / v.sum() if v.sum() else v


def _naive(seq: str) -> np.ndarray:
    seq = seq.upper()
    ident = {c: c for c in "ACGT"}
    return np.concatenate([_naive_block(seq, k, "ACGT", ident, COMP) for k in range(1, 6)]
                          + [_naive_block(seq, k, "RY", RY, RYC) for k in range(6, 11)])


def test_block_sizes():
    assert BLOCK_SIZES == [2, 10, 32, 136, 512, 36, 64, 136, 256, 528]
    assert sum(BLOCK_SIZES) == N_FEATURES == 1712


def test_random_sequences_with_n_and_lowercase():
    rng = np.random.default_rng(1)
    seqs = []
    for n in (0, 1, 3, 4, 5, 9, 10, 11, 57, 400, 2000):
        s = "".join(rng.choice(list("ACGTacgtNnRy"), p=[.2, .2, .2, .2, .04, .04, .04, .04, .02, .01, .005, .005], size=n))
        seqs.append(s)
    seqs.append("NNNNNNNNNN")
    got = kmer_features(seqs)
    for s, row in zip(seqs, got):
        np.testing.assert_allclose(row, _naive(s), rtol=1e-5, atol=1e-7)


def test_real_sequence():
    import pyrodigal
    path = Path(pyrodigal.__file__).parent / "tests" / "data" / "SRR492066.fna.gz"
    with gzip.open(path, "rt") as fh:
        seq = "".join(line.strip() for line in fh if not line.startswith(">"))
    pieces = [seq[i:i + 3000] for i in range(0, 30000, 3000)]
    pieces[0] = pieces[0][:1000] + "NNNN" + pieces[0][1000:].lower()
    got = kmer_features(pieces, threads=2)
    for s, row in zip(pieces, got):
        np.testing.assert_allclose(row, _naive(s), rtol=1e-5, atol=1e-7)
