"""The correction report: NME between final labels and the prediction, per image/landmark."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from _session_helpers import make_session

from facealign_gui.core.annotation import Prediction
from facealign_gui.session.report import correction_report, write_report_csv


def _eye_prediction(seed: int) -> Prediction:
    """300W points with the outer eye corners (36, 45) exactly 100 px apart."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, (68, 2))
    pts[36], pts[45] = (0.0, 50.0), (100.0, 50.0)
    return Prediction(points=pts, confidence=np.full(68, 0.5, np.float32), model_id="m")


def test_one_point_moved_by_10_px_over_a_100_px_eye_distance(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=3, predict=False)
    for i in range(3):
        s.set_prediction(i, _eye_prediction(i))
    p1 = s.prediction(1).points
    s.move_points(1, [10], [p1[10] + [6.0, 8.0]])  # 10 px
    s.accept(0)  # unchanged
    s.add_time(1, 7.0)
    r = correction_report(s)
    assert list(r.index) == [0, 1]
    assert r.normaliser == "inter_ocular"
    # Worked by hand: 10 px / 100 px on one of 68 points; zero on the others.
    assert r.nme[1] == pytest.approx(0.1 / 68)
    assert r.nme[0] == 0.0
    assert list(r.moved) == [0, 1]
    assert r.seconds[1] == pytest.approx(7.0)
    # Per landmark: point 10 moved by 0.1 in one of two images -> mean 0.05, share 0.5.
    assert r.landmark_error[10] == pytest.approx(0.05)
    assert r.landmark_moved[10] == pytest.approx(0.5)
    assert np.count_nonzero(r.landmark_error) == 1


def test_verified_only_report_skips_edited_images(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=3, predict=False)
    for i in range(3):
        s.set_prediction(i, _eye_prediction(i))
    s.move_points(1, [10], [[0.0, 0.0]])
    s.accept(2)
    assert list(correction_report(s, verified_only=True).index) == [2]


def test_report_csv_has_one_row_per_image_and_per_landmark(tmp_path: Path) -> None:
    s = make_session(tmp_path, n=2, predict=False)
    for i in range(2):
        s.set_prediction(i, _eye_prediction(i))
    p0 = s.prediction(0).points
    s.move_points(0, [10], [p0[10] + [0.0, 10.0]])
    a, b = write_report_csv(correction_report(s), tmp_path / "rep.csv")
    rows = list(csv.DictReader(a.read_text().splitlines()))
    assert len(rows) == 1 and float(rows[0]["nme_inter_ocular"]) == pytest.approx(0.1 / 68)
    assert rows[0]["points_moved"] == "1"
    lm = list(csv.DictReader(b.read_text().splitlines()))
    assert len(lm) == 68 and float(lm[10]["mean_error_inter_ocular"]) == pytest.approx(0.1)
    assert lm[36]["name"] == "right_eye_0"
