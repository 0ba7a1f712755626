"""User-facing errors say what happened and what to do next, without blocking."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow, QMessageBox, QVBoxLayout, QWidget

from facealign_gui.app import errors
from facealign_gui.datasets.model import Problem


def _window_with_banner(qtbot) -> tuple[QMainWindow, errors.ErrorBanner]:
    win = QMainWindow()
    central = QWidget()
    banner = errors.ErrorBanner()
    QVBoxLayout(central).addWidget(banner)
    win.setCentralWidget(central)
    qtbot.addWidget(win)
    win.show()
    return win, banner


def test_no_camera_message_names_the_index_and_suggests_a_video_file() -> None:
    err = errors.no_camera(2)
    assert "Camera 2" in err.what
    assert "--camera 3" in err.next_step
    assert "--video FILE" in err.next_step
    assert err.fatal


def test_unreadable_rows_summary_shows_the_first_problems_and_counts_the_rest() -> None:
    problems = [Problem("a.csv", i, f"expected 136 numbers, got {i}") for i in range(2, 10)]
    err = errors.unreadable_rows("a.csv", problems, loaded=100)
    summary = err.summary()
    assert "8 rows of a.csv could not be read; the other 100 samples loaded." in summary
    assert "a.csv:2: expected 136 numbers, got 2" in summary
    assert "a.csv:6:" in summary and "a.csv:7:" not in summary
    assert "… and 3 more" in summary
    assert "a.csv:9: expected 136 numbers, got 9" in err.full_text()
    assert not err.fatal


def test_non_fatal_error_goes_to_the_windows_banner_with_show_all(qtbot) -> None:
    win, banner = _window_with_banner(qtbot)
    problems = [Problem("b.csv", i, "bad number 'x'") for i in range(1, 8)]
    shown = errors.show_error(win.centralWidget(), errors.unreadable_rows("b.csv", problems, 3))
    assert shown is banner
    assert banner.isVisible()
    assert "What to do next" in banner.message.text()
    assert banner.show_all.isVisible()
    banner.show_all.click()
    assert banner._details is not None
    assert "b.csv:7: bad number 'x'" in banner._details.text.toPlainText()
    banner._details.close()
    with qtbot.waitSignal(banner.dismissed, timeout=1000):
        banner.dismiss.click()
    assert not banner.isVisible()


def test_banner_hides_show_all_when_every_problem_fits_in_the_summary(qtbot) -> None:
    _, banner = _window_with_banner(qtbot)
    banner.show_error(errors.unreadable_rows("c.csv", [Problem("c.csv", 4, "bad")], 9))
    assert not banner.show_all.isVisible()
    assert "1 row of c.csv" in banner.message.text()


def test_fatal_error_opens_a_message_box_that_does_not_block(qtbot) -> None:
    win, banner = _window_with_banner(qtbot)
    box = errors.show_error(win, errors.model_missing("/models/hrnet.onnx"))
    assert isinstance(box, QMessageBox)
    assert box.isVisible()  # reached here: open() did not block the test
    assert not banner.isVisible()
    assert "/models/hrnet.onnx" in box.text()
    assert box.informativeText().startswith("What to do next:")
    box.close()


def test_error_without_a_window_still_shows_a_message_box(qtbot) -> None:
    box = errors.show_error(None, errors.dataset_moved("/data/wflw/test.txt"))
    qtbot.addWidget(box)
    assert isinstance(box, QMessageBox)
    assert "moved or renamed" in box.text()
    box.close()
