"""Write a binning result as one transaction, into a folder that is safe to write.

Everything is written into a temporary sibling folder ``.genomeface-*`` which
is renamed onto ``outdir`` at the end, so an interrupted run leaves no half
result under ``outdir`` (only a ``.genomeface-*`` sibling, which is never read
as a result).  Files (:data:`RESULT_NAMES`, the only names ever written):

* ``bins/<prefix><n>.fna``: one FASTA per bin (bins >= min_bin_size bp)
* ``clusters.tsv``: ``bin<TAB>contig`` for every contig that passed the length
  filter; contigs in no written bin have bin ``unbinned``
* ``unbinned.fna``: those contigs
* ``bins.tsv``: per-bin contigs, size, N50, GC, mean depth, marker-estimated
  completeness and contamination (%)
* ``markers.tsv``: marker genes found per contig (reusable via ``--markers``)
* ``projection.tsv``: the 2-D layout the report draws
* ``depth_ejected.tsv``: contigs depth coherence took out of a bin
* ``depth_ejected.tsv``: contigs depth coherence took out of a bin (contig,
  the bin it left, its bin now)
* ``run.json``: parameters, versions, timings and peak memory (``memory_mb``)
  per stage; ``report``: whether report.html was written
* ``report.html``: written after the rename, into the final folder; when it
  fails the bins stay, a WARNING is logged and run.json says ``failed: ...``

Safety (:func:`check_outdir`, before any compute and again before writing):
``force`` replaces only a folder an earlier run wrote (run.json and nothing
but :data:`RESULT_NAMES`), and no folder is ever replaced that is, or holds,
an input file, the cache folder, ``/``, the home folder or the working
directory.  A write fault (full disk, read-only folder, quota) is an
:class:`~genomeface_core.errors.OutputError` naming the path, with nothing left
behind.  Folders and files follow the umask.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from genomeface_core.cut.bins import BIN_COLUMNS, UNBINNED
from genomeface_core.errors import InputError, OutputError
from genomeface_core.io.fasta import format_fasta
from genomeface_core.output.files import (BINS, REPORT, RESULT_NAMES, RUN_JSON, TEMP_PREFIX,  # noqa: F401
                                          PARTIAL, partial_name)

if TYPE_CHECKING:
    from genomeface_core.cut.bins import BinResult

__all__ = ["BIN_COLUMNS", "UNBINNED", "RESULT_NAMES", "check_outdir", "input_paths", "partial_name",
           "write_error", "write_result"]

log = logging.getLogger("genomeface")

def input_paths(params: Mapping) -> list[str]:
    """The files a run reads, from ``bin()``'s params: contigs, coverage table, BAMs and the
    indexes htslib would load for them, markers tables, and trained model paths (when they exist)."""
    markers = params.get("markers")
    paths = [params.get("contigs"), params.get("coverage"), *(params.get("bams") or []),
             *([markers] if isinstance(markers, (str, os.PathLike)) else markers or [])]
    if params.get("bams"):
        from genomeface_core.io.bam import _index_path
        paths += [_index_path(os.fspath(b)) for b in params["bams"]]
    for model in (params.get("composition"), params.get("abundance")):  # a name or PATH[+PATH]
        paths += [p for p in str(model or "").split("+") if p and os.path.exists(p)]
    return [os.fspath(p) for p in paths if p]


def _variants(path: str) -> set[str]:
    """A path as given (absolute) and with symbolic links resolved."""
    a = os.path.abspath(path)
    return {a, os.path.realpath(a)}


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _protected(inputs: Iterable[str], cache: str | os.PathLike | None) -> list[tuple[str, str]]:
    """(description, path) of everything an output folder must never be or hold."""
    out = [("the root folder", os.sep), ("the home folder", os.path.expanduser("~")),
           ("the current working directory", os.getcwd())]
    out += [(f"input file {p}", p) for p in inputs]
    if cache is not None:
        out.append((f"the cache folder {os.fspath(cache)}", os.fspath(cache)))
    return out


def _not_a_result(folder: str, entries: list[str]) -> str | None:
    """Why ``folder`` (with ``entries``) is not an earlier genomeface result, or None when it is."""
    for name in sorted(entries):
        m = PARTIAL.fullmatch(name)
        if name not in RESULT_NAMES and not (m and m["name"] in RESULT_NAMES):
            return f"it holds {name!r}, which genomeface does not write"
        path = os.path.join(folder, name)
        if os.path.islink(path):
            return f"{name!r} in it is a symbolic link, which genomeface does not write"
        if name == BINS:
            if not os.path.isdir(path):
                return f"{name!r} in it is not a folder"
            other = next((f for f in sorted(os.listdir(path)) if not f.endswith(".fna")
                          or os.path.islink(os.path.join(path, f)) or not os.path.isfile(os.path.join(path, f))),
                         None)
            if other is not None:
                return f"its bins/ holds {other!r}, which genomeface does not write"
        elif not os.path.isfile(path):
            return f"{name!r} in it is not a file"
    try:
        with open(os.path.join(folder, RUN_JSON), "rb") as fh:
            info = json.loads(fh.read(1 << 24))  # run.json is a few kB
    except (OSError, ValueError):
        info = None
    if not (isinstance(info, dict) and isinstance(info.get("parameters"), dict) and "version" in info):
        return f"it has no genomeface {RUN_JSON}"
    return None


def _nearest_existing(path: str) -> str:
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def _unwritable(folder: str) -> str | None:
    """Why new entries cannot be made in ``folder``, or None (root ignores modes, not read-only mounts)."""
    if hasattr(os, "statvfs") and os.statvfs(folder).f_flag & os.ST_RDONLY:
        return "read-only file system"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "no write permission"
    return None


def check_outdir(outdir: str | os.PathLike, force: bool, *, inputs: Iterable[str | os.PathLike] = (),
                 cache: str | os.PathLike | None = None) -> None:
    """Refuse an output folder before any work (InputError, one line naming it; nothing touched).

    Refused: a folder that is, or is an ancestor of, ``/``, the home folder, the
    working directory, one of ``inputs`` (files the run reads, see
    :func:`input_paths`) or the ``cache`` folder; an existing non-folder; a
    non-empty folder unless ``force``, and with ``force`` one that is not an
    earlier genomeface result; a folder whose parent cannot be written (OutputError).
    """
    given = os.fspath(outdir)
    out = _variants(given)
    for what, p in _protected([os.fspath(p) for p in inputs], cache):
        hit = next((o for o in out for q in _variants(p) if _within(q, o)), None)
        if hit is not None:
            is_it = any(q == hit for q in _variants(p))
            raise InputError(given, f"output folder {'is' if is_it else 'holds'} {what}, so it is never "
                                    "written or replaced (give a new folder)")
    if os.path.lexists(given):
        if not os.path.isdir(given):
            raise InputError(given, "output path exists and is not a folder")
        entries = os.listdir(given)
        if entries and not force:
            raise InputError(given, "output folder is not empty (--force replaces an earlier genomeface result)")
        why = _not_a_result(given, entries) if entries else None
        if why is not None:
            raise InputError(given, f"--force replaces only a folder an earlier genomeface run wrote, and {why}; "
                                    "nothing was touched")
    parent = _nearest_existing(os.path.dirname(os.path.realpath(given)))
    why = _unwritable(parent)
    if why is not None:
        raise OutputError(given, f"cannot write the output folder in {parent}: {why}")


def write_error(path: str | os.PathLike, exc: OSError, outcome: str = "no result written") -> OutputError:
    """One-line :class:`OutputError` for a failed write of ``path`` (full disk, read-only, quota, ...)."""
    code = errno.errorcode.get(exc.errno or 0)
    reason = f"{exc.strerror or exc}{f' ({code})' if code else ''}"
    return OutputError(path, f"cannot write: {reason}; {outcome}")


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it portably; restored at once
    os.umask(mask)
    return mask


def _write_json(path: str, info: dict) -> None:
    with open(path, "w") as fh:
        json.dump(info, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")


def write_result(result: "BinResult", seqs: list[bytes], outdir: str | os.PathLike, *, force: bool = False,
                 extra: dict[str, Callable[[str], None]] | None = None, inputs: Iterable[str | os.PathLike] = (),
                 cache: str | os.PathLike | None = None) -> None:
    """Write ``result`` (with contig sequences ``seqs`` in result.names order) to ``outdir``.

    ``extra`` maps a file name (one of :data:`RESULT_NAMES`) to a function that
    writes that file given its path.  ``inputs``, ``cache``, ``force``: as in
    :func:`check_outdir`, which runs again here (the folder may have changed
    during the run).  Raises OutputError naming the path on a write fault;
    nothing is left behind then and a replaced folder stays as it was.
    """
    unknown = sorted(set(extra or {}) - RESULT_NAMES)
    if unknown:  # a new output file must be added to RESULT_NAMES, or --force would refuse the folder
        raise ValueError(f"output file(s) {unknown} are not in output.RESULT_NAMES")
    check_outdir(outdir, force, inputs=inputs, cache=cache)
    final = os.path.realpath(os.fspath(outdir))  # a symbolic link to a folder: write where it points
    parent = os.path.dirname(final)
    made = []  # missing parent folders created here (removed again on failure)
    try:
        p = parent
        while not os.path.isdir(p):
            made.append(p)
            p = os.path.dirname(p)
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=parent)
    except OSError as exc:
        _remove_empty(made)
        raise write_error(exc.filename or outdir, exc) from None
    try:
        _write_files(result, seqs, tmp, outdir, extra or {})
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's 0700 is for the staging only
        _commit(tmp, final, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(made)
        raise
    _add_report(final, outdir, result.run_info)


def _write_files(result: "BinResult", seqs: list[bytes], tmp: str, outdir, extra: dict) -> None:
    """Every file but report.html into ``tmp``; a write fault names the file as it would be under ``outdir``."""
    index = {n: i for i, n in enumerate(result.names)}
    unb = [i for i, lab in enumerate(result.assignment) if lab == UNBINNED]

    def bin_fasta(members):
        return lambda p: _write_bytes(p, format_fasta(members, [seqs[index[c]] for c in members]))

    def clusters(p):
        with open(p, "w") as fh:
            fh.write("bin\tcontig\n")
            for n, lab in zip(result.names, result.assignment):
                fh.write(f"{lab}\t{n}\n")

    def table(p):
        with open(p, "w") as fh:
            fh.write("\t".join(BIN_COLUMNS) + "\n")
            for row in result.table:
                fh.write("\t".join(_fmt(row[c]) for c in BIN_COLUMNS) + "\n")

    result.run_info["report"] = "not written yet"  # until _add_report says (a killed run leaves this)
    files = [(BINS, os.mkdir), *((os.path.join(BINS, f"{b}.fna"), bin_fasta(m)) for b, m in result.bins.items()),
             ("clusters.tsv", clusters),
             ("unbinned.fna", lambda p: _write_bytes(p, format_fasta([result.names[i] for i in unb],
                                                                    [seqs[i] for i in unb]))),
             ("bins.tsv", table), *extra.items(), (RUN_JSON, lambda p: _write_json(p, result.run_info))]
    for rel, writer in files:
        try:
            writer(os.path.join(tmp, rel))
        except OSError as exc:
            raise write_error(os.path.join(os.fspath(outdir), rel), exc) from None


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)


def _commit(tmp: str, final: str, outdir) -> None:
    """Rename ``tmp`` onto ``final``; an existing folder (empty, or replaced under --force) is first
    renamed aside to a ``.genomeface-old-`` sibling and deleted after, so ``final`` is always a whole
    result or absent, and a failed rename puts the earlier one back."""
    old = None
    try:
        if os.path.lexists(final):
            old = tempfile.mkdtemp(prefix=TEMP_PREFIX + "old-", dir=os.path.dirname(final))
            os.rename(final, old)  # onto the empty folder just made: atomic
        os.rename(tmp, final)
    except OSError as exc:
        if old is not None:  # the earlier folder back where it was (or the empty aside folder gone)
            os.rmdir(old) if os.path.lexists(final) else os.rename(old, final)
        raise write_error(outdir, exc) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
        if os.path.lexists(old):
            log.warning("%s: could not delete the replaced result; delete it by hand", old)


def _remove_empty(folders: list[str]) -> None:
    """Remove folders this run created (deepest first), if still empty."""
    for f in folders:
        try:
            os.rmdir(f)
        except OSError:
            return


def _add_report(final: str, outdir, run_info: dict) -> None:
    """Write report.html into the finished folder; a failure is a WARNING (the bins stay), and
    run.json's ``report`` says ``report.html`` or ``failed: <reason>``."""
    from genomeface_core.output.report import write_report

    try:
        write_report(final)
        run_info["report"] = REPORT
    except Exception as exc:  # any fault of the report: the bins are worth more than the page
        reason = " ".join(str(exc).split()) or type(exc).__name__
        run_info["report"] = f"failed: {reason}"
        log.warning("%s: report not written (%s); bins and tables kept (rerun: genomeface report %s)",
                    os.path.join(os.fspath(outdir), REPORT), reason, os.fspath(outdir))
    path = os.path.join(final, RUN_JSON)
    tmp = os.path.join(final, partial_name(RUN_JSON))
    try:
        _write_json(tmp, run_info)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        log.warning("%s: could not record the report's outcome (%s)", os.path.join(os.fspath(outdir), RUN_JSON),
                    exc.strerror or exc)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e6 else f"{v:.0f}"
    return str(v)
