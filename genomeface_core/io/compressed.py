"""Open a user's input file whether or not it is gzipped."""
from __future__ import annotations

import gzip
import os

GZIP_MAGIC = b"\x1f\x8b"


def open_input(path: str | os.PathLike, text: bool = False):
    """Stream of a plain or gzipped file (binary, or text with ``text``).

    Gzip is recognised by its magic bytes, not by the file name, so a
    ``.gz``-less gzip file and a plain ``.gz``-named file both read.

    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> with gzip.open(p, "wt") as fh: _ = fh.write("hello\\n")
    >>> with open_input(p, text=True) as fh: fh.read()
    'hello\\n'
    """
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rt" if text else "rb")
    return open(path, "rt") if text else open(path, "rb", buffering=1 << 20)
