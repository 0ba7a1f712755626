"""A full disk while creating or opening a session: a clean message, no temporary file, no
open descriptor and no lock left behind, and the old ``.bak`` untouched."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _session_helpers import make_session

from facealign_gui.session import schema, seal
from facealign_gui.session import store as store_mod
from facealign_gui.session.store import Session, SessionError, backup_path


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A 256 kB tmpfs (needs the right to mount; skipped otherwise)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    size = 256 * 1024
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
        capture_output=True,
    )
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt, size
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _images(folder: Path, n: int) -> list[Path]:
    return [folder / f"a_long_image_name_to_fill_pages_{i:05d}.png" for i in range(n)]


def test_create_on_a_full_disk_says_so_and_leaves_nothing(tiny_disk: tuple[Path, int]) -> None:
    mnt, _ = tiny_disk
    before = _fds()
    with pytest.raises(SessionError, match=r"s\.fagsession: could not create the session"):
        Session.create(mnt / "s.fagsession", _images(mnt, 20_000), scheme="300w68")
    assert sorted(p.name for p in mnt.iterdir()) == []
    assert _fds() == before


def test_open_with_no_room_for_the_backup_refuses_cleanly(
    tmp_path: Path, tiny_disk: tuple[Path, int]
) -> None:
    mnt, size = tiny_disk
    s = Session.create(tmp_path / "s.fagsession", _images(tmp_path, 800), scheme="300w68")
    s.close()
    assert size * 0.5 < (tmp_path / "s.fagsession").stat().st_size < size * 0.9
    shutil.copyfile(tmp_path / "s.fagsession", mnt / "s.fagsession")
    before = _fds()
    with pytest.raises(SessionError, match=r"could not write the backup copy.*No space left"):
        Session.open(mnt / "s.fagsession")
    assert sorted(p.name for p in mnt.iterdir() if not p.name.endswith(".lock")) == ["s.fagsession"]
    assert _fds() == before
    with Session.open(mnt / "s.fagsession", backup=False) as s2:  # no lock was left
        assert len(s2) == 800


def test_sqlite_reporting_a_full_disk_on_create_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = schema.configure

    def small_disk(conn: object) -> None:
        real(conn)  # type: ignore[arg-type]
        conn.execute("PRAGMA max_page_count = 8")  # type: ignore[attr-defined]

    monkeypatch.setattr(store_mod, "configure", small_disk)
    before = _fds()
    with pytest.raises(SessionError, match=r"could not create the session.*full"):
        Session.create(tmp_path / "s.fagsession", _images(tmp_path, 5000), scheme="300w68")
    assert list(tmp_path.iterdir()) == []
    assert _fds() == before
    monkeypatch.undo()
    Session.create(tmp_path / "s.fagsession", _images(tmp_path, 5), scheme="300w68").close()


def test_a_backup_write_failing_half_way_keeps_the_old_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.fagsession"
    make_session(tmp_path).close()
    Session.open(path).close()
    old_bak = backup_path(path).read_bytes()
    real_write = os.write

    def write_then_full(fd: int, data: object) -> int:
        real_write(fd, bytes(data)[:100])  # type: ignore[arg-type]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(seal.os, "write", write_then_full)
    before = _fds()
    with pytest.raises(SessionError, match="No space left on device"):
        Session.open(path)
    monkeypatch.undo()
    assert backup_path(path).read_bytes() == old_bak
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert _fds() == before
    with contextlib.closing(Session.open(path)) as s:
        assert len(s) == 5
