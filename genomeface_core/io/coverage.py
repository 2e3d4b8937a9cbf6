"""Coverage tables: per-contig mean depth per sample, matched to contigs by name.

Two text formats are detected from the header:

* MetaBAT ``jgi_summarize_bam_contig_depths``: ``contigName contigLen
  totalAvgDepth`` then, per sample, a mean column and (unless MetaBAT ran
  with ``--noIntraDepthVariance``) a ``<sample>-var`` column: the variance of
  the per-base depth along the contig, kept in :attr:`Coverage.variances`.
* plain TSV (VAMB ``abundance.tsv``, ``strobealign --aemb`` with a header):
  a ``contigname`` column (any case) then one numeric column per sample.

Headerless ``strobealign --aemb`` output (name, depth) is read as one sample.
Depth is in mean reads per base (x).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from genomeface_core.errors import InputError
from genomeface_core.io.compressed import open_input


@dataclass
class Coverage:
    """Depth table: ``depths[i, j]`` is the mean depth (x) of contig ``names[i]`` in ``samples[j]``.

    ``variances[i, j]`` (jgi tables with ``-var`` columns only, else None) is
    MetaBAT's variance of the per-base depth of that contig in that sample, in x^2.
    """

    names: list[str]
    samples: list[str]
    depths: np.ndarray  # float32 (n_contigs, n_samples)
    variances: np.ndarray | None = None  # float32 (n_contigs, n_samples), x^2


def read_coverage(path: str | os.PathLike) -> Coverage:
    """Read a MetaBAT depth file or a contigname TSV; validates every value."""
    path = os.fspath(path)
    try:
        with open_input(path, text=True) as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except (EOFError, OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"unreadable coverage file ({exc.__class__.__name__}: {exc})") from None
    lines = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise InputError(path, "empty coverage file")
    header = lines[0].rstrip("\n").split("\t")
    first = header[0].strip().lower()
    var_cols: list[int] = []
    if first == "contigname" and len(header) >= 3 and header[2].strip() == "totalAvgDepth":
        # jgi_summarize_bam_contig_depths (printDepthTable): "<bam>" then "<bam>-var" per BAM,
        # or only "<bam>" with --noIntraDepthVariance
        has_var = len(header) > 4 and all(header[c + 1] == header[c] + "-var" for c in range(3, len(header) - 1, 2))
        cols = list(range(3, len(header), 2 if has_var else 1))
        var_cols = [c + 1 for c in cols] if has_var else []
        samples = [header[c] for c in cols]
        body = lines[1:]
        ncol = len(header)
    elif first == "contigname":
        cols = list(range(1, len(header)))
        samples = header[1:]
        body = lines[1:]
        ncol = len(header)
    else:
        parts = header
        if len(parts) == 2 and _is_number(parts[1]):
            cols, samples, body, ncol = [1], ["sample1"], lines, 2
        else:
            raise InputError(path, "unrecognised coverage header: expected 'contigName ... totalAvgDepth' "
                                   "(MetaBAT) or a 'contigname' column followed by sample columns")
    if not cols:
        raise InputError(path, "no sample columns")
    names: list[str] = []
    seen: set[str] = set()
    depths = np.empty((len(body), len(cols)), dtype=np.float64)
    variances = np.empty((len(body), len(var_cols)), dtype=np.float64)
    offset = len(lines) - len(body)
    for i, ln in enumerate(body):
        parts = ln.split("\t")
        lineno = i + offset + 1
        if len(parts) != ncol:
            raise InputError(path, f"line {lineno}: expected {ncol} tab-separated columns, found {len(parts)}")
        name = parts[0].strip()
        if name in seen:
            raise InputError(path, f"line {lineno}: duplicate contig name '{name}'")
        seen.add(name)
        names.append(name)
        for table, columns, what in ((depths, cols, "depth"), (variances, var_cols, "depth variance")):
            for j, c in enumerate(columns):
                try:
                    v = float(parts[c])
                except ValueError:
                    raise InputError(path, f"line {lineno}: non-numeric {what} {parts[c]!r} for '{name}'") from None
                if not math.isfinite(v):
                    raise InputError(path, f"line {lineno}: non-finite {what} {parts[c]!r} for '{name}'")
                if v < 0:
                    raise InputError(path, f"line {lineno}: negative {what} {parts[c]} for '{name}'")
                table[i, j] = v
    if not names:
        raise InputError(path, "coverage file has a header but no contig rows")
    return Coverage(names, samples, depths.astype(np.float32),
                    variances.astype(np.float32) if var_cols else None)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def align_coverage(cov: Coverage, all_names: Sequence[str], keep_names: Sequence[str],
                   path: str | os.PathLike, *, variances: bool = False) -> np.ndarray:
    """Rows of ``cov.depths`` (or, with ``variances``, of ``cov.variances``) for ``keep_names``, matched by name.

    ``all_names`` are every contig of the assembly (before the length filter):
    a coverage row naming a contig not in the assembly is an error, and so is
    a kept contig with no coverage row, and asking for variances of a table
    without ``-var`` columns.
    """
    path = os.fspath(path)
    if variances and cov.variances is None:
        raise InputError(path, "no depth variance columns (a jgi_summarize_bam_contig_depths table with "
                               "'<sample>-var' columns is needed)")
    index = {n: i for i, n in enumerate(cov.names)}
    assembly = set(all_names)
    extra = [n for n in cov.names if n not in assembly]
    if extra:
        raise InputError(path, f"{len(extra)} contig name(s) not in the assembly, e.g. '{extra[0]}'")
    missing = [n for n in keep_names if n not in index]
    if missing:
        raise InputError(path, f"{len(missing)} contig(s) of the assembly have no coverage row, e.g. '{missing[0]}'")
    return (cov.variances if variances else cov.depths)[[index[n] for n in keep_names]]


def write_coverage_tsv(path: str | os.PathLike, names: Sequence[str], samples: Sequence[str],
                       depths: np.ndarray) -> None:
    """Write a plain ``contigname`` TSV (the format :func:`read_coverage` reads)."""
    with open(path, "w") as fh:
        fh.write("contigname\t" + "\t".join(samples) + "\n")
        for n, row in zip(names, depths):
            fh.write(n + "\t" + "\t".join(f"{v:.6g}" for v in row) + "\n")
