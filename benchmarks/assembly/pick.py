"""Deterministic choice of source genomes from the shared catalog, strain groups included.

The catalog (``/work/shared/genomes/catalog.tsv``: file, label, genus, total_bp, n50, gc,
source) holds five strain groups (E. coli, Enterococcus, Blochmannia, Methanobacterium /
Methanobacteriaceae, the Abisko species cluster of galah MAGs) plus unrelated genomes.
:func:`pick_genomes` takes them round-robin — one genome of every group, then two of the
rest, per round — in a seeded order, skipping a genome that is a near-duplicate
(FracMinHash containment >= ``max_containment``, k=21, i.e. ANI above ~99.75 %) of one
already picked: identical genomes (K-12 is in the catalog twice) cannot be told apart by any
binner nor by the truth, so they would only add noise.
"""
from __future__ import annotations

import csv
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from genomeface_core.io.fasta import read_fasta  # noqa: E402

CATALOG = "/work/shared/genomes/catalog.tsv"
GROUPS = ("ecoli", "enterococcus", "blochmannia", "methanobacterium", "abisko")
K = 21
SCALED = 200  # keep hashes < 2**64 / SCALED: ~25k per 5 Mbp genome


@dataclass(frozen=True)
class Genome:
    file: str       # catalog file name (the truth label is this without .fna.gz)
    label: str      # species label from the catalog
    group: str      # one of GROUPS, or "other"
    total_bp: int

    @property
    def name(self) -> str:
        return self.file.removesuffix(".fna.gz")


def group_of(row: dict) -> str:
    """Strain group of a catalog row (its label / genus), or 'other'.

    >>> group_of({"label": "Escherichia coli", "genus": "Escherichia"})
    'ecoli'
    >>> group_of({"label": "MAG:Abisko-species-cluster (galah test; same species)", "genus": ""})
    'abisko'
    >>> group_of({"label": "Blautia sp", "genus": "Blautia"})
    'other'
    """
    label, genus = row["label"], row.get("genus", "")
    if label.startswith("Escherichia coli"):
        return "ecoli"
    if genus == "Enterococcus":
        return "enterococcus"
    if genus == "Blochmannia" or label.startswith("Blochmannia"):
        return "blochmannia"
    if genus.startswith("Methanobacteri") or label.startswith("Methanobacteri"):
        return "methanobacterium"
    if "Abisko" in label:
        return "abisko"
    return "other"


def read_catalog(path: str = CATALOG) -> list[Genome]:
    with open(path) as fh:
        return [Genome(r["file"], r["label"], group_of(r), int(r["total_bp"]))
                for r in csv.DictReader(fh, delimiter="\t")]


_CODE = np.full(256, 4, dtype=np.uint64)
for _i, _c in enumerate(b"ACGT"):
    _CODE[_c] = _CODE[_c + 32] = _i


def sketch(seqs: list[bytes], k: int = K, scaled: int = SCALED) -> np.ndarray:
    """Sorted unique FracMinHash of the canonical k-mers (k <= 31) of some sequences (uint64).

    >>> seq = bytes(np.random.default_rng(0).choice(list(b"ACGT"), 5000).astype(np.uint8))
    >>> rc = seq[::-1].translate(bytes.maketrans(b"ACGT", b"TGCA"))
    >>> a = sketch([seq], scaled=1); len(a), bool((a == sketch([rc], scaled=1)).all())
    (4980, True)
    """
    mask = np.uint64((1 << (2 * k)) - 1)
    out = []
    for seq in seqs:
        c = _CODE[np.frombuffer(seq, dtype=np.uint8)]
        n = len(c) - k + 1
        if n <= 0:
            continue
        fw = np.zeros(n, dtype=np.uint64)
        rc = np.zeros(n, dtype=np.uint64)
        bad = np.zeros(n, dtype=bool)
        for i in range(k):  # k vector passes: k-mer i-th base shifted into place
            ci = c[i:i + n]
            bad |= ci == 4
            fw = (fw << np.uint64(2)) | (ci & np.uint64(3))
            rc |= (np.uint64(3) - (ci & np.uint64(3))) << np.uint64(2 * i)
        x = np.minimum(fw & mask, rc & mask)[~bad]
        # splitmix64 finaliser: a well-mixed 64-bit hash of the 2-bit code
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
        out.append(x[x < np.uint64((2 ** 64 - 1) // scaled)])
    return np.unique(np.concatenate(out)) if out else np.zeros(0, np.uint64)


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Shared hashes over the smaller sketch (1.0 = one genome's k-mers all in the other)."""
    if min(len(a), len(b)) == 0:
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / min(len(a), len(b))


def pick_genomes(n: int, seed: int = 1, catalog: str = CATALOG, genome_dir: str | None = None,
                 max_containment: float = 0.95, cache_dir: str | None = None) -> list[Genome]:
    """``n`` genomes: round-robin over the strain groups (1 each) and the rest (2), seeded order."""
    genome_dir = genome_dir or os.path.dirname(catalog)
    pools: dict[str, list[Genome]] = {g: [] for g in (*GROUPS, "other")}
    for g in read_catalog(catalog):
        pools[g.group].append(g)
    rng = random.Random(seed)
    for p in pools.values():
        p.sort(key=lambda g: g.file)
        rng.shuffle(p)
    picked: list[Genome] = []
    sketches: list[np.ndarray] = []
    order = [*GROUPS, "other", "other"]
    while len(picked) < n and any(pools.values()):
        for grp in order:
            if len(picked) >= n or not pools[grp]:
                continue
            while pools[grp]:
                g = pools[grp].pop(0)
                sk = _cached_sketch(os.path.join(genome_dir, g.file), cache_dir)
                if all(containment(sk, s) < max_containment for s in sketches):
                    picked.append(g)
                    sketches.append(sk)
                    break
    return picked


def _cached_sketch(path: str, cache_dir: str | None) -> np.ndarray:
    if cache_dir is None:
        return sketch(read_fasta(path).seqs)
    os.makedirs(cache_dir, exist_ok=True)
    f = os.path.join(cache_dir, f"{os.path.basename(path)}.k{K}s{SCALED}.npy")
    if not os.path.exists(f):
        np.save(f + ".tmp.npy", sketch(read_fasta(path).seqs))
        os.replace(f + ".tmp.npy", f)
    return np.load(f)
