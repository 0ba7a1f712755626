"""Several faces of one image in a session: one row per face, sharing the image's file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _session_helpers import make_session, prediction

from facealign_gui.datasets.io import open_dataset
from facealign_gui.session.export import export_session
from facealign_gui.session.files import connect, full_check
from facealign_gui.session.store import Session, SessionError


def test_a_second_face_is_a_row_of_the_same_image_with_its_own_box(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=3)
    s.set_image_size(1, 640, 480)
    j = s.add_face(1, np.array([300.0, 40.0, 420.0, 200.0]))
    assert j == 3 and len(s) == 4
    info = s.image_info(j)
    assert info["path"] == s.image_name(1) and info["size"] == (640, 480)
    np.testing.assert_array_equal(info["box"], [300.0, 40.0, 420.0, 200.0])
    assert s.faces(1) == s.faces(j) == [1, 3] and s.faces(0) == [0]
    assert s.unpredicted() == [3]
    s.set_prediction(j, prediction(seed=9))
    assert s.review_queue("index") == [0, 1, 3, 2]  # the image's faces together
    path = s.path
    s.close()
    conn = connect(path)
    try:
        full_check(conn, path)  # every row's checksum is right, the new one too
    finally:
        conn.close()
    with Session.open(path) as again:
        assert again.faces(3) == [1, 3]


def test_a_face_box_must_be_four_finite_numbers(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=1)
    with pytest.raises(SessionError, match="4 finite numbers"):
        s.add_face(0, np.array([1.0, np.nan, 3.0, 4.0]))
    with pytest.raises(SessionError, match="outside"):
        s.add_face(5, np.zeros(4))
    assert len(s) == 1
    s.close()


def test_each_face_is_one_row_of_the_export(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2)
    j = s.add_face(0, np.array([150.0, 30.0, 250.0, 130.0]))
    s.set_prediction(j, prediction(seed=5))
    for i in range(3):
        s.accept(i)
    out = tmp_path / "out.csv"
    assert export_session(s, out, "hrnet_csv").count == 3
    back = open_dataset(out, check_images=False)
    names = [Path(p).name for p in back.images]
    assert names == ["img_000.png", "img_001.png", "img_000.png"]
    np.testing.assert_allclose(back.points[2], prediction(seed=5).points, atol=1e-3)
    s.close()


def test_a_found_face_is_exported_with_the_box_of_its_labelled_points(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=1)  # image paths only: no boxes
    j = s.add_face(0, np.array([0.0, 0.0, 500.0, 500.0]))  # the detector's box, say
    s.set_prediction(j, prediction(seed=5))
    for i in (0, 1):
        s.accept(i)
    labels = s.labels()
    assert [b is None for b in labels.boxes] == [True, True]  # neither came with a dataset box
    out = tmp_path / "coco.json"
    export_session(s, out, "coco")
    import json

    bbox = json.loads(out.read_text())["annotations"][1]["bbox"]
    pts = prediction(seed=5).points
    np.testing.assert_allclose(bbox[:2], pts.min(0), atol=1e-6)  # from its points, as face 1
    s.close()


def test_rows_of_a_dataset_with_boxes_keep_their_own_boxes(tmp_path: Path) -> None:
    from facealign_gui.datasets.model import Dataset

    ds = Dataset(format="test", scheme="300w68", root=tmp_path, images=["a.png", "a.png"],
                 boxes=np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]))  # fmt: skip
    s = Session.create(tmp_path / "b.fagsession", ds)
    for i in (0, 1):
        s.set_prediction(i, prediction(seed=i))
        s.accept(i)
    np.testing.assert_array_equal(np.stack(s.labels().boxes), ds.boxes)
    s.close()
