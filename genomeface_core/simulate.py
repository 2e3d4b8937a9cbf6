"""Transitional alias, to be deleted: mocks are :mod:`genomeface_core.mock`, genome files are
read by :func:`genomeface_core.io.fasta.read_genome`, read simulation is ``benchmarks/lab/reads.py``.

Kept only while ``q2_genomeface/_example_data.py`` and ``tests/test_markers_cli.py`` (other
owners) still import this name.
"""
from .io.fasta import read_genome  # noqa: F401
from .mock import Mock, fragment, make_mock, write_mock  # noqa: F401
