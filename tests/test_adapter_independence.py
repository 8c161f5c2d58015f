"""Shipped adapters are judged by the suite, never built from it: no Python code under
adapters/ may import the reference implementation (reference_impl), the suite's judge."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ADAPTERS = Path(__file__).resolve().parent.parent / "adapters"
JUDGE = "reference_impl"
PYTHON_FILES = sorted(ADAPTERS.rglob("*.py"))


def judge_imports(source: str) -> list[str]:
    """Every import of the judge in ``source``: import statements, and import_module /
    __import__ calls with a literal name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if function in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [f"line {node.lineno}: {name}" for name in names if name == JUDGE or name.startswith(JUDGE + ".")]
    return found


def test_the_shipped_python_adapters_are_scanned():
    assert ADAPTERS / "asyncio" / "adapter.py" in PYTHON_FILES


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda p: str(p.relative_to(ADAPTERS)))
def test_no_shipped_adapter_imports_the_reference_implementation(path):
    assert judge_imports(path.read_text()) == [], f"{path.relative_to(ADAPTERS.parent)} imports {JUDGE}"


@pytest.mark.parametrize("source", [
    "import reference_impl",
    "import reference_impl.engine as engine",
    "from reference_impl.engine import Args",
    "from reference_impl import errors",
    "def f():\n    from reference_impl.protocol import encode_bytes",
    "import importlib\nimportlib.import_module('reference_impl.engine')",
    "__import__('reference_impl')",
])
def test_the_check_sees_every_way_in(source):
    assert judge_imports(source)


@pytest.mark.parametrize("source", [
    "import asyncio",
    "from .wire import Args",
    "from . import reference_impl",  # a module of the adapter's own, whatever its name
    "import reference_implementation",
])
def test_the_check_leaves_other_imports_alone(source):
    assert judge_imports(source) == []
