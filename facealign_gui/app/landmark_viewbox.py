"""The image view's mouse handling: pick, drag, rubber-band select, or pan.

The ViewBox decides what a gesture means and calls back into its owner (`ImageView`), which
holds the points and emits the public signals.

- drag starting on an annotation point while editable: move it (or the whole selection);
- Shift+drag: rubber-band selection;
- any other drag: pan (wheel zooms);
- click on a point: select it; click on empty space: clear the selection.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QGraphicsRectItem

from facealign_gui.app import style
from facealign_gui.viewmodel.gestures import PICK_RADIUS_PX, nearest_point

__all__ = ["PICK_RADIUS_PX", "GestureTarget", "LandmarkViewBox"]


class GestureTarget(Protocol):
    """What the ViewBox forwards gestures to (the landmark editor of `ImageView`)."""

    def is_editable(self) -> bool: ...
    def annotation_points(self) -> np.ndarray | None: ...
    def handle_click(self, xy: np.ndarray, modifiers: object) -> None: ...
    def begin_drag(self, hit: int) -> np.ndarray: ...
    def drag_to(self, indices: np.ndarray, xy: np.ndarray) -> None: ...
    def finish_drag(self, indices: np.ndarray, old: np.ndarray, new: np.ndarray) -> None: ...
    def select_in_rect(self, rect: QRectF, modifiers: object) -> None: ...


class LandmarkViewBox(pg.ViewBox):
    """A ViewBox (image axis: y down, aspect locked) that understands landmark gestures."""

    def __init__(self, owner: GestureTarget) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self._owner = owner
        self._drag: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._band: QGraphicsRectItem | None = None
        self._panning = False

    # -- hit testing -----------------------------------------------------------------------
    def nearest(self, view_xy: np.ndarray, points: np.ndarray | None) -> int | None:
        """Index of the point nearest ``view_xy`` within `PICK_RADIUS_PX` screen pixels."""
        px = self.viewPixelSize()
        return nearest_point(view_xy, points, (px[0], px[1]))

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
