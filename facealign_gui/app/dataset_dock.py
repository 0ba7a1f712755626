"""The dataset dock: every sample in a sortable, filterable table; the current row is the
image shown.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from facealign_gui.app.sample_table import SampleFilter, SampleTableModel
from facealign_gui.datasets.model import Dataset

ALL = "all"


class DatasetDock(QDockWidget):
    """Table of samples; emits `sampleActivated` with the sample index of the current row."""

    sampleActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dataset", parent)
        self.setObjectName("DatasetDock")
        self.model = SampleTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        vh = self.table.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(20)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, width in enumerate((44, 160, 100, 58, 44, 64)):
            self.table.setColumnWidth(col, width)

        self.text = QLineEdit()
        self.text.setPlaceholderText("filter by image name  (Ctrl+F)")
        self.text.setClearButtonEnabled(True)
        self.subset = QComboBox()
        self.subset.setToolTip("Show one subset")
        self.attribute = QComboBox()
        self.attribute.setToolTip("Show samples with this attribute flag")
        self.nme_min = self._spin("NME % at least")
        self.nme_max = self._spin("NME % at most")
        self.failed_only = QCheckBox("failed only")
        self.count = QLabel()

        row1 = QHBoxLayout()
        row1.addWidget(self.text, 1)
        row1.addWidget(self.subset)
        row1.addWidget(self.attribute)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("NME %"))
        row2.addWidget(self.nme_min)
        row2.addWidget(QLabel("–"))
        row2.addWidget(self.nme_max)
        row2.addWidget(self.failed_only)
        row2.addStretch(1)
        row2.addWidget(self.count)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.table, 1)
        self.setWidget(body)

        self.text.textChanged.connect(self._apply_filter)
        self.subset.currentIndexChanged.connect(self._apply_filter)
        self.attribute.currentIndexChanged.connect(self._apply_filter)
        self.nme_min.valueChanged.connect(self._apply_filter)
        self.nme_max.valueChanged.connect(self._apply_filter)
        self.failed_only.toggled.connect(self._apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.model.layoutChanged.connect(self._after_layout)
        self.model.modelReset.connect(self._after_layout)
        self._current = -1
        self._fill_combos()

    @staticmethod
    def _spin(tip: str) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setRange(0.0, 1000.0)
        s.setDecimals(2)
        s.setSingleStep(0.5)
        s.setSpecialValueText("–")  # the minimum (0) means "no bound"
        s.setToolTip(tip + " (leave at – for no bound)")
        s.setMaximumWidth(72)
        return s

    # -- inputs ----------------------------------------------------------------------------
    def set_dataset(self, ds: Dataset | None) -> None:
        self._current = -1
        self.model.set_dataset(ds)
        self._fill_combos()

    def set_nme(self, nme: np.ndarray | None, threshold: float = 0.1) -> None:
        self.model.set_nme(nme, threshold)

    @Slot(float, float)
    def set_nme_range(self, lo: float, hi: float) -> None:
        """Show only samples with lo <= NME <= hi (fractions; from the metrics histogram)."""
        for spin, v in ((self.nme_min, lo), (self.nme_max, hi)):
            spin.blockSignals(True)
            spin.setValue(100.0 * v)
            spin.blockSignals(False)
        self._apply_filter()

    @Slot(str)
    def set_subset(self, name: str) -> None:
        """Show one subset (``"all"``: every sample), e.g. from the metrics table."""
        i = self.subset.findData(ALL if name == "all" else name)
        if i >= 0:
            self.subset.setCurrentIndex(i)

    def _fill_combos(self) -> None:
        for combo, items, label in (
            (self.subset, self.model.subset_names(), "all subsets"),
            (self.attribute, self.model.flag_attributes(), "any attribute"),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(label, ALL)
            for name in items:
                combo.addItem(name, name)
            combo.setEnabled(bool(items))
            combo.blockSignals(False)
        self._update_count()

    @Slot()
    def _apply_filter(self, *_: object) -> None:
        sub, att = self.subset.currentData(), self.attribute.currentData()
        lo, hi = self.nme_min.value(), self.nme_max.value()
        self.model.set_filter(
            SampleFilter(
                subset=None if sub in (None, ALL) else sub,
                attribute=None if att in (None, ALL) else att,
                nme_min=lo / 100.0 if lo > 0 else None,
                nme_max=hi / 100.0 if hi > 0 else None,
                text=self.text.text().strip(),
                failed_only=self.failed_only.isChecked(),
            )
        )

    # -- current sample --------------------------------------------------------------------
    def current_sample(self) -> int:
        return self._current

    def select_sample(self, i: int) -> bool:
        """Make sample ``i`` the current row (if it is shown); returns whether it is."""
        row = self.model.row_of(i)
        if row < 0:
            return False
        idx = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            idx,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(idx)
        return True

    def step(self, delta: int) -> None:
        """Move ``delta`` rows in the table's current order (J/K, PgDn/PgUp)."""
        n = self.model.rowCount()
        if not n:
            return
        row = self.model.row_of(self._current) if self._current >= 0 else -1
        row = 0 if row < 0 else min(max(row + delta, 0), n - 1)
        self.select_sample(self.model.sample_at(row))

    def go_to_row(self, row: int) -> None:
        n = self.model.rowCount()
        if n:
            self.select_sample(self.model.sample_at(min(max(row, 0), n - 1) if row >= 0 else n - 1))

    @Slot(QModelIndex, QModelIndex)
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        i = self.model.sample_at(current.row())
        if i != self._current:
            self._current = i
            self.sampleActivated.emit(i)

    @Slot()
    def _after_layout(self) -> None:
        self._update_count()
        if self._current >= 0:
            row = self.model.row_of(self._current)
            if row >= 0:
                self.table.selectionModel().blockSignals(True)
                self.select_sample(self._current)
                self.table.selectionModel().blockSignals(False)
            elif self.model.rowCount():
                # the shown sample was filtered out: show the first row, so the highlighted
                # row and the image always agree (Qt's current index may already be row 0,
                # then selecting it again would not say that the sample changed)
                first = self.model.sample_at(0)
                self.select_sample(first)
                if self._current != first:
                    self._current = first
                    self.sampleActivated.emit(first)

    def _update_count(self) -> None:
        n, total = self.model.rowCount(), self.model._n
        self.count.setText(f"{n:,} of {total:,}" if n != total else f"{total:,} samples")
