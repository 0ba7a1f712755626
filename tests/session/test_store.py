"""The session store: edits, status flow, review order, reopen, journal replay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _session_helpers import assert_matches_replay, face_points, make_session, prediction

from facealign_gui.core.annotation import Source, Status
from facealign_gui.datasets.model import Dataset
from facealign_gui.session.migrations import SCHEMA_VERSION
from facealign_gui.session.store import Session, SessionError


def test_first_move_starts_the_annotation_from_the_prediction(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    s.move_points(1, [3, 7], [[1.5, 2.5], [3.0, 4.0]])
    ann = s.annotation(1)
    expected = face_points(seed=1)
    expected[3], expected[7] = (1.5, 2.5), (3.0, 4.0)
    np.testing.assert_array_equal(ann.points, expected)
    assert ann.visible.all()
    assert ann.source is Source.EDITED
    np.testing.assert_array_equal(ann.from_prediction.points, face_points(seed=1))
    assert s.status(1) is Status.EDITED
    assert_matches_replay(s)


def test_undoing_the_first_move_returns_to_the_bare_prediction(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    e = s.move_points(0, [0], [[0.0, 0.0]])
    s.apply(e.inverse())
    assert s.annotation(0) is None
    assert s.status(0) is Status.PREDICTED
    s.apply(e)  # redo
    np.testing.assert_array_equal(s.annotation(0).points[0], [0.0, 0.0])
    assert_matches_replay(s)


def test_accept_without_edits_copies_the_prediction_and_verifies(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    s.accept(2)
    ann = s.annotation(2)
    np.testing.assert_array_equal(ann.points, face_points(seed=2))
    assert ann.source is Source.PREDICTED
    assert s.status(2) is Status.VERIFIED
    assert s.counts()["reviewed"] == 1 and s.counts()["remaining"] == 4


def test_accept_keeps_the_persons_edits(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    s.move_points(2, [5], [[9.0, 9.0]])
    s.accept(2)
    np.testing.assert_array_equal(s.annotation(2).points[5], [9.0, 9.0])
    assert s.annotation(2).source is Source.EDITED


def test_copy_selected_prediction_points_restores_only_those(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    s.move_points(0, [1, 2], [[0.0, 0.0], [1.0, 1.0]])
    s.copy_prediction(0, [1])
    ann = s.annotation(0)
    np.testing.assert_array_equal(ann.points[1], face_points(seed=0)[1])
    np.testing.assert_array_equal(ann.points[2], [1.0, 1.0])


def test_reset_to_prediction_drops_the_annotation_and_undo_brings_it_back(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    s.move_points(0, [4], [[7.0, 8.0]])
    s.set_visibility(0, [4, 5], False)
    before = s.annotation(0)
    e = s.reset_to_prediction(0)
    assert s.annotation(0) is None and s.status(0) is Status.PREDICTED
    s.apply(e.inverse())
    after = s.annotation(0)
    np.testing.assert_array_equal(after.points, before.points)
    np.testing.assert_array_equal(after.visible, before.visible)
    assert_matches_replay(s)


def test_a_stale_undo_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    e = s.move_points(0, [0], [[1.0, 1.0]])
    s.move_points(0, [0], [[2.0, 2.0]])
    s.accept(0)
    with pytest.raises(SessionError, match="changed since"):
        s.apply(e.inverse())
    np.testing.assert_array_equal(s.annotation(0).points[0], [2.0, 2.0])


def test_bad_indices_and_shapes_are_clear_errors(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    with pytest.raises(SessionError, match=r"0\.\.67"):
        s.move_points(0, [68], [[0.0, 0.0]])
    with pytest.raises(SessionError, match="2 indices but 1"):
        s.move_points(0, [1, 2], [[0.0, 0.0]])
    with pytest.raises(SessionError, match="68"):
        s.set_prediction(0, prediction(k=98))
    with pytest.raises(SessionError, match="outside"):
        s.accept(99)


def test_review_queue_puts_the_least_confident_first(tmp_path: Path) -> None:
    s = make_session(tmp_path, confidences=[0.5, 0.9, 0.1, 0.7, 0.3])
    assert s.review_queue() == [2, 4, 0, 3, 1]
    s.accept(2)
    assert s.review_queue() == [4, 0, 3, 1]
    assert s.review_queue(include_verified=True)[0] == 2
    assert s.review_queue(order="index") == [0, 1, 3, 4]


def test_min_order_uses_the_single_least_confident_point(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2, confidences=[0.5, 0.5])
    p = prediction(seed=1, conf=0.9)
    p.confidence[10] = 0.01  # mean stays high, one point is very unsure
    s.set_prediction(1, p)
    assert s.review_queue("uncertainty") == [0, 1]
    assert s.review_queue("min") == [1, 0]


def test_mirror_order_puts_the_largest_disagreement_first(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=3)
    for i, shift in enumerate([1.0, 5.0, 0.0]):
        m = prediction(seed=i)
        m.points = m.points + shift
        s.set_prediction(i, m, role="mirror")
    assert s.review_queue("mirror") == [1, 0, 2]


def test_images_without_prediction_come_last(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=3, predict=False)
    s.set_prediction(2, prediction(seed=2))
    assert s.review_queue() == [2, 0, 1]
    assert s.counts()["unlabelled"] == 2 and s.counts()["predicted"] == 1


def test_reopening_continues_at_the_last_image_with_every_edit(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    s.move_points(3, [0], [[5.0, 6.0]])
    s.set_current(3)
    s.add_time(3, 4.5)
    s.close()
    s2 = Session.open(tmp_path / "s.fagsession")
    assert s2.current == 3
    np.testing.assert_array_equal(s2.annotation(3).points[0], [5.0, 6.0])
    assert s2.image_info(3)["seconds"] == pytest.approx(4.5)
    assert_matches_replay(s2)
    s2.close()


def test_a_dataset_with_labels_becomes_ground_truth_annotations(tmp_path: Path) -> None:
    pts = np.stack([face_points(seed=i) for i in range(3)])
    vis = np.ones((3, 68), bool)
    vis[1, 5] = False
    ds = Dataset(format="hrnet_csv", scheme="300w68", root=tmp_path,
                 images=["a.png", "b.png", "c.png"], points=pts, visible=vis)  # fmt: skip
    s = Session.create(tmp_path / "gt.fagsession", ds)
    assert s.scheme == "300w68" and s.num_points == 68
    ann = s.annotation(1)
    np.testing.assert_array_equal(ann.points, pts[1])
    assert ann.source is Source.GROUND_TRUTH and not ann.visible[5]
    assert s.image_path(0) == tmp_path / "a.png"
    assert_matches_replay(s)


def test_create_refuses_to_replace_an_existing_session(tmp_path: Path) -> None:
    make_session(tmp_path).close()
    with pytest.raises(SessionError, match="already exists"):
        Session.create(tmp_path / "s.fagsession", [tmp_path / "x.png"], scheme="300w68")


def test_a_session_of_unlabelled_images_needs_a_scheme(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="scheme"):
        Session.create(tmp_path / "u.fagsession", [tmp_path / "x.png"])


def test_the_file_uses_wal_foreign_keys_and_a_schema_version(tmp_path: Path) -> None:
    import sqlite3

    make_session(tmp_path).close()
    con = sqlite3.connect(tmp_path / "s.fagsession")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    fks = con.execute("PRAGMA foreign_key_list(annotations)").fetchall()
    assert {r[2] for r in fks} == {"images", "predictions"}
    con.close()


def test_a_folder_of_unlabelled_images_becomes_a_session(tmp_path: Path) -> None:
    import cv2

    folder = tmp_path / "faces"
    folder.mkdir()
    for name in ("b.png", "a.jpg", "c.png"):
        cv2.imwrite(str(folder / name), np.zeros((8, 8, 3), np.uint8))
    s = Session.create(tmp_path / "f.fagsession", folder, scheme="wflw98")
    assert len(s) == 3 and s.num_points == 98
    assert sorted(s.image_path(i).name for i in range(3)) == ["a.jpg", "b.png", "c.png"]
    assert all(s.image_path(i).is_file() for i in range(3))
    assert s.counts()["unlabelled"] == 3
