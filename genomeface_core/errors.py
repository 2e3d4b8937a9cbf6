"""Errors raised on bad input and on faults writing the output.

Every problem a user can cause is an :class:`InputError` that names the file
and the problem in one line; the CLI prints it and exits non-zero before
anything is written.  A fault while writing the result (full disk, read-only
folder, quota) is its subclass :class:`OutputError`, raised after the writer
has removed what it wrote.
"""
from __future__ import annotations

import os


class InputError(ValueError):
    """A problem with a user-supplied file or parameter.

    >>> print(InputError("x.fna", "duplicate contig name 'c1'"))
    x.fna: duplicate contig name 'c1'
    """

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else os.fspath(path)
        self.problem = problem
        super().__init__(problem if self.path is None else f"{self.path}: {problem}")


class OutputError(InputError):
    """A fault writing the result (full disk, read-only folder, quota): one line naming the path.

    An :class:`InputError`, so the CLI treats it the same way (one line, exit 2);
    the writer has removed everything it wrote before raising it.

    >>> print(OutputError("out/bins.tsv", "cannot write: No space left on device (ENOSPC); no result written"))
    out/bins.tsv: cannot write: No space left on device (ENOSPC); no result written
    """
