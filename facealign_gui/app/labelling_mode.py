"""The labelling mode of the main window: open or create a `Session`, dock its
`LabellingDock` (the mode's sample source), give it the view, and give the view back.

It gets a narrow `WindowParts` (the presenter, the inspector for the open dataset and model,
the preferences, and a few callbacks), never the window's private widgets, and imports
nothing from `main_window`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow

from facealign_gui.app import errors
from facealign_gui.app.effort_tools import EffortTools
from facealign_gui.app.inspector import Inspector
from facealign_gui.app.labelling_dock import LabellingDock, open_session_with_recovery
from facealign_gui.app.presenter import Presenter
from facealign_gui.app.settings import Preferences
from facealign_gui.session.store import Session

SESSION_SUFFIX = ".fagsession"


@dataclass
class WindowParts:
    """What the labelling mode may use of the window."""

    window: QMainWindow  # parent of dialogs and of the dock
    presenter: Presenter
    inspector: Inspector
    prefs: Preferences
    dataset_dock: QDockWidget  # the labelling dock is tabbed with it
    show_view: Callable[[], None]  # the image view (not the start page), docks shown
    status: Callable[[str], None]
    heatmaps: object | None = None  # the heatmap panel (the worst landmark's heatmap)
    menu: object | None = None  # the Label menu (the click-to-refine toggle goes there)


class LabellingMode(QObject):
    """Opens / creates a session and runs the labelling mode for it."""

    sessionChanged = Signal(object)  # the open Session, or None when closed
    titleChanged = Signal(str)  # "work.fagsession — saved" (or "" without a session)

    def __init__(self, parts: WindowParts) -> None:
        super().__init__(parts.window)
        self.parts = parts
        self.dock: LabellingDock | None = None
        self.tools: EffortTools | None = None

    @property
    def session(self) -> Session | None:
        return None if self.dock is None else self.dock.session

    # -- asking ------------------------------------------------------------------------------
    def ask_new(self) -> None:
        p, ins = self.parts, self.parts.inspector
        if ins.ds is None:
            p.status("Open a dataset or an image folder first.")
            return
        default = str(Path(ins.dataset_path or "session").with_suffix(SESSION_SUFFIX))
        path, _ = QFileDialog.getSaveFileName(
            p.window, "New labelling session", default, f"Labelling sessions (*{SESSION_SUFFIX})"
        )
        if path:
            self.create(path)

    def create(self, path: str | Path) -> bool:
        """A new session at ``path`` over the open dataset (its scheme, else the model's)."""
        ins = self.parts.inspector
        ds = ins.ds
        scheme = None if ds is None else ds.scheme or getattr(ins.predictor, "scheme", None)
        if ds is None or scheme is None:
            errors.show_error(self.parts.window, errors.UserError(
                title="No landmark scheme",
                what="These images have no landmarks, so the session does not know which "
                "points to label.",
                next_step="Open a model first (File ▸ Open model…): its scheme is used.",
                fatal=False))  # fmt: skip
            return False
        return self.start(lambda: Session.create(path, ds, scheme=scheme))

    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.parts.window, "Open labelling session", "",
            f"Labelling sessions (*{SESSION_SUFFIX})",
        )  # fmt: skip
        if path:
            self.open(path)

    def open(self, path: str | Path) -> bool:
        """Open a session file (a damaged one offers its backup)."""
        return self.start(lambda: open_session_with_recovery(path, self.parts.window))

    # -- doing -------------------------------------------------------------------------------
    def start(self, make: Callable[[], Session | None]) -> bool:
        """Open the session ``make()`` returns, dock its panel and give it the view."""
        p = self.parts
        try:
            session = make()
            if session is None:
                return False  # the person declined to restore a backup
        except Exception as exc:  # SessionError, a locked or damaged file: say so
            errors.show_error(p.window, errors.UserError(
                title="Could not open the session", what=str(exc),
                next_step="Choose another file, or close the other window using it.",
                fatal=True))  # fmt: skip
            return False
        self.close()
        p.presenter.set_mode("label")  # before the dock draws: its first image is shown once
        self.dock = LabellingDock(session, p.presenter.port("label"), p.window)
        p.presenter.register("label", self.dock)
        self.dock.set_predictor(p.inspector.predictor)
        self.tools = EffortTools(self.dock, p.presenter.view, p.prefs.settings, p.heatmaps,
                                 p.menu)  # fmt: skip
        self.dock.controller.changed.connect(lambda _i: self._update_title())
        self.dock.controller.failed.connect(lambda _m: self._update_title(failed=True))
        p.window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        p.window.tabifyDockWidget(p.dataset_dock, self.dock)
        p.show_view()
        self.dock.show()  # a dock tabified with a hidden one would stay hidden
        self.dock.raise_()
        path = str(session.path)
        p.prefs.add_recent(path)
        model = p.prefs.session_model(path)
        current = p.inspector.model_path
        if model and model != current and Path(model).exists():
            p.inspector.open_model(model)  # the model this session was labelled with
        elif current:
            p.prefs.set_session_model(path, current)
        self.sessionChanged.emit(session)
        self._update_title()
        return True

    def set_predictor(self, predictor: object, model_path: str | None) -> None:
        """A model was loaded: the dock predicts with it and the session remembers it."""
        if self.dock is None:
            return
        self.dock.set_predictor(predictor)  # type: ignore[arg-type]
        if model_path:
            self.parts.prefs.set_session_model(str(self.dock.session.path), model_path)

    def close(self) -> None:
        """Stop the dock's workers, close the session and give the view back."""
        dock = self.dock
        if dock is None:
            return
        self.dock = None
        if self.tools is not None:
            self.tools.detach()
            self.tools = None
        p = self.parts
        p.presenter.unregister("label")
        p.presenter.set_mode("inspect")  # the dock's late images now go nowhere
        dock.shutdown()
        p.window.removeDockWidget(dock)
        dock.deleteLater()
        self.sessionChanged.emit(None)
        self.titleChanged.emit("")

    def _update_title(self, failed: bool = False) -> None:
        s = self.session
        if s is None:
            return
        state = "NOT saved: see the labelling panel" if failed else "saved"
        self.titleChanged.emit(f"{s.path.name} — {state}")
