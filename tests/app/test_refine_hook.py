"""The editor's click-to-refine hook: after a drag, the points not placed move, once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.app.refine_hook import RefineHook
from facealign_gui.core.annotation import Prediction
from facealign_gui.core.shape_model import shipped_shape_model
from facealign_gui.session.provenance import point_provenance
from facealign_gui.session.store import Session


def _session(tmp_path: Path) -> tuple[Session, np.ndarray]:
    pdm = shipped_shape_model("300w68")
    truth = pdm.mean * 80.0 + [200.0, 150.0]
    s = Session.create(tmp_path / "r.fagsession", [tmp_path / "a.png"], scheme="300w68")
    pred = truth + np.array([6.0, -4.0])  # the whole prediction is shifted
    s.set_prediction(0, Prediction(points=pred, confidence=np.ones(68, np.float32)))
    s.copy_prediction(0)
    return s, truth


def test_after_a_drag_the_other_points_follow_and_the_dragged_one_stays(tmp_path: Path) -> None:
    s, truth = _session(tmp_path)
    hook = RefineHook()
    for i in (36, 45, 57):
        s.move_points(0, [i], truth[[i]])
    before = np.linalg.norm(s.annotation(0).points - truth, axis=1).mean()
    edit = hook.after_edit(s, 0)
    assert edit is not None and edit.kind == "refine"
    after = s.annotation(0).points
    np.testing.assert_array_equal(after[[36, 45, 57]], truth[[36, 45, 57]])
    assert np.linalg.norm(after - truth, axis=1).mean() < 0.25 * before
    codes, _ = point_provenance(s.journal(), 1, 68)
    assert codes[0][36] == "moved" and codes[0][0] == "refined"
    s.apply(edit.inverse())  # undo the refinement
    assert np.linalg.norm(s.annotation(0).points - truth, axis=1).mean() == before
    s.close()


def test_switched_off_or_before_any_drag_it_does_nothing(tmp_path: Path) -> None:
    s, truth = _session(tmp_path)
    assert RefineHook().after_edit(s, 0) is None  # nothing placed yet
    s.move_points(0, [30], truth[[30]])
    assert RefineHook(enabled=False).after_edit(s, 0) is None
    s.close()
