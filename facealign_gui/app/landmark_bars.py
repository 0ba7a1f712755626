"""Mean error of every landmark as bars; click a bar to select that landmark."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot

from facealign_gui.app.plot_base import MODEL_COLOURS, SELECTED_COLOUR, ClickablePlot
from facealign_gui.core.results import EvalResult


class LandmarkBars(ClickablePlot):
    """Bars at x = landmark index (0-based), height = mean NME of that landmark.

    With two models, A's bar is left of the index and B's right of it. The selected landmark
    is drawn in the selection colour.

    Signals
    -------
    landmarkSelected(int) : the clicked landmark's index.
    """

    landmarkSelected = Signal(int)

    def __init__(self, parent: object = None) -> None:
        super().__init__("Mean error per landmark", "Landmark index", "Mean NME", parent)
        self.bars: list[pg.BarGraphItem] = []
        self.proxies: list[pg.PlotDataItem] = []
        self.means: list[np.ndarray] = []
        self.selected: int | None = None
        self.point_names: list[str] = []
        self.legend = self.add_legend()  # in the title row: never over the data
        self.names: list[str] = []
        self.clickedAt.connect(self._on_clicked)

    def set_results(
        self, a: EvalResult, b: EvalResult | None = None, subset: str | None = None
    ) -> None:
        models = [a] if b is None else [a, b]
        self.means = [r.per_landmark_mean(subset) for r in models]
        self.names = [a.model_id] if b is None else [f"A: {a.model_id}", f"B: {b.model_id}"]
        k = len(self.means[0])
        if self.selected is not None and self.selected >= k:
            self.selected = None
        self._draw()
        top = max((np.nanmax(m) for m in self.means if np.isfinite(m).any()), default=1.0)
        self.plot_item.setXRange(-0.5, k - 0.5, padding=0.01)
        self.plot_item.setYRange(0, float(top) * 1.05, padding=0)

    def reset(self) -> None:
        self.means, self.names, self.selected = [], [], None
        self._draw()

    def set_point_names(self, names: list[str]) -> None:
        """Landmark names shown in the title when one is selected."""
        self.point_names = list(names)

    def _draw(self) -> None:
        for item in self.bars + self.proxies:
            self.plot_item.removeItem(item)
        self.legend.clear()
        self.bars, self.proxies = [], []
        n = len(self.means)
        width = 0.8 / max(n, 1)
        for i, means in enumerate(self.means):
            k = len(means)
            x = np.arange(k) + (i - (n - 1) / 2) * width
            brushes = [pg.mkBrush(MODEL_COLOURS[i])] * k
            if self.selected is not None:
                brushes = list(brushes)
                brushes[self.selected] = pg.mkBrush(SELECTED_COLOUR)
            item = pg.BarGraphItem(
                x=x, height=np.nan_to_num(means), width=width, brushes=brushes, pen=None
            )
            self.plot_item.addItem(item)
            self.bars.append(item)
            if n > 1:  # a legend swatch through an empty curve of the same colour
                proxy = pg.PlotDataItem(pen=pg.mkPen(MODEL_COLOURS[i], width=6))
                self.plot_item.addItem(proxy)
                self.proxies.append(proxy)
                self.legend.addItem(proxy, self.names[i])
        self._update_title()

    def _update_title(self) -> None:
        title = "Mean error per landmark"
        if self.selected is not None and self.means:
            i = self.selected
            name = self.point_names[i] if i < len(self.point_names) else ""
            values = ", ".join(f"{m[i]:.4f}" for m in self.means)
            title += f" — selected {i}{' ' + name if name else ''}: {values}"
        self.plot_item.setTitle(title, color="#d8d8d8", size="10pt")

    @Slot(int)
    def select(self, index: int | None) -> None:
        """Highlight landmark ``index`` (None clears) without emitting."""
        if self.means and index is not None and not 0 <= index < len(self.means[0]):
            return
        self.selected = index
        if self.means:
            self._draw()

    @Slot(float, float)
    def _on_clicked(self, x: float, y: float) -> None:
        if not self.means:
            return
        i = round(x)
        if 0 <= i < len(self.means[0]):
            self.select(i)
            self.landmarkSelected.emit(i)
