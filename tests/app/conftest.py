"""Fixtures for the main-window tests: a synthetic dataset with real images, a tiny ONNX
heatmap model, throw-away preferences, and a guard that fails a test leaving a thread
running."""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import _gui_data


@pytest.fixture
def synthetic_dataset(tmp_path: Path) -> Path:
    """12 drawn faces with 98 landmarks, attributes and subsets (a WFLW rect/attr list)."""
    return _gui_data.write_wflw_dataset(tmp_path / "wflw", n=12)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Card of a 64x64-input ONNX model giving 98 heatmaps of 16x16 (runs in ~1 ms)."""
    return _gui_data.write_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture
def prefs(tmp_path: Path, qtbot: object) -> object:
    """Preferences in an ini file under tmp_path (never the user's settings)."""
    from PySide6.QtCore import QSettings

    from facealign_gui.app.settings import Preferences

    return Preferences(QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat))


@pytest.fixture(autouse=True)
def no_dangling_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if a QThread it started, or a QThreadPool it used, is still busy at
    teardown (after pytest-qt has closed the test's widgets)."""
    try:
        from PySide6.QtCore import QThread, QThreadPool
    except ImportError:  # pragma: no cover - Qt is a dependency
        yield
        return
    import shiboken6

    threads: list[weakref.ref] = []
    pools: list[weakref.ref] = []
    thread_start, pool_start = QThread.start, QThreadPool.start

    def start_thread(self: QThread, *args: object) -> None:
        threads.append(weakref.ref(self))
        thread_start(self, *args)

    def start_pool(self: QThreadPool, *args: object) -> None:
        pools.append(weakref.ref(self))
        pool_start(self, *args)

    monkeypatch.setattr(QThread, "start", start_thread)
    monkeypatch.setattr(QThreadPool, "start", start_pool)
    yield
    running = []
    for ref in threads:
        t = ref()
        if t is not None and shiboken6.isValid(t) and t.isRunning():
            running.append(type(t).__name__)
    for ref in pools:
        p = ref()
        if p is not None and shiboken6.isValid(p) and p.activeThreadCount():
            running.append(f"QThreadPool({p.activeThreadCount()} active)")
    assert not running, f"threads still running at teardown: {running}"


@pytest.fixture(autouse=True, scope="module")
def forget_the_face_detector() -> Iterator[None]:
    """The window's face detection fills the process-wide BlazeFace detector cache; other
    test modules clear the onnxruntime session cache (`runtime.clear_sessions`) but not that
    one, so a detector left here would hold a session the cache no longer knows."""
    yield
    from facealign_gui.inference import detect

    with detect._LOCK:
        detect._DETECTORS.clear()
