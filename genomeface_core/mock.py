"""Deprecated: moved to :mod:`genomeface_core.demo.mock` (importable from here for one release)."""
import warnings

from genomeface_core.demo.mock import *  # noqa: F401,F403
from genomeface_core.demo.mock import __doc__ as _doc  # noqa: F401

warnings.warn("genomeface_core.mock moved to genomeface_core.demo.mock; the old path goes in the next release",
              DeprecationWarning, stacklevel=2)
