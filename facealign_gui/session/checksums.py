"""A CRC-32 per row of every session table, so damage to the data itself is found on open.

SQLite's own checks (``PRAGMA integrity_check``) prove the B-trees are sound but not that a
stored value is the one that was written: a flipped byte inside a point blob, a path or a
status reads back as a different, well-formed value. Every row therefore carries ``crc``, the
CRC-32 of its other columns in one canonical encoding (`encode`). The store computes it in
Python from the values it binds (no extra statement per edit); `damaged_rows` recomputes it
in SQL over whole tables with one user function per table.

Per row rather than per page: a damaged row can be named (which image), pages change under
SQLite's feet (we cannot hook its page writes from Python), and a row is what one edit writes.
A clean close additionally seals the whole file (`facealign_gui.session.seal`), so an
undamaged file is proved intact by one pass over its bytes without this row-by-row check.
"""

from __future__ import annotations

import sqlite3
import struct
import zlib
from collections.abc import Iterable, Sequence

# Each table's key and its checked columns with their kind: i integer, r real, t text, b blob.
TABLES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "schema_version": ("rowid", (("version", "i"),)),
    "meta": ("key", (("key", "t"), ("value", "t"))),
    "images": (
        "id",
        (
            ("id", "i"),
            ("path", "t"),
            ("width", "i"),
            ("height", "i"),
            ("box", "b"),
            ("center", "b"),
            ("scale", "r"),
            ("attributes", "t"),
            ("status", "t"),
            ("prediction_id", "i"),
            ("seconds", "r"),
            ("reviewed_at", "r"),
        ),
    ),
    "predictions": (
        "id",
        (
            ("id", "i"),
            ("image_id", "i"),
            ("role", "t"),
            ("model_id", "t"),
            ("points", "b"),
            ("confidence", "b"),
            ("mean_conf", "r"),
            ("min_conf", "r"),
            ("disagreement", "r"),
            ("created", "r"),
        ),
    ),
    "annotations": (
        "image_id",
        (
            ("image_id", "i"),
            ("points", "b"),
            ("visible", "b"),
            ("source", "t"),
            ("from_prediction", "i"),
            ("updated", "r"),
        ),
    ),
    "journal": (
        "seq",
        (
            ("seq", "i"),
            ("t", "r"),
            ("image_id", "i"),
            ("kind", "t"),
            ("indices", "b"),
            ("old_points", "b"),
            ("new_points", "b"),
            ("old_visible", "b"),
            ("new_visible", "b"),
            ("old_state", "t"),
            ("new_state", "t"),
        ),
    ),
    "scores": (
        "rowid",
        (
            ("prediction_id", "i"),
            ("signal", "t"),
            ("value", "r"),
            ("per_point", "b"),
        ),
    ),
}

_F64 = struct.Struct("<d")


def encode(kinds: Sequence[str], values: Iterable[object]) -> int:
    """CRC-32 of ``values`` (one row, columns of ``kinds``); the one encoding both sides use.

    Each value is tagged with what it is, so a value that changed type (3 -> 3.0) or moved
    across a column boundary changes the checksum: ``N`` NULL, ``i<digits>;`` integer,
    ``r<8 bytes>`` real, ``t<len>:<utf-8>`` text, ``b<len>:<bytes>`` blob. A NaN real is
    NULL, as SQLite stores it.
    """
    parts: list[bytes] = []
    app = parts.append
    for kind, v in zip(kinds, values, strict=True):
        t = type(v)
        if v is None:
            app(b"N")
        elif t is float:
            app(b"N" if v != v else b"r" + _F64.pack(v))  # SQLite stores a NaN real as NULL
        elif t is int:
            app(b"i%d;" % v)
        elif t is str:
            b = v.encode("utf-8", "surrogatepass")
            app(b"t%d:" % len(b))
            app(b)
        elif t is bytes:
            app((b"t%d:" if kind == "t" else b"b%d:") % len(v))
            app(v)
        else:  # numpy scalars, bool, memoryview: the same tags by what they are
            app(_other(kind, v))
    return zlib.crc32(b"".join(parts))


def _other(kind: str, v: object) -> bytes:
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        return (b"t%d:" if kind == "t" else b"b%d:") % len(b) + b
    if isinstance(v, str):
        b = v.encode("utf-8", "surrogatepass")
        return b"t%d:" % len(b) + b
    if isinstance(v, float):
        return b"N" if v != v else b"r" + _F64.pack(v)
    return b"i%d;" % int(v)  # type: ignore[call-overload]


_KINDS = {t: tuple(k for _, k in cols) for t, (_, cols) in TABLES.items()}


def kinds(table: str) -> tuple[str, ...]:
    return _KINDS[table]


def row_crc(table: str, values: Sequence[object]) -> int:
    """The ``crc`` of a row of ``table`` whose checked columns hold ``values`` (in order).

    Reals must be passed as ``float`` and integers as ``int``: what SQLite will hand back.
    """
    return encode(_KINDS[table], values)


def columns(table: str) -> list[str]:
    return [c for c, _ in TABLES[table][1]]


def _select_list(table: str) -> str:
    # text goes in as bytes, so text that is not UTF-8 any more is a mismatch, not an error
    return ", ".join(f"CAST({c} AS BLOB)" if k == "t" else c for c, k in TABLES[table][1])


def install(conn: sqlite3.Connection) -> None:
    """Register the per-table checksum functions ``crc_<table>`` on ``conn``."""
    for table in TABLES:
        k = kinds(table)

        def fn(*values: object, _k: tuple[str, ...] = k) -> int:
            return encode(_k, values)

        conn.create_function(f"crc_{table}", len(k), fn, deterministic=True)


def damaged_rows(conn: sqlite3.Connection, table: str, limit: int = 5) -> list[tuple]:
    """Keys (and, for image rows, the image id) of rows whose ``crc`` does not match."""
    key = TABLES[table][0]
    image = {
        "images": "id",
        "predictions": "image_id",
        "annotations": "image_id",
        "journal": "image_id",
    }.get(table, "NULL")
    sql = (
        f"SELECT {key}, {image} FROM {table} "
        f"WHERE crc IS NOT crc_{table}({_select_list(table)}) LIMIT {int(limit)}"
    )
    return conn.execute(sql).fetchall()


def refresh(conn: sqlite3.Connection, table: str) -> None:
    """Recompute ``crc`` of every row of ``table`` (migrations, and tools that wrote SQL)."""
    conn.execute(f"UPDATE {table} SET crc = crc_{table}({_select_list(table)})")
