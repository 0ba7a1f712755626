"""A table of how much correcting the model needed, per image and per landmark."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from facealign_gui.session.report import CorrectionReport, correction_report, write_report_csv
from facealign_gui.session.store import Session


class _Num(QTableWidgetItem):
    """A table cell that sorts by its number (NaN last)."""

    def __init__(self, value: float, text: str) -> None:
        super().__init__(text)
        self.value = value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.value, getattr(other, "value", 0.0)
        if np.isnan(a):
            return False
        return True if np.isnan(b) else a < b


class CorrectionReportDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Correction report")
        self.session = session
        lay = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.verified_only = QCheckBox("Verified images only", self)
        self.verified_only.toggled.connect(self.refresh)
        lay.addWidget(self.verified_only)
        self.tabs = QTabWidget(self)
        self.image_table = QTableWidget(self)
        self.landmark_table = QTableWidget(self)
        for t in (self.image_table, self.landmark_table):
            t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            t.setSortingEnabled(True)
            t.verticalHeader().setVisible(False)
            t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 6)
            t.setAlternatingRowColors(True)
        self.tabs.addTab(self.image_table, "Per image")
        self.tabs.addTab(self.landmark_table, "Per landmark")
        lay.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.save_button = buttons.addButton("Export CSV…", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self._save)
        buttons.rejected.connect(self.reject)
        row.addWidget(buttons)
        lay.addLayout(row)
        self.report: CorrectionReport | None = None
        self.refresh()
        self.resize(720, 520)

    def refresh(self) -> None:
        r = correction_report(self.session, verified_only=self.verified_only.isChecked())
        self.report = r
        self._fill_images(r)
        self._fill_landmarks(r)
        with_pred = np.isfinite(r.nme)
        if with_pred.any():
            nme = r.nme[with_pred]
            text = (
                f"<b>{len(r)}</b> labelled images, {int(with_pred.sum())} started from a "
                f"prediction. Correction NME ({r.normaliser}): mean <b>{nme.mean():.4f}</b>, "
                f"median {np.median(nme):.4f}; {int((r.moved[with_pred] == 0).sum())} accepted "
                f"unchanged. Time: {r.seconds.sum() / 60:.1f} min in total, "
                f"{np.median(r.seconds):.1f} s median per image."
            )
        else:
            text = "No labelled image started from a model prediction yet."
        self.summary.setText(text)

    def _fill_images(self, r: CorrectionReport) -> None:
        t = self.image_table
        t.setSortingEnabled(False)
        t.clear()
        headers = ["#", "Image", "Status", f"NME ({r.normaliser})", "Points moved", "Seconds"]
        t.setColumnCount(len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.setRowCount(len(r))
        for j in range(len(r)):
            nme = float(r.nme[j])
            cells = [
                _Num(float(r.index[j]), str(int(r.index[j]))),
                QTableWidgetItem(r.images[j].rsplit("/", 1)[-1]),
                QTableWidgetItem(r.status[j]),
                _Num(nme, "—" if np.isnan(nme) else f"{nme:.4f}"),
                _Num(float(r.moved[j]), str(int(r.moved[j]))),
                _Num(float(r.seconds[j]), f"{r.seconds[j]:.1f}"),
            ]
            cells[1].setToolTip(r.images[j])
            for c, item in enumerate(cells):
                t.setItem(j, c, item)
        t.setSortingEnabled(True)
        t.sortItems(3, Qt.SortOrder.DescendingOrder)
        t.resizeColumnsToContents()
        t.horizontalHeader().setStretchLastSection(True)

    def _fill_landmarks(self, r: CorrectionReport) -> None:
        t = self.landmark_table
        t.setSortingEnabled(False)
        t.clear()
        headers = ["#", "Landmark", f"Mean correction ({r.normaliser})", "Moved in"]
        t.setColumnCount(len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.setRowCount(len(r.landmark_names))
        for i, name in enumerate(r.landmark_names):
            e, m = float(r.landmark_error[i]), float(r.landmark_moved[i])
            t.setItem(i, 0, _Num(float(i), str(i)))
            t.setItem(i, 1, QTableWidgetItem(name))
            t.setItem(i, 2, _Num(e, "—" if np.isnan(e) else f"{e:.4f}"))
            t.setItem(i, 3, _Num(m, f"{100 * m:.0f} %"))
        t.setSortingEnabled(True)
        t.sortItems(2, Qt.SortOrder.DescendingOrder)
        t.resizeColumnsToContents()
        t.horizontalHeader().setStretchLastSection(True)

    def _save(self) -> None:
        default = str(self.session.path.with_name(self.session.path.stem + "_corrections.csv"))
        path, _ = QFileDialog.getSaveFileName(self, "Export correction report", default, "*.csv")
        if path and self.report is not None:
            try:
                a, b = write_report_csv(self.report, path)
            except OSError as exc:
                self.summary.setText(f"Could not write {path}: {exc.strerror or exc}")
                return
            self.summary.setText(f"Wrote {a} and {b}")
