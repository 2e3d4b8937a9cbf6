"""The one table of :func:`genomeface_core.bin`'s tunable parameters.

Every shell is generated from :data:`BIN_PARAMS`: the CLI's ``bin``/``embed``
options (:func:`add_arguments`), ``bin()``'s own validation (:func:`validate`),
the QIIME 2 action's parameters (``q2_genomeface``) and the docs' option table
(:func:`option_table_markdown`, written to ``docs/options.md`` by
``python -m genomeface_core.params``).  A keyword a shell leaves out is listed
in :data:`NOT_EXPOSED` with the reason; ``tests/test_params.py`` fails on a
keyword that is neither.

Inputs and output (``contigs``, ``coverage``, ``bams``, ``outdir``, ``force``,
``progress``) are not parameters of the method and are not in the table.
"""
from __future__ import annotations

import argparse
import math
import numbers
import os
from dataclasses import dataclass

from genomeface_core.errors import InputError


@dataclass(frozen=True)
class Param:
    """One keyword of ``bin()``: its type, default, allowed values and help."""

    name: str                 # bin() keyword, e.g. "min_contig_length"
    kind: type                # int | float | str | bool
    default: object
    help: str                 # one sentence for users, units included ("bp", "fraction 0-1")
    flags: tuple[str, ...]    # CLI flags, e.g. ("-m", "--min-contig-length")
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None   # numeric range
    low_open: bool = False
    high_open: bool = False     # exclusive bounds
    nullable: bool = False    # None allowed (e.g. abundance_weight: None = fitted)
    metavar: str | None = None
    multiple: bool = False    # one value or a list of them (CLI: nargs="+")

    @property
    def flag(self) -> str:
        """The long CLI flag (used in messages and the docs)."""
        return self.flags[-1]

    def range_text(self) -> str:
        """Allowed values in words, e.g. ``in (0, 1]``, ``>= 1``, ``auto, exact or approx``.

        >>> get("min_purity").range_text()
        'in (0, 1]'
        >>> get("k").range_text()
        '>= 1'
        >>> get("knn").range_text()
        'auto, exact or approx'
        """
        if self.choices:
            c = [str(x) for x in self.choices]
            return c[0] if len(c) == 1 else ", ".join(c[:-1]) + " or " + c[-1]
        if self.low is not None and self.high is not None:
            return f"in {'(' if self.low_open else '['}{_num(self.low)}, {_num(self.high)}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {_num(self.low)}"
        if self.high is not None:
            return f"{'<' if self.high_open else '<='} {_num(self.high)}"
        return ""


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


BIN_PARAMS: tuple[Param, ...] = (
    Param("min_contig_length", int, 1500, "ignore contigs shorter than this (bp)",
          ("-m", "--min-contig-length"), low=1, metavar="BP"),
    Param("min_bin_size", int, 200_000, "write bins of at least this many bp; smaller clusters are unbinned",
          ("--min-bin-size",), low=0, metavar="BP"),
    Param("markers", str, None, "precomputed contig<TAB>marker table(s) to use instead of gene calling",
          ("--markers",), nullable=True, metavar="TSV", multiple=True),
    Param("markers_mode", str, "fast",
          "marker gene calling: fast (heuristics, see docs/markers.md: a six-frame seed scan with a "
          "two-hit gate flags ORFs that may hold a marker, genes are called only on those ORFs +- 1 kb, "
          "each gene is searched only with the HMMs that flagged its frame, behind an F3 gate 10 bits "
          "under the cutoff; it agrees with exact on 1322 of 1323 and 1317 of 1318 (contig, marker) "
          "calls of two held-out sets of 36 genomes, one call extra, one missed, with 6.6-7.3x less "
          "CPU: benchmarks/results/markers_heldout1.md, markers_heldout2.md) or exact (genes on every "
          "contig, every protein against every HMM)",
          ("--markers-mode",), choices=("fast", "exact")),  # = markers.MARKER_MODES (tested)
    Param("composition", str, "auto",
          "composition embedding: auto (adaptive with one sample or none, linear with more: a heuristic, "
          "benchmarks/results/composition_auto.md, adaptive.md; run.json records the choice), linear "
          "(shipped learned metric), adaptive (linear joined with a metric learned from this assembly's "
          "long contigs), "
          "tnf, kmer1712, network, "
          "linear+network (both, concatenated), or the path of a model trained with "
          "'genomeface train-composition' (FIRST+SECOND concatenates two)",
          ("--composition", "--composition-model"), metavar="NAME|PATH"),
    Param("abundance", str, "raw",
          "abundance embedding: raw (log1p depths + a constant coordinate), network (shipped "
          "co-abundance network) or the path of a model trained with 'genomeface train-abundance'",
          ("--abundance-model",), metavar="raw|network|PATH"),
    Param("abundance_weight", float, None,
          "weight c2 of the squared abundance angle in the distance (unitless); default: fitted c2(n) "
          "for the number of samples and the embeddings used",
          ("--abundance-weight",), low=0, nullable=True, metavar="C2"),
    Param("k", int, 16, "neighbours per contig in the kNN graph",
          ("-k", "--neighbours"), low=1, metavar="K"),
    Param("knn", str, "auto",
          "kNN search: exact (blocked, all pairs), approx (faiss HNSW candidates + exact re-rank), "
          "auto (exact up to 5000 contigs on the CPU, 20000 on a GPU, approx above)",
          ("--knn",), choices=("auto", "exact", "approx")),
    Param("device", str, "cpu", "array device for distances and the kNN search (gpu needs CuPy and a CUDA GPU)",
          ("--device",), choices=("cpu", "gpu", "auto")),
    Param("threads", int, 1, "worker threads (also caps BLAS/OpenMP/Numba pools)",
          ("-t", "--threads"), low=1, metavar="N"),
    Param("seed", int, 0,
          "seed of the random draws of --composition adaptive, and of auto where it runs adaptive (which >= 10 kb contigs, when there are "
          "more than 1500, and the windows cut from them), so with adaptive the bins change with it "
          "(13-16 near-complete genomes over seeds 0-4 on a one-sample MEGAHIT assembly: "
          "benchmarks/results/adaptive.md), and of "
          "report.html's 2-D layout (projection.tsv); marker calling, the kNN search (its indexes "
          "have fixed seeds of their own) and the dendrogram cut do not use it, so with any other "
          "composition the bins are the same whatever the seed (tests/test_params.py)",
          # numpy refuses negative seeds and the layout's Numba seed keeps 32 bits
          ("--seed",), low=0, high=2**32 - 1, metavar="N"),
    Param("min_purity", float, 0.85,
          "marker purity a cluster needs to earn reward when the dendrogram is cut (fraction 0-1)",
          ("--min-purity",), low=0, high=1, low_open=True, metavar="FRACTION"),
    Param("rescue_vote", float, 0.5,
          "an unbinned contig joins the bin holding more than this fraction of its k neighbours if "
          "the bin's marker purity stays >= min-purity (fraction 0-1; 0.5: a strict majority; 1 disables)",
          ("--rescue-vote",), low=0, high=1, metavar="FRACTION"),
    Param("max_merge_gap", float, 2.0,
          "refuse a merge of >= 50 kb that markers cannot vouch for when its join distance exceeds this "
          "multiple of the parts' nearest-neighbour distances (ratio; 0 disables; see docs/METHOD.md)",
          ("--max-merge-gap",), low=0, metavar="RATIO"),
    Param("depth_coherence", float, 1e-6,
          "a contig leaves its bin when its depth profile is incompatible with the bin's core (its "
          "marker contigs): chi-square tail probability of its log-depth residuals, read-sampling noise "
          "from length, depth and depth variance plus the core's own spread (at least 0.15 on the log scale), below this (probability; a "
          "heuristic, see docs/METHOD.md; 0 disables); ejected contigs of one depth form a bin of their own",
          ("--depth-coherence",), low=0, high=1, metavar="P"),
    Param("depth_split", float, 4.0,
          "a bin whose contigs fall into separate depth groups (strains the co-assembly joined through "
          "their shared contigs) is divided into them when their Ashman's D (median gap over robust "
          "spread, along the line through the groups' log-depth centres) is at least this and each "
          "holds >= 100 kb (unitless; a heuristic, see docs/METHOD.md; 0 disables)",
          ("--depth-split",), low=0, metavar="D"),
    Param("split_sep", str, None,
          "multi-split: contigs are named <sample><SEP><contig> (genomeface concatenate; VAMB uses C); "
          "bins are found jointly, then split by sample and named <sample><SEP><bin>",
          ("--split-sep",), nullable=True, metavar="SEP"),
    Param("prefix", str, "bin", "bin name prefix (bins are PREFIX1, PREFIX2, ... by decreasing size)",
          ("--prefix",), metavar="PREFIX"),
)

_BY_NAME = {p.name: p for p in BIN_PARAMS}

#: shell -> {bin() keyword: why that shell deliberately does not expose it}.
#: The QIIME 2 and Nextflow owners fill their own shell's entries.
NOT_EXPOSED: dict[str, dict[str, str]] = {
    "cli": {},
    "q2": {
        "prefix": "bin names appear in no QIIME 2 output: a MAG is named by its UUID (q2-types' "
                  "MultiMAGSequencesDirFmt, mag-to-contigs.json), so a bin-name prefix has nothing to name",
        "markers": "a path to precomputed contig<TAB>marker tables is a cache of the engine's own "
                   "gene calling; a QIIME 2 parameter cannot carry a file (provenance records values, "
                   "not files outside artifacts), so the actions always call genes",
        "split_sep": "samples come from the SampleData artifacts, not from contig-name prefixes: "
                     "'bin' cuts each sample's assembly on its own",
    },
    "nextflow": {},
}


def get(name: str) -> Param:
    """The :class:`Param` of bin() keyword ``name`` (KeyError if it is not one)."""
    return _BY_NAME[name]


def defaults() -> dict[str, object]:
    """bin() keyword -> default value.

    >>> defaults()["k"], defaults()["abundance_weight"]
    (16, None)
    """
    return {p.name: p.default for p in BIN_PARAMS}


def _label(p: Param) -> str:
    return f"{p.name} ({p.flag})"


def _check_one(p: Param, v: object) -> None:
    if p.kind is bool:
        ok = isinstance(v, bool)
    elif p.kind is int:
        ok = isinstance(v, numbers.Integral) and not isinstance(v, bool)
    elif p.kind is float:
        ok = isinstance(v, numbers.Real) and not isinstance(v, bool)
    else:
        ok = isinstance(v, (str, os.PathLike))
    if not ok:
        kind = {int: "an integer", float: "a number", bool: "true or false"}.get(p.kind, "a string or path")
        raise InputError(None, f"{_label(p)} must be {kind}, got {v!r}")
    # NaN passes every range comparison (nan < 0 and nan > 1 are both False), and an infinite
    # threshold or weight silently turns a stage off: refuse both for every float parameter
    if p.kind is float and not math.isfinite(v):
        raise InputError(None, f"{_label(p)} must be a finite number, got {v}")
    if p.choices is not None and v not in p.choices:
        raise InputError(None, f"{_label(p)} must be {p.range_text()}, got {v!r}")
    if p.low is not None and (v <= p.low if p.low_open else v < p.low) or \
            p.high is not None and (v >= p.high if p.high_open else v > p.high):
        raise InputError(None, f"{_label(p)} must be {p.range_text()}, got {v}")


def validate(values: dict) -> None:
    """Check bin() keyword values against the table (keys not in the table are ignored).

    Raises :class:`InputError` ``(None, "<name> (<flag>) must be ..., got ...")``.

    >>> validate(dict(k=16, min_purity=0.9, abundance_weight=None, markers=["a.tsv", "b.tsv"]))
    >>> validate(dict(min_purity=0))
    Traceback (most recent call last):
    ...
    genomeface_core.errors.InputError: min_purity (--min-purity) must be in (0, 1], got 0
    >>> validate(dict(knn="fast"))
    Traceback (most recent call last):
    ...
    genomeface_core.errors.InputError: knn (--knn) must be auto, exact or approx, got 'fast'
    >>> validate(dict(min_purity=float("nan")))
    Traceback (most recent call last):
    ...
    genomeface_core.errors.InputError: min_purity (--min-purity) must be a finite number, got nan
    """
    for name, v in values.items():
        p = _BY_NAME.get(name)
        if p is None:
            continue
        if v is None:
            if not p.nullable:
                raise InputError(None, f"{_label(p)} must be given, got None")
            continue
        if p.multiple and isinstance(v, (list, tuple)):
            if not v:
                raise InputError(None, f"{_label(p)} must name at least one file, got an empty list")
            for x in v:
                _check_one(p, x)
        else:
            _check_one(p, v)


def add_arguments(parser: argparse.ArgumentParser, names=None) -> None:
    """Add the table's options (all, or those in ``names``, in table order) to ``parser``.

    Each option's ``dest`` is its bin() keyword, so ``bin(**{n: getattr(args, n)})``
    works.  Values are only type-converted here; ranges and choices are checked
    by :func:`validate` inside bin(), so a bad value is one ``genomeface: error:`` line.
    """
    wanted = None if names is None else set(names)
    if wanted is not None and wanted - _BY_NAME.keys():
        raise KeyError(f"not bin() parameters: {sorted(wanted - _BY_NAME.keys())}")
    for p in BIN_PARAMS:
        if wanted is None and p.name in NOT_EXPOSED["cli"] or wanted is not None and p.name not in wanted:
            continue
        kw: dict = dict(dest=p.name, default=p.default)
        if p.kind is bool:
            kw["action"] = argparse.BooleanOptionalAction
        else:
            kw["type"] = str if p.kind is str else p.kind
            if p.metavar:
                kw["metavar"] = p.metavar
            if p.multiple:
                kw["nargs"] = "+"
        allowed = f"; {p.range_text()}" if p.range_text() else ""
        default = "" if p.default is None else f" (default {p.default})"
        kw["help"] = (p.help + allowed + default).replace("%", "%%")
        parser.add_argument(*p.flags, **kw)


def option_table_markdown() -> str:
    """The docs' option table (Markdown), one row per :data:`BIN_PARAMS` entry."""
    rows = ["| CLI flag | `bin()` keyword | type | default | allowed | description |",
            "|---|---|---|---|---|---|"]
    for p in BIN_PARAMS:
        flags = ", ".join(f"`{f}`" for f in p.flags)
        kind = p.kind.__name__ + (" (one or more)" if p.multiple else "")
        default = "fitted" if p.name == "abundance_weight" else ("none" if p.default is None else f"`{p.default}`")
        allowed = p.range_text() or "any"
        if p.nullable:
            allowed += " or none"
        rows.append(f"| {flags} | `{p.name}` | {kind} | {default} | {allowed} | {p.help.replace('|', chr(92) + '|')} |")
    return "\n".join(rows) + "\n"


def options_doc() -> str:
    """The whole of ``docs/options.md`` (the table with a header saying how it is made)."""
    return ("# `genomeface bin` options\n\n"
            "Generated from `genomeface_core/params.py` by `python -m genomeface_core.params > docs/options.md`;\n"
            "`tests/test_params.py` fails when this file is out of date.\n\n" + option_table_markdown())


if __name__ == "__main__":
    print(options_doc(), end="")
