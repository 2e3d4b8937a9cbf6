"""The names ``genomeface bin`` writes in its output folder (one place: the writer and the report read them)."""
from __future__ import annotations

import os
import re

BINS = "bins"
RUN_JSON = "run.json"
REPORT = "report.html"
PROJECTION = "projection.tsv"
EJECTED = "depth_ejected.tsv"
#: every name ``genomeface bin`` writes in its output folder; ``bins/`` holds only ``*.fna`` files
RESULT_NAMES = frozenset({BINS, "clusters.tsv", "unbinned.fna", "bins.tsv", "markers.tsv", PROJECTION,
                          EJECTED, RUN_JSON, REPORT})
#: the temporary sibling a run writes into (renamed onto the output folder when complete)
TEMP_PREFIX = ".genomeface-"
#: a file being replaced in place (report.html, run.json): ``.<name>.<pid>.tmp``, see :func:`partial_name`
PARTIAL = re.compile(r"\.(?P<name>[^/]+)\.\d+\.tmp")


def partial_name(name: str) -> str:
    """Name of the temporary file that replaces ``name`` in the same folder (one rename: atomic)."""
    return f".{name}.{os.getpid()}.tmp"
