"""The import-order contract of ``pyproject.toml`` (``[tool.importlinter]``) catches an app
importing one above it, and two apps of the same layer importing each other."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
APPS = CONFIG["root_packages"]
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _lint(tree: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with the project's contract on a copy of the apps in ``tree``."""
    return subprocess.run(  # noqa: S603 (a fixed command)
        [sys.executable, "-c", LINT, "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The apps' Python sources and ``pyproject.toml``, copied once."""
    tree = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", tree)
    for app in APPS:
        shutil.copytree(ROOT / app, tree / app, ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def test_the_contract_names_every_app_in_import_order():
    layers = [name for layer in CONFIG["contracts"][0]["layers"] for name in layer.split(" | ")]
    assert sorted(layers) == sorted(APPS)
    assert CONFIG["contracts"][0]["layers"][1] == "exports | importer"


def test_the_apps_keep_the_contract(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("programs/_upward.py", "evaluation"),  # a lower app importing a higher one
        ("peersupport/_upward.py", "sessions.models"),
        ("exports/_sideways.py", "importer"),  # siblings are independent
        ("importer/_sideways.py", "exports.base"),
    ],
)
def test_an_import_against_the_order_breaks_the_contract(tree, module, imported):
    path = tree / module
    path.write_text(f"import {imported}  # noqa: F401\n")
    try:
        result = _lint(tree)
    finally:
        path.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout
