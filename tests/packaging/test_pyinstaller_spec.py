"""The PyInstaller spec, read without building: it must carry the embedded models, every
sub-command and onnxruntime into the frozen app, and keep torch out. (The Qt platform plugins
come from PyInstaller's PySide6 hook; packaging/smoke.sh proves them by starting the app.)

The spec is executed with PyInstaller's real hook helpers (collect_data_files etc.) but with
stand-ins for Analysis/PYZ/EXE/COLLECT that only record their arguments. The build itself is
packaging/smoke.sh (minutes, not part of the test suite).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, ClassVar

import pytest

from facealign_gui.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "facealign-gui.spec"
MODELS = ROOT / "facealign_gui" / "models"


class Recorder:
    """Stands in for one PyInstaller build step; remembers what the spec passed."""

    calls: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, *args: object, **kwargs: object) -> None:
        Recorder.calls[type(self).__name__] = {"args": args, **kwargs}


class Analysis(Recorder):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.pure, self.scripts, self.binaries, self.datas = [], [], [], []


class PYZ(Recorder):
    pass


class EXE(Recorder):
    pass


class COLLECT(Recorder):
    pass


@pytest.fixture(scope="module")
def spec() -> dict[str, dict[str, Any]]:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed (pip install pyinstaller)")
    Recorder.calls = {}
    namespace = {
        "__file__": str(SPEC),
        "SPECPATH": str(SPEC.parent),
        "Analysis": Analysis,
        "PYZ": PYZ,
        "EXE": EXE,
        "COLLECT": COLLECT,
    }
    exec(compile(SPEC.read_text(), str(SPEC), "exec"), namespace)
    return dict(Recorder.calls)


def test_the_spec_bundles_every_embedded_model_file_next_to_the_package(spec) -> None:
    datas = {(Path(src).resolve(), dest) for src, dest in spec["Analysis"]["datas"]}
    shipped = [p for p in MODELS.iterdir() if p.suffix in {".onnx", ".toml"} or p.name == "NOTICE"]
    assert any(p.suffix == ".onnx" for p in shipped)
    for path in shipped:
        assert (path.resolve(), "facealign_gui/models") in datas, path.name


def test_the_spec_bundles_the_icon_and_the_package_resources(spec) -> None:
    dests = {(Path(src).name, dest) for src, dest in spec["Analysis"]["datas"]}
    assert ("facealign-gui.svg", "facealign_gui/resources") in dests


def test_every_sub_command_and_onnxruntime_are_hidden_imports(spec) -> None:
    hidden = set(spec["Analysis"]["hiddenimports"])
    for name, (module, _help) in COMMANDS.items():
        assert module in hidden, f"{name}: {module} is imported by name and must be listed"
    assert {"facealign_gui.app.main", "facealign_gui.app.main_window"} <= hidden
    assert "onnxruntime.capi._pybind_state" in hidden


def test_torch_is_kept_out_and_qt_is_not_excluded(spec) -> None:
    excludes = set(spec["Analysis"]["excludes"])
    assert {"torch", "onnx"} <= excludes
    assert not any(
        e.startswith(("PySide6", "onnxruntime.capi", "cv2", "numpy", "PIL")) for e in excludes
    )


def test_the_build_is_one_folder_named_like_the_console_script(spec) -> None:
    assert spec["EXE"]["exclude_binaries"] is True  # one-folder: libraries beside the exe
    assert spec["EXE"]["name"] == spec["COLLECT"]["name"] == "facealign-gui"
    entry = Path(spec["Analysis"]["args"][0][0])
    assert entry.is_file() and "facealign_gui.cli import main" in entry.read_text()
