"""genomeface: metagenome binning by the GenomeFace method.

One public entry point, :func:`bin`, used by the ``genomeface`` CLI, the
QIIME 2 plugin and the Nextflow module alike::

    import genomeface_core
    result = genomeface_core.bin("contigs.fna.gz", coverage="depth.tsv", outdir="out")
    result.bins        # {bin name: [contig names]}
"""
from __future__ import annotations

__all__ = ["bin", "BinResult", "InputError", "__version__"]

from genomeface_core.errors import InputError
from genomeface_core.version import __version__


def __getattr__(name):
    # lazy: importing the package (e.g. for --version) should not load Numba
    if name in ("bin", "BinResult"):
        from genomeface_core import pipeline
        return getattr(pipeline, name)
    raise AttributeError(name)
