"""The array module: NumPy, or CuPy where a GPU is usable.

Array code in the distance/kNN stages is written once against the module this
returns, so the CPU path the tests exercise is the code the GPU runs.  CuPy is
imported here and nowhere else.
"""
from __future__ import annotations

import types

import numpy as np


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        import cupy  # noqa: F401
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # ImportError, CUDARuntimeError, missing driver
        return False


def get_xp(device: str = "cpu") -> types.ModuleType:
    """Array module for ``device`` in {'cpu', 'gpu', 'auto'}.

    'auto' picks CuPy only when a GPU is usable; 'gpu' without one raises.
    """
    if device == "cpu":
        return np
    if device in ("gpu", "auto"):
        if gpu_available():
            import cupy
            return cupy
        if device == "gpu":
            raise RuntimeError("--device gpu: no usable CUDA GPU (install the 'gpu' extra: cupy-cuda12x)")
        return np
    raise ValueError(f"unknown device {device!r}; expected cpu, gpu or auto")


def to_numpy(a) -> np.ndarray:
    """Host copy of an array from either module."""
    return a.get() if hasattr(a, "get") else np.asarray(a)
