"""Schema migrations: ``MIGRATIONS[n - 1]`` turns a version-``n`` file into version ``n + 1``.

A file is migrated on open, all steps in one transaction (a failure leaves it as it was), after
its ``.bak`` copy was taken, so the copy is still the file the older release wrote. A new file
is made by the first release's DDL plus every step, so new and migrated files are alike.

To change the schema: append a function here (it gets an open transaction and must leave
every row's ``crc`` right; `checksums.refresh` does that for a whole table), update
`checksums.TABLES` if a checked table or column changed, and add a test that opens the
previous version's fixture.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from facealign_gui.session import checksums


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Review scores: one row per (prediction, signal), so a new signal needs no new column."""
    # one statement per execute: executescript would commit the migration's transaction
    conn.execute("""
        CREATE TABLE scores (
            prediction_id INTEGER NOT NULL REFERENCES predictions(id),
            signal TEXT NOT NULL,           -- a registered review.ReviewSignal name
            value REAL,                     -- the per-face score the queue sorts by
            per_point BLOB                  -- K float32 per-landmark scores, or NULL
        )""")
    conn.execute("CREATE UNIQUE INDEX scores_key ON scores(signal, prediction_id)")


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """A CRC-32 per row of every table (see `facealign_gui.session.checksums`)."""
    checksums.install(conn)
    for table in checksums.TABLES:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN crc INTEGER")
        checksums.refresh(conn, table)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_to_v2, _v2_to_v3]
SCHEMA_VERSION = len(MIGRATIONS) + 1
CHECKSUMS_FROM = 3  # the first version whose rows carry a crc


def file_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int | None = None) -> list[int]:
    """Bring ``conn``'s file to ``target`` (default `SCHEMA_VERSION`); return the versions it
    passed through. Raises ValueError for a version this release does not know.
    """
    target = SCHEMA_VERSION if target is None else target
    version = file_version(conn)
    if not 1 <= version <= target <= SCHEMA_VERSION:
        raise ValueError(f"schema version {version} (this release reads 1..{SCHEMA_VERSION})")
    if version == target:
        return []
    nested = conn.in_transaction
    if not nested:
        conn.execute("BEGIN IMMEDIATE")
    try:
        passed = []
        for v in range(version, target):
            MIGRATIONS[v - 1](conn)
            passed.append(v)
            if v + 1 >= CHECKSUMS_FROM:
                crc = checksums.row_crc("schema_version", (v + 1,))
                conn.execute("UPDATE schema_version SET version = ?, crc = ?", (v + 1, crc))
            else:
                conn.execute("UPDATE schema_version SET version = ?", (v + 1,))
    except BaseException:
        if not nested:
            conn.execute("ROLLBACK")
        raise
    if not nested:
        conn.execute("COMMIT")
    return passed
