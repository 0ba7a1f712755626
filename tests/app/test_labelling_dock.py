"""The labelling dock: Space accepts and advances, counters follow, predict-all runs in the
background (and cancels), export and report dialogs work from the dock."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from _labelling_fakes import FakeView, labelling_session
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from facealign_gui.app.labelling_dock import LabellingDock
from facealign_gui.core.annotation import Status
from facealign_gui.session.store import Session


@pytest.fixture
def dock(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    s = labelling_session(tmp_path, n=4)
    win = QMainWindow()
    qtbot.addWidget(win)
    view = FakeView()
    d = LabellingDock(s, view, win)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield d
    d.shutdown()
    s.close()


def test_space_accepts_and_advances_and_the_counters_follow(qtbot, dock) -> None:
    s = dock.session
    assert "Reviewed 0 / 4" in dock.counter.text() and "4 remaining" in dock.counter.text()
    qtbot.keyClick(dock.window(), Qt.Key.Key_Space)
    assert s.status(0) is Status.VERIFIED
    assert dock.controller.current == 1
    assert "Reviewed 1 / 4" in dock.counter.text() and "3 remaining" in dock.counter.text()
    assert dock.reviewed_bar.value() == 1
    qtbot.keyClick(dock.window(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert s.status(0) is Status.PREDICTED
    assert "Reviewed 0 / 4" in dock.counter.text()
    qtbot.keyClick(
        dock.window(), Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )  # fmt: skip
    assert s.status(0) is Status.VERIFIED


def test_the_queue_lists_images_least_confident_first_and_marks_status(qtbot, dock) -> None:
    m = dock.model
    rows = [m.data(m.index(r), Qt.ItemDataRole.UserRole) for r in range(m.rowCount())]
    assert rows == [0, 1, 2, 3]
    dock.controller.accept_and_next()
    text = m.data(m.index(0), Qt.ItemDataRole.DisplayRole)
    assert text.startswith("✔") and "im0.png" in text and "0.20" in text
    assert dock.queue_view.currentIndex().row() == 1


def test_clicking_a_queue_row_shows_that_image(qtbot, dock) -> None:
    dock.queue_view.clicked.emit(dock.model.index(3))
    assert dock.controller.current == 3
    assert "4 / 4 in queue" in dock.current_label.text()


def test_predict_all_without_a_model_says_what_to_do(qtbot, dock) -> None:
    assert not dock.predict_button.isEnabled()
    dock.predict_all()
    assert "Open a model" in dock.message.text()


def _unlabelled_wflw(tmp_path: Path, n: int) -> Session:
    from _gui_data import write_wflw_dataset

    from facealign_gui.datasets.io import open_dataset

    ds = open_dataset(write_wflw_dataset(tmp_path / "data", n=n))
    ds = replace(ds, points=None, visible=None, centers=None, scales=None)  # boxes only
    return Session.create(tmp_path / "u.fagsession", ds, scheme="wflw98")


def test_predict_all_runs_in_the_background_and_orders_the_queue(qtbot, tmp_path: Path) -> None:
    from _gui_data import write_tiny_model

    from facealign_gui.inference.loader import load_predictor

    s = _unlabelled_wflw(tmp_path, n=6)
    win = QMainWindow()
    qtbot.addWidget(win)
    d = LabellingDock(s, FakeView(), win)
    d.set_predictor(load_predictor(write_tiny_model(tmp_path / "model")))
    assert d.predict_button.isEnabled()
    d.predict_all()
    assert d._worker is not None  # returned at once: the work is on another thread
    qtbot.waitUntil(lambda: d._worker is None, timeout=30000)
    assert "finished" in d.message.text()
    assert s.unpredicted() == []
    means = [s.summary(i)[2] for i in d.controller.queue]
    assert means == sorted(means)
    assert d.controller.current == d.controller.queue[0]  # the least confident image is shown
    assert s.counts()["predicted"] == 6
    assert s.prediction(0, role="mirror") is not None  # the mirror check ran too
    d.shutdown()
    s.close()


def test_predict_all_can_be_cancelled(qtbot, tmp_path: Path) -> None:
    from _gui_data import write_tiny_model

    from facealign_gui.inference.loader import load_predictor

    s = _unlabelled_wflw(tmp_path, n=40)
    win = QMainWindow()
    qtbot.addWidget(win)
    d = LabellingDock(s, FakeView(), win)
    d.set_predictor(load_predictor(write_tiny_model(tmp_path / "model")))
    d.predict_all()
    d.cancel_prediction()
    qtbot.waitUntil(lambda: d._worker is None, timeout=30000)
    assert "cancelled" in d.message.text()
    assert len(s.unpredicted()) > 0
    d.shutdown()
    s.close()


def test_the_export_dialog_writes_verified_labels_and_shows_errors(qtbot, dock, tmp_path) -> None:
    from facealign_gui.app.export_dialog import ExportDialog

    dock.controller.accept_and_next()
    dlg = ExportDialog(dock.session, dock)
    qtbot.addWidget(dlg)
    target = tmp_path / "labels.csv"
    dlg.path_edit.setText(str(target))
    r = dlg.run_export()
    assert r is not None and r.count == 1 and target.is_file()
    assert dlg.run_export() is None  # exists now, overwrite not ticked
    assert "already exists" in dlg.status.text()


def test_the_correction_report_dialog_lists_every_labelled_image(qtbot, dock) -> None:
    from facealign_gui.app.correction_report import CorrectionReportDialog

    view = dock.view
    view.drag([0], view.points[[0]] + 10.0)
    dock.controller.accept_and_next()
    dock.controller.accept_and_next()
    dlg = CorrectionReportDialog(dock.session, dock)
    qtbot.addWidget(dlg)
    assert dlg.image_table.rowCount() == 2
    assert dlg.landmark_table.rowCount() == 68
    assert "2</b> labelled images" in dlg.summary.text()
    nme = [dlg.image_table.item(r, 3).text() for r in range(2)]
    assert nme[1] == "0.0000" and float(nme[0]) > 0  # sorted: largest correction first
    assert np.isfinite(dlg.report.nme).all()


def test_a_damaged_session_can_be_restored_from_its_backup(qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from facealign_gui.app.labelling_dock import open_session_with_recovery

    s = labelling_session(tmp_path, n=2)
    s.accept(0)
    s.close()
    path = tmp_path / "s.fagsession"
    Session.open(path).close()  # takes the .bak
    data = bytearray(path.read_bytes())
    data[:16] = b"not sqlite at al"
    path.write_bytes(bytes(data))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    s2 = open_session_with_recovery(path)
    assert s2 is not None and s2.status(0) is Status.VERIFIED
    s2.close()


def test_shutdown_closes_the_session_and_releases_its_lock(qtbot, tmp_path) -> None:
    s = labelling_session(tmp_path, n=2)
    d = LabellingDock(s, FakeView())
    qtbot.addWidget(d)
    d.shutdown()
    assert s.closed
    Session.open(tmp_path / "s.fagsession").close()


def test_after_an_edit_reset_is_enabled_and_the_status_line_says_edited(qtbot, dock) -> None:
    assert not dock.reset_button.isEnabled()
    view = dock.view
    view.drag([0], view.points[[0]] + 3.0)
    assert dock.reset_button.isEnabled()
    assert "edited" in dock.current_label.text()
    dock.reset_button.click()
    assert not dock.reset_button.isEnabled() and "predicted" in dock.current_label.text()


def test_after_an_export_the_dock_says_where_it_wrote_and_how_many_faces(
    qtbot, dock, tmp_path, monkeypatch
) -> None:
    from facealign_gui.app import export_dialog

    out = tmp_path / "out.json"

    def exec_and_save(dlg: export_dialog.ExportDialog) -> int:
        dlg.path_edit.setText(str(out))
        dlg.verified_only.setChecked(False)
        return int(dlg.run_export() is not None)

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", exec_and_save)
    dock.controller.accept_and_next()
    dock.open_export()
    assert out.exists()
    assert dock.message.text().startswith("Exported ") and str(out) in dock.message.text()
    assert " faces to " in dock.message.text()
