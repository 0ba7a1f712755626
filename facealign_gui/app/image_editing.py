"""The image view's editing half: selection, dragging, rubber band, arrow-key nudges.

`ImageView` mixes this in; `LandmarkViewBox` calls `handle_click`, `begin_drag`, `drag_to`,
`finish_drag` and `select_in_rect`. The public API the labelling dock uses is
`set_editable`, `selected_points`, `set_selection` and the view's signals.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QKeyEvent

from facealign_gui.viewmodel.gestures import (
    click_selection,
    drag_indices,
    drag_kind,
    rect_selection,
)


class PointEditing:
    """Selection and editing of the annotation points (see the module docstring)."""

    # -- selection & editing (called by LandmarkViewBox) -------------------------------------
    def set_editable(self, editable: bool) -> None:
        """Allow dragging and nudging the annotation points."""
        self._editable = bool(editable)

    def is_editable(self) -> bool:
        return self._editable

    def annotation_points(self) -> np.ndarray | None:
        return self._truth

    def selected_points(self) -> np.ndarray:
        """Indices (int64) of the selected points."""
        return self._selection.copy()

    def set_selection(self, indices: object) -> None:
        """Select these point indices and emit `selectionChanged` when it changed."""
        sel = np.unique(np.asarray(indices, dtype=np.int64).ravel())
        changed = not np.array_equal(sel, self._selection)
        self._selection = sel
        self._refresh_selection()
        if changed:
            self.selectionChanged.emit(sel.copy())

    def handle_click(self, xy: np.ndarray, modifiers: object) -> None:
        hit = self.vb.nearest(xy, self._truth)  # occluded points too: they stay selectable
        if hit is None:
            hit = self.vb.nearest(xy, self._pred)
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        self.set_selection(click_selection(self._selection, hit, shift or ctrl, shift))
        if hit is not None:
            self.pointClicked.emit(hit)

    def begin_drag(self, hit: int) -> np.ndarray:
        idx = drag_indices(self._selection, hit)
        if not np.array_equal(idx, self._selection):
            self.set_selection(idx)
        self._drag_start = None if self._truth is None else self._truth.copy()
        return idx

    def _filtered(self, indices: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """``xy`` through `drag_filter` (the contour tools' slide), when one is set:
        ``drag_filter(indices, points_at_drag_start, xy) -> xy``."""
        f = getattr(self, "drag_filter", None)
        start = getattr(self, "_drag_start", None)
        if f is None or start is None:
            return xy
        return np.asarray(f(indices, start, xy), float).reshape(xy.shape)

    def drag_to(self, indices: np.ndarray, xy: np.ndarray) -> None:
        xy = self._filtered(indices, xy)
        self._truth[indices] = xy
        self._refresh_points(prediction=False)
        self.pointsDragging.emit(indices, xy.copy())

    def finish_drag(
        self, indices: np.ndarray, old: np.ndarray, new: np.ndarray, kind: str | None = None
    ) -> None:
        """End of a gesture: ``kind`` is "drag", "group" (several points) or "nudge".
        """
        kind = kind or drag_kind(indices)
        indices = np.asarray(indices, np.int64)
        if kind != "nudge":
            new = self._filtered(indices, np.asarray(new, float))
        self._drag_start = None
        self._truth[indices] = new
        self._refresh_points(prediction=False)
        self.pointsMoved.emit(indices, old, new.copy(), kind)

    def select_in_rect(self, rect: QRectF, modifiers: object) -> None:
        base = self._truth if self._truth is not None else self._pred
        add = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        box = (rect.left(), rect.top(), rect.right(), rect.bottom())
        self.set_selection(rect_selection(base, box, self._selection, add))

    def keyPressEvent(self, ev: QKeyEvent) -> None:
        steps = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        key = Qt.Key(ev.key())
        if key in steps and self._editable and len(self._selection) and self._truth is not None:
            k = 10.0 if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0
            delta = np.array(steps[key], dtype=float) * self.nudge_step * k
            idx = self._selection.copy()
            old = self._truth[idx].copy()
            self.finish_drag(idx, old, old + delta, "nudge")
            ev.accept()
            return
        ev.ignore()
