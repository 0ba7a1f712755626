"""The labelling half of the journey test, run as its own process so the test can SIGKILL it.

``python _journey_driver.py FOLDER SESSION PREFS``: opens the real window on FOLDER, creates
SESSION, then like a person: drags a point, nudges it, undoes and redoes the nudge, marks a
point occluded and accepts the image. After each step it checks what is shown and prints
``STEP <name>``; at the end it prints one ``STATE <json>`` line (what was saved) and waits to
be killed, the session still open.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
from _mouse import click, drag
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def wait_until(app: QApplication, cond: object, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {cond}")
        app.processEvents()
        time.sleep(0.005)


def step(name: str, ok: bool) -> None:
    if not ok:
        raise SystemExit(f"step {name} failed")
    print(f"STEP {name}", flush=True)


def main(folder: str, session_path: str, prefs_path: str) -> None:
    app = QApplication.instance() or QApplication([])
    from facealign_gui.app.main_window import MainWindow
    from facealign_gui.app.settings import Preferences

    prefs = Preferences(QSettings(prefs_path, QSettings.Format.IniFormat))
    w = MainWindow(prefs, default_model=None)
    w.resize(1200, 800)
    w.show()
    w.activateWindow()
    wait_until(app, lambda: QApplication.activeWindow() is w)  # the shortcuts need it
    w.open_path(folder)
    wait_until(app, lambda: w.inspector.ds is not None and w.inspector.image is not None)
    step("opened", True)
    ok = w.labelling.create(session_path)
    dock = w.labelling.dock
    c, view = dock.controller, w.view
    wait_until(app, lambda: view.image_item.image is not None and c.current >= 0)
    step("session", ok and w.presenter.mode == "label" and view.is_editable())
    img = c.current
    before = view.annotation_points().copy()
    a = before[30]
    drag(view, view.vb, (float(a[0]), float(a[1])), (float(a[0]) + 6.0, float(a[1]) + 4.0))
    moved = view.annotation_points()[30].copy()
    saved = c.session.annotation(img).points[30]
    step("drag", np.allclose(saved, moved) and np.linalg.norm(moved - before[30] - (6, 4)) < 1.5)
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Right)
    step("nudge", np.allclose(c.session.annotation(img).points[30], np.add(moved, (1, 0))))
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    step("undo", np.allclose(c.session.annotation(img).points[30], moved))
    QTest.keyClick(w, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    step("redo", np.allclose(c.session.annotation(img).points[30], np.add(moved, (1, 0))))
    b = view.annotation_points()[40].copy()
    click(view, view.vb, (float(b[0]), float(b[1])))
    QTest.keyClick(w, Qt.Key.Key_V)
    ann = c.session.annotation(img)
    step("occluded", view.occluded().tolist() == [40] and not bool(ann.visible[40]))
    step("drawn hollow", len(view.occluded_item.data) == 1)
    QTest.keyClick(w, Qt.Key.Key_Space)
    wait_until(app, lambda: c.current != img)
    step("accepted", c.session.status(img).name == "VERIFIED")
    step("new image, nothing selected", view.selected_points().tolist() == [])
    ann = c.session.annotation(img)
    state = {
        "image": img,
        "name": str(c.session.image_info(img)["path"]),
        "points": ann.points.tolist(),
        "visible": ann.visible.tolist(),
        "next": c.current,
    }
    print("STATE " + json.dumps(state), flush=True)
    while True:  # the session stays open until the test kills this process
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    main(*sys.argv[1:4])
