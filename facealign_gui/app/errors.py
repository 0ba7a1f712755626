"""User-facing errors: what happened, and what to do next.

Every problem the window reports goes through `show_error`. A fatal problem (the thing the
user asked for cannot happen) opens a window-modal message box that does not block the event
loop (``QMessageBox.open``); a non-fatal one (the rest still works) goes to the window's
`ErrorBanner` when it has one, and to a non-modal message box otherwise.

The messages themselves are plain `UserError` values built by small factories, so the wording
is tested without a window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

#: How many detail lines a summary shows before "Show all".
SUMMARY_LINES = 5


@dataclass(frozen=True)
class UserError:
    """One problem, worded for the person in front of the window.

    Attributes
    ----------
    title : a few words for the window title, e.g. ``"No camera"``.
    what : what happened, one or two sentences naming the file or device.
    next_step : what to do next.
    details : every individual problem (e.g. one line per unreadable row); the summary shows
        the first `SUMMARY_LINES`, "Show all" shows the rest.
    fatal : True when the requested action could not happen at all.
    """

    title: str
    what: str
    next_step: str
    details: tuple[str, ...] = field(default_factory=tuple)
    fatal: bool = False

    def summary(self, lines: int = SUMMARY_LINES) -> str:
        """``what`` followed by the first ``lines`` details and how many more there are."""
        parts = [self.what]
        if self.details:
            parts.extend(f"  • {d}" for d in self.details[:lines])
            more = len(self.details) - lines
            if more > 0:
                parts.append(f"  … and {more} more")
        return "\n".join(parts)

    def full_text(self) -> str:
        """Everything, for "Show all" and for copying into a bug report."""
        parts = [self.what, "", f"What to do next: {self.next_step}"]
        if self.details:
            parts += ["", *self.details]
        return "\n".join(parts)


# --------------------------------------------------------------------------- factories


def no_camera(index: int) -> UserError:
    return UserError(
        title="No camera",
        what=f"Camera {index} could not be opened.",
        next_step=(
            "Check that a camera is connected and not in use by another program, try another "
            f"camera index (File ▸ Start camera, or --camera {index + 1}), or open a video "
            "file instead (File ▸ Open video…, or --video FILE)."
        ),
        fatal=True,
    )


def video_unreadable(path: str | Path) -> UserError:
    return UserError(
        title="Video not readable",
        what=f"The video file {path} could not be opened.",
        next_step=(
            "Check that the file exists and is a video OpenCV can read (for example .mp4 or "
            ".avi), or open a camera with --camera N."
        ),
        fatal=True,
    )


def model_missing(path: str | Path) -> UserError:
    return UserError(
        title="Model file missing",
        what=f"The model file {path} does not exist.",
        next_step=(
            "Choose another model, or point the model card's 'onnx' entry at the .onnx file "
            "(model cards are small TOML files next to the model)."
        ),
        fatal=True,
    )


def dataset_moved(path: str | Path) -> UserError:
    return UserError(
        title="Dataset not found",
        what=f"The dataset {path} is no longer there; it may have been moved or renamed.",
        next_step="Open the dataset from its new place (File ▸ Open dataset).",
        fatal=True,
    )


def unreadable_rows(file: str | Path, problems: Sequence[object], loaded: int) -> UserError:
    """Some rows of ``file`` could not be read; the ``loaded`` others are usable.

    ``problems`` are `facealign_gui.datasets.model.Problem` values (or anything whose
    ``str()`` names the line and the fault).
    """
    n = len(problems)
    rows = "row" if n == 1 else "rows"
    return UserError(
        title="Some rows could not be read",
        what=f"{n} {rows} of {file} could not be read; the other {loaded} samples loaded.",
        next_step=(
            "Fix the listed lines in the file and open it again, or carry on with the samples "
            "that loaded."
        ),
        details=tuple(str(p) for p in problems),
        fatal=False,
    )


def images_missing(file: str | Path, root: str | Path, missing: int, total: int) -> UserError:
    """The annotations loaded but ``missing`` of their ``total`` images are not under ``root``
    (a moved or renamed images folder, not unreadable rows)."""
    some = "None" if missing == total else f"{missing:,} of the {total:,}"
    return UserError(
        title="Images not found",
        what=f"{some} images of {file} are not under {root}. The annotations loaded; the "
        "ground truth of a missing image is drawn on a blank canvas.",
        next_step="If the images are elsewhere, choose File ▸ Locate images folder… (the "
        "folder is remembered for this dataset).",
        fatal=False,
    )


def write_failed(path: str | Path, reason: str) -> UserError:
    return UserError(
        title="Could not save",
        what=f"{path} could not be written: {reason}.",
        next_step="Choose a folder you can write to (the target may be read-only or full).",
        fatal=True,
    )


# --------------------------------------------------------------------------- widgets


class DetailsDialog(QDialog):
    """All the details of a `UserError`, selectable and copyable."""

    def __init__(self, error: UserError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(error.title)
        self.text = QPlainTextEdit(error.full_text())
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(640, 360)


class ErrorBanner(QFrame):
    """A non-modal strip for problems that do not stop the work ("some rows unreadable").

    The main window puts one above its central widget; `show_error` finds it there. Hidden
    until an error arrives; "Dismiss" hides it again.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ErrorBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#ErrorBanner { background: #fff4ce; border: 1px solid #e0b400; }"
            "#ErrorBanner QLabel { color: #3b2f00; }"
        )
        self.error: UserError | None = None
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_all = QPushButton("Show all")
        self.show_all.clicked.connect(self.open_details)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.clicked.connect(self.on_dismiss)
        self._details: DetailsDialog | None = None
        layout = QHBoxLayout(self)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.show_all, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_error(self, error: UserError) -> None:
        self.error = error
        self.message.setText(
            f"<b>{_esc(error.title)}</b><br>{_esc(error.summary()).replace(chr(10), '<br>')}"
            f"<br><i>What to do next:</i> {_esc(error.next_step)}"
        )
        self.show_all.setVisible(len(error.details) > SUMMARY_LINES)
        self.show()

    @Slot()
    def open_details(self) -> None:
        if self.error is None:
            return
        self._details = DetailsDialog(self.error, self)
        self._details.show()

    @Slot()
    def on_dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message_box(error: UserError, parent: QWidget | None = None) -> QMessageBox:
    """A message box for ``error``; "Show Details…" holds every detail line."""
    icon = QMessageBox.Icon.Critical if error.fatal else QMessageBox.Icon.Warning
    box = QMessageBox(icon, error.title, error.summary(), QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText(f"What to do next: {error.next_step}")
    if error.details:
        box.setDetailedText("\n".join(error.details))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return box


def show_error(parent: QWidget | None, error: UserError) -> QWidget:
    """Show ``error`` in ``parent``'s window without blocking the event loop.

    Returns the widget that shows it (the banner or the message box), so callers and tests
    can inspect or close it.
    """
    window = parent.window() if parent is not None else None
    if not error.fatal and window is not None:
        banner = window.findChild(ErrorBanner)
        if banner is not None:
            banner.show_error(error)
            return banner
    box = message_box(error, window)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if error.fatal and window is not None:
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
    else:
        box.setModal(False)
        box.show()
    return box
