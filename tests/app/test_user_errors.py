"""Problems a user can meet on the way in, driven through ``run_app`` like the command line:
a dataset whose folder was moved, a model whose file is missing, a camera that does not exist.
Each must show a message *in the window* (not only on the terminal) that says what to do next,
and the app must stay up and quit cleanly (exit code 0). A missing dataset or model file
gets the specific `errors.dataset_moved` / `errors.model_missing` wording, not a generic one.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import _gui_data
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from facealign_gui.app.errors import ErrorBanner
from facealign_gui.app.main_window import MainWindow

NEXT = "What to do next"
DEADLINE_S = 20.0


def visible_messages(window: MainWindow) -> list[str]:
    """The text of every error message a person can see in ``window`` and its live view."""
    texts = []
    for box in window.findChildren(QMessageBox):
        if box.isVisible():
            texts.append(f"{box.windowTitle()}\n{box.text()}\n{box.informativeText()}")
    for banner in window.findChildren(ErrorBanner):
        if banner.isVisible():
            texts.append(banner.message.text())
    live = window.live_window
    if live is not None and live.isVisible() and live.stack.currentWidget() is live.message:
        texts.append(live.message.text())
    return texts


def launch(
    ns: argparse.Namespace,
    until: Callable[[MainWindow], bool],
    qtbot: object,
    prefs: object,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, MainWindow, list[str]]:
    """Run ``run_app(ns)`` with test preferences until ``until(window)`` holds (or a deadline),
    then quit; returns the exit code, the window and the messages visible at that moment."""
    import pyqtgraph as pg

    from facealign_gui.app import main as app_main
    from facealign_gui.app import main_window, style

    app = QApplication.instance()
    names = (app.applicationName(), app.organizationName())
    made: list[MainWindow] = []

    def make_window() -> MainWindow:
        w = MainWindow(prefs)
        qtbot.addWidget(w)  # type: ignore[attr-defined]
        made.append(w)
        return w

    monkeypatch.setattr(main_window, "MainWindow", make_window)
    monkeypatch.setattr(style, "apply_dark_palette", lambda _app: None)  # keep the test palette
    monkeypatch.setattr(pg, "CONFIG_OPTIONS", dict(pg.CONFIG_OPTIONS))  # undo run_app's options
    monkeypatch.delenv(app_main.QUIT_ENV, raising=False)
    seen: list[str] = []
    state = {"done": False, "t0": time.monotonic()}

    def poll() -> None:
        if state["done"]:
            return
        late = time.monotonic() - state["t0"] > DEADLINE_S
        if made and (late or until(made[0])):
            state["done"] = True
            seen.extend(visible_messages(made[0]))
            made[0].close()
            QTimer.singleShot(0, app.quit)
            return
        QTimer.singleShot(50, poll)

    QTimer.singleShot(50, poll)
    try:
        code = app_main.run_app(ns)
    finally:
        state["done"] = True
        app.setApplicationName(names[0])
        app.setOrganizationName(names[1])
    assert made, "run_app made no main window"
    return code, made[0], seen


def args(**kw: object) -> argparse.Namespace:
    base = {"dataset": None, "model": None, "camera": None, "video": None}
    return argparse.Namespace(**{**base, **kw})


@pytest.fixture
def moved_dataset(tmp_path: Path) -> Path:
    """Where a dataset's list file *was* before its folder was renamed."""
    listing = _gui_data.write_wflw_dataset(tmp_path / "faces", n=2)
    (tmp_path / "faces").rename(tmp_path / "faces_renamed")
    return listing


@pytest.fixture
def card_without_onnx(tiny_model: Path, tmp_path: Path) -> Path:
    """A model card copied away from the .onnx file it names."""
    card = tmp_path / "cards" / tiny_model.name
    card.parent.mkdir()
    shutil.copy(tiny_model, card)
    return card


# ------------------------------------------------------------------ dataset folder moved


def test_opening_a_dataset_whose_folder_moved_shows_the_path_and_a_next_step(
    qtbot, prefs, monkeypatch, moved_dataset: Path
) -> None:
    code, window, seen = launch(
        args(dataset=str(moved_dataset)),
        lambda w: bool(visible_messages(w)),
        qtbot,
        prefs,
        monkeypatch,
    )
    assert code == 0
    assert len(seen) == 1, seen
    assert str(moved_dataset) in seen[0]
    step = seen[0].split(NEXT, 1)[1]
    assert len(step.strip(": ")) > 10  # an actual suggestion follows
    assert window.stack.currentWidget() is window.start_page  # nothing half-opened


def test_a_recent_dataset_that_moved_is_marked_and_opening_it_says_what_to_do(
    qtbot, prefs, moved_dataset: Path
) -> None:
    prefs.add_recent(str(moved_dataset))
    window = MainWindow(prefs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    recent = window.start_page.recent
    assert "(missing)" in recent.item(0).text()
    recent.setCurrentRow(0)
    recent.setFocus()
    qtbot.keyClick(recent.viewport(), "\r")  # Enter activates the item, as a double-click does
    qtbot.waitUntil(lambda: bool(visible_messages(window)), timeout=10000)
    (text,) = visible_messages(window)
    assert str(moved_dataset) in text and NEXT in text


def test_a_moved_dataset_is_reported_as_moved_with_how_to_reopen_it(
    qtbot, prefs, monkeypatch, moved_dataset: Path
) -> None:
    _, _, seen = launch(
        args(dataset=str(moved_dataset)),
        lambda w: bool(visible_messages(w)),
        qtbot,
        prefs,
        monkeypatch,
    )
    assert seen and "Dataset not found" in seen[0] and "new place" in seen[0]


# ------------------------------------------------------------------ model file missing


def test_a_model_card_whose_onnx_file_is_missing_names_that_file_and_a_next_step(
    qtbot, prefs, monkeypatch, card_without_onnx: Path
) -> None:
    code, window, seen = launch(
        args(model=str(card_without_onnx)),
        lambda w: bool(visible_messages(w)),
        qtbot,
        prefs,
        monkeypatch,
    )
    assert code == 0
    assert len(seen) == 1, seen
    missing = card_without_onnx.with_suffix(".onnx")
    assert str(missing) in seen[0]
    assert NEXT in seen[0]
    assert window.inspector.predictor is None


def test_a_model_path_that_does_not_exist_is_reported_in_the_window(
    qtbot, prefs, monkeypatch, tmp_path: Path
) -> None:
    gone = tmp_path / "gone" / "model.toml"
    code, _, seen = launch(
        args(model=str(gone)), lambda w: bool(visible_messages(w)), qtbot, prefs, monkeypatch
    )
    assert code == 0
    assert len(seen) == 1 and str(gone) in seen[0] and NEXT in seen[0], seen


def test_a_missing_model_file_is_reported_as_missing_with_how_to_fix_the_card(
    qtbot, prefs, monkeypatch, card_without_onnx: Path
) -> None:
    _, _, seen = launch(
        args(model=str(card_without_onnx)),
        lambda w: bool(visible_messages(w)),
        qtbot,
        prefs,
        monkeypatch,
    )
    assert seen and "Model file missing" in seen[0] and "model card" in seen[0]


# ------------------------------------------------------------------ no such camera


def test_a_camera_index_that_does_not_exist_shows_what_to_do_in_the_live_window(
    qtbot, prefs, monkeypatch
) -> None:
    index = 97  # far beyond any /dev/video* a test machine has

    def failed_and_idle(w: MainWindow) -> bool:
        live = w.live_window
        return bool(visible_messages(w)) and live is not None and not live.is_running()

    code, window, seen = launch(args(camera=index), failed_and_idle, qtbot, prefs, monkeypatch)
    assert code == 0
    assert len(seen) == 1, seen
    assert f"Camera {index}" in seen[0]
    assert NEXT in seen[0] and "--video FILE" in seen[0]
    assert not window.live_window.isVisible()  # closed with the main window
