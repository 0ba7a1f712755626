"""The session file on disk: errors, creating the tables' first rows (with their checksums),
the full open-time checks and the ``.bak`` copy.

`full_check` is what a file that does not carry a matching seal (`session.seal`) must pass:
the SQLite header, ``PRAGMA integrity_check`` (B-trees and indexes), the schema text against
the one this release writes for the file's version, every row's checksum (version 3 on) and
that every value decodes (blob lengths for the session's number of points, JSON, known status
and source names, image ids 0..n-1). Each failure names the image it is in.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from pathlib import Path

import numpy as np

from facealign_gui.core.annotation import Source, Status
from facealign_gui.session import checksums, seal
from facealign_gui.session import journal as jr
from facealign_gui.session.journal import Edit, ImageState
from facealign_gui.session.migrations import CHECKSUMS_FROM, SCHEMA_VERSION, file_version
from facealign_gui.session.schema import (
    PREDICTION_ROLES,
    SQLITE_HEADER,
    configure,
    expected_schema,
    schema_rows,
)


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
    meta = [
        ("root", str(rows.root)),
        ("scheme", scheme or ""),
        ("num_points", str(k)),
        ("inputs", json.dumps(rows.inputs)),
        ("created", str(time.time())),
    ]
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?, ?)", [(*r, checksums.row_crc("meta", r)) for r in meta]
    )

    def blob(a: np.ndarray | None, j: int) -> bytes | None:
        return None if a is None else np.ascontiguousarray(a[j], dtype="<f8").tobytes()

    def image_row(j: int, name: str) -> tuple:
        scale = None if rows.scales is None else float(rows.scales[j])
        box, center = blob(rows.boxes, j), blob(rows.centers, j)
        attrs = rows.attributes[j]
        full = (j, str(name), None, None, box, center, scale, attrs, "unlabelled", None, 0.0, None)
        return (j, str(name), box, center, scale, attrs, checksums.row_crc("images", full))

    conn.executemany(
        "INSERT INTO images (id, path, box, center, scale, attributes, crc) VALUES (?,?,?,?,?,?,?)",
        (image_row(j, name) for j, name in enumerate(rows.images)),
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
            row = (j, jr.points_blob(pts), jr.mask_blob(vis), Source.GROUND_TRUTH.value, None, now)
            ann.append((*row, checksums.row_crc("annotations", row)))
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
            jour.append((len(jour) + 1, *jr.edit_row(e, now)))
        conn.executemany("INSERT INTO annotations VALUES (?, ?, ?, ?, ?, ?, ?)", ann)
        conn.executemany(
            "INSERT INTO journal (seq, t, image_id, kind, indices, old_points, new_points,"
            " old_visible, new_visible, old_state, new_state, crc)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            ((*r, checksums.row_crc("journal", r)) for r in jour),
        )
    conn.execute("COMMIT")


def _damaged(path: Path, why: str) -> SessionDamagedError:
    bak = backup_path(path)
    return SessionDamagedError(path, why, bak if bak.is_file() else None)


def connect(path: Path) -> sqlite3.Connection:
    """A configured connection to a file whose header says SQLite (else damaged)."""
    with open(path, "rb") as f:
        head = f.read(100)
    if len(head) < 100 or not head.startswith(SQLITE_HEADER):
        raise _damaged(path, "not an SQLite database header")
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise _damaged(path, str(exc)) from exc
    try:
        configure(conn)
        checksums.install(conn)
    except (sqlite3.DatabaseError, UnicodeError) as exc:  # a schema error quoting bad text
        conn.close()
        raise _damaged(path, str(exc)) from exc
    return conn


def full_check(conn: sqlite3.Connection, path: Path) -> int:
    """Every check of the module docstring; returns the file's schema version.

    Raises `SessionDamagedError` naming what (and which image) is wrong, `SessionError` for a
    file of a newer release.
    """
    try:
        check = conn.execute("PRAGMA integrity_check(5)").fetchall()
        if check != [("ok",)]:
            raise _damaged(path, "; ".join(str(r[0]) for r in check[:3]))
        try:
            version = file_version(conn)
        except (sqlite3.Error, TypeError, ValueError) as exc:
            raise _damaged(path, "no schema version") from exc
        if version > SCHEMA_VERSION:
            raise SessionError(
                f"{path}: made by a newer facealign-gui (schema {version} > {SCHEMA_VERSION})"
            )
        if version < 1 or tuple(schema_rows(conn)) != expected_schema(version):
            raise _damaged(path, f"its table definitions are not those of schema {version}")
        if version >= CHECKSUMS_FROM:
            for table in checksums.TABLES:
                bad = checksums.damaged_rows(conn, table)
                if bad:
                    raise _damaged(path, _where(conn, table, bad[0]) + " fails its checksum")
        _check_values(conn, path)
        return version
    except (sqlite3.DatabaseError, UnicodeError) as exc:  # e.g. schema text that is not UTF-8
        raise _damaged(path, str(exc)) from exc


def _image_name(conn: sqlite3.Connection, image: object) -> str:
    with contextlib.suppress(sqlite3.Error, TypeError):
        r = conn.execute("SELECT CAST(path AS BLOB) FROM images WHERE id=?", (image,)).fetchone()
        if r is not None and r[0] is not None:
            return f"image {image} ({bytes(r[0]).decode('utf-8', 'replace')})"
    return f"image {image}"


_ROW_NAME = {
    "images": "the row",
    "predictions": "a prediction",
    "annotations": "the annotation",
    "journal": "a journal entry",
}


def _where(conn: sqlite3.Connection, table: str, bad: tuple) -> str:
    key, image = bad
    if table in _ROW_NAME:
        return f"{_ROW_NAME[table]} ({table} {key}) of {_image_name(conn, image)}"
    return f"a row of {table} ({key!r})"


_VALUE_CHECKS = {
    "images": (
        "id",
        "typeof(path) != 'text' OR (box IS NOT NULL AND length(box) != 32)"
        " OR (center IS NOT NULL AND length(center) != 16)"
        " OR (attributes IS NOT NULL AND attributes != '' AND NOT json_valid(attributes))"
        " OR status NOT IN ({statuses}) OR id < 0 OR id >= {n}",
    ),
    "predictions": (
        "image_id",
        "length(points) != {k} * 16 OR length(confidence) != {k} * 4"
        " OR role NOT IN ({roles})",
    ),
    "annotations": (
        "image_id",
        "length(points) != {k} * 16 OR length(visible) != {k} OR source NOT IN ({sources})",
    ),
    "journal": (
        "image_id",
        "length(indices) % 8 != 0 OR length(old_points) != length(indices) * 2"
        " OR length(new_points) != length(indices) * 2"
        " OR length(old_visible) * 8 != length(indices)"
        " OR length(new_visible) * 8 != length(indices)"
        " OR NOT json_valid(old_state) OR NOT json_valid(new_state)",
    ),
}


def _check_values(conn: sqlite3.Connection, path: Path) -> None:
    """Every stored value decodes: the checks that also protect files without checksums."""
    meta = dict(conn.execute("SELECT key, CAST(value AS BLOB) FROM meta"))
    try:
        k = int(bytes(meta["num_points"]))
        Path(bytes(meta["root"]).decode())
        json.loads(bytes(meta.get("inputs", b"[]")))
    except (KeyError, ValueError, TypeError) as exc:
        raise _damaged(path, f"its settings (meta) do not read back ({exc})") from exc
    n, lo, hi = conn.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM images").fetchone()
    if n and (lo != 0 or hi != n - 1):
        raise _damaged(path, f"its images are not numbered 0..{n - 1}")
    fill = {
        "k": k,
        "n": n,
        "statuses": ", ".join(f"'{s.value}'" for s in Status),
        "sources": ", ".join(f"'{s.value}'" for s in Source),
        "roles": ", ".join(f"'{r}'" for r in PREDICTION_ROLES),
    }
    for table, (image, cond) in _VALUE_CHECKS.items():
        sql = f"SELECT {image} FROM {table} WHERE {cond.format(**fill)} LIMIT 1"
        bad = conn.execute(sql).fetchone()
        if bad is not None:
            raise _damaged(path, f"{_ROW_NAME[table]} of {_image_name(conn, bad[0])} is unreadable")
    fk = conn.execute("PRAGMA foreign_key_check").fetchone()
    if fk is not None:
        raise _damaged(path, f"{fk[0]} row {fk[1]} refers to a missing {fk[2]} row")


def write_backup(path: Path, bak: Path, require_seal: bool) -> bool:
    """Copy the closed session file to ``bak`` atomically; with ``require_seal``, only when
    the bytes copied match the file's seal (returns whether the copy was put in place).

    Call it only for a file that is sealed or has just passed `full_check`. The copy is sealed,
    so opening it is as quick as opening the session. On any error (a full disk) the temporary
    copy is removed and the old ``.bak`` stays.
    """
    tmp = bak.with_name(f".{bak.name}.{os.getpid()}.tmp")
    try:
        ok = seal.check(path, copy_to=tmp)
        if require_seal and not ok:
            tmp.unlink()
            return False
        if not ok:
            seal.seal(tmp)
        os.replace(tmp, bak)
        return True
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
