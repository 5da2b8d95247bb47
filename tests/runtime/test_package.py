"""The script ships as package data: in the wheel, readable through ``runtime_script()``, stdlib only."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from controller.runtime import runtime_script
from tests.runtime.process import SCRIPT

ROOT = Path(__file__).resolve().parents[2]
CONFIGMAP_LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built offline from a copy of the sources (the checkout stays untouched)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "controller", source / "controller", ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([*command, "-q", "-w", str(base / "out"), str(source)], check=True, capture_output=True)
    (built,) = (base / "out").glob("*.whl")
    return built


def test_runtime_script_returns_the_file_the_tests_run() -> None:
    assert runtime_script() == SCRIPT.read_text(encoding="utf-8")


def test_the_wheel_carries_the_script_unchanged(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("controller/runtime/asya_runtime.py")
    assert shipped == SCRIPT.read_bytes()


def test_runtime_script_reads_it_from_inside_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """A wheel is a zip: importing the package from it proves ``runtime_script()`` needs no files on disk."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import controller.runtime as runtime; "
        "assert runtime.__file__.startswith(sys.argv[1]), runtime.__file__; "
        "sys.stdout.write(runtime.runtime_script())"
    )
    # -S: without site-packages the editable install of the checkout cannot answer instead of the wheel.
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, str(wheel)], capture_output=True, check=True, cwd=tmp_path
    )
    assert result.stdout == SCRIPT.read_bytes()


def test_the_script_fits_in_a_configmap() -> None:
    assert len(runtime_script().encode("utf-8")) < CONFIGMAP_LIMIT


def test_the_script_imports_only_the_standard_library() -> None:
    tree = ast.parse(runtime_script())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert imported
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported - set(sys.stdlib_module_names)
