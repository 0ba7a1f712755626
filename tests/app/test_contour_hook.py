"""Contour tools as session edits: one edit each, counted as the person's moves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.app import contour_hook
from facealign_gui.core.annotation import Prediction
from facealign_gui.core.shape_model import shipped_shape_model
from facealign_gui.session.provenance import point_provenance
from facealign_gui.session.store import Session


def _session(tmp_path: Path) -> Session:
    pts = shipped_shape_model("300w68").mean * 80.0 + [200.0, 150.0]
    s = Session.create(tmp_path / "c.fagsession", [tmp_path / "a.png"], scheme="300w68")
    s.set_prediction(0, Prediction(points=pts, confidence=np.ones(68, np.float32)))
    return s


def test_sliding_a_jaw_point_moves_only_it_and_keeps_it_on_the_jaw(tmp_path: Path) -> None:
    s = _session(tmp_path)
    before = s.prediction(0).points
    target = (before[4] + before[5]) / 2  # the chord between 4 and 5, just off the curve
    edit = contour_hook.slide(s, 0, 4, tuple(target))
    assert edit is not None and edit.kind == "slide" and edit.indices.tolist() == [4]
    after = s.annotation(0).points[4]
    assert np.linalg.norm(after - before[4]) > 1.0
    assert np.linalg.norm(after - before[5]) < np.linalg.norm(before[4] - before[5])
    codes, person = point_provenance(s.journal(), 1, 68)
    assert codes[0][4] == "moved" and person[0] == 1
    s.close()


def test_respacing_and_a_group_turn_are_one_edit_each(tmp_path: Path) -> None:
    s = _session(tmp_path)
    pts = s.prediction(0).points
    pts[3] = (pts[2] + pts[3]) / 2  # bunch jaw point 3 towards 2
    s.move_points(0, [3], pts[[3]])
    edit = contour_hook.respace(s, 0, 3)
    assert edit is not None and edit.kind == "respace" and 3 in edit.indices
    jaw = s.annotation(0).points[0:17]
    steps = np.linalg.norm(np.diff(jaw, axis=0), axis=1)
    assert steps.max() / steps.min() < 1.05
    turned = contour_hook.move_group(s, 0, 50, rotate=0.1)
    assert turned is not None and sorted(turned.indices) == list(range(48, 68))
    assert contour_hook.group_of(s, 50)[0] == "mouth"
    s.close()
