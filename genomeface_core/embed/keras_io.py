"""Safe loading and atomic saving of ``.keras`` models (shared by the composition and abundance networks).

Keras / TensorFlow are imported inside functions only.
"""
from __future__ import annotations

import os
from functools import lru_cache

from genomeface_core.errors import InputError

MODEL_FILE = "model.keras"


def first_line(e: BaseException) -> str:
    """First line of an exception message (Keras errors run to many lines), at most 200 characters."""
    s = str(e).strip()
    return s.splitlines()[0][:200] if s else type(e).__name__


def load_keras_file(path: str, what: str, register=()):
    """``keras.Model`` from ``path`` in safe mode (no pickle, no Lambda), uncompiled.

    ``what`` names the model in errors; ``register``: callables that register
    the custom layers first.  Every problem is an :class:`InputError` naming the file.
    """
    if not os.path.isfile(path):
        raise InputError(path, f"{what} not found (expected a .keras file or a directory with {MODEL_FILE})")
    try:
        import keras
    except ImportError:
        raise InputError(path, f"the {what} needs TensorFlow: pip install 'genomeface[nn]'") from None
    for reg in register:
        reg()
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as e:  # noqa: BLE001 -- keras raises many types for bad files
        raise InputError(path, f"not a loadable Keras model: {first_line(e)}") from None


def save_keras_file(model, path: str | os.PathLike) -> str:
    """Write ``model`` to ``path`` (``.keras`` file, or directory -> ``DIR/model.keras``) atomically.

    Returns the model file written.
    """
    p = os.fspath(path)
    if not p.endswith(".keras"):
        os.makedirs(p, exist_ok=True)
        p = os.path.join(p, MODEL_FILE)
    elif os.path.dirname(p):
        os.makedirs(os.path.dirname(p), exist_ok=True)
    tmp = p[: -len(".keras")] + ".tmp.keras"
    model.save(tmp)
    os.replace(tmp, p)
    return p


@lru_cache(maxsize=8)
def _cached(loader, path: str, mtime: float):
    return loader(path)


def load_cached(loader, path: str):
    """``loader(path)``, cached per absolute path and modification time (a retrained file reloads)."""
    try:
        mt = os.path.getmtime(path)
    except OSError:
        return loader(path)  # the loader raises InputError naming the file
    return _cached(loader, os.path.abspath(path), mt)
