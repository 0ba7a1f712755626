"""Preferences kept in QSettings (organisation ``facealign-gui``), and a small dialog.

`Preferences` takes a `QSettings` so tests (and portable installs) can point it at an ini file:
``Preferences(QSettings(str(path), QSettings.Format.IniFormat))``. Without one it uses the
user's native settings store.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from facealign_gui.app.style import COLORS, ERROR_COLORS

ORGANISATION = "facealign-gui"
APPLICATION = "facealign-gui"
MAX_RECENT = 10

#: name -> default colour, as ``#rrggbb``; the defaults are the views' palette (app.style).
DEFAULT_COLOURS: dict[str, str] = {
    "gt": COLORS["truth"],
    "prediction": COLORS["prediction"],
    "error_low": ERROR_COLORS[0],
    "error_mid": ERROR_COLORS[1],
    "error_high": ERROR_COLORS[-1],
}
COLOUR_LABELS: dict[str, str] = {
    "gt": "Ground truth",
    "prediction": "Prediction",
    "error_low": "Error ramp: low",
    "error_mid": "Error ramp: middle",
    "error_high": "Error ramp: high",
}
DEFAULT_POINT_SIZE = 4.0


def _key(path: str) -> str:
    """A settings key for a file path (QSettings treats '/' as a group separator)."""
    import hashlib

    return hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:16]


def _as_list(value: object) -> list[str]:
    """QSettings returns a one-item list as a plain string in ini files; undo that."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # type: ignore[union-attr]


class Preferences(QObject):
    """Typed access to the settings the app remembers between runs.

    Signals
    -------
    changed(str) : the key that changed (``"colour/gt"``, ``"point_size"``, ``"recent"``...).
    """

    changed = Signal(str)

    def __init__(self, settings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings(ORGANISATION, APPLICATION)

    # ----------------------------------------------------------------- colours, sizes

    def colour(self, name: str) -> QColor:
        """Colour ``name`` (a key of `DEFAULT_COLOURS`); an invalid stored value gives the
        default."""
        if name not in DEFAULT_COLOURS:
            raise KeyError(f"unknown colour {name!r}; known: {', '.join(DEFAULT_COLOURS)}")
        stored = QColor(str(self.settings.value(f"colour/{name}", DEFAULT_COLOURS[name])))
        return stored if stored.isValid() else QColor(DEFAULT_COLOURS[name])

    def set_colour(self, name: str, colour: QColor | str) -> None:
        if name not in DEFAULT_COLOURS:
            raise KeyError(f"unknown colour {name!r}; known: {', '.join(DEFAULT_COLOURS)}")
        c = QColor(colour)
        if not c.isValid():
            raise ValueError(f"not a colour: {colour!r}")
        self.settings.setValue(f"colour/{name}", c.name())
        self.changed.emit(f"colour/{name}")

    def error_ramp(self) -> list[QColor]:
        """Low, middle and high colours of the per-point error ramp."""
        return [self.colour(n) for n in ("error_low", "error_mid", "error_high")]

    @property
    def point_size(self) -> float:
        try:
            size = float(self.settings.value("point_size", DEFAULT_POINT_SIZE))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return DEFAULT_POINT_SIZE
        return size if 0.5 <= size <= 50 else DEFAULT_POINT_SIZE

    @point_size.setter
    def point_size(self, size: float) -> None:
        self.settings.setValue("point_size", float(size))
        self.changed.emit("point_size")

    # ----------------------------------------------------------------- last used

    def _text(self, key: str) -> str | None:
        v = self.settings.value(key)
        return str(v) if v not in (None, "") else None

    @property
    def last_dataset(self) -> str | None:
        return self._text("last/dataset")

    @last_dataset.setter
    def last_dataset(self, path: str | None) -> None:
        self.settings.setValue("last/dataset", path or "")
        self.changed.emit("last/dataset")

    @property
    def last_model(self) -> str | None:
        return self._text("last/model")

    @last_model.setter
    def last_model(self, path: str | None) -> None:
        self.settings.setValue("last/model", path or "")
        self.changed.emit("last/model")

    def session_model(self, session_path: str) -> str | None:
        """The model last used with a labelling session (its card or .onnx path)."""
        return self._text(f"session_model/{_key(session_path)}")

    def set_session_model(self, session_path: str, model_path: str) -> None:
        self.settings.setValue(f"session_model/{_key(session_path)}", model_path)
        self.changed.emit("session_model")

    def images_folder(self, dataset_path: str) -> str | None:
        """The folder the person located a dataset's images in ("Locate images folder…")."""
        return self._text(f"images_folder/{_key(dataset_path)}")

    def set_images_folder(self, dataset_path: str, folder: str) -> None:
        self.settings.setValue(f"images_folder/{_key(dataset_path)}", folder)
        self.changed.emit("images_folder")

    def recent_items(self) -> list[str]:
        """Most recent first, at most `MAX_RECENT`, no duplicates."""
        return _as_list(self.settings.value("recent"))[:MAX_RECENT]

    def add_recent(self, item: str) -> list[str]:
        """Put ``item`` first (moving it if already there) and return the new list."""
        items = [item] + [i for i in self.recent_items() if i != item]
        self.set_recent(items)
        return self.recent_items()

    def set_recent(self, items: Sequence[str]) -> None:
        unique = list(dict.fromkeys(items))[:MAX_RECENT]
        self.settings.setValue("recent", unique)
        self.changed.emit("recent")

    def clear_recent(self) -> None:
        self.settings.remove("recent")
        self.changed.emit("recent")

    # ----------------------------------------------------------------- window

    def save_window(self, window: QMainWindow, name: str = "main") -> None:
        """Remember the window's geometry and its docks/toolbars layout."""
        self.settings.setValue(f"window/{name}/geometry", window.saveGeometry())
        self.settings.setValue(f"window/{name}/state", window.saveState())

    def restore_window(self, window: QMainWindow, name: str = "main") -> bool:
        """Restore what `save_window` stored; False when nothing (usable) was stored."""
        geometry = self.settings.value(f"window/{name}/geometry")
        state = self.settings.value(f"window/{name}/state")
        ok = False
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            ok = window.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not state.isEmpty():
            ok = window.restoreState(state) and ok
        return ok

    def sync(self) -> None:
        self.settings.sync()


class ColourButton(QPushButton):
    """A push button showing a colour swatch; clicking it opens a colour picker."""

    colourChanged = Signal(QColor)

    def __init__(self, colour: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(90)
        self.clicked.connect(self.pick)
        self.set_colour(colour)

    def colour(self) -> QColor:
        return QColor(self._colour)

    def set_colour(self, colour: QColor) -> None:
        self._colour = QColor(colour)
        c = self._colour
        luma = 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()
        fg = "black" if luma > 128 else "white"
        self.setText(self._colour.name())
        self.setStyleSheet(f"background-color: {self._colour.name()}; color: {fg};")
        self.colourChanged.emit(self._colour)

    @Slot()
    def pick(self) -> None:
        c = QColorDialog.getColor(self._colour, self, "Choose a colour")
        if c.isValid():
            self.set_colour(c)


class PreferencesDialog(QDialog):
    """Colours and point size. OK writes them to `Preferences`; Cancel changes nothing."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.prefs = prefs
        form = QFormLayout()
        self.colour_buttons: dict[str, ColourButton] = {}
        for name, label in COLOUR_LABELS.items():
            button = ColourButton(prefs.colour(name))
            self.colour_buttons[name] = button
            form.addRow(label, button)
        self.point_size = QDoubleSpinBox()
        self.point_size.setRange(0.5, 50.0)
        self.point_size.setSingleStep(0.5)
        self.point_size.setSuffix(" px")
        self.point_size.setValue(prefs.point_size)
        form.addRow("Point size", self.point_size)

        self.reset_button = QPushButton("Restore defaults")
        self.reset_button.clicked.connect(self.restore_defaults)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.reset_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(bottom)

    @Slot()
    def restore_defaults(self) -> None:
        for name, button in self.colour_buttons.items():
            button.set_colour(QColor(DEFAULT_COLOURS[name]))
        self.point_size.setValue(DEFAULT_POINT_SIZE)

    def apply(self) -> None:
        for name, button in self.colour_buttons.items():
            if button.colour() != self.prefs.colour(name):
                self.prefs.set_colour(name, button.colour())
        if self.point_size.value() != self.prefs.point_size:
            self.prefs.point_size = self.point_size.value()

    def accept(self) -> None:
        self.apply()
        super().accept()
