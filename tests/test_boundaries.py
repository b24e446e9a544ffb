"""The house rules: core imports no Qt/Keras, engine no Qt, only ui touches PySide6/pyqtgraph."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "blockstudio"
QT = {"PySide6", "pyqtgraph", "shiboken6"}
KERAS = {"keras", "tensorflow", "tf_keras"}
FORBIDDEN = {"core": QT | KERAS, "engine": QT}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_imports_nothing_forbidden(room):
    bad = {}
    for path in sorted((PKG / room).rglob("*.py")):
        hits = _imports(path) & FORBIDDEN[room]
        if hits:
            bad[str(path.relative_to(PKG))] = sorted(hits)
    assert bad == {}


def test_only_ui_imports_qt():
    bad = [
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if p.relative_to(PKG).parts[0] != "ui" and _imports(p) & QT
    ]
    assert bad == []


def test_importing_core_and_codegen_loads_neither_keras_nor_qt():
    code = (
        "import sys, blockstudio.core.validate, blockstudio.core.project, "
        "blockstudio.engine.codegen, blockstudio.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'keras', 'tensorflow', 'PySide6', 'pyqtgraph'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_contracts_hold():
    """The layers and forbidden imports in pyproject.toml, checked by import-linter."""
    script = Path(sys.executable).with_name("lint-imports")
    command = str(script) if script.exists() else shutil.which("lint-imports")
    assert command, "import-linter is a test dependency: pip install -e '.[test]'"
    run = subprocess.run([command], capture_output=True, text=True, cwd=PKG.parent)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 kept, 0 broken" in run.stdout


def _package_imports(package: Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports (absolute or relative)."""
    dotted = ".".join(package.relative_to(PKG.parent).parts)
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in names:
        found = set()
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level == 1:
                    base = f"{dotted}.{base}" if base else dotted
                candidates = [base, *(f"{base}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            found |= {c.rsplit(".", 1)[1] for c in candidates if c.rsplit(".", 1)[0] == dotted}
        graph[name] = found & names - {name}
    return graph


@pytest.mark.parametrize("package", ["engine/codegen", "engine/checkup"])
def test_a_package_s_modules_import_in_no_circle(package):
    """Each module of the package imports only modules that do not import it back, at any
    distance (the layers contracts in pyproject.toml say which is above which)."""
    graph = _package_imports(PKG / package)
    assert len(graph) > 2 and any(graph.values())  # the package was read
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, " -> ".join([*path[path.index(name) :], name])
        if name not in done:
            for other in sorted(graph[name]):
                visit(other, [*path, name])
            done.add(name)

    for name in sorted(graph):
        visit(name, [])
