"""The labelling session: a Qt-free API over one SQLite file (``.fagsession``).

Every edit is one transaction that updates the annotation and appends the `Edit` to the
journal, committed before the call returns (WAL, ``synchronous=NORMAL``: a few tens of
microseconds, see ``benchmarks/bench_session.py``), so a killed process loses nothing it
returned from. Opening takes an OS lock on the file's identity (`SessionLock`), proves the
file intact (its whole-file seal, `session.seal`, else every check of `files.full_check`:
SQLite's integrity check, the schema, each row's checksum, each value decodes), refreshes a
``.bak`` copy only from a file that passed, then migrates an older schema
(`session.migrations`). Errors are `SessionError`s whose message names the file (and, for
damage, the image); a refused open leaves no descriptor, lock or temporary file behind.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from facealign_gui.core.annotation import Annotation, Prediction, Source, Status
from facealign_gui.datasets.model import Dataset
from facealign_gui.session import checksums, seal
from facealign_gui.session import journal as jr
from facealign_gui.session.edits import SessionEdits
from facealign_gui.session.files import (
    SessionDamagedError,
    SessionError,
    backup_path,
    connect,
    fill_new,
    full_check,
    write_backup,
)
from facealign_gui.session.journal import Edit, ImageState, ReplayedImage
from facealign_gui.session.lock import SessionLock, SessionLockedError
from facealign_gui.session.migrations import SCHEMA_VERSION, file_version, migrate
from facealign_gui.session.review import Scores, get_signal
from facealign_gui.session.schema import configure, create_schema
from facealign_gui.session.sources import rows_from, scheme_num_points

T = TypeVar("T")

__all__ = [
    "Labels",
    "Session",
    "SessionDamagedError",
    "SessionError",
    "SessionLockedError",
    "backup_path",
]


_UNDECODABLE = (ValueError, TypeError, KeyError, IndexError, sqlite3.DatabaseError)


def _decodes(fn: Callable[..., T]) -> Callable[..., T]:
    """Reader methods: a stored value that does not decode raises `SessionDamagedError`
    naming the image (the method's first argument), never a raw numpy/JSON/SQLite error."""

    @functools.wraps(fn)
    def reader(self: Session, *args: object, **kwargs: object) -> T:
        try:
            return fn(self, *args, **kwargs)
        except _UNDECODABLE as exc:
            if isinstance(exc, SessionError):
                raise
            raise self._undecodable(args[0] if args else None, exc) from exc

    return reader


@dataclass
class Labels:
    """Annotated images of a session as arrays (see `Session.labels`)."""

    index: np.ndarray  # (n,) session image indices
    images: list[str]
    sizes: list[tuple[int, int] | None]
    boxes: list[np.ndarray | None]  # the dataset's own face boxes (None: none came with it)
    attributes: list[dict[str, object]]
    status: list[str]
    seconds: np.ndarray  # (n,) a person's time per image
    points: np.ndarray  # (n, K, 2)
    visible: np.ndarray  # (n, K) bool
    source: list[str]
    predicted: np.ndarray  # (n, K, 2) the prediction each started from; NaN when none

    def __len__(self) -> int:
        return int(self.index.size)


class Session(SessionEdits):
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
        # one writer (the lock): the next ids are counted here, so a row's checksum can
        # cover its id; a rolled-back transaction only leaves a gap
        self._next_pred = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM predictions")
        self._next_pred = self._next_pred.fetchone()[0]
        self._next_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM journal")
        self._next_seq = self._next_seq.fetchone()[0]

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
        held: SessionLock | None = None
        if path.exists():
            if not overwrite:
                raise SessionError(f"{path} already exists; open it, or pass overwrite=True")
            held = _take_lock(path)  # refuse before touching anything if it is open
        try:
            target = Path(os.path.realpath(path))  # overwrite a link's file, not the link
            rows = rows_from(source)
            scheme = scheme or rows.scheme
            k = num_points or (rows.points.shape[1] if rows.points is not None else None)
            k = k or scheme_num_points(scheme)
            if not k:
                raise SessionError(f"{path}: give a landmark scheme for unlabelled images")
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            _write_new(path, tmp, rows, scheme, int(k))
            try:
                os.replace(tmp, target)
            except OSError as exc:
                _remove(tmp)
                raise SessionError(f"{path}: could not create the session ({exc})") from exc
        finally:
            if held is not None:
                held.release()
        return cls.open(path, backup=False)

    @classmethod
    def open(cls, path: str | Path, backup: bool = True) -> Session:
        """Open an existing session; raise `SessionLockedError` if another instance holds
        it, `SessionDamagedError` if it fails its checks."""
        path = Path(path)
        if not path.is_file():
            raise SessionError(f"{path}: no such session file")
        lock = _take_lock(path)
        conn: sqlite3.Connection | None = None
        try:
            conn = _checked_open(path, backup)
            return cls(path, conn, lock)
        except BaseException:
            if conn is not None:
                conn.close()
            lock.release()
            raise

    @staticmethod
    def restore_backup(path: str | Path) -> Path:
        """Put the ``.bak`` copy back in place; the damaged file is kept beside it."""
        path = Path(path)
        bak = backup_path(path)
        if not bak.is_file():
            raise SessionError(f"{path}: there is no backup ({bak}) to restore")
        held = _take_lock(path) if path.exists() else None  # never under a running instance
        try:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            tmp = path.with_name(f".{path.name}.restore.tmp")
            try:
                shutil.copyfile(bak, tmp)
            except OSError as exc:
                _remove(tmp)
                raise SessionError(f"{path}: could not restore the backup ({exc})") from exc
            for suffix in ("", "-wal", "-shm"):
                p = Path(f"{path}{suffix}")
                if p.exists():
                    os.replace(p, p.with_name(f"{p.name}.damaged-{stamp}"))
            os.replace(tmp, path)
        finally:
            if held is not None:
                held.release()
        return path

    def close(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self._conn.close()
        self._conn = None  # type: ignore[assignment]
        try:
            seal.seal(self.path)  # no connection is open now; False (no seal) is harmless
        finally:
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

    def faces(self, i: int) -> list[int]:
        """The rows of image ``i``'s file (its faces), in row order; ``[i]`` for an image
        with one face. A face's number in its image is its place in this list."""
        cur = self._conn.execute(
            "SELECT id FROM images WHERE path = (SELECT path FROM images WHERE id=?) ORDER BY id",
            (self._check(i),),
        )
        return [r[0] for r in cur]

    def image_path(self, i: int) -> Path:
        p = Path(self.image_name(i))
        return p if p.is_absolute() else self.root / p

    @_decodes
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

    @_decodes
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

    @_decodes
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
        if r is None:
            raise SessionDamagedError(self.path, f"prediction {pid} is missing", None)
        return Prediction(
            points=jr.points_from_blob(r[0]),
            confidence=jr.floats_from_blob(r[1]),
            model_id=r[2],
        )

    @_decodes
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

    @_decodes
    def scores(self, signal: str) -> Scores:
        """Every image's ``signal`` scores for its current prediction (see `session.review`)."""
        sig = get_signal(signal)
        n, k = self._n, self.num_points
        face = np.full(n, np.nan)
        per = np.full((n, k), np.nan, dtype=np.float32)
        if sig.column is not None:
            mirror = sig.column == "disagreement"
            sql = (
                "SELECT image_id, disagreement, NULL FROM predictions WHERE id IN"
                " (SELECT MAX(id) FROM predictions WHERE role='mirror' GROUP BY image_id)"
                if mirror
                else f"SELECT i.id, p.{sig.column}, p.confidence FROM images i"
                " JOIN predictions p ON p.id = i.prediction_id"
            )
            rows = self._conn.execute(sql)
        else:
            rows = self._conn.execute(
                "SELECT i.id, s.value, s.per_point FROM images i JOIN scores s"
                " ON s.prediction_id = i.prediction_id AND s.signal = ?",
                (sig.name,),
            )
        for i, value, blob in rows:
            if value is not None:
                face[i] = value
            if blob is not None:
                per[i] = jr.floats_from_blob(blob)
        return Scores(sig.name, face, per)

    @_decodes
    def summary(self, i: int) -> tuple[str, str, float | None, float]:
        """``(image name, status, mean prediction confidence or None, seconds)``."""
        r = self._conn.execute(
            "SELECT i.path, i.status, p.mean_conf, i.seconds FROM images i"
            " LEFT JOIN predictions p ON p.id = i.prediction_id WHERE i.id=?",
            (self._check(i),),
        ).fetchone()
        return r[0], r[1], r[2], r[3]

    def unverified(self) -> set[int]:
        """Indices of every image not yet verified."""
        cur = self._conn.execute("SELECT id FROM images WHERE status != 'verified'")
        return {r[0] for r in cur}

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

    @_decodes
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
        found = self._found_faces()
        return Labels(
            index=np.array([r[0] for r in rows], dtype=np.int64),
            images=[r[1] for r in rows],
            sizes=[None if r[2] is None else (r[2], r[3]) for r in rows],
            boxes=[
                None if r[4] is None or r[0] in found else np.frombuffer(r[4], "<f8") for r in rows
            ],
            attributes=[json.loads(r[5]) if r[5] else {} for r in rows],
            status=[r[6] for r in rows],
            seconds=np.array([r[7] for r in rows], dtype=np.float64),
            points=np.array([jr.points_from_blob(r[8]) for r in rows]).reshape(n, k, 2),
            visible=np.array([jr.mask_from_blob(r[9]) for r in rows]).reshape(n, k),
            source=[r[10] for r in rows],
            predicted=pred,
        )

    def _found_faces(self) -> set[int]:
        """Rows whose box the detector gave ("predict all" added them, `add_face`): another
        row of their image came without a box. `labels` leaves their box out, so every face
        of such an image gets its box from its labelled points, as its first face does."""
        first_has_box: dict[str, bool] = {}
        found = set()
        for i, path, boxless in self._conn.execute(
            "SELECT id, path, box IS NULL FROM images ORDER BY id"
        ):
            if path not in first_has_box:
                first_has_box[path] = not boxless
            elif not first_has_box[path]:
                found.add(i)
        return found

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
    def current(self) -> int | None:
        """The image the person was on (restored on reopen); None in a new session."""
        r = self._conn.execute("SELECT value FROM meta WHERE key='current'").fetchone()
        return min(int(r[0]), max(self._n - 1, 0)) if r else None

    @_decodes
    def journal(self, since: int = 0) -> list[Edit]:
        """Every journaled edit with ``seq > since``, in order."""
        cur = self._conn.execute(
            "SELECT image_id, kind, indices, old_points, new_points, old_visible, new_visible,"
            " old_state, new_state FROM journal WHERE seq > ? ORDER BY seq",
            (since,),
        )
        return [jr.edit_from_row(r) for r in cur]

    @_decodes
    def image_journal(self, i: int) -> list[Edit]:
        """The journaled edits of image ``i``, in order (`journal` filtered, by its index)."""
        cur = self._conn.execute(
            "SELECT image_id, kind, indices, old_points, new_points, old_visible, new_visible,"
            " old_state, new_state FROM journal WHERE image_id = ? ORDER BY seq",
            (self._check(i),),
        )
        return [jr.edit_from_row(r) for r in cur]

    def setting(self, key: str) -> str | None:
        """A tool's stored text (e.g. the pre-labeller's JSON state) or None; see
        `set_setting`."""
        r = self._conn.execute("SELECT value FROM meta WHERE key=?", (_tool_key(key),))
        row = r.fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str | None) -> None:
        """Store (None: remove) a tool's text in the session's ``meta`` table, under
        ``tool.<key>`` so it never meets the session's own keys; committed on return."""
        k = _tool_key(key)
        with self._tx():
            if value is None:
                self._conn.execute("DELETE FROM meta WHERE key=?", (k,))
                return
            row = (k, str(value))
            self._conn.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?, ?)",
                (*row, checksums.row_crc("meta", row)),
            )

    def journal_length(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]

    @_decodes
    def replayed(self) -> list[ReplayedImage]:
        """Every image rebuilt from the journal alone (for checks and recovery)."""
        preds = {
            pid: jr.points_from_blob(b)
            for pid, b in self._conn.execute("SELECT id, points FROM predictions")
        }
        return jr.replay(self._n, self.num_points, self.journal(), preds)

    # -- writing ---------------------------------------------------------------------------

    def set_current(self, i: int) -> None:
        row = ("current", str(self._check(i)))
        with self._tx():
            self._conn.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?, ?)",
                (*row, checksums.row_crc("meta", row)),
            )

    def set_image_size(self, i: int, width: int, height: int) -> None:
        with self._tx():
            self._update_image(self._check(i), {"width": int(width), "height": int(height)})

    def add_time(self, i: int, seconds: float) -> None:
        """Add ``seconds`` of a person's time to image ``i``."""
        if seconds <= 0:
            return
        i = self._check(i)
        with self._tx():
            now = self._conn.execute("SELECT seconds FROM images WHERE id=?", (i,)).fetchone()
            self._update_image(i, {"seconds": float(now[0]) + float(seconds)})

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

    def _undecodable(self, i: object, exc: BaseException) -> SessionDamagedError:
        """A value that does not decode, as `SessionDamagedError` naming the image."""
        what = f"image {i}" if isinstance(i, int) else "the session"
        with contextlib.suppress(Exception):
            what = f"image {i} ({self.image_name(i)})" if isinstance(i, int) else what
        bak = backup_path(self.path)
        return SessionDamagedError(
            self.path, f"{what} does not read back: {exc}", bak if bak.is_file() else None
        )

    def _check(self, i: int) -> int:
        i = int(i)
        if not 0 <= i < self._n:
            raise SessionError(f"image index {i} is outside 0..{self._n - 1}")
        return i

    def _one(self, sql: str, i: int) -> object:
        return self._conn.execute(sql, (self._check(i),)).fetchone()[0]


# -- opening and creating ------------------------------------------------------------------


def _tool_key(key: str) -> str:
    if not key or not key.replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"setting names are letters, digits, '.' and '_': {key!r}")
    return f"tool.{key}"


def _why(exc: BaseException) -> str:
    """An OS or SQLite error in words a person reads ("No space left on device")."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _take_lock(path: Path) -> SessionLock:
    lock = SessionLock(path)
    try:
        lock.acquire()
    except OSError as exc:
        raise SessionError(f"{path}: cannot open the session file ({_why(exc)})") from exc
    return lock


def _remove(tmp: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{tmp}{suffix}").unlink()


def _write_new(path: Path, tmp: Path, rows: object, scheme: str | None, k: int) -> None:
    """The whole new session in ``tmp``, sealed; on any failure nothing is left behind."""
    _remove(tmp)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            configure(conn)
            create_schema(conn)
            fill_new(conn, rows, scheme, k)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{tmp}{suffix}").unlink()
        if not seal.seal(tmp):
            raise OSError(f"could not seal {tmp}")
    except (sqlite3.Error, OSError) as exc:
        _remove(tmp)
        raise SessionError(f"{path}: could not create the session ({_why(exc)})") from exc
    except BaseException:
        _remove(tmp)
        raise


def _checked_open(path: Path, backup: bool) -> sqlite3.Connection:
    """A connection to ``path`` once it is proved intact (the ``.bak`` refreshed from it when
    ``backup``) and migrated to the current schema."""
    bak = backup_path(path)
    try:
        intact = write_backup(path, bak, require_seal=True) if backup else seal.check(path)
    except OSError as exc:
        raise SessionError(
            f"{path}: could not write the backup copy {bak} ({_why(exc)}); not opened"
        ) from exc
    if not intact:
        conn = connect(path)
        try:
            full_check(conn, path)
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise SessionDamagedError(path, str(exc), bak if bak.is_file() else None) from exc
        finally:
            conn.close()
        if backup and not busy:  # busy: another program reads it; keep the old copy
            try:
                write_backup(path, bak, require_seal=False)
            except OSError as exc:
                raise SessionError(
                    f"{path}: could not write the backup copy {bak} ({_why(exc)}); not opened"
                ) from exc
    try:
        seal.unseal(path)
    except OSError as exc:
        raise SessionError(f"{path}: cannot write to the session file ({_why(exc)})") from exc
    conn = connect(path)
    try:
        version = file_version(conn)
        if version > SCHEMA_VERSION:
            raise SessionError(
                f"{path}: made by a newer facealign-gui (schema {version} > {SCHEMA_VERSION})"
            )
        try:
            migrate(conn)
        except sqlite3.Error as exc:
            raise SessionError(
                f"{path}: could not upgrade the file from schema {version} ({_why(exc)}); "
                "it is unchanged"
            ) from exc
        return conn
    except BaseException:
        conn.close()
        raise
