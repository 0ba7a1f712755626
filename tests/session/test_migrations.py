"""A session written by the schema-1 release opens, migrates to the current schema with every
value intact and every row checksummed; a failed migration leaves the file as it was."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from _session_dump import session_dump

from facealign_gui.session import checksums, migrations
from facealign_gui.session.migrations import SCHEMA_VERSION
from facealign_gui.session.schema import expected_schema, schema_rows
from facealign_gui.session.store import Session, SessionError, backup_path

DATA = Path(__file__).parent / "data"
V1 = DATA / "v1_session.fagsession"


def _version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT version FROM schema_version").fetchone()[0]
    finally:
        con.close()


def _v1_copy(tmp_path: Path) -> Path:
    path = tmp_path / V1.name
    shutil.copyfile(V1, path)
    assert _version(path) == 1
    return path


def test_a_v1_file_opens_with_every_value_the_v1_release_showed(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    expected = json.loads((DATA / f"{V1.name}.expected.json").read_text())
    with Session.open(path) as s:
        assert json.loads(json.dumps(session_dump(s))) == expected
    assert _version(path) == SCHEMA_VERSION
    with Session.open(path) as s:  # and again, from the migrated (and sealed) file
        assert json.loads(json.dumps(session_dump(s))) == expected


def test_the_migrated_file_has_the_new_schema_and_a_checksum_on_every_row(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    Session.open(path).close()
    con = sqlite3.connect(path)
    checksums.install(con)
    assert tuple(schema_rows(con)) == expected_schema()
    for table in checksums.TABLES:
        assert con.execute(f"SELECT COUNT(*) FROM {table} WHERE crc IS NULL").fetchone()[0] == 0
        assert checksums.damaged_rows(con, table) == []
    assert con.execute("SELECT COUNT(*) FROM journal").fetchone()[0] == 6
    con.close()


def test_the_backup_taken_before_migrating_is_the_v1_file(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    Session.open(path).close()
    assert _version(backup_path(path)) == 1


def test_migrations_run_one_version_at_a_time(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    con = sqlite3.connect(path, isolation_level=None)
    assert migrations.migrate(con, 2) == [1]
    assert con.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 0
    assert "crc" not in [r[1] for r in con.execute("PRAGMA table_info(images)")]
    assert migrations.migrate(con) == [2]
    assert "crc" in [r[1] for r in con.execute("PRAGMA table_info(images)")]
    assert migrations.migrate(con) == []
    con.close()


def test_a_migration_that_fails_leaves_the_file_at_its_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _v1_copy(tmp_path)

    def disk_full(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE images ADD COLUMN crc INTEGER")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(migrations, "MIGRATIONS", [migrations.MIGRATIONS[0], disk_full])
    with pytest.raises(SessionError, match="could not upgrade the file from schema 1"):
        Session.open(path)
    assert _version(path) == 1
    con = sqlite3.connect(path)
    assert "scores" not in [r[0] for r in con.execute("SELECT name FROM sqlite_schema")]
    con.close()
    monkeypatch.undo()
    with Session.open(path) as s:  # nothing was left half-done: it migrates now
        assert len(s) == 4


def test_a_file_from_a_newer_release_is_refused_by_name(tmp_path: Path) -> None:
    path = _v1_copy(tmp_path)
    con = sqlite3.connect(path)
    con.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    con.commit()
    con.close()
    with pytest.raises(SessionError, match="newer facealign-gui"):
        Session.open(path)
