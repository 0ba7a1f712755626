"""A dataset's occlusion flags (COFW, COCO v=1) survive into a labelling session."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.datasets.model import Dataset
from facealign_gui.session.sources import rows_from
from facealign_gui.session.store import Session


def _dataset(tmp_path: Path) -> Dataset:
    pts = np.random.default_rng(0).uniform(10, 90, (2, 29, 2))
    visible = np.ones((2, 29), bool)
    visible[1, 3] = False  # a point the annotator could not place
    pts[1, 3] = np.nan
    occluded = np.zeros((2, 29), bool)
    occluded[0, [5, 7]] = True  # placed, but hidden
    return Dataset(format="cofw_mat", scheme="cofw29", root=tmp_path, images=["a.png", "b.png"],
                   points=pts, visible=visible, occluded=occluded)  # fmt: skip


def test_occluded_points_are_placed_but_not_visible_in_the_session_rows(tmp_path) -> None:
    rows = rows_from(_dataset(tmp_path))
    assert rows.visible is not None
    assert not rows.visible[0, 5] and not rows.visible[0, 7] and rows.visible[0, 6]
    assert not rows.visible[1, 3]


def test_a_session_made_from_the_dataset_keeps_the_occlusion(tmp_path: Path) -> None:
    s = Session.create(tmp_path / "s.fagsession", _dataset(tmp_path))
    try:
        labels = s.labels()
        assert np.isfinite(labels.points[0, [5, 7]]).all()
        assert labels.visible[0].tolist().count(False) == 2
        assert not labels.visible[0, 5] and not labels.visible[0, 7]
    finally:
        s.close()
