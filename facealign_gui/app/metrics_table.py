"""Per-subset NME / FR / AUC table, one or two models, copyable as tab-separated text."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from facealign_gui.core.results import EvalResult

RAW_ROLE = Qt.ItemDataRole.UserRole


def _pct(x: float) -> str:
    return "–" if x is None or math.isnan(x) else f"{100.0 * x:.2f}"


def _auc(x: float) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.4f}"


class MetricsTable(QTableWidget):
    """Rows: ``all`` then every subset. NME and FR in percent, AUC as a fraction.

    With two models each metric gets an A and a B column. Ctrl+C copies the selected cells
    (with the header row) as tab-separated text; `copy_all` copies the whole table.

    Signals
    -------
    subsetSelected(str) : the subset of the clicked row (``"all"`` for the first).
    """

    subsetSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 0, parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.verticalHeader().hide()
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(False)
        self.cellClicked.connect(self._on_cell_clicked)

    def set_results(self, a: EvalResult, b: EvalResult | None = None) -> None:
        tags = [""] if b is None else [" A", " B"]
        headers = ["Subset", "Count", "Missing" if b is None else "Missing A/B"]
        for metric in ("NME %", "FR %", "AUC"):
            headers += [f"{metric}{t}" for t in tags]
        self.clear()
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        if b is not None:
            for c, name in enumerate(headers):
                if name.endswith((" A", " B")):
                    model = a if name.endswith(" A") else b
                    self.horizontalHeaderItem(c).setToolTip(f"{name[-1]}: {model.model_id}")
        rows_a = a.subset_rows()
        rows_b = dict(b.subset_rows()) if b is not None else {}
        self.setRowCount(len(rows_a))
        threshold = f"{100 * a.threshold:g}%"
        for r, (name, row) in enumerate(rows_a):
            others = [row] + ([rows_b.get(name, {})] if b is not None else [])
            missing = "/".join(str(o.get("missing", "–")) for o in others)
            cells: list[tuple[str, object]] = [
                (name, name),
                (str(row["count"] + row.get("missing", 0)), row["count"]),
                (missing, missing),
            ]
            for key, fmt in (("nme", _pct), ("fr", _pct), ("auc", _auc)):
                for o in others:
                    value = o.get(key, float("nan"))
                    cells.append((fmt(value), value))
            for c, (text, raw) in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(RAW_ROLE, raw)
                if c >= 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if c >= 3:
                    item.setToolTip(f"{raw!r} (FR threshold {threshold})")
                self.setItem(r, c, item)

    def fitting_height(self, max_rows: int = 8) -> int:
        """Pixel height that shows up to ``max_rows`` rows without scrolling."""
        rows = min(self.rowCount(), max_rows)
        body = sum(self.rowHeight(r) for r in range(rows))
        scroll = self.horizontalScrollBar().sizeHint().height()  # when the dock is narrow
        return body + self.horizontalHeader().height() + 2 * self.frameWidth() + scroll + 2

    def row_texts(self, row: int) -> list[str]:
        return [self.item(row, c).text() for c in range(self.columnCount())]

    def _texts(self, only_selected: bool) -> str:
        cells = (
            self.selectedIndexes()
            if only_selected
            else [
                self.model().index(r, c)
                for r in range(self.rowCount())
                for c in range(self.columnCount())
            ]
        )
        if not cells:
            return ""
        rows = sorted({i.row() for i in cells})
        cols = sorted({i.column() for i in cells})
        chosen = {(i.row(), i.column()) for i in cells}
        lines = ["\t".join(self.horizontalHeaderItem(c).text() for c in cols)]
        for r in rows:
            lines.append(
                "\t".join(self.item(r, c).text() if (r, c) in chosen else "" for c in cols)
            )
        return "\n".join(lines) + "\n"

    @Slot()
    def copy_selection(self) -> str:
        """Copy the selected cells (all cells when none is selected); returns the text."""
        text = self._texts(only_selected=bool(self.selectedIndexes()))
        QApplication.clipboard().setText(text)
        return text

    @Slot()
    def copy_all(self) -> str:
        text = self._texts(only_selected=False)
        QApplication.clipboard().setText(text)
        return text

    def keyPressEvent(self, event: object) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):  # type: ignore[attr-defined]
            self.copy_selection()
            event.accept()  # type: ignore[attr-defined]
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]

    @Slot(int, int)
    def _on_cell_clicked(self, row: int, column: int) -> None:
        item = self.item(row, 0)
        if item is not None:
            self.subsetSelected.emit(item.text())
