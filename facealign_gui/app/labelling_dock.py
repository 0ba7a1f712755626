"""The labelling dock: review queue, counters and the few keys a labelling pass needs.

It is the labelling mode's sample source: it owns an `EditController` (edits, undo,
navigation) for one open `Session` and the "predict all" worker, and draws through the
`ViewPort` it is given. `LabellingMode` docks it and gives it a model with `set_predictor`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from facealign_gui.app import labelling_keys as keys
from facealign_gui.app.editing import EditController
from facealign_gui.app.labelling_workers import (
    ImageLoader,
    OtherFace,
    PredictAllChunk,
    predict_all_worker,
)
from facealign_gui.app.thread_worker import GeneratorWorker
from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.types import Predictor
from facealign_gui.session.store import Session, SessionError

ORDERS = [
    ("uncertainty", "Least confident first (mean)"),
    ("min", "Least confident point first"),
    ("mirror", "Mirror disagreement first"),
    ("index", "File order"),
]
# Readable on light and dark palettes; "predicted" keeps the palette's text colour.
STATUS_COLORS = {
    "unlabelled": QColor("#808080"),
    "edited": QColor("#d98200"),
    "verified": QColor("#2f9e44"),
}
STATUS_MARK = {"unlabelled": "○", "predicted": "◐", "edited": "✎", "verified": "✔"}


def face_label(faces: list[int], img: int) -> str:
    """`` (face k/n)`` for row ``img`` of an image with the rows ``faces``; "" for one face."""
    return "" if len(faces) < 2 else f" (face {faces.index(img) + 1}/{len(faces)})"


class QueueModel(QAbstractListModel):
    """The review queue: one row per image, in the controller's order."""

    def __init__(self, controller: EditController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.c = controller
        self._cache: dict[int, tuple[str, str, float | None, float]] = {}
        self._faces: dict[int, str] = {}  # " (face 2/3)" for an image with several faces

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.c.queue)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        img = self.c.queue[index.row()]
        if img not in self._cache:
            self._cache[img] = self.c.session.summary(img)
            self._faces[img] = face_label(self.c.session.faces(img), img)
        name, status, conf, _secs = self._cache[img]
        if role == Qt.ItemDataRole.DisplayRole:
            c = "  —  " if conf is None else f"  {conf:.2f}"
            return f"{STATUS_MARK.get(status, '?')} {Path(name).name}{self._faces[img]}{c}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return STATUS_COLORS.get(status)
        if role == Qt.ItemDataRole.ToolTipRole:
            conf_text = "no prediction" if conf is None else f"mean confidence {conf:.3f}"
            return f"{name}\n{status}, {conf_text}"
        if role == Qt.ItemDataRole.UserRole:
            return img
        return None

    def reset(self) -> None:
        self.beginResetModel()
        self._cache.clear()
        self._faces.clear()
        self.endResetModel()

    def image_changed(self, img: int) -> None:
        self._cache.pop(img, None)
        row = self.c._pos.get(img)
        if row is not None:
            ix = self.index(row)
            self.dataChanged.emit(ix, ix)


class LabellingDock(QDockWidget):
    """Review queue + counters + buttons for one session shown in ``view``."""

    livePrediction = Signal(int, object)  # (image, Prediction with heatmaps) from "predict all"

    def __init__(self, session: Session, view: object, parent: QWidget | None = None) -> None:
        super().__init__("Labelling", parent)
        self.setObjectName("LabellingDock")
        self.session = session
        self.view = view
        self.predictor: Predictor | None = None
        self._worker: GeneratorWorker | None = None
        self._before_predict: tuple[int, int] | None = None
        self._shut = False
        # set by `app.effort_tools`: review scores computed in the worker, and a filter the
        # arriving predictions go through (the pre-labeller) before the session stores them
        self.scorer: Callable[[Prediction, Prediction | None], dict] | None = None
        self.prediction_filter: Callable[[list], list] | None = None
        self.loader = ImageLoader(self)
        self.loader.loaded.connect(self._on_image_loaded)
        self.loader.failed.connect(lambda _i, msg: self.message.setText(msg))
        self.controller = EditController(view, session, self, image_loader=self._request_image)
        self.model = QueueModel(self.controller, self)
        self._build()
        self._bind_keys()
        c = self.controller
        c.changed.connect(self._on_changed)
        c.currentChanged.connect(self._on_current)
        c.queueChanged.connect(self.model.reset)
        c.failed.connect(self.message.setText)
        c.stack.canUndoChanged.connect(self._sync_undo_buttons)
        c.stack.canRedoChanged.connect(self._sync_undo_buttons)
        self._update_counts()
        self._sync_buttons()
        if c.current >= 0:
            self._on_current(c.current)

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        w = QWidget(self)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(6, 6, 6, 6)
        self.counter = QLabel(w)
        self.counter.setObjectName("counter")
        f = self.counter.font()
        f.setPointSizeF(f.pointSizeF() * 1.15)
        f.setBold(True)
        self.counter.setFont(f)
        self.reviewed_bar = QProgressBar(w)
        self.reviewed_bar.setTextVisible(False)
        self.reviewed_bar.setMaximumHeight(6)
        self.current_label = QLabel(w)
        self.current_label.setObjectName("current")
        lay.addWidget(self.counter)
        lay.addWidget(self.reviewed_bar)
        lay.addWidget(self.current_label)

        row = QHBoxLayout()
        row.addWidget(QLabel("Order:", w))
        self.order_box = QComboBox(w)
        for key, text in ORDERS:
            self.order_box.addItem(text, key)
        self.order_box.currentIndexChanged.connect(
            lambda _: self.controller.refresh_queue(self.order_box.currentData())
        )
        row.addWidget(self.order_box, 1)
        lay.addLayout(row)

        face_row = QHBoxLayout()
        self.face_box = QComboBox(w)  # "Face k of n" of the shown image (several faces)
        self.face_box.setObjectName("faceSelector")
        self.face_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.face_box.setToolTip(f"Which face of this image to label ({keys.NEXT_FACE}: next)")
        self.face_box.activated.connect(lambda k: self.controller.show_face(int(k)))
        face_row.addWidget(self.face_box, 1)
        lay.addLayout(face_row)
        self.face_box.hide()

        self.queue_view = QListView(w)
        self.queue_view.setModel(self.model)
        self.queue_view.setUniformItemSizes(True)
        self.queue_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.queue_view.clicked.connect(
            lambda ix: self.controller.show(int(ix.data(Qt.ItemDataRole.UserRole)))
        )
        lay.addWidget(self.queue_view, 1)

        grid = QGridLayout()
        b = self._button
        self.predict_button = b("Predict all", keys.PREDICT_ALL, self.predict_all)
        self.cancel_button = b("Cancel", None, self.cancel_prediction)
        self.progress = QProgressBar(w)
        self.progress.setFormat("%v / %m")
        self.accept_button = b("Accept && next", keys.ACCEPT_NEXT, self.controller.accept_and_next)
        self.accept_button.setDefault(True)
        self.copy_sel_button = b(
            "Copy pred.: selected", keys.COPY_SELECTED,
            lambda: self.controller.copy_prediction(True),
        )  # fmt: skip
        self.copy_all_button = b(
            "Copy pred.: all", keys.COPY_ALL, lambda: self.controller.copy_prediction(False)
        )
        c = self.controller
        self.reset_button = b("Reset to pred.", keys.RESET, c.reset_to_prediction)
        self.visibility_button = b(
            "Toggle occluded", keys.TOGGLE_VISIBILITY, self.controller.toggle_visibility
        )
        self.undo_button = b("Undo", keys.UNDO, self.controller.undo)
        self.redo_button = b("Redo", keys.REDO[0], self.controller.redo)
        self.export_button = b("Export…", keys.EXPORT, self.open_export)
        self.report_button = b("Correction report…", None, self.open_report)
        grid.addWidget(self.predict_button, 0, 0)
        grid.addWidget(self.cancel_button, 0, 1)
        grid.addWidget(self.progress, 1, 0, 1, 2)
        grid.addWidget(self.accept_button, 2, 0, 1, 2)
        grid.addWidget(self.copy_sel_button, 3, 0)
        grid.addWidget(self.copy_all_button, 3, 1)
        grid.addWidget(self.reset_button, 4, 0)
        grid.addWidget(self.visibility_button, 4, 1)
        grid.addWidget(self.undo_button, 5, 0)
        grid.addWidget(self.redo_button, 5, 1)
        grid.addWidget(self.export_button, 6, 0)
        grid.addWidget(self.report_button, 6, 1)
        lay.addLayout(grid)
        self.message = QLabel(w)
        self.message.setWordWrap(True)
        self.message.setObjectName("message")
        lay.addWidget(self.message)
        self.progress.hide()
        self.cancel_button.hide()
        self.setWidget(w)

    def _button(self, text: str, key: str | None, slot: object) -> QPushButton:
        label = text if not key else f"{text}   [{QKeySequence(key).toString()}]"
        btn = QPushButton(label, self)
        btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must reach the shortcut
        if key:
            btn.setToolTip(f"{text.replace('&&', '&')} ({key})")
        btn.clicked.connect(slot)
        return btn

    def _bind_keys(self) -> None:
        c = self.controller
        table: list[tuple[Sequence[str], object]] = [
            ([keys.ACCEPT_NEXT], c.accept_and_next),
            ([keys.SKIP], c.go_next),
            ([keys.BACK], c.go_back),
            ([keys.NEXT_FACE], lambda: c.next_face(1)),
            ([keys.PREVIOUS_FACE], lambda: c.next_face(-1)),
            ([keys.RESET], c.reset_to_prediction),
            ([keys.COPY_SELECTED], lambda: c.copy_prediction(True)),
            ([keys.COPY_ALL], lambda: c.copy_prediction(False)),
            ([keys.TOGGLE_VISIBILITY], c.toggle_visibility),
            ([keys.UNDO], c.undo),
            (list(keys.REDO), c.redo),
            ([keys.PREDICT_ALL], self.predict_all),
            ([keys.EXPORT], self.open_export),
        ]
        self.actions_by_key: dict[str, QAction] = {}
        for seqs, slot in table:
            act = QAction(self)
            act.setShortcuts([QKeySequence(s) for s in seqs])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            self.actions_by_key[seqs[0]] = act

    # -- model / predictions ---------------------------------------------------------------

    def set_predictor(self, predictor: Predictor | None) -> None:
        self.predictor = predictor
        self._sync_buttons()

    def predict_all(self) -> None:
        """Predict every image without a prediction, in the background."""
        if self.predictor is None:
            self.message.setText("Open a model first (Ctrl+M), then Predict all.")
            return
        if self._worker is not None:
            return
        todo = self.session.unpredicted()
        if not todo:
            self.message.setText("Every image already has a prediction.")
            return
        pairs = None
        try:
            from facealign_gui.core.schemes import get_scheme

            pairs = get_scheme(self.session.scheme or "").flip_pairs
        except Exception:
            pairs = None
        worker = predict_all_worker(
            self.predictor, self.session.face_dataset(), todo, pairs, self, scorer=self.scorer
        )
        worker.yielded.connect(self._on_chunk)
        worker.returned.connect(self._on_predict_returned)
        worker.errored.connect(lambda exc: self.message.setText(f"prediction stopped: {exc}"))
        worker.finished.connect(self._on_predict_finished)
        self._worker = worker
        self._cancelled = False
        self._before_predict = (self.controller.current, self.controller.stack.index())
        self.progress.setRange(0, len(todo))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.message.setText(f"Predicting {len(todo)} images…")
        worker.start()
        self._sync_buttons()

    def cancel_prediction(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.message.setText("Cancelling…")

    def _store_results(self, items: list[tuple]) -> None:
        if self._shut:  # queued before shutdown: the session is closed
            return
        if self.prediction_filter is not None:
            items = self.prediction_filter(items)
        try:
            self.session.set_predictions(items)
        except SessionError as exc:
            self.message.setText(str(exc))
            return
        for i, *_rest in items:
            self.model.image_changed(i)
            if i == self.controller.current:
                self.controller.refresh_view()
        self._update_counts()

    def _add_face(self, face: OtherFace) -> None:
        """Another face of an image: a new session row with its box, then its prediction."""
        try:
            j = self.session.add_face(face.image, face.box)
        except SessionError as exc:
            self.message.setText(str(exc))
            return
        items: list[tuple] = [(j, face.prediction, "primary", face.scores)]
        if face.mirror is not None:
            items.append((j, face.mirror, "mirror"))
        self._store_results(items)
        self.livePrediction.emit(j, face.full)
        c = self.controller
        if c.current in self.session.faces(j):  # the shown image has one more face
            c.refresh_view()
            self._sync_faces(c.current)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _on_chunk(self, chunk: PredictAllChunk) -> None:
        if self._shut:  # queued before shutdown: the session is closed
            return
        if chunk.results:
            self._store_results(chunk.results)
        for i, prediction in chunk.live:
            self.livePrediction.emit(i, prediction)
        for face in chunk.faces:
            self._add_face(face)
        if chunk.failures:
            self.message.setText(chunk.failures[-1])
        self._on_progress(chunk.done, chunk.total)

    def _on_predict_returned(self, cancelled: bool) -> None:
        self._cancelled = bool(cancelled)

    def _on_predict_finished(self) -> None:
        """The worker's thread has ended (QThread.finished): nothing is left running."""
        worker, self._worker = self._worker, None
        if worker is None or self._shut:
            return
        worker.wait()
        worker.deleteLater()
        cancelled = self._cancelled
        self.progress.hide()
        self.cancel_button.hide()
        self.message.setText("Prediction cancelled." if cancelled else "Prediction finished.")
        c = self.controller
        c.refresh_queue()
        if (c.current, c.stack.index()) == self._before_predict:  # the person did not go on
            todo = self.session.unverified()  # so start at the least certain image
            first = next((img for img in c.queue if img in todo), None)
            if first is not None:
                c.show(first)
        self._sync_buttons()

    def add_frame(self, image_bgr: object, prediction: Prediction | None) -> int:
        """Save a captured frame beside the session and append it with its prediction.

        The PNG goes to ``<session>_frames/`` next to the session file (written atomically);
        raises SessionError / OSError with the file named when that is not possible.
        """
        import time

        import cv2

        from facealign_gui.fileio import atomic_write_bytes

        folder = self.session.path.parent / f"{self.session.path.stem}_frames"
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"
        path = folder / f"frame_{len(self.session):05d}_{stamp}.png"  # unique per session row
        ok, png = cv2.imencode(".png", image_bgr)  # type: ignore[call-overload]
        if not ok:
            raise SessionError(f"{path}: the frame could not be encoded as PNG")
        atomic_write_bytes(path, png.tobytes())
        i = self.session.add_image(path, prediction)
        h, w = image_bgr.shape[:2]  # type: ignore[attr-defined]
        self.session.set_image_size(i, int(w), int(h))
        self.controller.refresh_queue()
        self._update_counts()
        self._sync_buttons()
        self.message.setText(f"Added {path.name} to the session.")
        return i

    # -- dialogs ---------------------------------------------------------------------------

    def open_export(self) -> None:
        from facealign_gui.app.export_dialog import ExportDialog

        dlg = ExportDialog(self.session, self)
        dlg.exec()
        r = getattr(dlg, "result_", None)
        if r is not None:  # the dialog closes on success: say it here too
            text = f"Exported {r.count} faces to {r.path}"
            if r.format != "coco" and self._has_occluded_points():
                text += " · this format has no occluded flag (COCO keeps it)"
            self.message.setText(text)

    def _has_occluded_points(self) -> bool:
        vis = self.session.labels().visible
        return bool(vis.size) and not bool(np.asarray(vis, bool).all())

    def open_report(self) -> None:
        from facealign_gui.app.correction_report import CorrectionReportDialog

        CorrectionReportDialog(self.session, self).exec()

    # -- view sync -------------------------------------------------------------------------

    def reshow(self) -> None:
        """Draw the current image again (the presenter gave labelling the view)."""
        c = self.controller
        if c.current >= 0:
            self._request_image(c.current)
            c.refresh_view()

    def _request_image(self, i: int) -> None:
        if hasattr(self.view, "set_image"):
            self.loader.request(i, self.session.image_path(i))

    def _on_image_loaded(self, i: int, image: object) -> None:
        h, w = image.shape[:2]  # type: ignore[attr-defined]
        faces = self.session.faces(i)
        for j in faces:
            if self.session.image_info(j)["size"] != (w, h):
                self.session.set_image_size(j, w, h)  # COCO export needs it
        if self.controller.current in faces and hasattr(self.view, "set_image"):
            self.view.set_image(image)  # type: ignore[attr-defined]
            if hasattr(self.view, "fit"):
                self.view.fit()  # type: ignore[attr-defined]

    def _on_changed(self, img: int) -> None:
        self.model.image_changed(img)
        self._update_counts()
        if img == self.controller.current:
            self._update_current_label(img)
            self._sync_buttons()

    def _on_current(self, img: int) -> None:
        row = self.controller._pos.get(img)
        if row is not None:
            ix = self.model.index(row)
            self.queue_view.setCurrentIndex(ix)
            self.queue_view.scrollTo(ix)
        self._update_current_label(img)
        self._sync_faces(img)
        self._sync_buttons()

    def _sync_faces(self, img: int) -> None:
        """The face selector: shown for an image with several faces, on the shown one."""
        faces = self.session.faces(img)
        self.face_box.blockSignals(True)
        self.face_box.clear()
        for k in range(len(faces)):
            self.face_box.addItem(f"Face {k + 1} of {len(faces)}")
        self.face_box.setCurrentIndex(faces.index(img))
        self.face_box.blockSignals(False)
        self.face_box.setVisible(len(faces) > 1)

    def _update_current_label(self, img: int) -> None:
        name, status, conf, _ = self.session.summary(img)
        conf_text = "" if conf is None else f", confidence {conf:.2f}"
        pos = self.controller._pos.get(img, 0) + 1
        face = face_label(self.session.faces(img), img)
        self.current_label.setText(
            f"{pos} / {len(self.controller.queue)} in queue: <b>{Path(name).name}</b>{face}"
            f" — {status}{conf_text}"
        )

    def _update_counts(self) -> None:
        n = self.session.counts()
        self.counter.setText(
            f"Reviewed {n['reviewed']} / {n['total']} · {n['remaining']} remaining"
        )
        self.counter.setToolTip(
            f"{n['verified']} verified, {n['edited']} edited, {n['predicted']} predicted, "
            f"{n['unlabelled']} unlabelled"
        )
        self.reviewed_bar.setRange(0, max(n["total"], 1))
        self.reviewed_bar.setValue(n["reviewed"])
        self.counts = n

    def _sync_undo_buttons(self, *_: object) -> None:
        self.undo_button.setEnabled(self.controller.stack.canUndo())
        self.redo_button.setEnabled(self.controller.stack.canRedo())

    def _sync_buttons(self) -> None:
        busy = self._worker is not None
        self.predict_button.setEnabled(self.predictor is not None and not busy)
        self.predict_button.setToolTip(
            f"Predict all images without a prediction ({keys.PREDICT_ALL})"
            if self.predictor is not None
            else "Open a model first (Ctrl+M)"
        )
        cur = self.controller.current
        has_pred = cur >= 0 and self.session.state(cur).prediction is not None
        has_ann = cur >= 0 and self.session.state(cur).annotated
        self.copy_all_button.setEnabled(has_pred)
        self.copy_sel_button.setEnabled(has_pred)
        self.reset_button.setEnabled(has_ann)
        self.accept_button.setEnabled(has_pred or has_ann)
        self._sync_undo_buttons()

    def shutdown(self, close_session: bool = True) -> None:
        """Stop the worker, count time, clear the undo stack and (by default) close the
        session, releasing its lock. Call before removing the dock."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            worker.wait()
        self.loader.wait()
        if not self._shut:
            self._shut = True
            # an image decoded just before shutdown may still be queued: it must not reach
            # the closed session
            with contextlib.suppress(RuntimeError, TypeError):
                self.loader.loaded.disconnect(self._on_image_loaded)
            stack = self.controller.stack
            stack.canUndoChanged.disconnect(self._sync_undo_buttons)
            stack.canRedoChanged.disconnect(self._sync_undo_buttons)
            self.controller.close()
        if close_session:
            self.session.close()

    def closeEvent(self, ev: object) -> None:  # type: ignore[override]
        self.shutdown()
        super().closeEvent(ev)  # type: ignore[arg-type]


def open_session_with_recovery(path: str | Path, parent: QWidget | None = None) -> Session | None:
    """`Session.open`, asking to restore the backup when the file is damaged.

    Returns None when the person declines; other errors (locked by another instance, not a
    session) propagate with their message.
    """
    from PySide6.QtWidgets import QMessageBox

    from facealign_gui.session.store import SessionDamagedError

    try:
        return Session.open(path)
    except SessionDamagedError as exc:
        if exc.backup is None:
            raise
        answer = QMessageBox.question(
            parent,
            "Damaged session",
            f"{exc}\n\nRestore the backup now? The damaged file is kept beside it.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
        Session.restore_backup(path)
        return Session.open(path)
