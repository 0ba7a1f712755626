"""Labelling an image with several faces in the real window: one session row per face after
"predict all", the other faces dimmed, a face selector (and N / Shift+N), export and reopen."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from _mouse import drag as mouse_drag
from PySide6.QtCore import Qt

from facealign_gui.app.main_window import MainWindow
from facealign_gui.core.annotation import Status
from facealign_gui.datasets.io import open_dataset
from facealign_gui.session.export import export_session
from facealign_gui.session.store import Session


def _two_faces(shared_dir: Path, folder: Path) -> int:
    """``folder/two.png``: takeo twice side by side (the second mirrored); returns its width."""
    face = cv2.imread(str(shared_dir / "fixtures" / "takeo.ppm"))
    h, w = face.shape[:2]
    canvas = np.full((h + 40, 2 * w + 60, 3), 128, np.uint8)
    canvas[20 : 20 + h, 20 : 20 + w] = face
    canvas[20 : 20 + h, 40 + w : 40 + 2 * w] = face[:, ::-1]
    folder.mkdir()
    cv2.imwrite(str(folder / "two.png"), canvas)
    return w


@pytest.fixture
def two_face_session(qtbot, prefs, shared_dir: Path, tiny_model: Path, tmp_path: Path):
    w_face = _two_faces(shared_dir, tmp_path / "images")
    w = MainWindow(prefs, default_model=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()  # the labelling keys are window shortcuts
    with qtbot.waitSignal(w.inspector.datasetOpened, timeout=10000):
        w.open_path(tmp_path / "images")
    with qtbot.waitSignal(w.inspector.modelLoaded, timeout=10000):
        w.open_path(tiny_model)
    assert w.labelling.create(tmp_path / "work.fagsession")
    dock = w.labelling.dock
    assert len(dock.session) == 1  # an image folder: one row per image, no boxes yet
    dock.predict_all()
    qtbot.waitUntil(lambda: dock._worker is None, timeout=60000)
    yield w, w_face
    w.labelling.close()
    w.close()


def test_predict_all_gives_each_face_of_an_image_its_own_row(two_face_session) -> None:
    w, w_face = two_face_session
    s = w.labelling.session
    assert len(s) == 2 and s.unpredicted() == []
    assert s.image_name(0) == s.image_name(1) == "two.png"
    assert s.faces(0) == s.faces(1) == [0, 1]
    xs = sorted(float(s.prediction(i).points[:, 0].mean()) for i in (0, 1))
    assert xs[0] < 20 + w_face < xs[1]  # one face on each half
    assert s.image_info(1)["box"] is not None  # the second face keeps where it was found
    assert s.prediction(1, role="mirror") is not None  # its mirror check ran too


def test_the_view_edits_one_face_dims_the_other_and_the_selector_moves_between_them(
    two_face_session, qtbot
) -> None:
    w, _ = two_face_session
    dock, s = w.labelling.dock, w.labelling.session
    c = dock.controller
    c.show(0)
    assert dock.face_box.isVisible() and dock.face_box.count() == 2
    assert dock.face_box.currentText() == "Face 1 of 2"
    np.testing.assert_allclose(w.view.annotation_points(), s.prediction(0).points)
    dimmed = w.view.others_item.data  # the other face's points, not editable
    other = np.array([[p["x"], p["y"]] for p in dimmed]) if dimmed.dtype.names else dimmed
    assert len(other) == s.num_points
    qtbot.keyClick(w.view, Qt.Key.Key_N)  # the next face of the same image (focus on the view)
    assert c.current == 1 and dock.face_box.currentText() == "Face 2 of 2"
    assert "two.png</b> (face 2/2)" in dock.current_label.text()
    rows = [dock.model.index(r).data() for r in range(dock.model.rowCount())]
    assert sorted(r.split("  ")[0][2:] for r in rows) == [
        "two.png (face 1/2)",
        "two.png (face 2/2)",
    ]  # the queue tells the two rows apart
    np.testing.assert_allclose(w.view.annotation_points(), s.prediction(1).points)
    qtbot.keyClick(w.view, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)  # and back
    assert c.current == 0
    dock.face_box.activated.emit(1)  # the selector, as a click on "Face 2 of 2" does
    assert c.current == 1


def test_both_faces_are_labelled_exported_and_kept_on_reopen(
    two_face_session, qtbot, tmp_path: Path
) -> None:
    w, _ = two_face_session
    dock, s = w.labelling.dock, w.labelling.session
    c = dock.controller
    c.refresh_queue("index")
    c.show(0)
    qtbot.keyClick(w, Qt.Key.Key_Space)  # accept the first face: the next is the second
    assert s.status(0) is Status.VERIFIED and c.current == 1
    w.view.fit()
    before = w.view.annotation_points().copy()
    a = tuple(before[30])
    b = (a[0] + 5.0, a[1] + 4.0)
    mouse_drag(w.view, w.view.vb, a, b)  # a real drag of a point of the second face
    np.testing.assert_allclose(s.annotation(1).points[30], b, atol=0.5)
    np.testing.assert_allclose(s.prediction(0).points, s.annotation(0).points)  # untouched
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert s.status(1) is Status.VERIFIED
    labelled = [s.annotation(i).points.copy() for i in (0, 1)]

    out = tmp_path / "export.csv"
    r = export_session(s, out, "hrnet_csv")
    assert r.count == 2
    back = open_dataset(out, check_images=False)
    assert back.images == ["two.png", "two.png"]  # HRNet CSV repeats the image's name
    np.testing.assert_allclose(back.points, np.stack(labelled), atol=1e-3)
    pts_dir = tmp_path / "pts"
    export_session(s, pts_dir, "pts")
    assert sorted(p.name for p in pts_dir.glob("*.pts")) == ["two.pts", "two_2.pts"]
    coco = tmp_path / "coco.json"
    export_session(s, coco, "coco")
    import json

    doc = json.loads(coco.read_text())
    assert len(doc["images"]) == 1 and len(doc["annotations"]) == 2  # one per face

    path = s.path
    w.labelling.close()
    with Session.open(path) as again:
        assert len(again) == 2 and again.faces(0) == [0, 1]
        for i in (0, 1):
            assert again.status(i) is Status.VERIFIED
            np.testing.assert_allclose(again.annotation(i).points, labelled[i])


def test_moving_between_faces_keeps_the_decoded_image_and_a_late_decode_still_shows(
    two_face_session, qtbot
) -> None:
    w, _ = two_face_session
    dock = w.labelling.dock
    c = dock.controller
    c.show(0)
    qtbot.waitUntil(lambda: w.view.image_item.image is not None, timeout=5000)
    asked: list[int] = []
    request = dock.loader.request
    dock.loader.request = lambda i, path: (asked.append(i), request(i, path))  # type: ignore[method-assign]
    c.next_face()
    assert c.current == 1 and asked == []  # the same file: not decoded again
    # a decode asked for face 1 of the image arrives once face 2 is shown: it is this image
    w.view.set_image(None)
    image = np.zeros((50, 60, 3), np.uint8)
    dock._on_image_loaded(0, image)
    assert w.view.image_item.image is not None and w.view.image_item.image.shape[:2] == (50, 60)
