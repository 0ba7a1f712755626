"""The image view's editing half: selection, dragging, rubber band, arrow-key nudges.

`ImageView` mixes this in; `LandmarkViewBox` calls `handle_click`, `begin_drag`, `drag_to`,
`finish_drag` and `select_in_rect`. The public API the labelling dock uses is
`set_editable`, `selected_points`, `set_selection` and the view's signals.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QKeyEvent


class EditingMixin:
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
        hit = self.vb.nearest(xy, self._truth)
        if hit is None:
            hit = self.vb.nearest(xy, self._pred)
        if hit is None:
            if not modifiers & Qt.KeyboardModifier.ShiftModifier:
                self.set_selection([])
            return
        if modifiers & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier):
            sel = set(self._selection.tolist()) ^ {hit}
            self.set_selection(sorted(sel))
        else:
            self.set_selection([hit])
        self.pointClicked.emit(hit)

    def begin_drag(self, hit: int) -> np.ndarray:
        if hit not in self._selection:
            self.set_selection([hit])
        return self._selection.copy()

    def drag_to(self, indices: np.ndarray, xy: np.ndarray) -> None:
        self._truth[indices] = xy
        self._refresh_points(prediction=False)
        self.pointsDragging.emit(indices, xy.copy())

    def finish_drag(self, indices: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        self._truth[indices] = new
        self._refresh_points(prediction=False)
        self.pointsMoved.emit(indices, old, new.copy())

    def select_in_rect(self, rect: QRectF, modifiers: object) -> None:
        base = self._truth if self._truth is not None else self._pred
        if base is None:
            return
        x, y = base[:, 0], base[:, 1]
        inside = (x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom())
        idx = np.flatnonzero(inside)
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            idx = np.union1d(self._selection, idx)
        self.set_selection(idx)

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
            self.finish_drag(idx, old, old + delta)
            ev.accept()
            return
        ev.ignore()
