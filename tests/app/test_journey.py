"""A whole afternoon in one test: inspect a few hundred real colour faces with two models,
then label, get killed mid-session, resume from the command line and export.

The faces are built from ``shared/data/dev_faces`` (16 real 300-W faces, research-only) into
tmp_path; the test skips cleanly without ``shared``. Every step checks what a person would
see: the tool bar's state, the shown image's pixels in RGB order, the highlighted row and the
shown image agreeing, an empty selection on a new image.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import _gui_data
import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from facealign_gui.app.main_window import MainWindow
from facealign_gui.app.sample_table import COL_NME

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def toolbar_idle(w: MainWindow) -> bool:
    return w.act_run.isEnabled() and not w.act_cancel.isEnabled() and not w.progress.isVisible()


def row_and_image_agree(w: MainWindow) -> bool:
    """The highlighted row is the shown sample, and the view draws that sample's points."""
    dock, ins = w.dataset_dock, w.inspector
    row = dock.table.selectionModel().currentIndex().row()
    if row < 0 or dock.model.sample_at(row) != ins.current or ins._image_index != ins.current:
        return False
    shown = np.stack([w.view.truth_item.data["x"], w.view.truth_item.data["y"]], 1)
    return shown.shape == ins.ds.points[ins.current].shape and np.allclose(
        shown, ins.ds.points[ins.current]
    )


def shows_the_file_in_rgb(w: MainWindow) -> bool:
    """The view's pixels are the image file's, red and blue in their places."""
    ins = w.inspector
    bgr = cv2.imread(str(ins.ds.image_path(ins.current)))
    shown = w.view.image_item.image
    return shown is not None and np.array_equal(shown, bgr[..., ::-1])


def run_to_the_end(w: MainWindow, qtbot, model_id: str) -> None:
    w.inspector.results.pop(model_id, None)
    w.act_run.trigger()
    assert w.act_cancel.isEnabled() and not w.act_run.isEnabled()  # "running"
    qtbot.waitUntil(lambda: model_id in w.inspector.results, timeout=60000)
    qtbot.waitUntil(lambda: toolbar_idle(w), timeout=5000)
    assert f"of {len(w.inspector.ds)} samples" in w.status_label.text()


def test_a_long_session_inspect_compare_label_crash_resume_export(
    qtbot, prefs, shared_dir: Path, tmp_path: Path
) -> None:
    dev = shared_dir / "data" / "dev_faces"
    if not any(dev.glob("*.pts")):
        pytest.skip("shared/data/dev_faces is not present")
    folder = _gui_data.write_dev_faces_set(dev, tmp_path / "faces")
    model_b = _gui_data.write_random_model(tmp_path / "models")

    # -- a fresh window: the built-in model is already chosen ------------------------------
    w = MainWindow(prefs)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.inspector.predictor is not None, timeout=10000)
    a_id = w.inspector.model_id
    assert a_id == "mediapipe_face_landmark"

    # -- open the folder: first image, in colour, its row highlighted -----------------------
    with qtbot.waitSignal(w.inspector.datasetOpened, timeout=20000):
        w.open_path(folder)
    n = len(w.inspector.ds)
    assert n == 208 and w.inspector.ds.scheme == "300w68"
    qtbot.waitUntil(lambda: row_and_image_agree(w), timeout=5000)
    assert shows_the_file_in_rgb(w)

    # -- run the default model, then again: the tool bar comes back each time --------------
    run_to_the_end(w, qtbot, a_id)
    first = w.inspector.results[a_id].nme.copy()
    run_to_the_end(w, qtbot, a_id)
    np.testing.assert_allclose(w.inspector.results[a_id].nme, first)  # the same numbers
    assert np.isfinite(first).mean() > 0.9

    # -- a second model, compared with the first ---------------------------------------------
    with qtbot.waitSignal(w.inspector.modelLoaded, timeout=10000):
        w.open_path(model_b)
    b_id = w.inspector.model_id
    assert b_id == "random_68" and "random_68" in w.model_label.text()
    m = w.dataset_dock.model
    cells = [m.data(m.index(r, COL_NME), Qt.ItemDataRole.DisplayRole) for r in range(n)]
    assert not any(cells)  # B has not run: no NME numbers (least of all A's)
    run_to_the_end(w, qtbot, b_id)
    md = w.metrics_dock
    b, a = w.inspector.results[b_id], w.inspector.results[a_id]
    assert md.a is b and md.b is a and len(md.ced.curves) == 2
    diff = md.difference()
    np.testing.assert_allclose(diff, b.nme - a.nme)
    assert np.nanmedian(diff) > 0  # random weights are worse than the trained model

    # -- worst first, then a filter: row and image agree after each -----------------------
    md.compareSortRequested.emit()
    assert w.inspector.current == int(np.nanargmax(diff))
    qtbot.waitUntil(lambda: row_and_image_agree(w), timeout=5000)
    assert shows_the_file_in_rgb(w)
    w.dataset_dock.text.setText("_v01")  # the mirrored copies: 16 rows
    qtbot.waitUntil(lambda: m.rowCount() == 16, timeout=3000)
    qtbot.waitUntil(lambda: row_and_image_agree(w), timeout=5000)
    assert "_v01" in str(w.inspector.ds.images[w.inspector.current])
    w.dataset_dock.text.setText("")
    w.close()  # labelling happens in a process of its own, so it can be killed

    # -- label in another process, and kill it with the session open ----------------------
    session = tmp_path / "work.fagsession"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_journey_driver.py"), str(folder), str(session),
         str(tmp_path / "driver_prefs.ini")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    steps, state = [], None
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("STEP "):
                steps.append(line[5:].strip())
            elif line.startswith("STATE "):
                state = json.loads(line[6:])
                break
    finally:
        proc.send_signal(signal.SIGKILL)  # no close, no clean-up: as a crash
        proc.wait(10)
        err = proc.stderr.read()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    assert state is not None, f"the labelling process stopped after {steps}: {err[-2000:]}"
    assert steps == [
        "opened", "session", "drag", "nudge", "undo", "redo", "occluded", "drawn hollow",
        "accepted", "new image, nothing selected",
    ]  # fmt: skip
    assert proc.returncode == -signal.SIGKILL

    # -- reopen from the command line: the window starts and quits cleanly -----------------
    env_cli = {**env, "FACEALIGN_GUI_QUIT_AFTER_MS": "1500"}
    cli = subprocess.run(
        [sys.executable, "-m", "facealign_gui", str(session)],
        capture_output=True, text=True, env=env_cli, timeout=60,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert "Traceback" not in cli.stderr

    # -- and here, as the command line does: the edits survived the kill ---------------------
    w2 = MainWindow(prefs, default_model=None)
    qtbot.addWidget(w2)
    w2.show()
    w2.open_path(session)
    dock = w2.labelling.dock
    assert dock is not None and w2.presenter.mode == "label"
    assert "work.fagsession — saved" in w2.windowTitle()
    c = dock.controller
    assert c.current == state["next"]  # where the person was
    assert w2.view.selected_points().tolist() == []
    img = state["image"]
    ann = c.session.annotation(img)
    np.testing.assert_allclose(ann.points, state["points"])
    assert ann.visible.tolist() == state["visible"] and not ann.visible[40]
    assert c.session.status(img).name == "VERIFIED"

    # -- export, say where and how many, and read it back with our own reader ----------------
    from facealign_gui.app.export_dialog import ExportDialog
    from facealign_gui.datasets.pts import parse_pts

    dlg = ExportDialog(c.session, w2)
    dlg.format_box.setCurrentIndex(dlg.format_box.findData("pts"))
    out = tmp_path / "export_pts"
    dlg.path_edit.setText(str(out))
    result = dlg.run_export()
    assert result is not None and result.count == 1  # the one verified face
    assert f"Wrote 1 faces to {out}" in dlg.status.text()
    written = sorted(out.glob("*.pts"))
    assert len(written) == 1 and written[0].stem == Path(state["name"]).stem
    np.testing.assert_allclose(parse_pts(written[0]), state["points"], atol=1e-3)
    coco = tmp_path / "export.json"
    dlg.format_box.setCurrentIndex(dlg.format_box.findData("coco"))
    dlg.path_edit.setText(str(coco))
    assert dlg.run_export() is not None
    kp = np.array(json.loads(coco.read_text())["annotations"][0]["keypoints"]).reshape(-1, 3)
    assert kp[40, 2] == 1 and (kp[np.arange(68) != 40, 2] == 2).all()  # occluded kept
    w2.close()
