"""The editing half of `Session`: every change builds an `Edit` and goes through `apply`,
one transaction that updates the annotation, the image's state and the journal together."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from facealign_gui.core.annotation import Prediction, Source, Status
from facealign_gui.session import checksums, review
from facealign_gui.session import journal as jr
from facealign_gui.session.files import SessionError
from facealign_gui.session.journal import Edit, ImageState, ReplayedImage
from facealign_gui.session.schema import PREDICTION_ROLES

_IMAGE_COLS = tuple(checksums.columns("images"))
_IMAGE_ROW = f"SELECT {', '.join(_IMAGE_COLS)} FROM images WHERE id=?"
_APPLY_READ = (
    f"SELECT {', '.join('i.' + c for c in _IMAGE_COLS)}, a.points, a.visible, a.source,"
    " a.from_prediction, a.image_id FROM images i LEFT JOIN annotations a ON a.image_id = i.id"
    " WHERE i.id=?"
)
_UPDATE_SQL: dict[tuple[str, ...], str] = {}


class SessionEdits:
    """Edits of a `Session` (which provides the connection, `state` and lookups)."""

    path: Path
    num_points: int
    _conn: sqlite3.Connection
    _next_seq: int
    _next_pred: int

    # `Session` provides state(), prediction(), prediction_by_id(), _check() and _tx().

    def set_prediction(
        self,
        i: int,
        prediction: Prediction,
        role: str = "primary",
        scores: Mapping[str, np.ndarray | float] | None = None,
    ) -> int:
        """Store a model's prediction for image ``i`` and return its id.

        A ``primary`` prediction becomes the image's current one (status unlabelled ->
        predicted); a ``mirror`` one (already un-flipped, see `session.mirror`) only feeds
        the disagreement order of the review queue. ``scores`` (signal name -> per-landmark
        values or one per-face value) are stored with it, in the same transaction.
        """
        with self._tx():
            pid = self._insert_prediction(i, prediction, role)
            for name, values in (scores or {}).items():
                self._insert_score(pid, name, values)
            return pid

    def set_scores(self, i: int, signal: str, values: np.ndarray | float) -> None:
        """Store ``signal``'s scores (K per-landmark values, or one per-face value) for image
        ``i``'s current prediction; see `facealign_gui.session.review`."""
        self.set_scores_many([(i, signal, values)])

    def set_scores_many(self, items: Sequence[tuple[int, str, np.ndarray | float]]) -> None:
        """Many `set_scores` in one transaction (all or none)."""
        with self._tx():
            for i, signal, values in items:
                pid = self.state(i).prediction
                if pid is None:
                    raise SessionError(f"image {i} has no prediction to score")
                self._insert_score(pid, signal, values)

    def _insert_score(self, pid: int, signal: str, values: np.ndarray | float) -> None:
        sig = review.get_signal(signal)
        if sig.column is not None:
            raise SessionError(f"{signal!r} is computed by the session; it takes no scores")
        value, per = sig.face_score(values)
        if per is not None and per.size != self.num_points:
            raise SessionError(
                f"{signal!r}: {per.size} per-landmark scores, the session has {self.num_points}"
            )
        row = (int(pid), sig.name, value, None if per is None else jr.floats_blob(per))
        self._conn.execute(
            "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?)",
            (*row, checksums.row_crc("scores", row)),
        )

    def add_image(self, path: str | Path, prediction: Prediction | None = None) -> int:
        """Append an image (a captured video frame, say) with its prediction; returns its
        index. One transaction: the image and its prediction arrive together or not at all."""
        if prediction is not None and prediction.num_points != self.num_points:
            raise SessionError(
                f"{path}: the prediction has {prediction.num_points} points, the session "
                f"{self.num_points}"
            )
        i = self._n
        with self._tx():
            row = (i, str(path), None, None, None, None, None, "{}", "unlabelled", None, 0.0, None)
            self._conn.execute(
                "INSERT INTO images (id, path, attributes, crc) VALUES (?, ?, ?, ?)",
                (i, str(path), "{}", checksums.row_crc("images", row)),
            )
            self._n += 1
            try:
                if prediction is not None:
                    self._insert_prediction(i, prediction, "primary")
            except BaseException:
                self._n -= 1  # the transaction rolls the row back
                raise
        return i

    def add_face(self, i: int, box: np.ndarray) -> int:
        """Append another face of image ``i`` (the same file, size and attributes; its own
        face ``box`` x1 y1 x2 y2) and return its row index. An image's faces are the rows
        with its path, in row order (`Session.faces`); the new row is unlabelled."""
        i = self._check(i)
        b = np.asarray(box, dtype="<f8").reshape(-1)
        if b.size != 4 or not np.isfinite(b).all():
            raise SessionError(f"image {i}: a face box is 4 finite numbers, got {box!r}")
        j = self._n
        with self._tx():
            path, width, height, attributes = self._conn.execute(
                "SELECT path, width, height, attributes FROM images WHERE id=?", (i,)
            ).fetchone()
            blob = b.tobytes()
            row = (j, path, width, height, blob, None, None, attributes, "unlabelled", None,
                   0.0, None)  # fmt: skip
            self._conn.execute(
                "INSERT INTO images (id, path, width, height, box, attributes, crc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (j, path, width, height, blob, attributes, checksums.row_crc("images", row)),
            )
            self._n += 1
        return j

    def set_predictions(self, items: Sequence[tuple]) -> list[int]:
        """Many `set_prediction` calls in one transaction (for a whole-dataset run): items
        ``(i, prediction, role)`` or ``(i, prediction, role, scores)``."""
        out = []
        with self._tx():
            for item in items:
                pid = self._insert_prediction(*item[:3])
                for name, values in (item[3] if len(item) > 3 and item[3] else {}).items():
                    self._insert_score(pid, name, values)
                out.append(pid)
        return out

    def move_points(
        self, i: int, indices: Sequence[int], new_xy: np.ndarray, kind: str = "move"
    ) -> Edit:
        """Move landmarks ``indices`` of image ``i`` to ``new_xy`` (n x 2).

        The first edit of an image without an annotation starts it from the prediction.
        """
        idx = _indices(indices, self.num_points)
        xy = np.asarray(new_xy, dtype=np.float64).reshape(-1, 2)
        if xy.shape[0] != idx.size:
            raise SessionError(f"{idx.size} indices but {xy.shape[0]} new positions")
        state, pts, vis = self._current(i)
        new_state = self._edited_state(state)
        return self.apply(
            Edit(i, kind, state, new_state, idx, pts[idx], xy, vis[idx], vis[idx].copy())
        )

    def set_visibility(self, i: int, indices: Sequence[int], visible: bool | np.ndarray) -> Edit:
        idx = _indices(indices, self.num_points)
        new_vis = np.broadcast_to(np.asarray(visible, dtype=bool), idx.shape).copy()
        state, pts, vis = self._current(i)
        new_state = self._edited_state(state)
        return self.apply(
            Edit(
                i, "visibility", state, new_state, idx, pts[idx], pts[idx].copy(), vis[idx], new_vis
            )
        )

    def copy_prediction(self, i: int, indices: Sequence[int] | None = None) -> Edit:
        """Copy the prediction's points (all, or ``indices``) into the annotation."""
        state, pts, vis = self._current(i)
        if state.prediction is None:
            raise SessionError(f"image {i} has no prediction to copy")
        pred = self.prediction_by_id(state.prediction).points
        idx = np.arange(self.num_points) if indices is None else _indices(indices, self.num_points)
        if indices is None:
            new_state = ImageState(
                True,
                Source.PREDICTED.value,
                state.prediction,
                Status.EDITED.value,
                state.prediction,
            )
        else:
            new_state = self._edited_state(state)
        return self.apply(
            Edit(
                i,
                "copy",
                state,
                new_state,
                idx,
                pts[idx],
                pred[idx].copy(),
                vis[idx],
                np.ones(idx.size, dtype=bool),
            )
        )

    def reset_to_prediction(self, i: int) -> Edit:
        """Drop the annotation: the image shows its prediction again."""
        state, pts, vis = self._current(i)
        if not state.annotated:
            raise SessionError(f"image {i} has no annotation to reset")
        status = Status.PREDICTED if state.prediction is not None else Status.UNLABELLED
        new_state = ImageState(False, None, None, status.value, state.prediction)
        idx = np.arange(self.num_points)
        return self.apply(Edit(i, "reset", state, new_state, idx, pts, pts.copy(), vis, vis.copy()))

    def accept(self, i: int) -> Edit:
        """Mark image ``i`` verified; without edits its prediction becomes the annotation."""
        state = self.state(i)
        if state.annotated:
            new_state = ImageState(
                True, state.source, state.from_prediction, Status.VERIFIED.value, state.prediction
            )
        elif state.prediction is not None:
            new_state = ImageState(
                True,
                Source.PREDICTED.value,
                state.prediction,
                Status.VERIFIED.value,
                state.prediction,
            )
        else:
            raise SessionError(f"image {i} has neither a prediction nor an annotation to accept")
        return self.apply(Edit(i, "accept", state, new_state))

    def set_status(self, i: int, status: Status | str) -> Edit:
        status = Status(status)
        if status is Status.VERIFIED:
            return self.accept(i)
        state = self.state(i)
        new_state = ImageState(
            state.annotated, state.source, state.from_prediction, status.value, state.prediction
        )
        return self.apply(Edit(i, "status", state, new_state))

    def apply(self, edit: Edit) -> Edit:
        """Apply ``edit`` (a new one, a redo, or an ``inverse()`` for undo) and journal it.

        Raises `SessionError` when the image's state is not ``edit.old_state`` (a stale undo).
        """
        i = self._check(edit.image)
        with self._tx():
            # one read: the image row (kept for its checksum), its annotation, so its state
            r = self._conn.execute(_APPLY_READ, (i,)).fetchone()
            image = dict(zip(_IMAGE_COLS, r[:12], strict=True))
            pts_b, vis_b, source, from_pred, ann_id = r[12:]
            state = ImageState(
                ann_id is not None, source, from_pred, image["status"], image["prediction_id"]
            )
            if state != edit.old_state:
                raise SessionError(
                    f"image {i} changed since this edit was made ({state} != {edit.old_state})"
                )
            cur_pts = None if pts_b is None else jr.points_from_blob(pts_b)
            cur_vis = None if vis_b is None else jr.mask_from_blob(vis_b)
            cur = ReplayedImage(state, cur_pts, cur_vis)
            preds = {}
            pid = edit.new_state.from_prediction
            if edit.new_state.annotated and not state.annotated and pid is not None:
                preds[pid] = self.prediction_by_id(pid).points
            new = jr.apply_to(cur, edit, self.num_points, preds)
            now = time.time()
            c = self._conn
            if new.points is None:
                c.execute("DELETE FROM annotations WHERE image_id=?", (i,))
            else:
                row = (
                    i,
                    jr.points_blob(new.points),
                    jr.mask_blob(new.visible),
                    edit.new_state.source,
                    edit.new_state.from_prediction,
                    now,
                )
                c.execute(
                    "INSERT OR REPLACE INTO annotations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*row, checksums.row_crc("annotations", row)),
                )
            change: dict[str, object] = {
                "status": edit.new_state.status,
                "prediction_id": edit.new_state.prediction,
            }
            if edit.new_state.status == Status.VERIFIED.value:
                change["reviewed_at"] = now
            self._update_image(i, change, image)
            seq = self._next_seq
            jrow = (seq, *jr.edit_row(edit, now))
            c.execute(
                "INSERT INTO journal (seq, t, image_id, kind, indices, old_points, new_points,"
                " old_visible, new_visible, old_state, new_state, crc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*jrow, checksums.row_crc("journal", jrow)),
            )
            self._next_seq = seq + 1
        return edit

    def _update_image(
        self, i: int, change: dict[str, object], current: dict[str, object] | None = None
    ) -> None:
        """Set columns of image ``i``'s row and its checksum (inside a transaction);
        ``current`` is the row as just read, if the caller has it."""
        if current is None:
            r = self._conn.execute(_IMAGE_ROW, (i,)).fetchone()
            current = dict(zip(_IMAGE_COLS, r, strict=True))
        row = {**current, **change}
        crc = checksums.row_crc("images", [row[c] for c in _IMAGE_COLS])
        keys = tuple(change)
        sql = _UPDATE_SQL.get(keys)
        if sql is None:
            sets = ", ".join(f"{c}=?" for c in keys)
            sql = _UPDATE_SQL[keys] = f"UPDATE images SET {sets}, crc=? WHERE id=?"
        self._conn.execute(sql, (*change.values(), crc, i))

    def _stored_points(self, i: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        r = self._conn.execute(
            "SELECT points, visible FROM annotations WHERE image_id=?", (i,)
        ).fetchone()
        return (None, None) if r is None else (jr.points_from_blob(r[0]), jr.mask_from_blob(r[1]))

    def _current(self, i: int) -> tuple[ImageState, np.ndarray, np.ndarray]:
        """State plus the points a person sees: the annotation, else the prediction."""
        state = self.state(i)
        pts, vis = self._stored_points(i)
        if pts is None:
            if state.prediction is not None:
                pts = self.prediction_by_id(state.prediction).points
            else:
                pts = np.full((self.num_points, 2), np.nan)
            vis = np.ones(self.num_points, dtype=bool)
        return state, pts, vis

    def _edited_state(self, state: ImageState) -> ImageState:
        if state.annotated:
            return ImageState(
                True,
                Source.EDITED.value,
                state.from_prediction,
                Status.EDITED.value,
                state.prediction,
            )
        return ImageState(
            True, Source.EDITED.value, state.prediction, Status.EDITED.value, state.prediction
        )

    def _insert_prediction(self, i: int, p: Prediction, role: str) -> int:
        from facealign_gui.session.mirror import disagreement

        i = self._check(i)
        if role not in PREDICTION_ROLES:  # a file holding another role would not reopen
            raise SessionError(f"unknown prediction role {role!r}; known: {PREDICTION_ROLES}")
        pts = np.asarray(p.points, dtype=np.float64).reshape(-1, 2)
        if pts.shape[0] != self.num_points:
            raise SessionError(
                f"prediction for image {i} has {pts.shape[0]} points, "
                f"the session's scheme has {self.num_points}"
            )
        conf = np.asarray(p.confidence, dtype=np.float32).reshape(-1)
        mean_c = float(np.mean(conf)) if conf.size else None
        min_c = float(np.min(conf)) if conf.size else None
        dis = None
        if role == "mirror":
            primary = self.prediction(i)
            dis = None if primary is None else disagreement(primary.points, pts)
        pid = self._next_pred
        auto = [(s.name, s.compute(p)) for s in review.signals() if s.compute is not None]
        row = (
            pid,
            i,
            str(role),
            str(p.model_id),
            jr.points_blob(pts),
            jr.floats_blob(conf),
            mean_c,
            min_c,
            dis,
            time.time(),
        )
        self._conn.execute(
            "INSERT INTO predictions (id, image_id, role, model_id, points, confidence, mean_conf,"
            " min_conf, disagreement, created, crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row, checksums.row_crc("predictions", row)),
        )
        self._next_pred = pid + 1
        for name, values in auto:
            self._insert_score(pid, name, values)
        if role == "primary":
            state = self.state(i)
            status = Status.PREDICTED.value if state.status == "unlabelled" else state.status
            new_state = ImageState(
                state.annotated, state.source, state.from_prediction, status, pid
            )
            self.apply(Edit(i, "predict", state, new_state))
        return pid


def _indices(indices: Sequence[int], k: int) -> np.ndarray:
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        raise SessionError(f"landmark indices must be in 0..{k - 1}, got {idx.tolist()}")
    if np.unique(idx).size != idx.size:
        raise SessionError(f"landmark indices repeat: {idx.tolist()}")
    return idx
