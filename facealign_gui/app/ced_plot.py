"""CED curves of one or two models, with the failure threshold marked."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from facealign_gui.app.plot_base import MODEL_COLOURS, THRESHOLD_COLOUR, ClickablePlot
from facealign_gui.core import metrics
from facealign_gui.core.results import EvalResult

#: The curve is drawn past the threshold by this factor, so the threshold line is visible.
X_RANGE_FACTOR = 1.5


class CedPlot(ClickablePlot):
    """Fraction of images with NME ≤ x, for x from 0 to 1.5 × the threshold."""

    def __init__(self, parent: object = None) -> None:
        super().__init__("Cumulative error distribution", "NME", "Fraction of images", parent)
        self.legend = self.add_legend()  # in the title row: never over the data
        self.curves: list[pg.PlotDataItem] = []
        self.threshold_line = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen(THRESHOLD_COLOUR, width=1, style=Qt.PenStyle.DashLine),
            label="threshold {value:.2f}",
            labelOpts={"position": 0.08, "color": THRESHOLD_COLOUR},
        )
        self.plot_item.addItem(self.threshold_line)
        self.reset()

    def reset(self) -> None:
        """No results: empty axes over the usual range, no threshold line."""
        for curve in self.curves:
            self.plot_item.removeItem(curve)
            self.legend.removeItem(curve)
        self.curves = []
        self.threshold_line.hide()
        self.plot_item.setXRange(0, 0.15, padding=0.01)
        self.plot_item.setYRange(0, 1.0, padding=0.02)

    def set_results(
        self, a: EvalResult, b: EvalResult | None = None, subset: str | None = None
    ) -> None:
        for curve in self.curves:
            self.plot_item.removeItem(curve)
            self.legend.removeItem(curve)
        self.curves = []
        t = a.threshold
        x_max = t * X_RANGE_FACTOR
        for i, (tag, r) in enumerate(zip("AB", [a] if b is None else [a, b], strict=False)):
            nme = r.nme[r.indices(subset)]
            xs, ys = metrics.ced_curve(nme, x_max)
            auc = metrics.auc(nme, r.threshold)
            label = f"{tag}: {r.model_id}" if b is not None else r.model_id
            label += "" if math.isnan(auc) else f"  (AUC@{r.threshold:g} {auc:.4f})"
            curve = self.plot_item.plot(
                xs, np.nan_to_num(ys), pen=pg.mkPen(MODEL_COLOURS[i], width=2), name=label
            )
            self.curves.append(curve)
        # pyqtgraph's line label ignores value changes while hidden: show the line first
        self.threshold_line.show()
        self.threshold_line.setValue(t)
        self.threshold_line.label.setFormat(f"threshold {t:g}")
        self.plot_item.setXRange(0, x_max, padding=0.01)
        self.plot_item.setYRange(0, 1.0, padding=0.02)

    def curve_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [c.getData() for c in self.curves]
