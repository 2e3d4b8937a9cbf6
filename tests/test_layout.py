"""The engine (genomeface_core) never imports the lab (benchmarks/lab) or anything outside the wheel."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "genomeface_core"


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def test_engine_never_imports_the_lab():
    offenders = {str(p.relative_to(PKG)): sorted(m for m in _imports(p) if m.split(".")[0] in ("benchmarks", "tests"))
                 for p in PKG.rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_training_does_not_import_the_evaluation_lab():
    """train/train.py <-> train/evaluation.py was a cycle; the folds now live in benchmarks/lab/folds.py."""
    assert not (PKG / "train" / "evaluation.py").exists()
    for p in (PKG / "train").glob("*.py"):
        assert "evaluation" not in " ".join(_imports(p)), p
