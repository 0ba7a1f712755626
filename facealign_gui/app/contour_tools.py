"""Contour tools in the window: slide a point along its curve (Ctrl+drag), re-space a contour
evenly, select / rotate / scale a semantic group rigidly. Each edit is one undo step through
`EditController.move_points` (the pure geometry is `core.contours`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from facealign_gui.core.contours import contour_of, respace, slide_point, transform_group
from facealign_gui.core.schemes import SCHEMES

__all__ = ["CONTOUR_SHORTCUTS", "ContourTools"]

SLIDE_MODIFIER = Qt.KeyboardModifier.ControlModifier  # Alt+drag moves windows in many WMs
RESPACE = "E"
SELECT_GROUP = "G"
ROTATE = (",", ".")  # counter-clockwise, clockwise
SCALE = ("Alt+,", "Alt+.")  # smaller, larger (Ctrl+, is Preferences)
ROTATE_STEP = math.radians(2.0)
_MOUSE_EVENTS = (
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.MouseButtonRelease,
)
SCALE_STEP = 1.02

CONTOUR_SHORTCUTS: list[tuple[str, str]] = [
    ("Ctrl+drag", "Slide a contour point along its curve (jaw, brows, lids, lips)"),
    (RESPACE, "Re-space the selected point's contour evenly along its curve"),
    (SELECT_GROUP, "Select the selected point's group (an eye, a brow, the mouth…)"),
    (" / ".join(ROTATE), "Rotate the selected points 2° (counter-clockwise / clockwise)"),
    (" / ".join(SCALE), "Scale the selected points 2 % smaller / larger"),
    ("Drag on a selection", "Move the selected points (a whole group) rigidly"),
]


class ContourTools(QObject):
    """Binds the contour keys on ``host`` (the dock) and the slide filter on ``view``."""

    def __init__(self, controller: object, view: object, host: QWidget,
                 say: Callable[[str], None] = print) -> None:  # fmt: skip
        super().__init__(host)
        self._say = say
        # the modifiers of the mouse gesture in progress (read off the view's own events)
        self._mouse_mods = Qt.KeyboardModifier.NoModifier
        self._modifiers: Callable[[], object] = lambda: self._mouse_mods
        self._viewport = view.viewport() if hasattr(view, "viewport") else None  # type: ignore[attr-defined]
        if self._viewport is not None:
            self._viewport.installEventFilter(self)
        self.c = controller
        self.view = view  # the real ImageView (the slide filter lives on it)
        self.scheme = getattr(controller.session, "scheme", None) or ""  # type: ignore[attr-defined]
        self.actions: dict[str, QAction] = {}
        table = [
            (RESPACE, "Re-space contour evenly", self.respace_selected),
            (SELECT_GROUP, "Select the point's group", self.select_group),
            (ROTATE[0], "Rotate selection counter-clockwise", lambda: self.rotate(ROTATE_STEP)),
            (ROTATE[1], "Rotate selection clockwise", lambda: self.rotate(-ROTATE_STEP)),
            (SCALE[0], "Scale selection down", lambda: self.scale(1.0 / SCALE_STEP)),
            (SCALE[1], "Scale selection up", lambda: self.scale(SCALE_STEP)),
        ]
        for key, text, slot in table:
            act = QAction(text, host)
            act.setShortcut(QKeySequence(key))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            host.addAction(act)
            self.actions[key] = act
        view.drag_filter = self.slide_filter  # type: ignore[attr-defined]

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        if ev.type() in _MOUSE_EVENTS:
            self._mouse_mods = ev.modifiers()  # type: ignore[attr-defined]
        return False

    # -- helpers -----------------------------------------------------------------------------
    def _points(self) -> np.ndarray | None:
        s, i = self.c.session, self.c.current  # type: ignore[attr-defined]
        if i < 0:
            return None
        ann = s.annotation(i)
        if ann is not None:
            return ann.points.copy()
        pred = s.prediction(i)
        return None if pred is None else pred.points.copy()

    def _selection(self) -> np.ndarray:
        return np.asarray(self.view.selected_points(), dtype=np.int64)  # type: ignore[attr-defined]

    def _move(self, idx: np.ndarray, new: np.ndarray, text: str) -> None:
        if idx.size:
            self.c.move_points(idx, new[idx], "move", text)  # type: ignore[attr-defined]

    # -- slide ------------------------------------------------------------------------------
    def slide_filter(self, indices: np.ndarray, start: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """While Alt is held, a single dragged contour point stays on its curve."""
        if len(indices) != 1 or not (self._modifiers() & SLIDE_MODIFIER):  # type: ignore[operator]
            return xy
        k = int(indices[0])
        contour = contour_of(self.scheme, k)
        if contour is None:
            return xy
        target = np.asarray(xy, float).reshape(-1, 2)[0]
        return slide_point(start, contour, k, (float(target[0]), float(target[1])))[[k]]

    # -- keys -------------------------------------------------------------------------------
    def respace_selected(self) -> None:
        pts, sel = self._points(), self._selection()
        if pts is None or not sel.size:
            self._say("Select a point of a contour first, then E re-spaces it.")
            return
        contour = contour_of(self.scheme, int(sel[0]))
        if contour is None:
            self._say("That point is not on a contour of this scheme.")
            return
        new = respace(pts, contour)
        idx = np.asarray(contour.indices, np.int64)
        moved = idx[~np.isclose(new[idx], pts[idx]).all(axis=1)]
        self._move(moved, new, f"re-space {contour.name.replace('_', ' ')}")

    def select_group(self) -> None:
        sel = self._selection()
        scheme = SCHEMES.get(self.scheme)
        if not sel.size or scheme is None:
            self._say("Select a point first, then G selects its group.")
            return
        k = int(sel[0])
        for idx in scheme.groups.values():
            if k in idx:
                self.view.set_selection(list(idx))  # type: ignore[attr-defined]
                return

    def rotate(self, angle: float) -> None:
        self._transform(f"rotate {len(self._selection())} points", rotate=angle)

    def scale(self, factor: float) -> None:
        self._transform(f"scale {len(self._selection())} points", scale=factor)

    def _transform(self, text: str, **how: float) -> None:
        pts, sel = self._points(), self._selection()
        if pts is None or sel.size < 2:
            self._say("Select two or more points (G: a whole group) to rotate or scale.")
            return
        new = transform_group(pts, list(sel), **how)  # type: ignore[arg-type]
        self._move(sel, new, text)

    def detach(self) -> None:
        if self._viewport is not None:
            self._viewport.removeEventFilter(self)
        if getattr(self.view, "drag_filter", None) == self.slide_filter:
            self.view.drag_filter = None  # type: ignore[attr-defined]
