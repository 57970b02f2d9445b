"""The layer rule from design.md: imports point down only.

Each top-level module or package of ``pystern`` has a rank; a module may import
pystern modules of its own rank or below.  ``kube`` and ``sandbox`` share a rank
but must not import each other, and only ``kube`` may import kubernetes_asyncio.
A module missing from ``RANKS`` fails the test so that the map stays complete.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pystern"

RANKS: dict[str, int] = {
    "__init__": 0,
    "model": 0,
    "errors": 0,
    "timefmt": 0,
    "ports": 0,
    "selectors": 0,
    "goquote": 0,
    "fieldselectors": 0,
    "textfiles": 0,
    "yamltext": 0,
    "kube": 1,
    "sandbox": 1,
    "options": 0,
    "filters": 2,
    "gotemplate": 2,
    "render": 2,
    "containers": 3,
    "discovery": 3,
    "tail": 3,
    "merge": 3,
    "run": 3,
    "followtasks": 3,
    "watchers": 3,
    "config": 4,
    "completion": 4,
    "prompt": 4,
    "api": 4,
    "cli": 4,
    "__main__": 4,
}
SIBLINGS_APART = {("kube", "sandbox"), ("sandbox", "kube")}


def _unit(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            # Relative imports stay inside a package only when they do not climb out of it.
            rel = path.relative_to(PACKAGE)
            depth = len(rel.parts) - 1
            if node.level > depth:
                module = node.module or ""
                names.append("pystern." + module if module else "pystern")
    return names


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    unit = _unit(path)
    assert unit in RANKS, f"{unit} has no rank in tests/test_layers.py; add it"
    for name in _imports(path):
        if name.startswith(("kubernetes_asyncio",)):
            assert unit == "kube", f"{path.name}: only pystern.kube may import kubernetes_asyncio"
        if not name.startswith("pystern."):
            continue
        target = name.split(".")[1]
        if target == unit:
            continue
        assert target in RANKS, f"{path.name} imports unknown unit {target}"
        assert RANKS[target] <= RANKS[unit], f"{path.name} ({unit}) imports {name}: imports must point down"
        assert (unit, target) not in SIBLINGS_APART, f"{path.name}: {unit} must not import {target}"


def test_every_source_was_checked() -> None:
    assert len(SOURCES) > 5
