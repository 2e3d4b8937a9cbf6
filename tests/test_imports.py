"""The package's import graph, built from the AST: no circle, and the rooms in data-flow order.

genomeface_core is laid out as the pipeline runs (docs/METHOD.md, "Map of the code"):

    cli  ->  pipeline  ->  io -> embed -> markers -> graph -> cut -> output
                 (the spine: errors, version, params, xp, threads, cache)

A room imports the spine, itself and rooms *earlier* in the flow (a later stage reads what an earlier
one made, never the reverse); only ``pipeline`` conducts the rooms and only ``cli`` calls ``pipeline``.
``train/`` (trainers) and ``demo/`` (the bundled example) are side rooms no run-time module imports.
Every import counts, at module level or inside a function: a lazy import still closes a circle.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "genomeface_core"
ROOT = "genomeface_core"

#: data-flow order of the rooms; a room may import only the spine and rooms before it
ROOMS = ["io", "embed", "markers", "graph", "cut", "output"]
SPINE = {"errors", "version", "params", "xp", "threads", "cache"}
#: old module paths kept importable for one release (the docs named them); each only re-exports its new home
SHIMS = {"bins", "multisplit", "mock"}
#: may import run-time rooms; nothing at run time imports them
SIDE = {"train", "demo"}
SHELLS = {"cli", "__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


@functools.lru_cache(maxsize=None)
def imports_of(name: str) -> frozenset[str]:
    """Every module ``name`` imports (package-internal ones resolved to modules; others as written)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for a in node.names:  # ``from pkg import submodule`` imports the submodule
                out.add(f"{mod}.{a.name}" if f"{mod}.{a.name}" in MODULES else mod)
    return frozenset(out)


@functools.lru_cache(maxsize=None)
def graph() -> dict[str, set[str]]:
    """Package-internal edges only; a module importing ``a.b.c`` also depends on nothing else implicitly
    (Python runs the parents' ``__init__`` too, but those only re-export and are checked themselves)."""
    return {m: {i for i in imports_of(m) if i in MODULES and i != m} for m in MODULES}


def room(name: str) -> str:
    parts = name.split(".")
    return "__root__" if len(parts) == 1 else parts[1]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first == last), or None.

    >>> find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    ['a', 'b', 'c', 'a']
    >>> find_cycle({"a": {"b"}, "b": set()}) is None
    True
    """
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (c := visit(n)):
                return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_the_graph_sees_imports_at_every_level():
    """The checker itself: a lazy (function-level) import and a relative one are edges."""
    g = graph()
    assert "genomeface_core.pipeline" in g["genomeface_core.cli.main"]  # imported inside main()
    assert "genomeface_core.markers.fast" in g["genomeface_core.markers"]  # inside find_markers
    assert "genomeface_core.cut.bins" in g["genomeface_core.pipeline"]
    assert set(ROOMS) | SPINE | SIDE | SHELLS | SHIMS | {"pipeline"} >= {room(m) for m in MODULES} - {"__root__"}


def test_no_import_circle():
    assert find_cycle(graph()) is None, f"import circle: {' -> '.join(find_cycle(graph()))}"


def test_find_cycle_catches_the_circles_that_were_there():
    """The two circles issue 23 named, as they were, are found (a test that could not fail would not be one)."""
    old = {"markers": {"markers_fast"}, "markers_fast": {"markers_seeds"}, "markers_seeds": {"markers"},
           "pipeline": {"output"}, "output": {"report", "pipeline"}, "report": {"output"}}
    assert find_cycle(old)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_rooms_import_only_upstream(name):
    r = room(name)
    allowed = {"__root__"} if r != "__root__" else set()
    if r in ROOMS:
        allowed |= SPINE | set(ROOMS[: ROOMS.index(r) + 1])
    elif r in SPINE:
        allowed |= SPINE
    elif r == "pipeline":
        allowed |= SPINE | set(ROOMS) | {"pipeline"}
    elif r in SIDE:
        allowed |= SPINE | set(ROOMS) | SIDE
    elif r in SHIMS or r in SHELLS or r == "__root__":
        return  # the shells and the front door may import anything but must not close a circle (above)
    bad = sorted(i for i in graph()[name] if room(i) not in allowed)
    assert not bad, f"{name} ({r}) imports {bad}; allowed rooms: {sorted(allowed)}"


@pytest.mark.parametrize("name", sorted(m for m in MODULES if room(m) not in SHELLS | {"train"}))
def test_run_time_never_imports_training_shells_or_the_lab(name):
    bad = sorted(i for i in imports_of(name)
                 if i.split(".")[0] in ("benchmarks", "tests")
                 or i.startswith((f"{ROOT}.train", f"{ROOT}.cli")) or i == f"{ROOT}.__main__")
    assert not bad, f"{name} imports {bad}"


def test_training_does_not_import_the_evaluation_lab():
    """train/train.py <-> train/evaluation.py was a cycle; the folds live in benchmarks/lab/folds.py."""
    assert not (PKG / "train" / "evaluation.py").exists()
    for m in MODULES:
        if room(m) == "train":
            assert not any("evaluation" in i for i in imports_of(m)), m


@pytest.mark.parametrize("old,new", [("bins", "cut.bins"), ("multisplit", "cut.multisplit"), ("mock", "demo.mock")])
def test_old_paths_still_import_with_a_warning(old, new):
    import importlib
    import sys

    sys.modules.pop(f"{ROOT}.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"{ROOT}.{new}"):
        mod = importlib.import_module(f"{ROOT}.{old}")
    public = importlib.import_module(f"{ROOT}.{new}")
    names = getattr(public, "__all__", [n for n in vars(public) if not n.startswith("_")])
    assert all(getattr(mod, n) is getattr(public, n) for n in names)
