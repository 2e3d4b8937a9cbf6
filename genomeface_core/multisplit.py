"""Deprecated: moved to :mod:`genomeface_core.cut.multisplit` (importable from here for one release)."""
import warnings

from genomeface_core.cut.multisplit import *  # noqa: F401,F403
from genomeface_core.cut.multisplit import __doc__ as _doc  # noqa: F401

warnings.warn("genomeface_core.multisplit moved to genomeface_core.cut.multisplit; the old path goes in the next release",
              DeprecationWarning, stacklevel=2)
