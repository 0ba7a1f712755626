"""The labelling session: a Qt-free API over one SQLite file (``.fagsession``).

Every edit is one transaction that updates the annotation and appends the `Edit` to the
journal, committed before the call returns (WAL, ``synchronous=NORMAL``: a few tens of
microseconds, see ``benchmarks/bench_session.py``), so a killed process loses nothing it
returned from. Opening takes an OS lock (`SessionLock`), checks the file (header +
``PRAGMA quick_check``) and refreshes a ``.bak`` copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facealign_gui.core.annotation import Annotation, Prediction, Source, Status
from facealign_gui.datasets.model import Dataset
from facealign_gui.session import journal as jr
from facealign_gui.session.journal import Edit, ImageState, ReplayedImage
from facealign_gui.session.lock import SessionLock, SessionLockedError
from facealign_gui.session.schema import SCHEMA_VERSION, SQLITE_HEADER, configure, create_schema
from facealign_gui.session.sources import rows_from, scheme_num_points

__all__ = ["Session", "SessionDamagedError", "SessionError", "SessionLockedError"]


class SessionError(RuntimeError):
    """A session operation that cannot be done; the message says why."""


class SessionDamagedError(SessionError):
    """The session file failed its checks; ``backup`` is the last good copy, if any."""

    def __init__(self, path: Path, why: str, backup: Path | None) -> None:
        self.path, self.backup = path, backup
        hint = (
            f" A backup from the last successful open is at {backup}; "
            "use Session.restore_backup to go back to it."
            if backup is not None
            else " No backup copy exists."
        )
        super().__init__(f"{path}: the session file is damaged ({why}).{hint}")


@dataclass
class Labels:
    """Annotated images of a session as arrays (see `Session.labels`)."""

    index: np.ndarray  # (n,) session image indices
    images: list[str]
    sizes: list[tuple[int, int] | None]
    boxes: list[np.ndarray | None]
    attributes: list[dict[str, object]]
    status: list[str]
    seconds: np.ndarray  # (n,) a person's time per image
    points: np.ndarray  # (n, K, 2)
    visible: np.ndarray  # (n, K) bool
    source: list[str]
    predicted: np.ndarray  # (n, K, 2) the prediction each started from; NaN when none

    def __len__(self) -> int:
        return int(self.index.size)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


class Session:
    """One open ``.fagsession`` file. Use `create` or `open`; `close` when done."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: SessionLock) -> None:
        self.path = path
        self._conn = conn
        self._lock = lock
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        self.root = Path(meta["root"])
        self.scheme: str | None = meta.get("scheme") or None
        self.num_points = int(meta["num_points"])
        self._n = conn.execute("SELECT COUNT(*) FROM images").fetchone()[0]
        self.inputs: list[str] = json.loads(meta.get("inputs", "[]"))

    # -- life cycle ------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        source: object,
        scheme: str | None = None,
        num_points: int | None = None,
        overwrite: bool = False,
    ) -> Session:
        """A new session for ``source``: a `Dataset`, a dataset path, or image paths.

        Existing labels in a dataset become ground-truth annotations (journaled as
        ``import`` edits). ``scheme`` (or ``num_points``) is needed for unlabelled images.
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise SessionError(f"{path} already exists; open it, or pass overwrite=True")
        rows = rows_from(source)
        scheme = scheme or rows.scheme
        k = num_points or (rows.points.shape[1] if rows.points is not None else None)
        k = k or scheme_num_points(scheme)
        if not k:
            raise SessionError(f"{path}: give a landmark scheme for unlabelled images")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            configure(conn)
            create_schema(conn)
            _fill(conn, rows, scheme, int(k))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{tmp}{suffix}").unlink()
        os.replace(tmp, path)
        return cls.open(path, backup=False)

    @classmethod
    def open(cls, path: str | Path, backup: bool = True) -> Session:
        """Open an existing session; raise `SessionLockedError` if another instance holds
        it, `SessionDamagedError` if it fails its checks."""
        path = Path(path)
        if not path.is_file():
            raise SessionError(f"{path}: no such session file")
        lock = SessionLock(path)
        lock.acquire()
        try:
            conn = _checked_connection(path)
            if backup:
                _write_backup(conn, backup_path(path))
            return cls(path, conn, lock)
        except BaseException:
            lock.release()
            raise

    @staticmethod
    def restore_backup(path: str | Path) -> Path:
        """Put the ``.bak`` copy back in place; the damaged file is kept beside it."""
        path = Path(path)
        bak = backup_path(path)
        if not bak.is_file():
            raise SessionError(f"{path}: there is no backup ({bak}) to restore")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            p = Path(f"{path}{suffix}")
            if p.exists():
                os.replace(p, p.with_name(f"{p.name}.damaged-{stamp}"))
        tmp = path.with_name(f".{path.name}.restore.tmp")
        shutil.copyfile(bak, tmp)
        os.replace(tmp, path)
        return path

    def close(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self._conn.close()
        self._conn = None  # type: ignore[assignment]
        self._lock.release()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._conn is None

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def image_name(self, i: int) -> str:
        return self._one("SELECT path FROM images WHERE id=?", i)

    def image_path(self, i: int) -> Path:
        p = Path(self.image_name(i))
        return p if p.is_absolute() else self.root / p

    def image_info(self, i: int) -> dict[str, object]:
        """Path, size, box/center/scale, attributes, status and seconds of image ``i``."""
        r = self._conn.execute(
            "SELECT path, width, height, box, center, scale, attributes, status, seconds "
            "FROM images WHERE id=?",
            (self._check(i),),
        ).fetchone()
        return {
            "path": r[0],
            "size": None if r[1] is None else (r[1], r[2]),
            "box": None if r[3] is None else np.frombuffer(r[3], "<f8").copy(),
            "center": None if r[4] is None else np.frombuffer(r[4], "<f8").copy(),
            "scale": r[5],
            "attributes": json.loads(r[6]) if r[6] else {},
            "status": Status(r[7]),
            "seconds": r[8],
        }

    def state(self, i: int) -> ImageState:
        r = self._conn.execute(
            "SELECT i.status, i.prediction_id, a.source, a.from_prediction, a.image_id "
            "FROM images i LEFT JOIN annotations a ON a.image_id = i.id WHERE i.id=?",
            (self._check(i),),
        ).fetchone()
        return ImageState(
            annotated=r[4] is not None,
            source=r[2],
            from_prediction=r[3],
            status=r[0],
            prediction=r[1],
        )

    def status(self, i: int) -> Status:
        return Status(self._one("SELECT status FROM images WHERE id=?", i))

    def prediction(self, i: int, role: str = "primary") -> Prediction | None:
        """The image's current prediction (``role="mirror"``: its latest mirror one)."""
        if role == "primary":
            pid = self._one("SELECT prediction_id FROM images WHERE id=?", i)
        else:
            r = self._conn.execute(
                "SELECT MAX(id) FROM predictions WHERE image_id=? AND role=?",
                (self._check(i), role),
            ).fetchone()
            pid = r[0]
        return None if pid is None else self.prediction_by_id(pid)

    def prediction_by_id(self, pid: int) -> Prediction:
        r = self._conn.execute(
            "SELECT points, confidence, model_id FROM predictions WHERE id=?", (pid,)
        ).fetchone()
        return Prediction(
            points=jr.points_from_blob(r[0]),
            confidence=jr.floats_from_blob(r[1]),
            model_id=r[2],
        )

    def annotation(self, i: int) -> Annotation | None:
        """The person's (or dataset's) annotation of image ``i``, or None."""
        r = self._conn.execute(
            "SELECT points, visible, source, from_prediction FROM annotations WHERE image_id=?",
            (self._check(i),),
        ).fetchone()
        if r is None:
            return None
        return Annotation(
            points=jr.points_from_blob(r[0]),
            visible=jr.mask_from_blob(r[1]),
            source=Source(r[2]),
            from_prediction=None if r[3] is None else self.prediction_by_id(r[3]),
        )

    def summary(self, i: int) -> tuple[str, str, float | None, float]:
        """``(image name, status, mean prediction confidence or None, seconds)``."""
        r = self._conn.execute(
            "SELECT i.path, i.status, p.mean_conf, i.seconds FROM images i"
            " LEFT JOIN predictions p ON p.id = i.prediction_id WHERE i.id=?",
            (self._check(i),),
        ).fetchone()
        return r[0], r[1], r[2], r[3]

    def unpredicted(self) -> list[int]:
        """Images without a prediction, in file order."""
        cur = self._conn.execute("SELECT id FROM images WHERE prediction_id IS NULL ORDER BY id")
        return [r[0] for r in cur]

    def counts(self) -> dict[str, int]:
        """Images per status, plus ``total``, ``reviewed`` (verified) and ``remaining``."""
        out = {s.value: 0 for s in Status}
        for status, n in self._conn.execute("SELECT status, COUNT(*) FROM images GROUP BY 1"):
            out[status] = n
        out["total"] = self._n
        out["reviewed"] = out[Status.VERIFIED.value]
        out["remaining"] = self._n - out["reviewed"]
        return out

    def review_queue(self, order: str = "uncertainty", include_verified: bool = False) -> list[int]:
        """Image indices in review order; see `facealign_gui.session.queue`."""
        from facealign_gui.session.queue import review_order

        return review_order(self._conn, order, include_verified)

    def labels(self, verified_only: bool = False) -> Labels:
        """Every annotated image's labels in one read (for export and reports)."""
        where = "WHERE i.status = 'verified'" if verified_only else ""
        rows = self._conn.execute(
            "SELECT i.id, i.path, i.width, i.height, i.box, i.attributes, i.status, i.seconds,"
            " a.points, a.visible, a.source, p.points FROM annotations a"
            " JOIN images i ON i.id = a.image_id"
            f" LEFT JOIN predictions p ON p.id = a.from_prediction {where} ORDER BY i.id"
        ).fetchall()
        n, k = len(rows), self.num_points
        pred = np.full((n, k, 2), np.nan)
        for j, r in enumerate(rows):
            if r[11] is not None:
                pred[j] = jr.points_from_blob(r[11])
        return Labels(
            index=np.array([r[0] for r in rows], dtype=np.int64),
            images=[r[1] for r in rows],
            sizes=[None if r[2] is None else (r[2], r[3]) for r in rows],
            boxes=[None if r[4] is None else np.frombuffer(r[4], "<f8") for r in rows],
            attributes=[json.loads(r[5]) if r[5] else {} for r in rows],
            status=[r[6] for r in rows],
            seconds=np.array([r[7] for r in rows], dtype=np.float64),
            points=np.array([jr.points_from_blob(r[8]) for r in rows]).reshape(n, k, 2),
            visible=np.array([jr.mask_from_blob(r[9]) for r in rows]).reshape(n, k),
            source=[r[10] for r in rows],
            predicted=pred,
        )

    def face_dataset(self) -> Dataset:
        """The session's images with their face boxes / centre-scale and no points, for
        `facealign_gui.inference.pipeline.run_predictions`."""
        rows = self._conn.execute("SELECT path, box, center, scale FROM images ORDER BY id")
        images, boxes, centers, scales = [], [], [], []
        for path, box, center, scale in rows:
            images.append(path)
            boxes.append(np.frombuffer(box, "<f8") if box else np.full(4, np.nan))
            centers.append(np.frombuffer(center, "<f8") if center else np.full(2, np.nan))
            scales.append(np.nan if scale is None else scale)
        n = len(images)
        have_box = any(np.isfinite(b).all() for b in boxes)
        have_cs = any(np.isfinite(c).all() for c in centers)
        return Dataset(
            format="session",
            scheme=self.scheme,
            root=self.root,
            images=images,
            boxes=np.array(boxes).reshape(n, 4) if have_box else None,
            centers=np.array(centers).reshape(n, 2) if have_cs else None,
            scales=np.array(scales, dtype=np.float64) if have_cs else None,
        )

    @property
    def current(self) -> int:
        """The image the person was on (restored on reopen)."""
        r = self._conn.execute("SELECT value FROM meta WHERE key='current'").fetchone()
        return min(int(r[0]), max(self._n - 1, 0)) if r else 0

    def journal(self, since: int = 0) -> list[Edit]:
        """Every journaled edit with ``seq > since``, in order."""
        cur = self._conn.execute(
            "SELECT image_id, kind, indices, old_points, new_points, old_visible, new_visible,"
            " old_state, new_state FROM journal WHERE seq > ? ORDER BY seq",
            (since,),
        )
        return [jr.edit_from_row(r) for r in cur]

    def journal_length(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]

    def replayed(self) -> list[ReplayedImage]:
        """Every image rebuilt from the journal alone (for checks and recovery)."""
        preds = {
            pid: jr.points_from_blob(b)
            for pid, b in self._conn.execute("SELECT id, points FROM predictions")
        }
        return jr.replay(self._n, self.num_points, self.journal(), preds)

    # -- writing ---------------------------------------------------------------------------

    def set_current(self, i: int) -> None:
        self._check(i)
        with self._tx():
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('current', ?)", (str(i),))

    def set_image_size(self, i: int, width: int, height: int) -> None:
        with self._tx():
            self._conn.execute(
                "UPDATE images SET width=?, height=? WHERE id=?", (width, height, self._check(i))
            )

    def add_time(self, i: int, seconds: float) -> None:
        """Add ``seconds`` of a person's time to image ``i``."""
        if seconds <= 0:
            return
        with self._tx():
            self._conn.execute(
                "UPDATE images SET seconds = seconds + ? WHERE id=?", (seconds, self._check(i))
            )

    def set_prediction(self, i: int, prediction: Prediction, role: str = "primary") -> int:
        """Store a model's prediction for image ``i`` and return its id.

        A ``primary`` prediction becomes the image's current one (status unlabelled ->
        predicted); a ``mirror`` one (already un-flipped, see `session.mirror`) only feeds
        the disagreement order of the review queue.
        """
        with self._tx():
            return self._insert_prediction(i, prediction, role)

    def set_predictions(self, items: Sequence[tuple[int, Prediction, str]]) -> list[int]:
        """Many `set_prediction` calls in one transaction (for a whole-dataset run)."""
        with self._tx():
            return [self._insert_prediction(i, p, role) for i, p, role in items]

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
            state = self.state(i)
            if state != edit.old_state:
                raise SessionError(
                    f"image {i} changed since this edit was made ({state} != {edit.old_state})"
                )
            cur_pts, cur_vis = self._stored_points(i)
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
                c.execute(
                    "INSERT OR REPLACE INTO annotations VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        i,
                        jr.points_blob(new.points),
                        jr.mask_blob(new.visible),
                        edit.new_state.source,
                        edit.new_state.from_prediction,
                        now,
                    ),
                )
            reviewed = now if edit.new_state.status == Status.VERIFIED.value else None
            c.execute(
                "UPDATE images SET status=?, prediction_id=?, "
                "reviewed_at=COALESCE(?, reviewed_at) WHERE id=?",
                (edit.new_state.status, edit.new_state.prediction, reviewed, i),
            )
            c.execute(
                "INSERT INTO journal (t, image_id, kind, indices, old_points, new_points,"
                " old_visible, new_visible, old_state, new_state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                jr.edit_row(edit, now),
            )
        return edit

    # -- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        if self._conn is None:
            raise SessionError(f"{self.path}: the session is closed")
        if self._conn.in_transaction:  # nested: the outer one commits
            yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise SessionError(f"{self.path}: could not save ({exc})") from exc

    def _check(self, i: int) -> int:
        i = int(i)
        if not 0 <= i < self._n:
            raise SessionError(f"image index {i} is outside 0..{self._n - 1}")
        return i

    def _one(self, sql: str, i: int) -> object:
        return self._conn.execute(sql, (self._check(i),)).fetchone()[0]

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
        cur = self._conn.execute(
            "INSERT INTO predictions (image_id, role, model_id, points, confidence, mean_conf,"
            " min_conf, disagreement, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                i,
                role,
                p.model_id,
                jr.points_blob(pts),
                jr.floats_blob(conf),
                mean_c,
                min_c,
                dis,
                time.time(),
            ),
        )
        pid = int(cur.lastrowid)
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


def _fill(conn: sqlite3.Connection, rows: object, scheme: str | None, k: int) -> None:
    from facealign_gui.session.sources import SourceRows

    assert isinstance(rows, SourceRows)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("root", str(rows.root)),
            ("scheme", scheme or ""),
            ("num_points", str(k)),
            ("current", "0"),
            ("inputs", json.dumps(rows.inputs)),
            ("created", str(time.time())),
        ],
    )

    def blob(a: np.ndarray | None, j: int) -> bytes | None:
        return None if a is None else np.ascontiguousarray(a[j], dtype="<f8").tobytes()

    conn.executemany(
        "INSERT INTO images (id, path, box, center, scale, attributes) VALUES (?,?,?,?,?,?)",
        (
            (
                j,
                name,
                blob(rows.boxes, j),
                blob(rows.centers, j),
                None if rows.scales is None else float(rows.scales[j]),
                rows.attributes[j],
            )
            for j, name in enumerate(rows.images)
        ),
    )
    if rows.points is not None:
        if rows.points.shape[1] != k:
            raise SessionError(f"the dataset has {rows.points.shape[1]} points, expected {k}")
        now = time.time()
        idx = np.arange(k)
        ann, jour = [], []
        vis_all = rows.visible if rows.visible is not None else np.ones(rows.points.shape[:2], bool)
        for j in range(len(rows.images)):
            pts = rows.points[j]
            if np.all(np.isnan(pts)):
                continue
            vis = vis_all[j]
            ann.append(
                (j, jr.points_blob(pts), jr.mask_blob(vis), Source.GROUND_TRUTH.value, None, now)
            )
            new_state = ImageState(True, Source.GROUND_TRUTH.value, None, "unlabelled", None)
            e = Edit(
                j,
                "import",
                ImageState(),
                new_state,
                idx,
                np.full((k, 2), np.nan),
                np.asarray(pts, np.float64),
                np.ones(k, bool),
                np.asarray(vis, bool),
            )
            jour.append(jr.edit_row(e, now))
        conn.executemany("INSERT INTO annotations VALUES (?, ?, ?, ?, ?, ?)", ann)
        conn.executemany(
            "INSERT INTO journal (t, image_id, kind, indices, old_points, new_points,"
            " old_visible, new_visible, old_state, new_state) VALUES (?,?,?,?,?,?,?,?,?,?)",
            jour,
        )
    conn.execute("COMMIT")


def _checked_connection(path: Path) -> sqlite3.Connection:
    bak = backup_path(path)
    backup = bak if bak.is_file() else None
    with open(path, "rb") as f:
        head = f.read(100)
    if len(head) < 100 or not head.startswith(SQLITE_HEADER):
        raise SessionDamagedError(path, "not an SQLite database header", backup)
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise SessionDamagedError(path, str(exc), backup) from exc
    try:
        configure(conn)
        check = conn.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            raise SessionDamagedError(path, "; ".join(r[0] for r in check[:3]), backup)
        try:
            (version,) = conn.execute("SELECT version FROM schema_version").fetchone()
        except (sqlite3.Error, TypeError) as exc:
            raise SessionDamagedError(path, "no schema version table", backup) from exc
        if version > SCHEMA_VERSION:
            raise SessionError(
                f"{path}: made by a newer facealign-gui (schema {version} > {SCHEMA_VERSION})"
            )
        return conn
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise SessionDamagedError(path, str(exc), backup) from exc
    except BaseException:
        conn.close()
        raise


def _write_backup(conn: sqlite3.Connection, bak: Path) -> None:
    """Copy the (checked) session to ``bak`` atomically."""
    tmp = bak.with_name(f".{bak.name}.{os.getpid()}.tmp")
    dst = sqlite3.connect(tmp)
    try:
        conn.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
    os.replace(tmp, bak)
