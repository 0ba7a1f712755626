"""The Metrics dock: per-subset table, CED, per-landmark error, NME histogram, A vs B.

``dock.set_results(a)`` shows one model; ``dock.set_results(a, b)`` compares two on the same
dataset. Clicking a table row restricts the charts to that subset. The dock only displays
and emits; the main window connects the signals to its image view and dataset table.

Signals
-------
landmarkSelected(int) : a bar of the per-landmark chart was clicked.
nmeRangeSelected(float, float) : a bin of the NME histogram was clicked: [low, high).
differenceRangeSelected(float, float) : a bin of the A − B histogram was clicked.
compareSortRequested() : "Sort: A worse first" was pressed; sort the dataset table
    by `difference()` descending.
subsetSelected(str) : a table row was clicked (``"all"`` or a subset name).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from facealign_gui.app.ced_plot import CedPlot
from facealign_gui.app.landmark_bars import LandmarkBars
from facealign_gui.app.metrics_table import MetricsTable
from facealign_gui.app.nme_histogram import DifferenceHistogram, NmeHistogram
from facealign_gui.core.results import EvalResult
from facealign_gui.core.schemes import get_scheme


def _point_names(result: EvalResult) -> list[str]:
    if not result.scheme:
        return []
    try:
        return list(get_scheme(result.scheme).point_names)
    except KeyError:
        return []


class MetricsDock(QDockWidget):
    """See the module docstring."""

    landmarkSelected = Signal(int)
    nmeRangeSelected = Signal(float, float)
    differenceRangeSelected = Signal(float, float)
    compareSortRequested = Signal()
    subsetSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Metrics", parent)
        self.setObjectName("MetricsDock")
        self.a: EvalResult | None = None
        self.b: EvalResult | None = None
        self.subset: str | None = None

        self.heading = QLabel("No results yet: run a model over the dataset (Ctrl+R).")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = MetricsTable()
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the whole table as tab-separated text")
        self.copy_button.clicked.connect(self.table.copy_all)
        self.sort_button = QPushButton("Sort: A worse first")
        self.sort_button.setToolTip(
            "Order the dataset table by NME A − NME B, largest first (needs two models)"
        )
        self.sort_button.setEnabled(False)
        self.sort_button.clicked.connect(self.compareSortRequested)
        self.export_metrics_action = QAction("Per-subset table (CSV, model A)…", self)
        self.export_metrics_action.triggered.connect(self.export_metrics)
        self.export_images_action = QAction("Per-image NME and flags (CSV, model A)…", self)
        self.export_images_action.triggered.connect(self.export_per_image)
        self.export_chart_action = QAction("Shown chart (PNG)…", self)
        self.export_chart_action.triggered.connect(self.export_chart)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for action in (
            self.export_metrics_action,
            self.export_images_action,
            self.export_chart_action,
        ):
            menu.addAction(action)
        self.export_button.setMenu(menu)
        #: The dataset file the results were read from: exports never overwrite it silently.
        self.protect: str | None = None

        self.ced = CedPlot()
        self.bars = LandmarkBars()
        self.histogram = NmeHistogram()
        self.difference_plot = DifferenceHistogram()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.ced, "CED")
        self.tabs.addTab(self.bars, "Per landmark")
        self.tabs.addTab(self.histogram, "NME histogram")
        self.compare_tab = self.tabs.addTab(self.difference_plot, "A vs B")
        self.tabs.setTabEnabled(self.compare_tab, False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.sort_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.heading)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.setWidget(self.splitter)

        self.bars.landmarkSelected.connect(self.landmarkSelected)
        self.histogram.rangeSelected.connect(self.nmeRangeSelected)
        self.difference_plot.rangeSelected.connect(self.differenceRangeSelected)
        self.table.subsetSelected.connect(self.set_subset)

    def set_results(self, a: EvalResult, b: EvalResult | None = None) -> None:
        """Show model ``a`` (and compare it with ``b``: same dataset, same order)."""
        if b is not None and len(b) != len(a):
            raise ValueError(
                f"cannot compare {a.model_id} ({len(a)} images) with {b.model_id} "
                f"({len(b)} images): not the same dataset"
            )
        self.a, self.b = a, b
        self.subset = None
        self.table.set_results(a, b)
        self.bars.set_point_names(_point_names(a))
        self.table.setFixedHeight(self.table.fitting_height())
        comparing = b is not None
        self.sort_button.setEnabled(comparing)
        self.tabs.setTabEnabled(self.compare_tab, comparing)
        if comparing:
            self.difference_plot.set_difference(self.difference(), a.model_id, b.model_id)
        elif self.tabs.currentIndex() == self.compare_tab:
            self.tabs.setCurrentIndex(0)
        self._refresh_charts()

    def clear_results(self) -> None:
        self.a = self.b = None
        self.table.setRowCount(0)
        self.sort_button.setEnabled(False)
        self.tabs.setTabEnabled(self.compare_tab, False)
        for chart in (self.ced, self.bars, self.histogram, self.difference_plot):
            chart.reset()
        self.heading.setText("No results yet: run a model over the dataset (Ctrl+R).")

    def difference(self) -> np.ndarray | None:
        """(N,) NME A − NME B (positive: A worse; NaN where either has no result), or None
        when only one model is shown. Sort descending for "A worse than B first"."""
        if self.a is None or self.b is None:
            return None
        return self.a.compare(self.b)

    def worst_first(self) -> np.ndarray | None:
        """Sample indices, A's largest loss to B first (NaN differences last)."""
        d = self.difference()
        if d is None:
            return None
        return np.argsort(np.where(np.isfinite(d), -d, np.inf), kind="stable")

    @Slot()
    def export_metrics(self) -> bool:
        if self.a is None:
            return False
        from facealign_gui.app import export

        return export.export_metrics_csv(self, self.a, protect=self.protect)

    @Slot()
    def export_per_image(self) -> bool:
        if self.a is None:
            return False
        from facealign_gui.app import export

        return export.export_per_image_csv(self, self.a, protect=self.protect)

    @Slot()
    def export_chart(self) -> bool:
        from facealign_gui.app import export

        return export.export_view_png(self, self.tabs.currentWidget())

    @Slot(str)
    def set_subset(self, name: str) -> None:
        """Restrict the charts to subset ``name`` (``"all"``: every sample)."""
        if self.a is None:
            return
        self.subset = None if name == "all" else name
        self._refresh_charts()
        self.subsetSelected.emit(name)

    @Slot(int)
    def select_landmark(self, index: int) -> None:
        """Highlight a landmark chosen elsewhere (e.g. in the image view)."""
        self.bars.select(index)

    def _refresh_charts(self) -> None:
        a, b = self.a, self.b
        if a is None:
            return
        self.ced.set_results(a, b, self.subset)
        self.bars.set_results(a, b, self.subset)
        self.histogram.set_results(a, b, self.subset)
        where = "all samples" if self.subset is None else f"subset {self.subset}"
        models = a.model_id if b is None else f"A: {a.model_id}  vs  B: {b.model_id}"
        self.heading.setText(
            f"<b>{models}</b> on {a.dataset} — {where}; FR threshold {a.threshold:g}"
        )
