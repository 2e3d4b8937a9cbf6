"""Errors raised on bad input.

Every problem a user can cause is an :class:`InputError` that names the file
and the problem in one line; the CLI prints it and exits non-zero before
anything is written.
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
