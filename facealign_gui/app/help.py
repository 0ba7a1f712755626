"""The Help menu: keyboard shortcut sheet, a short guide, and the About box.

The shortcut sheet reads the lists the windows bind (``app.shortcuts.SHORTCUTS``, the
labelling keys of ``app.labelling_keys``, the live view's keys), so the sheet
and the bindings cannot drift apart. The About box reads versions and licences of the
runtime dependencies from the installed package metadata, and the embedded models' licences
from ``facealign_gui/models/NOTICE``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import facealign_gui

PACKAGE_DIR = Path(facealign_gui.__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent

#: Keys this module and the metrics dock bind.
HELP_SHORTCUTS: list[tuple[str, str]] = [
    ("F1", "Show this list of keyboard shortcuts"),
    ("Ctrl+C", "Copy the selected cells of the metrics table"),
]

#: (distribution name, what it is for). Versions and licences come from the metadata.
RUNTIME_DEPENDENCIES: list[tuple[str, str]] = [
    ("PySide6-Essentials", "Qt for Python: the window and widgets"),
    ("shiboken6", "Qt for Python bindings runtime"),
    ("numpy", "arrays and metrics"),
    ("opencv-python-headless", "image and video reading, face crops"),
    ("onnxruntime", "runs the models"),
    ("pyqtgraph", "image view and plots"),
    ("pandas", "tables and CSV"),
    ("h5py", "COFW .mat files"),
]

BUILTIN_GUIDE = """# facealign-gui in five minutes

## Inspect a model's errors
1. **File ▸ Open dataset** (Ctrl+O): an HRNet CSV (300W, WFLW, AFLW), a WFLW list, a COFW
   `.mat` or a folder of iBUG `.pts` files.
2. **Model ▸ Open model** (Ctrl+M): a model card (`.toml`) or a bare `.onnx` file.
3. **Run** (Ctrl+R) scores every sample in the background; Esc cancels.
4. The **Metrics** panel shows NME, failure rate (FR) and AUC per subset, the CED curve, the
   mean error of every landmark and a histogram of per-image NME. Click a landmark's bar to
   select it; click a histogram bin to list the images in that NME range.
5. Sort the dataset table by NME to see the worst images first.

## Label a folder of faces
Open a folder of images, let the model propose landmarks, drag the wrong points, and export
HRNet-style CSV. Every edit is saved as you go.

## Live view
Start with `facealign-gui --camera 0` or `--video FILE`. Frames the model cannot keep up with
are skipped, never queued, so what you see is always the newest frame.

## The same numbers without a window
`facealign-gui eval DATASET --model CARD` prints the numbers the Metrics panel shows.
"""


@dataclass(frozen=True)
class DependencyInfo:
    name: str
    purpose: str
    version: str
    licence: str


def _licence_from_metadata(md: metadata.PackageMetadata) -> str:
    expr = md.get("License-Expression")
    if expr:
        return str(expr)
    text = (md.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80:
        return text
    classifiers = [
        c.split("::")[-1].strip()
        for c in (md.get_all("Classifier") or [])
        if c.startswith("License")
    ]
    if classifiers:
        return ", ".join(classifiers)
    return "see the package's licence file" if text else "unknown"


def dependency_infos() -> list[DependencyInfo]:
    """Installed version and declared licence of every runtime dependency."""
    infos = []
    for name, purpose in RUNTIME_DEPENDENCIES:
        try:
            md = metadata.metadata(name)
            infos.append(
                DependencyInfo(name, purpose, metadata.version(name), _licence_from_metadata(md))
            )
        except metadata.PackageNotFoundError:
            infos.append(DependencyInfo(name, purpose, "not installed", ""))
    return infos


def models_notice() -> str:
    """The embedded models' NOTICE, or a line saying it is missing."""
    path = PACKAGE_DIR / "models" / "NOTICE"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return f"The models' NOTICE file ({path}) is missing from this installation."


def icon_path() -> Path | None:
    for p in (
        PACKAGE_DIR / "resources" / "facealign-gui.svg",
        REPO_DIR / "packaging" / "linux" / "facealign-gui.svg",
    ):
        if p.is_file():
            return p
    return None


def app_icon() -> QIcon:
    """The application icon (empty when the SVG is not installed)."""
    p = icon_path()
    return QIcon(str(p)) if p else QIcon()


def _module_list(module: str, names: tuple[str, ...]) -> list[tuple[str, str]]:
    mod = importlib.import_module(module)  # our own module: an import error must fail
    for name in names:
        value = getattr(mod, name, None)
        if isinstance(value, (list, tuple)) and all(
            isinstance(v, tuple) and len(v) == 2 for v in value
        ):
            return [(str(k), str(d)) for k, d in value]
    return []


def shortcut_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """(section title, [(keys, what it does)]) for every list the app exposes."""
    sections = [
        ("Main window", _module_list("facealign_gui.app.shortcuts", ("SHORTCUTS",))),
        (
            "Labelling",
            _module_list("facealign_gui.app.labelling_keys", ("LABELLING_SHORTCUTS",))
            or _module_list("facealign_gui.app.editing", ("LABELLING_SHORTCUTS", "SHORTCUTS")),
        ),
        (
            "Fewer drags (labelling)",
            _module_list("facealign_gui.app.effort_tools", ("EFFORT_SHORTCUTS",)),
        ),
        ("Live view", _module_list("facealign_gui.app.live_view", ("LIVE_SHORTCUTS",))),
        ("Help and metrics", list(HELP_SHORTCUTS)),
    ]
    return [(title, rows) for title, rows in sections if rows]


def _native(keys: str) -> str:
    """Platform spelling of a key sequence (Ctrl → ⌘ on macOS); free text is kept."""
    if "/" in keys or " " in keys.strip():
        return keys
    seq = QKeySequence(keys)
    text = seq.toString(QKeySequence.SequenceFormat.NativeText)
    return text or keys


class ShortcutSheet(QDialog):
    """Every keyboard shortcut in one searchable-by-eye table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        sections = shortcut_sections()
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        bold = self.font()
        bold.setBold(True)
        for title, rows in sections:
            r = self.table.rowCount()
            self.table.insertRow(r)
            head = QTableWidgetItem(title)
            head.setFont(bold)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(r, 0, head)
            self.table.setSpan(r, 0, 1, 2)
            for keys, what in rows:
                r = self.table.rowCount()
                self.table.insertRow(r)
                self.table.setItem(r, 0, QTableWidgetItem(_native(keys)))
                self.table.setItem(r, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(720, 640)

    def actions_listed(self) -> list[str]:
        return [
            self.table.item(r, 1).text()
            for r in range(self.table.rowCount())
            if self.table.item(r, 1) is not None
        ]


class GuideDialog(QDialog):
    """docs/guide.md when present, else a short built-in guide."""

    def __init__(self, parent: QWidget | None = None, guide: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("facealign-gui guide")
        path = guide if guide is not None else REPO_DIR / "docs" / "guide.md"
        try:
            text = path.read_text(encoding="utf-8")
            self.source = path
        except OSError:
            text, self.source = BUILTIN_GUIDE, None
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(640, 560)


class AboutDialog(QDialog):
    """Version, icon, the embedded models' licences and every runtime dependency's licence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About facealign-gui")
        self.icon = QLabel()
        icon = app_icon()
        if not icon.isNull():
            self.icon.setPixmap(icon.pixmap(96, 96))
        self.title = QLabel(
            f"<h2>facealign-gui {facealign_gui.__version__}</h2>"
            "<p>Evaluate, inspect and label facial-landmark models.</p>"
            "<p>Licence: MIT.</p>"
        )
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.title, 1)

        self.libraries = QTableWidget(0, 4)
        self.libraries.setHorizontalHeaderLabels(["Library", "Version", "Used for", "Licence"])
        self.libraries.verticalHeader().hide()
        self.libraries.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for info in dependency_infos():
            r = self.libraries.rowCount()
            self.libraries.insertRow(r)
            for c, text in enumerate((info.name, info.version, info.purpose, info.licence)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.libraries.setItem(r, c, item)
        header = self.libraries.horizontalHeader()
        for c in range(3):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.libraries.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)

        self.notice = QPlainTextEdit(models_notice())
        self.notice.setReadOnly(True)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.libraries, "Libraries")
        self.tabs.addTab(self.notice, "Embedded models")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(900, 520)


class HelpMenu(QObject):
    """Fills a QMenu with the help actions; keeps the dialogs alive while open.

    ``HelpMenu(window.menuBar().addMenu("&Help"), window)``; parented to ``window``.
    """

    def __init__(self, menu: QMenu, parent: QWidget) -> None:
        super().__init__(parent)
        self.window = parent
        self.dialogs: dict[str, QDialog] = {}
        self.shortcuts = QAction("&Keyboard shortcuts", parent)
        self.shortcuts.setShortcut(QKeySequence("F1"))
        self.shortcuts.triggered.connect(self.show_shortcuts)
        self.guide = QAction("&Guide", parent)
        self.guide.triggered.connect(self.show_guide)
        self.about = QAction("&About facealign-gui", parent)
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        self.about.triggered.connect(self.show_about)
        menu.addAction(self.shortcuts)
        menu.addAction(self.guide)
        menu.addSeparator()
        menu.addAction(self.about)

    def _show(self, name: str, cls: type[QDialog]) -> QDialog:
        dlg = self.dialogs.get(name)
        if dlg is None:
            dlg = cls(self.window)
            self.dialogs[name] = dlg
        dlg.show()
        dlg.raise_()
        return dlg

    @Slot()
    def show_shortcuts(self) -> QDialog:
        return self._show("shortcuts", ShortcutSheet)

    @Slot()
    def show_guide(self) -> QDialog:
        return self._show("guide", GuideDialog)

    @Slot()
    def show_about(self) -> QDialog:
        return self._show("about", AboutDialog)
