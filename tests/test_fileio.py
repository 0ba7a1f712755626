"""Atomic writes: all or nothing, ordinary permissions, no temporary file left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from facealign_gui import fileio


def test_a_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "labels.csv"
    fileio.atomic_write_text(target, "a,b\n1,2\n")
    fileio.atomic_write_text(target, "a,b\n3,4\n")
    assert target.read_text() == "a,b\n3,4\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["labels.csv"]


def test_a_written_file_gets_the_umask_permissions_not_mkstemps_private_ones(
    tmp_path: Path,
) -> None:
    target = fileio.atomic_write_bytes(tmp_path / "model.toml", b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_failed_write_keeps_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "labels.csv"
    target.write_text("old\n")

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        fileio.atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["labels.csv"]
