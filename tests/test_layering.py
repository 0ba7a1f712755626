"""The core layers import no Qt: proven in a fresh interpreter for every module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import facealign_gui

QT_FREE = ("core", "datasets", "inference", "session", "commands", "tasks", "viewmodel")


def _modules() -> list[str]:
    names = ["facealign_gui.cli"]
    for info in pkgutil.walk_packages(facealign_gui.__path__, "facealign_gui."):
        if info.name.split(".")[1] in QT_FREE:
            names.append(info.name)
    return names


def test_core_layers_import_no_qt() -> None:
    mods = _modules()
    assert any(m.startswith("facealign_gui.core") for m in mods)
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in "
        "('PySide6', 'pyqtgraph', 'shiboken6', 'PyQt5', 'PyQt6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt imported by core layers: {out.stdout.strip()}"


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from facealign_gui import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'cv2', 'onnxruntime', 'PySide6', 'pandas', 'torch') "
        "if m in sys.modules]\n"
        "print(','.join(heavy), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == ""
    assert "convert-model" in out.stdout
