"""A styled pyqtgraph plot that reports left clicks in data coordinates.

Shared by the metrics dock's charts (CED, per-landmark bars, histograms) so they look alike:
the app's dark background, light axis text, labelled axes, a faint grid.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

from facealign_gui.app import style

#: Model A and model B in every comparison chart (blue / orange: colour-blind safe).
MODEL_COLOURS: tuple[str, str] = ("#4aa3ff", "#ff8c1a")
THRESHOLD_COLOUR = "#b0b0b0"
SELECTED_COLOUR = style.COLORS["selected"]
AXIS_TEXT = "#d8d8d8"
LEGEND_ROW = 5  # below the bottom axis (row 3) in a PlotItem's layout


class ClickablePlot(pg.PlotWidget):
    """A `pg.PlotWidget` with titled axes; emits ``clickedAt(x, y)`` on a left click inside the
    plotting area (data coordinates)."""

    clickedAt = Signal(float, float)

    def __init__(self, title: str, x_label: str, y_label: str, parent: object = None) -> None:
        super().__init__(parent, background=style.BACKGROUND)
        self.plot_item = self.getPlotItem()
        self.plot_item.setTitle(title, color=AXIS_TEXT, size="10pt")
        for side, label in (("bottom", x_label), ("left", y_label)):
            axis = self.plot_item.getAxis(side)
            axis.setPen(pg.mkPen("#777777"))
            axis.setTextPen(AXIS_TEXT)
            axis.enableAutoSIPrefix(False)  # NME stays 0.05, not "50 (x0.001)"
            axis.setLabel(label, **{"color": AXIS_TEXT, "font-size": "10pt"})
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        self.setMinimumSize(240, 180)
        self.scene().sigMouseClicked.connect(self._on_click)

    def add_legend(self) -> pg.LegendItem:
        """A legend in its own row under the x axis: it never covers the data or the title.
        Entries sit side by side."""
        legend = pg.LegendItem(offset=None, labelTextColor="#e8e8e8", colCount=2)
        legend.setBrush(pg.mkBrush(30, 31, 34, 200))
        self.plot_item.layout.addItem(legend, LEGEND_ROW, 1)
        self.plot_item.legend = legend  # where pyqtgraph looks when an item is named
        return legend

    @property
    def vb(self) -> pg.ViewBox:
        return self.plot_item.getViewBox()

    def _on_click(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        pos = event.scenePos()  # type: ignore[attr-defined]
        if not self.vb.sceneBoundingRect().contains(pos):
            return
        p = self.vb.mapSceneToView(pos)
        self.clickedAt.emit(float(p.x()), float(p.y()))

    def widget_pos(self, x: float, y: float) -> object:
        """Where data point (x, y) is in widget (viewport) pixels; for tests and tooltips."""
        scene = self.vb.mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)
