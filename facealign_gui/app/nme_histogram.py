"""Histograms of per-image values (NME, or the A − B difference); click a bin for its range."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot

from facealign_gui.app.plot_base import (
    MODEL_COLOURS,
    SELECTED_COLOUR,
    THRESHOLD_COLOUR,
    ClickablePlot,
)
from facealign_gui.core.results import EvalResult

BINS = 30


def _finite(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return v[np.isfinite(v)]


class HistogramPlot(ClickablePlot):
    """Counts of one or two value sets in shared bins; the last bin includes everything above.

    Signals
    -------
    rangeSelected(float, float) : [low, high) of the clicked bin (high = +inf for the last,
        open-ended bin; low = -inf for an open-ended first bin).
    """

    rangeSelected = Signal(float, float)

    def __init__(self, title: str, x_label: str, parent: object = None) -> None:
        super().__init__(title, x_label, "Images", parent)
        self.edges = np.zeros(0)
        self.counts: list[np.ndarray] = []
        self.selected_bin: int | None = None
        self.open_low = False
        self.open_high = True
        self.items: list[pg.GraphicsObject] = []
        self.legend = self.add_legend()  # in the title row: never over the data
        self.clickedAt.connect(self._on_clicked)

    def set_values(
        self,
        series: list[tuple[str, np.ndarray]],
        low: float,
        high: float,
        open_low: bool = False,
    ) -> None:
        """Histogram every (name, values) in ``BINS`` bins over [low, high]; values outside
        go to the end bins."""
        self.open_low = open_low
        self.edges = np.linspace(low, high, BINS + 1)
        self.counts = []
        for _, values in series:
            v = np.clip(_finite(values), low, high)
            self.counts.append(np.histogram(v, bins=self.edges)[0])
        self.selected_bin = None
        self._names = [name for name, _ in series]
        self._draw()
        top = max((int(c.max()) for c in self.counts if c.size), default=1)
        self.plot_item.setXRange(low, high, padding=0.02)
        self.plot_item.setYRange(0, max(1, top) * 1.08, padding=0)

    def reset(self) -> None:
        self.edges, self.counts, self.selected_bin = np.zeros(0), [], None
        self._draw()

    def _draw(self) -> None:
        for item in self.items:
            self.plot_item.removeItem(item)
            self.legend.removeItem(item)
        self.items = []
        if self.edges.size < 2:
            return
        width = np.diff(self.edges)
        centres = self.edges[:-1] + width / 2
        n = len(self.counts)
        for i, counts in enumerate(self.counts):
            colour = pg.mkColor(MODEL_COLOURS[i])
            if n == 1:
                brushes = [pg.mkBrush(colour)] * len(counts)
                if self.selected_bin is not None:
                    brushes = list(brushes)
                    brushes[self.selected_bin] = pg.mkBrush(SELECTED_COLOUR)
                item = pg.BarGraphItem(
                    x=centres, height=counts, width=width * 0.95, brushes=brushes, pen=None
                )
                # a legend entry through a plain curve of the same colour
                proxy = pg.PlotDataItem(pen=pg.mkPen(colour, width=6), name=self._names[i])
                self.plot_item.addItem(proxy)
                self.items.append(proxy)
            else:
                item = pg.PlotDataItem(
                    self.edges,
                    counts,
                    stepMode="center",
                    fillLevel=0,
                    pen=pg.mkPen(colour, width=2),
                    brush=pg.mkBrush(colour.red(), colour.green(), colour.blue(), 70),
                    name=self._names[i],
                )
            self.plot_item.addItem(item)
            self.items.append(item)
        if n > 1 and self.selected_bin is not None:
            j = self.selected_bin
            band = pg.LinearRegionItem(
                (self.edges[j], self.edges[j + 1]),
                movable=False,
                brush=pg.mkBrush(255, 212, 0, 60),
                pen=pg.mkPen(SELECTED_COLOUR),
            )
            self.plot_item.addItem(band)
            self.items.append(band)

    def bin_range(self, j: int) -> tuple[float, float]:
        lo, hi = float(self.edges[j]), float(self.edges[j + 1])
        if j == len(self.edges) - 2 and self.open_high:
            hi = float("inf")
        if j == 0 and self.open_low:
            lo = float("-inf")
        return lo, hi

    @Slot(float, float)
    def _on_clicked(self, x: float, y: float) -> None:
        if self.edges.size < 2 or not (self.edges[0] <= x < self.edges[-1]):
            return
        j = int(np.searchsorted(self.edges, x, side="right") - 1)
        self.selected_bin = j
        self._draw()
        self.rangeSelected.emit(*self.bin_range(j))


class NmeHistogram(HistogramPlot):
    """Per-image NME from 0 to 2 × threshold (at least the 99th percentile), threshold marked."""

    def __init__(self, parent: object = None) -> None:
        super().__init__("Per-image NME", "NME", parent)
        self.threshold_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(THRESHOLD_COLOUR, style=Qt.PenStyle.DashLine)
        )
        self.plot_item.addItem(self.threshold_line)
        self.threshold_line.hide()

    def reset(self) -> None:
        super().reset()
        self.threshold_line.hide()

    def set_results(
        self, a: EvalResult, b: EvalResult | None = None, subset: str | None = None
    ) -> None:
        models = [a] if b is None else [a, b]
        series = []
        for tag, r in zip("AB", models, strict=False):
            name = f"{tag}: {r.model_id}" if b is not None else r.model_id
            series.append((name, r.nme[r.indices(subset)]))
        allv = np.concatenate([_finite(v) for _, v in series])
        high = 2.0 * a.threshold
        if allv.size:
            high = max(high, float(np.percentile(allv, 99)))
        self.set_values(series, 0.0, high)
        self.threshold_line.setValue(a.threshold)
        self.threshold_line.show()


class DifferenceHistogram(HistogramPlot):
    """Per-image NME A − NME B; right of zero: A worse."""

    def __init__(self, parent: object = None) -> None:
        super().__init__("NME A − NME B per image", "NME A − NME B  (> 0: A worse)", parent)
        self.zero_line = pg.InfiniteLine(
            0.0, angle=90, movable=False, pen=pg.mkPen(THRESHOLD_COLOUR, style=Qt.PenStyle.DashLine)
        )
        self.plot_item.addItem(self.zero_line)
        self.summary = pg.TextItem(color="#e8e8e8", anchor=(0, 0))
        self.plot_item.addItem(self.summary, ignoreBounds=True)

    def reset(self) -> None:
        super().reset()
        self.summary.setText("")

    def set_difference(self, diff: np.ndarray, a_name: str, b_name: str) -> None:
        v = _finite(diff)
        span = float(np.percentile(np.abs(v), 99)) if v.size else 0.0
        span = span if span > 0 else 0.01
        self.set_values([(f"{a_name} − {b_name}", diff)], -span, span, open_low=True)
        worse, better = int((v > 0).sum()), int((v < 0).sum())
        equal = v.size - worse - better
        self.summary.setText(f"A worse on {worse}, B worse on {better}, equal {equal}")
        top = max((int(c.max()) for c in self.counts if c.size), default=1)
        self.summary.setPos(-span, max(1, top) * 1.06)
