"""What the window shows before anything is open: the ways in, and recent items."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from facealign_gui import __version__

ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("dataset", "Open dataset…", "HRNet CSV, WFLW list, COFW .mat, Kaggle CSV, .pts  (Ctrl+O)"),
    ("folder", "Open image folder…", "label a folder of faces  (Ctrl+Shift+O)"),
    ("model", "Open model…", "a model card (.toml) or a bare .onnx  (Ctrl+M)"),
    ("camera", "Start camera", "live landmarks from webcam 0"),
    ("video", "Open video…", "live landmarks on a video file"),
)


class StartPage(QWidget):
    """Buttons for each way in, plus the recent items (double-click or Enter opens one)."""

    actionRequested = Signal(str)  # one of the ACTIONS keys
    recentRequested = Signal(str)  # a recent path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StartPage")
        title = QLabel("facealign-gui")
        title.setStyleSheet("font-size: 26pt; font-weight: 600;")
        sub = QLabel(
            f"version {__version__} · evaluate, inspect and label facial-landmark models.\n"
            "Drop a dataset file, an image folder or a model anywhere on this window."
        )
        sub.setStyleSheet("color: #a8acb3;")
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        for row, (key, text, tip) in enumerate(ACTIONS):
            b = QPushButton(text)
            b.setMinimumWidth(200)
            b.setMinimumHeight(34)
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, k=key: self.actionRequested.emit(k))
            hint = QLabel(tip)
            hint.setStyleSheet("color: #a8acb3;")
            grid.addWidget(b, row, 0)
            grid.addWidget(hint, row, 1)
            self.buttons[key] = b
        self.recent = QListWidget()
        self.recent.setMinimumHeight(160)
        self.recent.setMaximumWidth(720)
        self.recent.itemActivated.connect(self._on_recent)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)

        box = QWidget()
        box.setMaximumWidth(760)
        lay = QVBoxLayout(box)
        lay.addWidget(title)
        lay.addWidget(sub)
        lay.addSpacing(18)
        lay.addLayout(grid)
        lay.addSpacing(18)
        lay.addWidget(line)
        self.recent_label = QLabel("Recent")
        self.recent_label.setStyleSheet("font-weight: 600;")
        lay.addWidget(self.recent_label)
        lay.addWidget(self.recent, 1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def set_recent(self, items: list[str]) -> None:
        """Show recent paths (most recent first); missing ones are greyed out."""
        self.recent.clear()
        for path in items:
            p = Path(path)
            it = QListWidgetItem(f"{p.name or path}    —  {p.parent}")
            it.setToolTip(path)
            it.setData(Qt.ItemDataRole.UserRole, path)
            if not p.exists():
                it.setForeground(Qt.GlobalColor.gray)
                it.setText(f"{it.text()}   (missing)")
            self.recent.addItem(it)
        if not items:
            it = QListWidgetItem("Nothing opened yet.")
            it.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(it)

    @Slot(QListWidgetItem)
    def _on_recent(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.recentRequested.emit(str(path))
