"""`cognitoadmin/` is the ground the apps stand on: it imports none of them (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GROUND = Path(__file__).resolve().parents[2] / "cognitoadmin"
APPS = ("pools", "identities", "sync")


def _imported_modules(path: Path) -> list[str]:
    """Every module `path` imports, at the top or inside a function."""
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.append(node.module)
    return modules


@pytest.mark.parametrize(
    "path", sorted(GROUND.rglob("*.py")), ids=lambda p: str(p.relative_to(GROUND))
)
def test_no_ground_module_imports_an_app(path: Path) -> None:
    app_imports = [module for module in _imported_modules(path) if module.split(".")[0] in APPS]

    assert app_imports == []


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from identities.sigv4 import sigv4_verify\n")

    assert _imported_modules(module) == ["identities.sigv4"]
