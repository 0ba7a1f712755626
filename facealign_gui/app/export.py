"""Export the image view (PNG), the per-subset metrics (CSV) and per-image results (CSV).

Every write is atomic (a temporary file in the target folder, then ``os.replace``), so a
failed export never leaves half a file. The dataset file the results were read from is
protected: writing over it needs an explicit confirmation.

The ``*_text`` functions build the CSV text without Qt; the ``export_*`` functions write it,
ask before overwriting the protected file and report failures with `errors.show_error`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from facealign_gui.app import errors
from facealign_gui.core.results import EvalResult
from facealign_gui.fileio import atomic_write_bytes

#: Asked before overwriting the protected file; returns True to go ahead.
Confirm = Callable[[Path], bool]


class ExportError(Exception):
    """An export that could not happen; carries the `errors.UserError` to show."""

    def __init__(self, error: errors.UserError) -> None:
        self.error = error
        super().__init__(error.what)


# --------------------------------------------------------------------------- writing


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied (the folder or file is read-only)"
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return "the folder does not exist"
    return exc.strerror or str(exc)


def write_protected(
    path: str | Path, data: bytes, protect: str | Path | None, confirm: Confirm
) -> bool:
    """Atomically write ``data``; ask ``confirm`` first when ``path`` is ``protect``.

    Returns False when the user declined. Raises `ExportError` when the write failed.
    """
    path = Path(path)
    if protect is not None and _same_file(path, Path(protect)) and not confirm(path):
        return False
    try:
        atomic_write_bytes(path, data, make_parents=False)
    except OSError as exc:
        raise ExportError(errors.write_failed(path, _reason(exc))) from exc
    return True


def ask_overwrite(parent: QWidget | None) -> Confirm:
    """A `Confirm` that asks with a message box (default answer: No)."""

    def confirm(path: Path) -> bool:
        answer = QMessageBox.question(
            parent,
            "Overwrite the dataset file?",
            f"{path} is the dataset file these results were read from.\n"
            "Overwrite it with the export?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    return confirm


# --------------------------------------------------------------------------- CSV text


def _fmt(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.6f}"


def metrics_csv_text(result: EvalResult) -> str:
    """One row per subset (``all`` first): subset, count, NME, FR, AUC, threshold."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["model", "dataset", "subset", "count", "nme", "fr", "auc", "threshold"])
    for name, row in result.subset_rows():
        w.writerow(
            [
                result.model_id,
                result.dataset,
                name,
                row["count"],
                _fmt(row["nme"]),
                _fmt(row["fr"]),
                _fmt(row["auc"]),
                result.threshold,
            ]
        )
    return out.getvalue()


def per_image_csv_text(result: EvalResult) -> str:
    """One row per image: index, image, nme, failed (no prediction), above threshold, and a
    0/1 column per subset."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    names = sorted(result.subsets)
    w.writerow(["index", "image", "nme", "failed", "above_threshold", *names])
    member = {n: set(result.subsets[n].tolist()) for n in names}
    images = result.images or [""] * len(result.nme)
    above = result.above_threshold()
    for i, nme in enumerate(result.nme.tolist()):
        w.writerow(
            [
                i,
                images[i],
                _fmt(nme),
                int(result.failed[i]),
                int(above[i]),
                *(int(i in member[n]) for n in names),
            ]
        )
    return out.getvalue()


def png_bytes(widget: QWidget) -> bytes:
    """The widget as it looks on screen, PNG-encoded."""
    pixmap = widget.grab()
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.OpenModeFlag.WriteOnly)
    if not pixmap.save(dev, "PNG"):
        raise ExportError(
            errors.UserError(
                title="Could not save",
                what="The view could not be encoded as PNG.",
                next_step="Make the window visible and non-empty, then export again.",
                fatal=True,
            )
        )
    dev.close()
    return bytes(buf.data())


# --------------------------------------------------------------------------- GUI entry points


def ask_path(parent: QWidget | None, title: str, default_name: str, filters: str) -> Path | None:
    """A save-file dialog; None when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, default_name, filters)
    return Path(path) if path else None


def _export(
    parent: QWidget | None,
    path: str | Path | None,
    make: Callable[[], bytes],
    protect: str | Path | None,
    confirm: Confirm | None,
    ask: tuple[str, str, str],
) -> bool:
    if path is None:
        path = ask_path(parent, *ask)
        if path is None:
            return False
    try:
        return write_protected(path, make(), protect, confirm or ask_overwrite(parent))
    except ExportError as exc:
        errors.show_error(parent, exc.error)
        return False


def export_view_png(
    parent: QWidget | None,
    view: QWidget,
    path: str | Path | None = None,
    protect: str | Path | None = None,
    confirm: Confirm | None = None,
) -> bool:
    """Save ``view`` (the image view, a plot...) as a PNG; ask where when ``path`` is None.
    True when written."""
    ask = ("Export view as PNG", "view.png", "PNG images (*.png)")
    return _export(parent, path, lambda: png_bytes(view), protect, confirm, ask)


def export_metrics_csv(
    parent: QWidget | None,
    result: EvalResult,
    path: str | Path | None = None,
    protect: str | Path | None = None,
    confirm: Confirm | None = None,
) -> bool:
    """Save the per-subset table; ask where when ``path`` is None. True when written."""
    ask = ("Export metrics as CSV", f"{result.model_id}_metrics.csv", "CSV files (*.csv)")
    return _export(
        parent, path, lambda: metrics_csv_text(result).encode("utf-8"), protect, confirm, ask
    )


def export_per_image_csv(
    parent: QWidget | None,
    result: EvalResult,
    path: str | Path | None = None,
    protect: str | Path | None = None,
    confirm: Confirm | None = None,
) -> bool:
    """Save one row per image; ask where when ``path`` is None. True when written."""
    ask = ("Export per-image results as CSV", f"{result.model_id}_per_image.csv", "CSV (*.csv)")
    return _export(
        parent, path, lambda: per_image_csv_text(result).encode("utf-8"), protect, confirm, ask
    )
