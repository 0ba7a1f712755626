"""The layer rules of pyproject.toml's [tool.importlinter], checked by `lint-imports`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the package under ``tree`` with the project's contracts."""
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", code, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def _importlinter() -> None:
    pytest.importorskip("importlinter")


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "facealign_gui",
        tmp_path / "facealign_gui",
        ignore=shutil.ignore_patterns("__pycache__", "*.onnx", "resources"),
    )
    return tmp_path


@pytest.mark.usefixtures("_importlinter")
def test_the_package_keeps_every_contract() -> None:
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


@pytest.mark.usefixtures("_importlinter")
@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("core/metrics.py", "import PySide6.QtCore", "Qt only in app"),
        ("datasets/pts.py", "from facealign_gui.session import store", "Layers"),
        ("inference/card.py", "import torch", "torch only in convert"),
        ("core/schemes.py", "import pandas", "core needs no reader"),
    ],
)
def test_a_function_level_import_across_a_rule_is_caught(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    tree = _copy(tmp_path)
    with open(tree / "facealign_gui" / module, "a", encoding="utf-8") as f:
        f.write(f"\n\ndef _sneaky() -> None:\n    {line}  # noqa\n")
    out = _lint(tree)
    assert out.returncode != 0
    broken = [ln for ln in out.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(contract in ln for ln in broken), out.stdout
