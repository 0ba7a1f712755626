"""The session file on disk: errors, creating the tables' first rows, the open-time checks
(header + ``PRAGMA quick_check`` + schema version) and the ``.bak`` copy."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import numpy as np

from facealign_gui.core.annotation import Source
from facealign_gui.session import journal as jr
from facealign_gui.session.journal import Edit, ImageState
from facealign_gui.session.schema import SCHEMA_VERSION, SQLITE_HEADER, configure


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


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def fill_new(conn: sqlite3.Connection, rows: object, scheme: str | None, k: int) -> None:
    from facealign_gui.session.sources import SourceRows

    assert isinstance(rows, SourceRows)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("root", str(rows.root)),
            ("scheme", scheme or ""),
            ("num_points", str(k)),
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


def checked_connection(path: Path) -> sqlite3.Connection:
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


def write_backup(conn: sqlite3.Connection, bak: Path) -> None:
    """Copy the (checked) session to ``bak`` atomically."""
    tmp = bak.with_name(f".{bak.name}.{os.getpid()}.tmp")
    dst = sqlite3.connect(tmp)
    try:
        conn.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
    os.replace(tmp, bak)
