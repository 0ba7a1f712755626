"""The SQLite schema of a ``.fagsession`` file, its version, and the connection settings.

One file holds everything a labelling session needs: the images, the current prediction and
the person's annotation for each, review scores, and an append-only journal of every edit.
The journal is enough to rebuild every annotation (`facealign_gui.session.journal.replay`),
which is how the tests prove that no committed edit is lost.

`DDL_V1` is the schema of the first release, kept byte for byte: a new file is made by running
it and then every migration (`facealign_gui.session.migrations`), so a new file and a migrated
old one have the very same schema, and `expected_schema` (what this version writes) is how a
damaged schema is recognised.
"""

from __future__ import annotations

import functools
import sqlite3

from facealign_gui.session.migrations import SCHEMA_VERSION

#: roles a stored prediction may have: the model's current one (``primary``), one made on the
#: mirrored image and mapped back (``mirror``), and the model's own prediction kept beside a
#: primary one the pre-labeller corrected (``raw``). The open-time check accepts exactly these.
PREDICTION_ROLES = ("primary", "mirror", "raw")

__all__ = ["DDL_V1", "SCHEMA_VERSION", "SQLITE_HEADER", "SUFFIX", "configure", "create_schema"]

SQLITE_HEADER = b"SQLite format 3\x00"
SUFFIX = ".fagsession"

DDL_V1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE images (
    id INTEGER PRIMARY KEY,             -- 0-based index in the session
    path TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    box BLOB,                           -- 4 float64 x1 y1 x2 y2, or NULL
    center BLOB,                        -- 2 float64 HRNet centre, or NULL
    scale REAL,                         -- HRNet scale, or NULL
    attributes TEXT,                    -- JSON of dataset attributes (WFLW flags ...)
    status TEXT NOT NULL DEFAULT 'unlabelled',
    prediction_id INTEGER REFERENCES predictions(id),
    seconds REAL NOT NULL DEFAULT 0,    -- time a person spent on this image
    reviewed_at REAL                    -- when it was last marked verified
);
CREATE TABLE predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id INTEGER NOT NULL REFERENCES images(id),
    role TEXT NOT NULL DEFAULT 'primary',  -- 'primary' or 'mirror'
    model_id TEXT NOT NULL,
    points BLOB NOT NULL,               -- K x 2 float64
    confidence BLOB NOT NULL,           -- K float32
    mean_conf REAL,
    min_conf REAL,
    disagreement REAL,                  -- mirror role: distance to the primary, normalised
    created REAL NOT NULL
);
CREATE INDEX predictions_image ON predictions(image_id, role);
CREATE TABLE annotations (
    image_id INTEGER PRIMARY KEY REFERENCES images(id),
    points BLOB NOT NULL,               -- K x 2 float64, NaN where never placed
    visible BLOB NOT NULL,              -- K uint8
    source TEXT NOT NULL,
    from_prediction INTEGER REFERENCES predictions(id),
    updated REAL NOT NULL
);
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    t REAL NOT NULL,
    image_id INTEGER NOT NULL REFERENCES images(id),
    kind TEXT NOT NULL,
    indices BLOB NOT NULL,              -- n int64
    old_points BLOB NOT NULL,           -- n x 2 float64
    new_points BLOB NOT NULL,
    old_visible BLOB NOT NULL,          -- n uint8
    new_visible BLOB NOT NULL,
    old_state TEXT NOT NULL,            -- JSON of `ImageState`
    new_state TEXT NOT NULL
);
CREATE INDEX journal_image ON journal(image_id);
"""


def configure(conn: sqlite3.Connection) -> None:
    """Connection settings every session connection uses.

    WAL with ``synchronous=NORMAL``: a commit is durable against the process being killed
    (the WAL is in the OS page cache), only a power cut can lose the last commits.
    """
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 2000")


def create_schema(conn: sqlite3.Connection, version: int = SCHEMA_VERSION) -> None:
    """Create every table of ``version`` (default: the current one) in an empty database."""
    from facealign_gui.session.migrations import migrate

    conn.executescript(DDL_V1)
    conn.execute("INSERT INTO schema_version (version) VALUES (1)")
    migrate(conn, version)


def schema_rows(conn: sqlite3.Connection) -> list[tuple]:
    """The schema as SQLite understands it: each table's and index's columns (name, type,
    NOT NULL, default, key), foreign keys and index columns. Not the CREATE text (comments,
    and how SQLite versions word an ALTER TABLE, are no part of it) nor root pages."""
    out: list[tuple] = []
    objects = conn.execute(
        "SELECT type, name, tbl_name FROM sqlite_schema ORDER BY type, name"
    ).fetchall()
    for kind, name, table in objects:
        q = name.replace('"', '""')
        if kind == "table":
            cols = conn.execute(f'PRAGMA table_xinfo("{q}")').fetchall()
            fks = conn.execute(f'PRAGMA foreign_key_list("{q}")').fetchall()
            out.append((kind, name, table, tuple(cols), tuple(fks)))
        elif kind == "index":
            cols = conn.execute(f'PRAGMA index_xinfo("{q}")').fetchall()
            out.append((kind, name, table, tuple(cols), ()))
        else:
            out.append((kind, name, table, (), ()))
    return out


@functools.cache
def expected_schema(version: int = SCHEMA_VERSION) -> tuple[tuple, ...]:
    """`schema_rows` of a file of ``version`` as this release creates or migrates it."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        create_schema(conn, version)
        return tuple(schema_rows(conn))
    finally:
        conn.close()
