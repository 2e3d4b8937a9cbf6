"""Multi-split binning: contigs named ``<sample><sep><contig>``, bins split by sample.

VAMB's recommended workflow (and GenomeFace's ``-s``): assemble every sample
on its own, concatenate the assemblies with sample-prefixed contig names
(:mod:`genomeface_core.cli.concat`, ``genomeface concatenate``), map every
sample's reads to the concatenation, bin all contigs jointly, then split each
bin by the sample its contigs came from, so that one genome seen in several
samples gives one bin per sample.

The naming follows VAMB (``vamb/vambtools.py``, ``BinSplitter`` at
RasmussenLab/vamb b146fb6): the sample is the text before the *first*
separator (``str.partition``), the separator must be neither at the start nor
at the end of a name, the default separator is ``"C"`` (``concatenate.py``
names contigs ``S1C<name>``, ``S2C<name>``, ...), and a split bin is named
``<sample><sep><bin>``.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np

from genomeface_core.errors import InputError

__all__ = ["DEFAULT_SEP", "sample_bin_names", "sample_groups", "sample_of", "split_bins"]

#: VAMB's default binsplit separator (``BinSplitter._DEFAULT_SPLITTER``).
DEFAULT_SEP = "C"


def _check_sep(sep: str) -> None:
    if not isinstance(sep, str) or not sep:
        raise InputError(None, f"the sample separator must be a non-empty string, got {sep!r}")


def _split_name(name: str, sep: str) -> str:
    """Sample prefix of one contig name (VAMB ``BinSplitter.split_bin``)."""
    sample, found, rest = name.partition(sep)
    if not found or not sample or not rest:
        raise InputError(None, f"contig {name!r} is not named <sample>{sep}<contig>: the separator "
                               f"{sep!r} is missing or at its start or end (name contigs with "
                               "'genomeface concatenate')")
    return sample


def sample_of(names: Iterable[str], sep: str = DEFAULT_SEP) -> list[str]:
    """The sample each contig comes from: the text before the first ``sep`` of its name.

    >>> sample_of(["S1Ck141_7", "S2Ck141_7", "S10CNODE_1_length_5000"], "C")
    ['S1', 'S2', 'S10']
    >>> sample_of(["gut-A_contig1"], "_")
    ['gut-A']
    >>> sample_of(["k141_7"], "C")
    Traceback (most recent call last):
    ...
    genomeface_core.errors.InputError: contig 'k141_7' is not named <sample>C<contig>: the separator 'C' is missing or at its start or end (name contigs with 'genomeface concatenate')

    Raises:
        InputError: a name lacks the separator, or has it only at its start or end.
    """
    _check_sep(sep)
    return [_split_name(str(n), sep) for n in names]


def split_bins(bins: Mapping[str, Sequence[str]], sep: str = DEFAULT_SEP) -> dict[str, dict[str, list[str]]]:
    """Split every bin by sample: ``sample -> {"<sample><sep><bin>": contigs}``.

    Samples appear in the order they are first met (bins in the given order,
    contigs in bin order); each split bin keeps its contigs in bin order.

    >>> bins = {"bin1": ["S1Cc1", "S2Cc9", "S1Cc5"], "bin2": ["S2Cc3"]}
    >>> split_bins(bins, "C")
    {'S1': {'S1Cbin1': ['S1Cc1', 'S1Cc5']}, 'S2': {'S2Cbin1': ['S2Cc9'], 'S2Cbin2': ['S2Cc3']}}

    Raises:
        InputError: a contig name has no sample prefix (see :func:`sample_of`).
    """
    _check_sep(sep)
    out: dict[str, dict[str, list[str]]] = {}
    for bin_name, contigs in bins.items():
        for contig in contigs:
            sample = _split_name(str(contig), sep)
            out.setdefault(sample, {}).setdefault(f"{sample}{sep}{bin_name}", []).append(contig)
    return out



def sample_groups(samples: Sequence[str]) -> tuple[list[str], list[np.ndarray]]:
    """Sample names (sorted) and the indices of each one's contigs, in input order.

    >>> sample_groups(["S2", "S1", "S2"])
    (['S1', 'S2'], [array([1]), array([0, 2])])
    """
    names, index = np.unique(np.asarray(samples, dtype=str), return_inverse=True)
    return [str(x) for x in names], [np.flatnonzero(index == i) for i in range(len(names))]


def sample_bin_names(labels: np.ndarray, lengths: np.ndarray, cluster_group: np.ndarray, samples: Sequence[str],
                     sep: str, prefix: str) -> dict[int, str]:
    """Name each sample's clusters ``<sample><sep><prefix><rank>``, rank by decreasing bp within the sample.

    ``cluster_group``: the sample (index into ``samples``) of every cluster id.

    >>> sample_bin_names(np.array([0, 1, 2, 2, -1]), np.array([5, 9, 3, 3, 7]), np.array([0, 0, 1]),
    ...                  ["S1", "S2"], "C", "bin")
    {1: 'S1Cbin1', 0: 'S1Cbin2', 2: 'S2Cbin1'}
    """
    from genomeface_core.cut.bins import ranked_clusters

    names: dict[int, str] = {}
    for g, sample in enumerate(samples):
        mine = np.where((labels >= 0) & (cluster_group[np.maximum(labels, 0)] == g), labels, -1)
        for rank, c in enumerate(ranked_clusters(mine, lengths), 1):
            names[c] = f"{sample}{sep}{prefix}{rank}"
    return names
