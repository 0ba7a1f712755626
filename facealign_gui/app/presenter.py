"""One owner of what is shown: the `Presenter` over the image view.

Each mode has a sample source that decides *what* to show — inspecting a dataset
(`Inspector`: the dataset and the result cache) or labelling (`LabellingDock`: the session
and its edit controller). A source never holds the view: it draws through the `ViewPort` the
presenter gave it, and only the active mode's port reaches the view. A late image or
prediction of the other mode is dropped here, in one place. `MainWindow.set_mode` asks the
presenter to switch; the new source then draws its current sample again (`reshow`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

import numpy as np
from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from facealign_gui.app.image_view import ImageView

MODES = ("inspect", "label")


class SampleSource(Protocol):
    """What a mode's source offers the presenter."""

    def reshow(self) -> None:
        """Draw the current sample again through the source's port."""


class ViewPort:
    """The part of the image view a source may use; writes are dropped while its mode is
    not the presenter's active one (reads and signals always work)."""

    def __init__(self, presenter: Presenter, mode: str) -> None:
        self._presenter = presenter
        self.mode = mode
        view = presenter.view
        self.pointsMoved = view.pointsMoved
        self.pointsDragging = view.pointsDragging
        self.selectionChanged = view.selectionChanged
        self.pointClicked = view.pointClicked

    @property
    def active(self) -> bool:
        return self._presenter.mode == self.mode

    @property
    def _view(self) -> ImageView:
        return self._presenter.view

    # -- writes (only while active) ----------------------------------------------------------
    def set_image(self, image: np.ndarray | None) -> None:
        if self.active:
            self._view.set_image(image)

    def set_scheme(self, edges: np.ndarray | None, names: list[str] | None) -> None:
        if self.active:
            self._view.set_scheme(edges, names)

    def set_prediction_names(self, names: list[str] | None) -> None:
        if self.active:
            self._view.set_prediction_names(names)

    def set_annotation(self, points: np.ndarray | None, visible: np.ndarray | None = None) -> None:
        if self.active:
            self._view.set_annotation(points, visible)

    def set_prediction(
        self, points: np.ndarray | None, confidence: np.ndarray | None = None
    ) -> None:
        if self.active:
            self._view.set_prediction(points, confidence)

    def set_error_normaliser(self, distance: float | None) -> None:
        if self.active:
            self._view.set_error_normaliser(distance)

    def set_heatmap(self, overlay: object | None) -> None:
        if self.active:
            self._view.show_overlay(overlay)  # type: ignore[arg-type]

    def set_selection(self, indices: object) -> None:
        if self.active:
            self._view.set_selection(indices)

    def set_editable(self, editable: bool) -> None:
        if self.active:
            self._view.set_editable(editable)

    def clear_all(self) -> None:
        if self.active:
            self._view.clear_all()

    def fit(self) -> None:
        if self.active:
            self._view.fit()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        if self.active:
            with self._view.batch():
                yield
        else:
            yield

    # -- reads -------------------------------------------------------------------------------
    def selected_points(self) -> np.ndarray:
        return self._view.selected_points() if self.active else np.zeros(0, np.int64)


class Presenter(QObject):
    """Owns the image view; one mode at a time draws on it (see the module docstring)."""

    modeChanged = Signal(str)

    def __init__(self, view: ImageView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.mode = "inspect"
        self._sources: dict[str, SampleSource] = {}

    def port(self, mode: str) -> ViewPort:
        """A port for ``mode``'s source (one of `MODES`)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        return ViewPort(self, mode)

    def register(self, mode: str, source: SampleSource) -> None:
        self._sources[mode] = source

    def unregister(self, mode: str) -> None:
        self._sources.pop(mode, None)

    def set_mode(self, mode: str) -> None:
        """Give the view to ``mode``: nothing selected, editable only while labelling, and
        the mode's source draws its current sample."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        changed = mode != self.mode
        self.mode = mode
        self.view.set_selection([])
        self.view.set_editable(mode == "label")
        source = self._sources.get(mode)
        if source is not None:
            source.reshow()
        if changed:
            self.modeChanged.emit(mode)
