"""Undoable labelling edits and the controller that wires an image view to a `Session`.

Commands separate asking from doing: the controller calls the Qt-free `Session` API, which
applies the change, commits it and returns the `Edit` delta; the command only keeps that
delta, and undo/redo re-apply ``edit.inverse()`` / ``edit`` through the same API (so undo and
redo are journaled too and nothing is lost on a crash). One drag is one step; consecutive
arrow-key nudges of the same selection merge into one step (a "nudge burst").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from facealign_gui.app.labelling_keys import LABELLING_SHORTCUTS
from facealign_gui.core.annotation import Status
from facealign_gui.session.journal import Edit
from facealign_gui.session.store import Session, SessionError

__all__ = [
    "LABELLING_SHORTCUTS",
    "AcceptImage",
    "CopyPrediction",
    "EditCommand",
    "EditController",
    "MovePoints",
    "ResetToPrediction",
    "ToggleVisibility",
]

NUDGE_BURST_GAP = 2.0  # seconds: a pause longer than this starts a new undo step
MAX_SECONDS_PER_VISIT = 300.0  # time on one image counts at most this much per visit


class EditCommand(QUndoCommand):
    """An edit that was already applied to the session; undo/redo re-apply its delta.

    When the session refuses (the image changed since), the command keeps the error in
    `refused` and arms a skip, so the controller can put the stack's index back without
    applying anything (`EditController._step`).
    """

    def __init__(self, session: Session, edit: Edit, text: str,
                 notify: Callable[[int], None] | None = None) -> None:  # fmt: skip
        super().__init__(text)
        self.session = session
        self.edit = edit
        self._notify = notify
        self._first = True
        self._skip_undo = False
        self.refused: SessionError | None = None

    def redo(self) -> None:
        if self._first:  # pushed after doing (or a refused undo put back): nothing to do
            self._first = False
            return
        try:
            self.session.apply(self.edit)
        except SessionError as exc:
            self.refused, self._skip_undo = exc, True
            return
        if self._notify:
            self._notify(self.edit.image)

    def undo(self) -> None:
        if self._skip_undo:  # a refused redo put back
            self._skip_undo = False
            return
        try:
            self.session.apply(self.edit.inverse())
        except SessionError as exc:
            self.refused, self._first = exc, True
            return
        if self._notify:
            self._notify(self.edit.image)


class MovePoints(EditCommand):
    """A drag (one step) or a nudge; nudges of the same points merge into one step.

    `extras` are edits made because of this one (click-to-refine's ``"refine"`` edit): they
    belong to the same undo step, are re-applied after it and undone before it.
    """

    ID = 1001

    def __init__(self, session: Session, edit: Edit,
                 notify: Callable[[int], None] | None = None,
                 text: str | None = None) -> None:  # fmt: skip
        n = edit.indices.size
        what = "nudge" if edit.kind == "nudge" else "move"
        super().__init__(session, edit, text or f"{what} {n} point{'s' * (n != 1)}", notify)
        self.stamp = time.monotonic()
        self.extras: list[Edit] = []

    def redo(self) -> None:
        first = self._first
        super().redo()
        if first or self._skip_undo or self.refused is not None:
            return
        exc = self._apply_extras(self.extras)
        if exc is not None:  # a refused redo put back (see EditCommand)
            self.refused, self._skip_undo = exc, True
        if self.extras and self._notify:  # the view shows the refined points too
            self._notify(self.edit.image)

    def undo(self) -> None:
        if self._skip_undo:
            super().undo()
            return
        exc = self._apply_extras([e.inverse() for e in reversed(self.extras)])
        if exc is not None:  # a refused undo put back
            self.refused, self._first = exc, True
            return
        super().undo()

    def _apply_extras(self, edits: list[Edit]) -> SessionError | None:
        for e in edits:
            try:
                self.session.apply(e)
            except SessionError as exc:
                return exc
        return None

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MovePoints):
            return False
        a, b = self.edit, other.edit
        if not (a.kind == b.kind == "nudge" and a.image == b.image):
            return False
        if not np.array_equal(a.indices, b.indices) or a.new_state != b.old_state:
            return False
        if other.stamp - self.stamp > NUDGE_BURST_GAP:
            return False
        self.edit = replace(a, new_state=b.new_state, new_points=b.new_points,
                            new_visible=b.new_visible)  # fmt: skip
        self.extras = [*self.extras, *other.extras]
        self.stamp = other.stamp
        return True


class ToggleVisibility(EditCommand):
    def __init__(self, session: Session, edit: Edit,
                 notify: Callable[[int], None] | None = None) -> None:  # fmt: skip
        super().__init__(session, edit, "toggle visibility", notify)


class CopyPrediction(EditCommand):
    def __init__(self, session: Session, edit: Edit,
                 notify: Callable[[int], None] | None = None) -> None:  # fmt: skip
        n = edit.indices.size
        super().__init__(session, edit, f"copy prediction ({n} points)", notify)


class ResetToPrediction(EditCommand):
    def __init__(self, session: Session, edit: Edit,
                 notify: Callable[[int], None] | None = None) -> None:  # fmt: skip
        super().__init__(session, edit, "reset to prediction", notify)


class AcceptImage(EditCommand):
    def __init__(self, session: Session, edit: Edit,
                 notify: Callable[[int], None] | None = None) -> None:  # fmt: skip
        super().__init__(session, edit, f"accept image {edit.image}", notify)


class EditController(QObject):
    """Connects an image view (the `ImageView` editing API) to a `Session`.

    Emits `currentChanged(i)` when another image is shown, `changed(i)` after any edit,
    undo or redo of image ``i``, `queueChanged()` when the review order changes and
    `failed(message)` when the session refuses an edit (the message says why).
    """

    currentChanged = Signal(int)
    changed = Signal(int)
    queueChanged = Signal()
    failed = Signal(str)

    def __init__(self, view: object, session: Session, parent: QObject | None = None,
                 image_loader: Callable[[int], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        super().__init__(parent)
        self._clock = clock  # time on an image is measured with this (tests inject one)
        self.view = view
        self.session = session
        self.stack = QUndoStack(self)
        self.order = "uncertainty"
        self.queue: list[int] = []
        self.current = -1
        self._load_image = image_loader
        self._closed = False
        self._shown_at = clock()
        # click-to-refine (`app.refine_controller`): image -> an extra edit, or None
        self.refine_hook: Callable[[int], Edit | None] | None = None
        view.pointsMoved.connect(self._on_points_moved)  # type: ignore[attr-defined]
        if hasattr(view, "set_editable"):
            view.set_editable(True)
        self.refresh_queue()
        start = session.current
        if start is None and self.queue:  # a new session: the least certain image first
            todo = session.unverified()
            start = next((img for img in self.queue if img in todo), self.queue[0])
        if start is not None:
            self.show(start)

    # -- navigation ------------------------------------------------------------------------

    def refresh_queue(self, order: str | None = None) -> None:
        """Recompute the review order (all images; verified ones are skipped by `next`)."""
        if order is not None:
            self.order = order
        self.queue = self.session.review_queue(self.order, include_verified=True)
        self._pos = {img: p for p, img in enumerate(self.queue)}
        self.queueChanged.emit()

    def show(self, i: int) -> None:
        """Show image ``i`` (its annotation, else its prediction, as the editable points)."""
        if not 0 <= i < len(self.session):
            return
        self._account_time()
        if i != self.current:
            same_file = self.current >= 0 and i in self.session.faces(self.current)
            self.current = i
            self.session.set_current(i)
            # a selection belongs to one face: the next nudge must not edit this one
            self.view.set_selection([])  # type: ignore[attr-defined]
            if self._load_image is not None and not same_file:  # another face: same pixels
                self._load_image(i)
        self.refresh_view()
        self.currentChanged.emit(i)

    def next_index(self, unverified_only: bool = True, step: int = 1) -> int | None:
        """The image after (``step=-1``: before) the current one in the review queue."""
        if not self.queue:
            return None
        start = self._pos.get(self.current, -1 if step > 0 else len(self.queue))
        n = len(self.queue)
        todo: set[int] | None = None
        for k in range(1, n + 1):
            p = start + step * k
            if not 0 <= p < n:
                if step < 0:
                    return None
                p %= n
            img = self.queue[p]
            if not unverified_only:
                return img
            if k > 20 and todo is None:  # a long verified stretch: one query, not many
                todo = self.session.unverified()
            if todo is not None:
                if img in todo:
                    return img
            elif self.session.status(img) is not Status.VERIFIED:
                return img
        return None

    def faces(self) -> list[int]:
        """The shown image's faces (session rows), in order; one entry for a single face."""
        return [] if self.current < 0 else self.session.faces(self.current)

    def show_face(self, k: int) -> None:
        """Make face ``k`` of the shown image the editable one (the others are dimmed)."""
        faces = self.faces()
        if 0 <= k < len(faces):
            self.show(faces[k])

    def next_face(self, step: int = 1) -> None:
        """The image's next (``step=-1``: previous) face, wrapping round."""
        faces = self.faces()
        if len(faces) > 1:
            self.show(faces[(faces.index(self.current) + step) % len(faces)])

    def go_next(self) -> None:
        nxt = self.next_index()
        if nxt is not None:
            self.show(nxt)

    def go_back(self) -> None:
        prev = self.next_index(unverified_only=False, step=-1)
        if prev is not None:
            self.show(prev)

    # -- edits -----------------------------------------------------------------------------

    def accept_and_next(self) -> None:
        """Space: accept the shown image (copy its prediction if not edited) and go on."""
        if self.current < 0:
            return
        verified = self.session.status(self.current) is Status.VERIFIED
        if not verified and self._push(AcceptImage, self._accept_current) is None:
            return
        self.go_next()

    def _accept_current(self) -> Edit:
        return self.session.accept(self.current)

    def copy_prediction(self, selected_only: bool = False) -> None:
        idx = self._selection() if selected_only else None
        if selected_only and not len(idx):
            self.failed.emit("Select the points to copy from the prediction first.")
            return
        self._push(CopyPrediction, lambda: self.session.copy_prediction(self.current, idx))

    def reset_to_prediction(self) -> None:
        self._push(ResetToPrediction, lambda: self.session.reset_to_prediction(self.current))

    def toggle_visibility(self) -> None:
        """Selected points: all visible -> occluded, otherwise -> visible."""
        idx = self._selection()
        if not len(idx):
            self.failed.emit("Select the points to mark occluded or visible first.")
            return
        ann = self.session.annotation(self.current)
        vis = np.ones(self.session.num_points, bool) if ann is None else ann.visible
        target = not bool(vis[idx].all())
        self._push(ToggleVisibility,
                   lambda: self.session.set_visibility(self.current, idx, target))  # fmt: skip

    def undo(self) -> None:
        self._step(undo=True)

    def redo(self) -> None:
        self._step(undo=False)

    def _step(self, undo: bool) -> None:
        """Undo or redo one step; a step the session refuses leaves the index where it was."""
        index = self.stack.index()
        cmd = self.stack.command(index - 1 if undo else index)
        self._guarded(self.stack.undo if undo else self.stack.redo)
        if isinstance(cmd, EditCommand) and cmd.refused is not None:
            exc, cmd.refused = cmd.refused, None
            self.stack.setIndex(index)  # the command skips the re-apply it armed
            self.failed.emit(str(exc))

    def close(self) -> None:
        """Count the time on the shown image, then drop the undo stack's commands."""
        if self._closed:
            return
        self._closed = True
        self._account_time()
        self.view.pointsMoved.disconnect(self._on_points_moved)  # type: ignore[attr-defined]
        self.stack.clear()

    # -- internals -------------------------------------------------------------------------

    def _on_points_moved(self, indices: object, old_xy: object, new_xy: object,
                         kind: str = "drag") -> None:  # fmt: skip
        """One gesture of the editor; ``kind`` ("drag", "group", "nudge") came with it."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        xy = np.asarray(new_xy, dtype=np.float64).reshape(-1, 2)
        if self.current < 0 or not idx.size:
            return
        journal_kind = "nudge" if kind == "nudge" else "move"  # nudges merge into bursts
        self.move_points(idx, xy, journal_kind)

    def move_points(self, indices: np.ndarray, xy: np.ndarray, kind: str = "move",
                    text: str | None = None) -> MovePoints | None:  # fmt: skip
        """Move points of the shown image as one undo step (with its refinement, when
        `refine_hook` is set); contour tools call this too."""
        if self.current < 0:
            return None

        def command(session: Session, edit: Edit, notify: Callable[[int], None]) -> MovePoints:
            cmd = MovePoints(session, edit, notify, text)
            if self.refine_hook is not None:  # before the push: a nudge burst merges it too
                try:
                    extra = self.refine_hook(edit.image)
                except SessionError as exc:
                    self.failed.emit(str(exc))
                    extra = None
                if extra is not None:
                    cmd.extras.append(extra)
            return cmd

        return self._push(command,  # type: ignore[arg-type, return-value]
                          lambda: self.session.move_points(self.current, indices, xy,
                                                           kind=kind))  # fmt: skip

    def _push(self, cls: type[EditCommand], do: Callable[[], Edit]) -> EditCommand | None:
        try:
            edit = do()
        except SessionError as exc:
            self.failed.emit(str(exc))
            self.refresh_view()
            return None
        cmd = cls(self.session, edit, self._after_undo_redo)
        self.stack.push(cmd)
        self.refresh_view()
        self.changed.emit(edit.image)
        return cmd

    def _after_undo_redo(self, image: int) -> None:
        if image != self.current:
            self.show(image)
        else:
            self.refresh_view()
        self.changed.emit(image)

    def _guarded(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except SessionError as exc:
            self.failed.emit(str(exc))

    def _selection(self) -> np.ndarray:
        sel = getattr(self.view, "selected_points", None)
        return np.zeros(0, np.int64) if sel is None else np.asarray(sel(), dtype=np.int64)

    def refresh_view(self) -> None:
        if self.current < 0:
            return
        i = self.current
        pred = self.session.prediction(i)
        ann = self.session.annotation(i)
        if pred is not None:
            self.view.set_prediction(pred.points, pred.confidence)  # type: ignore[attr-defined]
        else:
            self.view.set_prediction(None, None)  # type: ignore[attr-defined]
        if ann is not None:
            self.view.set_annotation(ann.points, ann.visible)  # type: ignore[attr-defined]
        elif pred is not None:
            self.view.set_annotation(pred.points, None)  # type: ignore[attr-defined]
        else:
            self.view.set_annotation(None, None)  # type: ignore[attr-defined]
        if hasattr(self.view, "set_other_faces"):
            self.view.set_other_faces(self._other_faces(i))  # type: ignore[attr-defined]

    def _other_faces(self, i: int) -> list[np.ndarray]:
        """The points of the image's other faces (annotation, else prediction), drawn dimmed."""
        out = []
        for j in self.session.faces(i):
            if j == i:
                continue
            ann = self.session.annotation(j)
            pred = None if ann is not None else self.session.prediction(j)
            pts = ann.points if ann is not None else None if pred is None else pred.points
            if pts is not None:
                out.append(pts)
        return out

    def _account_time(self) -> None:
        now = self._clock()
        if self.current >= 0 and not self.session.closed:
            self.session.add_time(self.current, min(now - self._shown_at, MAX_SECONDS_PER_VISIT))
        self._shown_at = now
