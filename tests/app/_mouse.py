"""Mouse gestures on pyqtgraph views, sent as real QMouseEvents (buttons held while moving)."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

MOVE_GAP = 0.012


def view_to_widget(gv: object, vb: object, xy: tuple[float, float]) -> QPoint:
    """Viewport pixel of view coordinate ``xy`` in ViewBox ``vb`` of GraphicsView ``gv``."""
    return gv.mapFromScene(vb.mapViewToScene(QPointF(*xy)))  # type: ignore[attr-defined]


def _send(
    vp: object,
    kind: QEvent.Type,
    pos: QPoint,
    button: Qt.MouseButton,
    buttons: Qt.MouseButton,
    mods: Qt.KeyboardModifier,
) -> None:
    p = QPointF(pos)
    ev = QMouseEvent(kind, p, QPointF(vp.mapToGlobal(pos)), button, buttons, mods)  # type: ignore[attr-defined]
    QApplication.sendEvent(vp, ev)


def drag(
    gv: object,
    vb: object,
    a: tuple[float, float],
    b: tuple[float, float],
    mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    steps: int = 6,
) -> None:
    """Press at view point ``a``, move to ``b`` in ``steps``, release."""
    vp = gv.viewport()  # type: ignore[attr-defined]
    pa, pb = view_to_widget(gv, vb, a), view_to_widget(gv, vb, b)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _send(vp, QEvent.Type.MouseButtonPress, pa, left, left, mods)
    for k in range(1, steps + 1):
        time.sleep(MOVE_GAP)  # pyqtgraph drops moves closer than 1/mouseRateLimit apart
        p = pa + (pb - pa) * (k / steps)
        _send(vp, QEvent.Type.MouseMove, p, none, left, mods)
    _send(vp, QEvent.Type.MouseButtonRelease, pb, left, none, mods)


def click(
    gv: object,
    vb: object,
    a: tuple[float, float],
    mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    vp = gv.viewport()  # type: ignore[attr-defined]
    pa = view_to_widget(gv, vb, a)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _send(vp, QEvent.Type.MouseButtonPress, pa, left, left, mods)
    _send(vp, QEvent.Type.MouseButtonRelease, pa, left, none, mods)
