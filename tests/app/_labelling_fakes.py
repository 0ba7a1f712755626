"""A stand-in for `ImageView`'s editing API (same signals and setters), and sessions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from facealign_gui.core.annotation import Prediction
from facealign_gui.session.store import Session


class FakeView(QObject):
    pointsMoved = Signal(object, object, object, str)
    pointsDragging = Signal(object, object)
    selectionChanged = Signal(object)
    pointClicked = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.points: np.ndarray | None = None
        self.visible: np.ndarray | None = None
        self.pred: np.ndarray | None = None
        self.selection = np.zeros(0, np.int64)
        self.editable = False

    def set_editable(self, editable: bool) -> None:
        self.editable = editable

    def set_annotation(self, points: object, visible: object = None) -> None:
        self.points = None if points is None else np.array(points, float)
        self.visible = None if visible is None else np.array(visible, bool)

    def set_prediction(self, points: object, confidence: object = None) -> None:
        self.pred = None if points is None else np.array(points, float)

    def selected_points(self) -> np.ndarray:
        return self.selection.copy()

    def set_selection(self, indices: object) -> None:
        self.selection = np.asarray(indices, np.int64).reshape(-1)

    def drag(self, indices: list[int], new_xy: np.ndarray) -> None:
        """What the real view does at the end of a drag."""
        idx = np.asarray(indices, np.int64)
        old = self.points[idx].copy()
        self.points[idx] = new_xy
        self.pointsMoved.emit(idx, old, np.asarray(new_xy, float), "drag")

    def nudge(self, indices: list[int], delta: tuple[float, float]) -> None:
        """What the real view does on an arrow key."""
        idx = np.asarray(indices, np.int64)
        old = self.points[idx].copy()
        self.points[idx] = old + delta
        self.pointsMoved.emit(idx, old, self.points[idx].copy(), "nudge")


def labelling_session(tmp_path: Path, n: int = 4, k: int = 68) -> Session:
    """``n`` images with predictions; image i has mean confidence 0.2 + 0.1 i."""
    s = Session.create(tmp_path / "s.fagsession", [tmp_path / f"im{i}.png" for i in range(n)],
                       scheme="300w68")  # fmt: skip
    rng = np.random.default_rng(0)
    for i in range(n):
        pts = rng.uniform(10, 110, (k, 2))
        s.set_prediction(
            i,
            Prediction(points=pts, confidence=np.full(k, 0.2 + 0.1 * i, np.float32), model_id="m"),
        )
    return s


def assert_matches_replay(s: Session) -> None:
    """Every image's stored annotation and state equal the journal's replay."""
    rep = s.replayed()
    for i in range(len(s)):
        ann, r = s.annotation(i), rep[i]
        assert s.state(i) == r.state, f"image {i}: state differs from replay"
        assert (ann is None) == (r.points is None), f"image {i}: annotation presence differs"
        if ann is not None:
            np.testing.assert_array_equal(ann.points, r.points)
            np.testing.assert_array_equal(ann.visible, r.visible)
