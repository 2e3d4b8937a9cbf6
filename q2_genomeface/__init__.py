"""QIIME 2 plugin ``genomeface``: ``qiime genomeface bin`` (takes q2-mag's ``bin-contigs-metabat``
call unchanged), ``bin-coassembly``, ``evaluate`` and ``summarize``; thin shells over
:func:`genomeface_core.bin` (see ``plugin_setup.py``)."""
from genomeface_core import __version__

__all__ = ["__version__"]
