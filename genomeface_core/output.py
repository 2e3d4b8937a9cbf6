"""Write a binning result as one transaction.

Everything is written into a temporary sibling folder which is renamed onto
``outdir`` at the end, so an interrupted run leaves no half result.  Files:

* ``bins/<prefix><n>.fna``: one FASTA per bin (bins >= min_bin_size bp)
* ``clusters.tsv``: ``bin<TAB>contig`` for every contig that passed the length
  filter; contigs in no written bin have bin ``unbinned``
* ``unbinned.fna``: those contigs
* ``bins.tsv``: per-bin contigs, size, N50, GC, mean depth, marker-estimated
  completeness and contamination (%)
* ``markers.tsv``: marker genes found per contig (reusable via ``--markers``)
* ``run.json``: parameters, versions, timings and peak memory (``memory_mb``) per stage
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Callable

from .bins import BIN_COLUMNS, UNBINNED
from .errors import InputError
from .io.fasta import format_fasta

if TYPE_CHECKING:
    from .pipeline import BinResult

__all__ = ["BIN_COLUMNS", "UNBINNED", "check_outdir", "write_result"]


def check_outdir(outdir: str | os.PathLike, force: bool) -> None:
    """Refuse a non-empty output folder unless ``force`` (checked before any work)."""
    outdir = os.fspath(outdir)
    if os.path.exists(outdir):
        if not os.path.isdir(outdir):
            raise InputError(outdir, "output path exists and is not a folder")
        if os.listdir(outdir) and not force:
            raise InputError(outdir, "output folder is not empty (use --force to replace it)")


def write_result(result: "BinResult", seqs: list[bytes], outdir: str | os.PathLike, *, force: bool = False,
                 extra: dict[str, Callable[[str], None]] | None = None) -> None:
    """Write ``result`` (with contig sequences ``seqs`` in result.names order) to ``outdir``.

    ``extra`` maps a file name to a function that writes that file given its path.
    """
    outdir = os.path.abspath(os.fspath(outdir))
    check_outdir(outdir, force)
    parent = os.path.dirname(outdir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".genomeface-", dir=parent)
    try:
        os.mkdir(os.path.join(tmp, "bins"))
        index = {n: i for i, n in enumerate(result.names)}
        for b, members in result.bins.items():
            with open(os.path.join(tmp, "bins", f"{b}.fna"), "wb") as fh:
                fh.write(format_fasta(members, [seqs[index[c]] for c in members]))
        with open(os.path.join(tmp, "clusters.tsv"), "w") as fh:
            fh.write("bin\tcontig\n")
            for n, lab in zip(result.names, result.assignment):
                fh.write(f"{lab}\t{n}\n")
        unb = [i for i, lab in enumerate(result.assignment) if lab == UNBINNED]
        with open(os.path.join(tmp, "unbinned.fna"), "wb") as fh:
            fh.write(format_fasta([result.names[i] for i in unb], [seqs[i] for i in unb]))
        with open(os.path.join(tmp, "bins.tsv"), "w") as fh:
            fh.write("\t".join(BIN_COLUMNS) + "\n")
            for row in result.table:
                fh.write("\t".join(_fmt(row[c]) for c in BIN_COLUMNS) + "\n")
        for fname, writer in (extra or {}).items():
            writer(os.path.join(tmp, fname))
        with open(os.path.join(tmp, "run.json"), "w") as fh:
            json.dump(result.run_info, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
        from .report import write_report
        write_report(tmp)  # from the files just written, inside the transaction
        if os.path.exists(outdir):
            shutil.rmtree(outdir)
        os.rename(tmp, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e6 else f"{v:.0f}"
    return str(v)
