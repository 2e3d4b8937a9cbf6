"""QIIME 2 plugin ``genomeface``: ``qiime genomeface bin``, a thin shell over
:func:`genomeface_core.bin` (see ``plugin_setup.py``)."""
from genomeface_core import __version__

__all__ = ["__version__"]
