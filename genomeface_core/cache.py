"""Resumable runs: stage results cached on disk, keyed by input content and parameters.

A rerun that changes only what comes after the expensive stages (``--min-bin-size``,
``--min-purity``, the abundance weight, ...) reads the k-mer embeddings, BAM depths
and marker genes back instead of recomputing them.  The key of an entry is what the
stage's result depends on: the *content* digests of its input files (never their
paths, sizes or mtimes: a file rewritten in place with the same size and mtime still
misses), the parameters that matter for that stage and the *code* that computed it:
the digest of the stage's source modules and data files and the versions of the
libraries it calls (:data:`STAGES`, hashed once per process), so an entry made
before a change of that code misses after it (the genomeface version alone stayed
0.1.0 through many such changes).

One entry is one ``.npz`` file named ``<stage>-<key digest>.npz`` holding the
stage's arrays and the key itself (JSON, checked on read).  Entries are written to a
temporary file in the cache folder, flushed to disk and renamed (atomic within a
folder), so a run killed at any point never leaves half an entry under an entry's
name; an unreadable entry is recomputed and replaced (a WARNING says so); temporary
files of writers that died on this host are removed by the next write.

>>> import tempfile, numpy as np
>>> cache = StageCache(tempfile.mkdtemp())
>>> calls = []
>>> def compute():
...     calls.append(1)
...     return {"x": np.arange(3)}
>>> cache.get_or_compute("demo", {"n": 3}, compute, code=())["x"].tolist()
[0, 1, 2]
>>> cache.get_or_compute("demo", {"n": 3}, compute, code=())["x"].tolist(), len(calls)
([0, 1, 2], 1)
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.resources
import json
import logging
import os
import re
import socket
import uuid
import zipfile
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from genomeface_core.version import __version__
from genomeface_core.errors import InputError

log = logging.getLogger("genomeface")

PathLike = str | os.PathLike

#: Bumped when the layout of an entry changes, so older entries miss instead of misreading.
FORMAT = 2
_KEY = "__key__"  # array name holding the entry's key (JSON) inside the .npz
_BLOCK = 1 << 20  # bytes read at a time when hashing
# temporary entry: .tmp-<pid>@<host>-<uuid>.npz (who wrote it, so a dead writer's leftover can be removed)
_TMP = re.compile(r"\.tmp-(\d+)@(.*)-[0-9a-f]{32}\.npz\Z")
#: Folder of the genomeface_core package: the root of :attr:`StageCode.modules` (tests point it at an edited copy).
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class StageCode:
    """What computes a cached stage: its key carries a digest of these.

    modules: genomeface_core modules (dotted, relative to the package) whose code the result comes from,
        including how the keyed input file is read (``io.fasta``).  ``tests/test_cache.py`` checks that
        every genomeface_core module they import is listed, so a new module cannot be forgotten.
    data: files or folders the stage reads, as ``package:path`` (``genomeface_core:embed/weights``: the
        shipped weights; ``fetchmgs:data``: the marker HMMs and bit-score cutoffs).
    libraries: import names of third-party libraries the result depends on (their installed version is
        in the key); the test checks that every third-party import of ``modules`` is listed.
    uses: other stages whose code this one runs too (adaptive fits, then embeds as ``embed`` does).
    """

    modules: tuple[str, ...]
    data: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()


_READ = ("io", "io.compressed", "io.fasta", "errors")  # how the keyed contigs file becomes the stage's input
_WEIGHTS = "genomeface_core:embed/weights"
_NN = ("keras", "tensorflow")  # the shipped networks' runtime (embed.network, embed.abundance_net)

#: The code of each cached stage (the one place that lists it; see :class:`StageCode`).
STAGES: dict[str, StageCode] = {
    "depths": StageCode((*_READ, "io.bam"), libraries=("numpy", "numba", "deflate")),
    "embed": StageCode((*_READ, "embed.kmers", "embed.mixing", "embed", "embed.raw", "embed.linear", "embed.network",
                        "embed.keras_io"), data=(_WEIGHTS,), libraries=("numpy", "numba", *_NN)),
    "adaptive": StageCode(("embed.adaptive", "embed.lda", "embed.windows"),
                          libraries=("numpy", "scipy"), uses=("embed",)),
    "abundance": StageCode(("embed.abundance_net",), data=(_WEIGHTS,), libraries=("numpy", *_NN), uses=("embed",)),
    "markers": StageCode((*_READ, "markers", "markers.hmms", "markers.calls", "markers.fast", "markers.seeds"),
                         data=("fetchmgs:data",),
                         libraries=("numpy", "numba", "pyhmmer", "pyrodigal", "fetchmgs")),
}
#: Third-party imports that cannot change a stage's result (progress bars), so not in :attr:`StageCode.libraries`.
NOT_RESULT_LIBRARIES = ("tqdm",)


def stage_closure(stage: str) -> tuple[StageCode, ...]:
    """``stage``'s :class:`StageCode` and those it :attr:`~StageCode.uses`, each once (ValueError if unknown)."""
    out, todo = [], [stage]
    while todo:
        name = todo.pop(0)
        if name not in STAGES:
            raise ValueError(f"no code registered for cache stage {name!r}; add it to cache.STAGES")
        if STAGES[name] not in out:
            out.append(STAGES[name])
            todo.extend(STAGES[name].uses)
    return tuple(out)


def module_path(module: str, root: str | None = None) -> str:
    """Source file of genomeface_core module ``module`` (dotted, relative) under ``root`` (the package)."""
    base = os.path.join(root or PACKAGE_DIR, *module.split("."))
    return os.path.join(base, "__init__.py") if os.path.isdir(base) else base + ".py"


def _data_path(spec: str, root: str) -> str | None:
    pkg, _, rel = spec.partition(":")
    if pkg == "genomeface_core":
        return os.path.join(root, rel)
    try:
        return os.fspath(importlib.resources.files(pkg) / rel)
    except (ModuleNotFoundError, TypeError):  # not installed (or not on disk): recorded as absent
        return None


@functools.lru_cache(maxsize=None)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def library_version(name: str) -> str:
    """Installed version of the distribution providing import ``name`` (``tensorflow`` may be
    ``tensorflow-cpu``), or ``"absent"``; read from package metadata, without importing it."""
    for dist in _distributions().get(name, [name]):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "absent"


@functools.lru_cache(maxsize=None)
def _stage_code(stage: str, root: str) -> dict:
    codes = stage_closure(stage)
    h = hashlib.blake2b(digest_size=16)
    for m in sorted({m for c in codes for m in c.modules}):
        h.update(f"{m}\0{digest_file(module_path(m, root))}\0".encode())
    for spec in sorted({d for c in codes for d in c.data}):
        path = _data_path(spec, root)
        h.update(f"{spec}\0{'absent' if path is None or not os.path.exists(path) else digest_path(path)}\0".encode())
    return dict(sources=h.hexdigest(), libraries={n: library_version(n) for n in sorted({n for c in codes
                                                                                       for n in c.libraries})})


def stage_code(stage: str) -> dict:
    """``{"sources": digest, "libraries": {name: version}}`` of ``stage`` (and the stages it uses):
    BLAKE2b-128 over its modules' names and content digests and its data files', as
    :data:`STAGES` lists them under :data:`PACKAGE_DIR`.  Hashed once per process (~15 MB, the
    network weights and marker HMMs, well under a second)."""
    return _stage_code(stage, PACKAGE_DIR)


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


def key_text(stage: str, key: dict, code: Sequence[str] = ()) -> str:
    """Canonical JSON of an entry's full key: the stage, its key, the :func:`stage_code` of each
    stage in ``code``, the genomeface version and the entry format.

    >>> key_text("markers", {"min_contig_length": 1500}).startswith(
    ...     '{"code": {}, "format": 2, "key": {"min_contig_length": 1500}, "stage": "markers", "version": ')
    True
    """
    return json.dumps(dict(stage=stage, key=key, code={c: stage_code(c) for c in code}, version=__version__,
                           format=FORMAT), sort_keys=True, default=_jsonable)


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

    def path(self, stage: str, key: dict, code: Sequence[str] | None = None) -> str | None:
        """File of the entry for (``stage``, ``key``, ``code``), or None without a folder."""
        if self.folder is None:
            return None
        if not stage.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"stage name must be alphanumeric (with - or _), got {stage!r}")
        h = hashlib.blake2b(key_text(stage, key, (stage,) if code is None else code).encode(),
                            digest_size=16).hexdigest()
        return os.path.join(self.folder, f"{stage}-{h}.npz")

    def get_or_compute(self, stage: str, key: dict, compute: Callable[[], dict[str, np.ndarray]], *,
                       code: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """The arrays of ``stage`` for ``key``: read back on a hit, else ``compute()``d and stored.

        ``key``: JSON-serialisable dict of everything the result depends on (input
        content digests from :func:`digest_file`, the stage's parameters and settings).
        ``code``: the :data:`STAGES` whose code computes it (default: ``stage`` itself;
        ``()``: none); their :func:`stage_code` and the genomeface version are added here.
        ``compute``: returns name -> array (numeric or str arrays; no objects, names must
        not start with ``__``).
        """
        code = (stage,) if code is None else tuple(code)
        path = self.path(stage, key, code)
        if path is None:
            return compute()
        text = key_text(stage, key, code)
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
        self._sweep()
        # a fresh name in the same folder (the rename is atomic); open() keeps the user's umask
        tmp = os.path.join(self.folder, f".tmp-{os.getpid()}@{socket.gethostname()}-{uuid.uuid4().hex}.npz")
        try:
            with open(tmp, "xb") as fh:
                # uncompressed: entries are float embeddings that barely compress, and reading stays fast
                np.savez(fh, **{_KEY: np.array(text)}, **arrays)
                fh.flush()
                os.fsync(fh.fileno())  # the data is on disk before the name is: no empty entry after a crash
            os.replace(tmp, path)
        except FileNotFoundError:  # another host's sweep (same name, other pid namespace) took it: not cached
            log.warning("cache entry %s could not be stored (its temporary file vanished); not cached", path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _sweep(self) -> None:
        """Remove temporary entries left by writers of this host that are no longer running (killed runs)."""
        host = socket.gethostname()
        for name in os.listdir(self.folder):
            m = _TMP.match(name)
            if m and m.group(2) == host and not _alive(int(m.group(1))):
                try:
                    os.unlink(os.path.join(self.folder, name))
                except OSError:  # another run removed it first
                    pass


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (signal 0 probes without signalling)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
