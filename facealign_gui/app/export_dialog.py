"""Ask where and how to export a session's labels, then call `session.export`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from facealign_gui.datasets.formats import Format, export_formats, get_format
from facealign_gui.session.export import ExportError, ExportResult, export_session
from facealign_gui.session.store import Session


class ExportDialog(QDialog):
    """Format, verified-only, target path, overwrite; errors are shown, never raised."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export labels")
        self.session = session
        self.result_: ExportResult | None = None
        form = QFormLayout(self)
        self.format_box = QComboBox(self)
        for fmt in export_formats():
            self.format_box.addItem(fmt.label, fmt.name)
        self.format_box.currentIndexChanged.connect(self._suggest_path)
        form.addRow("Format:", self.format_box)
        counts = session.counts()
        self.verified_only = QCheckBox(
            f"Verified images only ({counts['verified']} of {counts['total']})", self
        )
        self.verified_only.setChecked(True)
        form.addRow("", self.verified_only)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("Save to:", row)
        self.overwrite = QCheckBox("Replace the file if it exists", self)
        form.addRow("", self.overwrite)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        form.addRow(self.status)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._suggest_path()
        self.resize(560, self.sizeHint().height())

    def _format(self) -> Format:
        return get_format(self.format_box.currentData())

    def _suggest_path(self) -> None:
        fmt = self._format()
        stem = self.session.path.with_suffix("")
        name = f"{stem.name}_{fmt.name}" if fmt.folder else f"{stem.name}_labels"
        self.path_edit.setText(str(stem.with_name(name + fmt.suffix)))

    def _browse(self) -> None:
        fmt = self._format()
        if fmt.folder:
            path = QFileDialog.getExistingDirectory(self, f"Folder for the {fmt.label}")
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export labels", self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def run_export(self) -> ExportResult | None:
        """Export with the dialog's choices; on failure show the reason and return None."""
        try:
            self.result_ = export_session(
                self.session,
                Path(self.path_edit.text()),
                self.format_box.currentData(),
                verified_only=self.verified_only.isChecked(),
                overwrite=self.overwrite.isChecked(),
            )
        except ExportError as exc:
            self.status.setText(f"<span style='color:#e05050'>{exc}</span>")
            return None
        r = self.result_
        side = "" if r.sidecar is None else f" (who placed each point: {r.sidecar.name})"
        self.status.setText(f"Wrote {r.count} faces to {r.path}{side}")
        return r

    def _save(self) -> None:
        if self.run_export() is not None:
            self.accept()
