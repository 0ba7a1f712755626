"""Graphics items drawn over the image: point labels, error vectors, scheme edges.

Every item here is updated with one call per frame (no per-point Python objects in the scene).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QPainter

from facealign_gui.app import style
from facealign_gui.viewmodel.gestures import uncluttered


class PassiveScatter(pg.ScatterPlotItem):
    """A scatter plot that never takes a click (pyqtgraph offers clicks to every item near
    the cursor; the image view's ViewBox decides what a click means)."""

    def mouseClickEvent(self, ev: object) -> None:
        ev.ignore()  # type: ignore[attr-defined]


class PointLabelsItem(pg.GraphicsObject):
    """All point numbers in one item, painted in screen space (a constant font size)."""

    def __init__(self, color: str = style.COLORS["text"]) -> None:
        super().__init__()
        self._xy = np.zeros((0, 2))
        self._texts: list[str] = []
        self._color = QColor(color)
        self._font = QFont()
        self._font.setPointSize(7)

    def set_points(self, xy: np.ndarray | None) -> None:
        """Label point ``i`` of ``xy`` (K, 2) with its index; NaN points are skipped."""
        self.prepareGeometryChange()
        if xy is None:
            self._xy = np.zeros((0, 2))
        else:
            self._xy = np.asarray(xy, dtype=float)
        if len(self._texts) != len(self._xy):
            self._texts = [str(i) for i in range(len(self._xy))]
        self.update()

    def boundingRect(self) -> QRectF:
        ok = np.isfinite(self._xy).all(axis=1) if len(self._xy) else np.zeros(0, bool)
        if not ok.any():
            return QRectF()
        lo, hi = self._xy[ok].min(axis=0), self._xy[ok].max(axis=0)
        pad = 40.0  # the text lies in screen space beside the point; a generous margin
        return QRectF(lo[0] - pad, lo[1] - pad, hi[0] - lo[0] + 2 * pad, hi[1] - lo[1] + 2 * pad)

    def paint(self, p: QPainter, *args: object) -> None:
        if not len(self._xy):
            return
        tr = p.transform()
        p.resetTransform()
        p.setFont(self._font)
        p.setPen(self._color)
        screen = self.screen_positions(tr)
        for i in np.flatnonzero(uncluttered(screen)):  # at fit zoom: no pile of numbers
            p.drawText(QPointF(screen[i, 0] + 4.0, screen[i, 1] - 3.0), self._texts[i])

    def screen_positions(self, tr: object) -> np.ndarray:
        """The points mapped by the painter's transform ``tr`` (NaN stays NaN)."""
        xy = self._xy
        if not len(xy):
            return np.zeros((0, 2))
        m11, m12, m21, m22 = tr.m11(), tr.m12(), tr.m21(), tr.m22()  # type: ignore[attr-defined]
        dx, dy = tr.dx(), tr.dy()  # type: ignore[attr-defined]
        x = m11 * xy[:, 0] + m21 * xy[:, 1] + dx
        y = m12 * xy[:, 0] + m22 * xy[:, 1] + dy
        return np.stack([x, y], 1)


class SegmentsItem:
    """Line segments in one colour, drawn by one `PlotCurveItem` with ``connect='pairs'``."""

    def __init__(self, color: str, width: float = 1.0) -> None:
        self.item = pg.PlotCurveItem(pen=style.pen(color, width), antialias=True)

    def set_segments(self, a: np.ndarray, b: np.ndarray) -> None:
        """Draw segments ``a[i] -> b[i]``; rows with a NaN coordinate are skipped."""
        ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
        a, b = a[ok], b[ok]
        if not len(a):
            self.item.setData([], [])
            return
        xy = np.empty((2 * len(a), 2))
        xy[0::2], xy[1::2] = a, b
        self.item.setData(xy[:, 0], xy[:, 1], connect="pairs")


class ErrorVectors:
    """Truth -> prediction vectors, one colour per error bin (`style.ERROR_BINS`)."""

    def __init__(self) -> None:
        self.layers = [SegmentsItem(c, 1.5) for c in style.ERROR_COLORS]

    @property
    def items(self) -> list[pg.PlotCurveItem]:
        return [s.item for s in self.layers]

    def set_vectors(self, truth: np.ndarray | None, pred: np.ndarray | None, norm: float) -> None:
        """Colour each vector by ``|pred - truth| / norm`` binned at `style.ERROR_BINS`."""
        if truth is None or pred is None or truth.shape != pred.shape or norm <= 0:
            for s in self.layers:
                s.set_segments(np.zeros((0, 2)), np.zeros((0, 2)))
            return
        err = np.linalg.norm(pred - truth, axis=1) / norm
        bins = np.digitize(np.nan_to_num(err, nan=0.0), style.ERROR_BINS)
        for b, s in enumerate(self.layers):
            m = bins == b
            s.set_segments(truth[m], pred[m])


def edge_segments(points: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) endpoint arrays of a scheme's edges (E, 2) over ``points`` (K, 2)."""
    if edges is None or not len(edges) or points is None:
        return np.zeros((0, 2)), np.zeros((0, 2))
    edges = np.asarray(edges, dtype=np.int64)
    edges = edges[(edges < len(points)).all(axis=1)]
    return points[edges[:, 0]], points[edges[:, 1]]


def fallback_error_norm(truth: np.ndarray | None) -> float:
    """Square root of the ground truth's bounding-box area, when no NME normaliser is known."""
    if truth is None:
        return 0.0
    ok = np.isfinite(truth).all(axis=1)
    if ok.sum() < 2:
        return 0.0
    lo, hi = truth[ok].min(axis=0), truth[ok].max(axis=0)
    return float(np.sqrt(max((hi[0] - lo[0]) * (hi[1] - lo[1]), 1e-9)))


class PassiveLegend(pg.LegendItem):
    """A legend that does not move when dragged: drags and clicks go to the view below."""

    def mouseDragEvent(self, ev: object) -> None:
        ev.ignore()  # type: ignore[attr-defined]

    def mouseClickEvent(self, ev: object) -> None:
        ev.ignore()  # type: ignore[attr-defined]


def build_legend(
    parent: pg.ViewBox,
    truth: str = style.COLORS["truth"],
    prediction: str = style.COLORS["prediction"],
    error_colors: tuple[str, ...] = style.ERROR_COLORS,
) -> pg.LegendItem:
    """A compact legend for the landmark layers, pinned to the view's top-left corner."""
    legend = PassiveLegend(
        offset=(8, 8),
        labelTextColor=style.COLORS["text"],
        brush=pg.mkBrush(20, 20, 24, 190),
        labelTextSize="8pt",
    )
    legend.setParentItem(parent)
    legend.addItem(
        pg.ScatterPlotItem(symbol="o", size=8, brush=pg.mkBrush(truth), pen=pg.mkPen("k")),
        "ground truth",
    )
    legend.addItem(
        pg.ScatterPlotItem(symbol="x", size=9, brush=pg.mkBrush(prediction), pen=None),
        "prediction",
    )
    names = [f"error &lt; {style.ERROR_BINS[0]:.0%}"]
    names += [
        f"{a:.0%}–{b:.0%}" for a, b in zip(style.ERROR_BINS[:-1], style.ERROR_BINS[1:], strict=True)
    ]
    names += [f"error ≥ {style.ERROR_BINS[-1]:.0%}"]
    for color, name in zip(error_colors, names, strict=True):
        legend.addItem(pg.PlotDataItem(pen=style.pen(color, 2)), name)
    return legend


def error_bin_colors(low: str, mid: str, high: str) -> tuple[str, ...]:
    """Four bin colours from a three-colour ramp (the third bin halfway from mid to high)."""
    a, b = QColor(mid), QColor(high)
    between = QColor(
        (a.red() + b.red()) // 2, (a.green() + b.green()) // 2, (a.blue() + b.blue()) // 2
    )
    return (QColor(low).name(), a.name(), between.name(), b.name())
