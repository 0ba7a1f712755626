"""The image view's mouse handling: pick, drag, rubber-band select, or pan.

The ViewBox decides what a gesture means and calls back into its owner (`ImageView`), which
holds the points and emits the public signals.

- drag starting on an annotation point while editable: move it (or the whole selection);
- Shift+drag: rubber-band selection;
- any other drag: pan (wheel zooms);
- click on a point: select it; click on empty space: clear the selection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QGraphicsRectItem

from facealign_gui.app import style

if TYPE_CHECKING:
    from facealign_gui.app.image_view import ImageView

PICK_RADIUS_PX = 9.0


class LandmarkViewBox(pg.ViewBox):
    """A ViewBox (image axis: y down, aspect locked) that understands landmark gestures."""

    def __init__(self, owner: ImageView) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self._owner = owner
        self._drag: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._band: QGraphicsRectItem | None = None
        self._panning = False

    # -- hit testing -----------------------------------------------------------------------
    def nearest(self, view_xy: np.ndarray, points: np.ndarray | None) -> int | None:
        """Index of the point nearest ``view_xy`` within `PICK_RADIUS_PX` screen pixels."""
        if points is None or not len(points):
            return None
        px = self.viewPixelSize()
        scale = np.array([max(px[0], 1e-12), max(px[1], 1e-12)])
        d = np.hypot(*((points - view_xy) / scale).T)
        d = np.where(np.isfinite(d), d, np.inf)
        i = int(np.argmin(d))
        return i if d[i] <= PICK_RADIUS_PX else None

    def _view_xy(self, scene_pos: QPointF) -> np.ndarray:
        p = self.mapSceneToView(scene_pos)
        return np.array([p.x(), p.y()])

    # -- gestures --------------------------------------------------------------------------
    def mouseClickEvent(self, ev: object) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseClickEvent(ev)
            return
        ev.accept()
        self._owner.handle_click(self._view_xy(ev.scenePos()), ev.modifiers())

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        owner = self._owner
        if ev.isStart():
            start = self._view_xy(ev.buttonDownScenePos())
            self._panning = False
            hit = self.nearest(start, owner.annotation_points()) if owner.is_editable() else None
            if hit is not None:
                indices = owner.begin_drag(hit)
                self._drag = (indices, owner.annotation_points()[indices].copy(), start)
            elif ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self._start_band(start)
            else:
                self._panning = True
        if self._drag is not None:
            ev.accept()
            indices, old, start = self._drag
            new = old + (self._view_xy(ev.scenePos()) - start)
            if ev.isFinish():
                self._drag = None
                owner.finish_drag(indices, old, new)
            else:
                owner.drag_to(indices, new)
        elif self._band is not None:
            ev.accept()
            a = self._view_xy(ev.buttonDownScenePos())
            b = self._view_xy(ev.scenePos())
            rect = QRectF(QPointF(*a), QPointF(*b)).normalized()
            self._band.setRect(rect)
            if ev.isFinish():
                self.removeItem(self._band)
                self._band = None
                owner.select_in_rect(rect, ev.modifiers())
        elif self._panning:
            super().mouseDragEvent(ev, axis)

    def _start_band(self, start: np.ndarray) -> None:
        self._band = QGraphicsRectItem(QRectF(start[0], start[1], 0, 0))
        self._band.setPen(style.pen("selected", 1))
        self._band.setBrush(style.brush("selected", 40))
        self._band.setZValue(100)
        self.addItem(self._band, ignoreBounds=True)
