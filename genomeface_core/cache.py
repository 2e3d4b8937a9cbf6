"""Resumable runs: stage results cached on disk, keyed by input content and parameters.

A rerun that changes only what comes after the expensive stages (``--min-bin-size``,
``--min-purity``, the abundance weight, ...) reads the k-mer embeddings, BAM depths
and marker genes back instead of recomputing them.  The key of an entry is what the
stage's result depends on: the *content* digests of its input files (never their
paths, sizes or mtimes: a file rewritten in place with the same size and mtime still
misses), the parameters that matter for that stage and the genomeface version.

One entry is one ``.npz`` file named ``<stage>-<key digest>.npz`` holding the
stage's arrays and the key itself (JSON, checked on read).  Entries are written to a
temporary file and renamed, so an interrupted run never leaves half an entry, and an
unreadable entry is recomputed and replaced.

>>> import tempfile, numpy as np
>>> cache = StageCache(tempfile.mkdtemp())
>>> calls = []
>>> def compute():
...     calls.append(1)
...     return {"x": np.arange(3)}
>>> cache.get_or_compute("demo", {"n": 3}, compute)["x"].tolist()
[0, 1, 2]
>>> cache.get_or_compute("demo", {"n": 3}, compute)["x"].tolist(), len(calls)
([0, 1, 2], 1)
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
import zipfile
from typing import Callable

import numpy as np

from . import __version__
from .errors import InputError

log = logging.getLogger("genomeface")

PathLike = str | os.PathLike

#: Bumped when the layout of an entry changes, so older entries miss instead of misreading.
FORMAT = 1
_KEY = "__key__"  # array name holding the entry's key (JSON) inside the .npz
_BLOCK = 1 << 20  # bytes read at a time when hashing


def digest_file(path: PathLike) -> str:
    """BLAKE2b-256 hex digest of a file's content, read in 1 MiB blocks (any size, constant memory).

    A missing or unreadable file is an :class:`InputError` naming it.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as fh:
    ...     _ = fh.write(b"ACGT")
    >>> digest_file(fh.name)[:16]
    '975ab910c2221c9b'
    """
    h = hashlib.blake2b(digest_size=32)
    try:
        with open(path, "rb") as fh:
            while block := fh.read(_BLOCK):
                h.update(block)
    except OSError as exc:
        raise InputError(path, f"cannot read for hashing: {exc.strerror or exc}") from None
    return h.hexdigest()


def digest_path(path: PathLike) -> str:
    """Content digest of a file, or of a folder (its files' relative names and digests, sorted).

    For models saved as a folder (``model.keras`` + ``model.json``).
    """
    if not os.path.isdir(path):
        return digest_file(path)
    h = hashlib.blake2b(digest_size=32)
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            full = os.path.join(root, f)
            h.update(f"{os.path.relpath(full, path)}\0{digest_file(full)}\0".encode())
    return h.hexdigest()


def digest_arrays(*arrays: np.ndarray) -> str:
    """BLAKE2b-256 hex digest of arrays' dtypes, shapes and bytes (e.g. depths from a table, as a key).

    >>> digest_arrays(np.zeros(2)) == digest_arrays(np.zeros(2)) != digest_arrays(np.zeros(2, np.float32))
    True
    """
    h = hashlib.blake2b(digest_size=32)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape};".encode())
        h.update(a.data if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()


def _jsonable(v):
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(f"cache key value {v!r} of type {type(v).__name__} is not JSON-serialisable")


def key_text(stage: str, key: dict) -> str:
    """Canonical JSON of an entry's full key: the stage, its key, the genomeface version and entry format.

    >>> key_text("markers", {"min_contig_length": 1500}).startswith(
    ...     '{"format": 1, "key": {"min_contig_length": 1500}, "stage": "markers", "version": ')
    True
    """
    return json.dumps(dict(stage=stage, key=key, version=__version__, format=FORMAT),
                      sort_keys=True, default=_jsonable)


class StageCache:
    """Stage results on disk under ``folder`` (created when first written); ``None`` caches nothing.

    ``get_or_compute(stage, key, compute)`` returns the arrays stored for
    (``stage``, ``key``) or, on a miss or an unreadable entry, calls ``compute()``,
    stores its arrays and returns them.  ``hits`` / ``misses`` count the calls;
    ``reused`` lists the stages read back (for run.json).
    """

    def __init__(self, folder: PathLike | None):
        self.folder = None if folder is None else os.fspath(folder)
        if self.folder is not None and os.path.exists(self.folder) and not os.path.isdir(self.folder):
            raise InputError(self.folder, "cache path exists and is not a folder")
        self.hits = 0
        self.misses = 0
        self.reused: list[str] = []

    def path(self, stage: str, key: dict) -> str | None:
        """File of the entry for (``stage``, ``key``), or None without a folder."""
        if self.folder is None:
            return None
        if not stage.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"stage name must be alphanumeric (with - or _), got {stage!r}")
        h = hashlib.blake2b(key_text(stage, key).encode(), digest_size=16).hexdigest()
        return os.path.join(self.folder, f"{stage}-{h}.npz")

    def get_or_compute(self, stage: str, key: dict,
                       compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """The arrays of ``stage`` for ``key``: read back on a hit, else ``compute()``d and stored.

        ``key``: JSON-serialisable dict of everything the result depends on (input
        content digests from :func:`digest_file`, the stage's parameters); the
        genomeface version is added here.  ``compute``: returns name -> array
        (numeric or str arrays; no objects, names must not start with ``__``).
        """
        path = self.path(stage, key)
        if path is None:
            return compute()
        text = key_text(stage, key)
        if os.path.exists(path):
            arrays = self._read(path, text)
            if arrays is not None:
                self.hits += 1
                self.reused.append(stage)
                log.info("%s: reusing cached result %s", stage, path)
                return arrays
        self.misses += 1
        arrays = compute()
        self._write(path, text, arrays)
        return arrays

    @staticmethod
    def _read(path: str, text: str) -> dict[str, np.ndarray] | None:
        """The entry's arrays, or None (with a warning) if it is unreadable or holds another key."""
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}  # reads every member: a truncated one fails here
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("cache entry %s is unreadable (%s); recomputing", path, exc)
            return None
        stored = arrays.pop(_KEY, None)
        if stored is None or str(stored) != text:
            log.warning("cache entry %s holds another key; recomputing", path)
            return None
        return arrays

    def _write(self, path: str, text: str, arrays: dict[str, np.ndarray]) -> None:
        if not isinstance(arrays, dict) or any(k.startswith("__") for k in arrays):
            raise ValueError("a cached stage must return a dict of arrays with names not starting with '__'")
        arrays = {k: np.asarray(v) for k, v in arrays.items()}
        if any(a.dtype == object for a in arrays.values()):
            # np.load(allow_pickle=False) could never read it back: every rerun would miss
            raise ValueError("a cached stage cannot store object arrays (use str or numeric dtypes)")
        os.makedirs(self.folder, exist_ok=True)
        # a fresh name in the same folder (the rename is atomic); open() keeps the user's umask
        tmp = os.path.join(self.folder, f".tmp-{os.getpid()}-{uuid.uuid4().hex}.npz")
        try:
            with open(tmp, "xb") as fh:
                # uncompressed: entries are float embeddings that barely compress, and reading stays fast
                np.savez(fh, **{_KEY: np.array(text)}, **arrays)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
