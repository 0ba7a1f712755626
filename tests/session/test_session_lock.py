"""Two instances never write one session; a damaged file is detected and a backup kept."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _session_helpers import make_session

from facealign_gui.session.store import (
    Session,
    SessionDamagedError,
    SessionLockedError,
    backup_path,
)


def test_opening_a_session_another_process_holds_names_that_process(tmp_path: Path) -> None:
    path = tmp_path / "s.fagsession"
    make_session(tmp_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from facealign_gui.session.store import Session
            s = Session.open({str(path)!r})
            print("open", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(SessionLockedError, match=rf"pid {holder.pid}"):
            Session.open(path)
    finally:
        holder.communicate("\n", timeout=10)
    Session.open(path).close()  # free again once the holder is gone


def test_a_second_open_in_the_same_process_is_refused(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    with pytest.raises(SessionLockedError, match="open in another"):
        Session.open(tmp_path / "s.fagsession")
    s.close()


def test_opening_refreshes_a_backup_copy(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    s.move_points(0, [0], [[1.0, 2.0]])
    s.close()
    Session.open(tmp_path / "s.fagsession").close()
    with Session.open(backup_path(tmp_path / "s.fagsession"), backup=False) as b:
        np.testing.assert_array_equal(b.annotation(0).points[0], [1.0, 2.0])


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page, len(data), 2 * page):  # scribble over every other page
        data[start : start + page] = b"\xa5" * page
    path.write_bytes(bytes(data[: len(data)]))


def test_a_damaged_session_is_detected_and_the_backup_restores_it(tmp_path: Path) -> None:
    path = tmp_path / "s.fagsession"
    s = make_session(tmp_path)
    s.move_points(0, [0], [[1.0, 2.0]])
    s.close()
    Session.open(path).close()  # takes the backup
    _damage(path)
    with pytest.raises(SessionDamagedError, match="damaged") as info:
        Session.open(path)
    assert info.value.backup == backup_path(path)
    assert str(backup_path(path)) in str(info.value)
    Session.restore_backup(path)
    with Session.open(path) as s2:
        np.testing.assert_array_equal(s2.annotation(0).points[0], [1.0, 2.0])
    assert list(tmp_path.glob("s.fagsession.damaged-*"))  # the damaged file is kept


def test_a_file_that_is_not_a_session_is_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "x.fagsession"
    path.write_text("hello, not a database\n" * 10)
    with pytest.raises(SessionDamagedError, match="header"):
        Session.open(path)


def _hold_in_subprocess(path: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from facealign_gui.session.store import Session
            s = Session.open({str(path)!r})
            print("open", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "open"
    return holder


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_to_an_open_session_is_refused_in_this_process(tmp_path: Path, link: str) -> None:
    path = tmp_path / "s.fagsession"
    other = tmp_path / "elsewhere"
    other.mkdir()
    alias = other / "alias.fagsession"
    s = make_session(tmp_path)
    (alias.symlink_to if link == "symlink" else alias.hardlink_to)(path)
    with pytest.raises(SessionLockedError, match="open in another"):
        Session.open(alias)
    s.close()
    Session.open(alias).close()  # free once the first is closed


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_to_a_session_another_process_holds_is_refused(tmp_path: Path, link: str) -> None:
    path = tmp_path / "s.fagsession"
    other = tmp_path / "elsewhere"
    other.mkdir()
    alias = other / "alias.fagsession"
    make_session(tmp_path).close()
    (alias.symlink_to if link == "symlink" else alias.hardlink_to)(path)
    holder = _hold_in_subprocess(alias)
    try:
        with pytest.raises(SessionLockedError, match="open in another"):
            Session.open(path)
    finally:
        holder.communicate("\n", timeout=10)
    Session.open(path).close()


def test_create_overwrite_of_an_open_session_is_refused_before_anything_changes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.fagsession"
    make_session(tmp_path).close()
    holder = _hold_in_subprocess(path)
    try:
        before = path.read_bytes()
        listing = sorted(p.name for p in tmp_path.iterdir())
        with pytest.raises(SessionLockedError, match="open in another"):
            Session.create(path, [tmp_path / "new.png"], scheme="300w68", overwrite=True)
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == listing
    finally:
        holder.communicate("\n", timeout=10)
    with Session.create(path, [tmp_path / "new.png"], scheme="300w68", overwrite=True) as s:
        assert len(s) == 1
