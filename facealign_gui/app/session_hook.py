"""Labelling sessions in the main window: the labelling helper's dock drives the image view
while a session is open, and the dataset table steps aside (`Inspector.active`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog

from facealign_gui.app import errors

if TYPE_CHECKING:
    from facealign_gui.app.main_window import MainWindow


class SessionHook(QObject):
    """Opens / creates a `Session` and shows the `LabellingDock` for it."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dock: QDockWidget | None = None

    def ask_new(self) -> None:
        w, ins = self.window, self.window.inspector
        if ins.ds is None:
            w.status_label.setText("Open a dataset or an image folder first.")
            return
        default = str(Path(ins.dataset_path or "session").with_suffix(".fagsession"))
        path, _ = QFileDialog.getSaveFileName(
            w, "New labelling session", default, "Labelling sessions (*.fagsession)"
        )
        if not path:
            return
        from facealign_gui.session.store import Session

        predictor = ins.predictor
        scheme = ins.ds.scheme or getattr(predictor, "scheme", None)
        if scheme is None:
            errors.show_error(w, errors.UserError(
                title="No landmark scheme",
                what="These images have no landmarks, so the session does not know which "
                "points to label.",
                next_step="Open a model first (File ▸ Open model…): its scheme is used.",
                fatal=False))  # fmt: skip
            return
        self.start(lambda: Session.create(path, ins.ds, scheme=scheme))

    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open labelling session", "", "Labelling sessions (*.fagsession)"
        )
        if path:
            from facealign_gui.app.labelling_dock import open_session_with_recovery

            # a damaged file offers its backup; None means the person declined
            self.start(lambda: open_session_with_recovery(path, self.window))

    def start(self, make: object) -> bool:
        """Open the session ``make()`` returns and dock its labelling panel."""
        w = self.window
        try:
            from facealign_gui.app.labelling_dock import LabellingDock

            session = make()  # type: ignore[operator]
            if session is None:
                return False
        except Exception as exc:  # SessionError, a locked or damaged file: say so
            errors.show_error(w, errors.UserError(
                title="Could not open the session", what=str(exc),
                next_step="Choose another file, or close the other window using it.",
                fatal=True))  # fmt: skip
            return False
        self.close()
        w.inspector.active = False  # the labelling dock now decides what is shown
        self.dock = LabellingDock(session, w.view, w)
        self.dock.set_predictor(w.inspector.predictor)
        w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        w.tabifyDockWidget(w.dataset_dock, self.dock)
        self.dock.raise_()
        w.act_close_session.setEnabled(True)
        w.stack.setCurrentIndex(1)
        w.show_docks()
        return True

    def set_predictor(self, predictor: object) -> None:
        if self.dock is not None:
            self.dock.set_predictor(predictor)  # type: ignore[attr-defined]

    def close(self) -> None:
        """Stop the labelling dock's workers and hand the view back to the dataset table."""
        if self.dock is None:
            return
        loader = getattr(self.dock, "loader", None)
        if loader is not None and hasattr(loader, "loaded"):
            # an image decoded just before shutdown must not reach the closed session
            with contextlib.suppress(RuntimeError, TypeError):
                loader.loaded.disconnect()
        self.dock.shutdown()  # type: ignore[attr-defined]
        self.window.removeDockWidget(self.dock)
        self.dock.deleteLater()
        self.dock = None
        self.window.view.set_editable(False)
        self.window.view.set_selection([])
        self.window.inspector.active = True
        self.window.inspector.reshow()
        self.window.act_close_session.setEnabled(False)
