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


def test_a_folder_write_replaces_the_whole_folder_in_one_step(tmp_path: Path) -> None:
    from facealign_gui.fileio import write_folder

    out = tmp_path / "out"
    write_folder(out, [("a/x.pts", b"1"), ("y.pts", b"2")])
    (out / "stale.pts").write_bytes(b"old")
    inode = out.stat().st_ino
    got = write_folder(out, [("a/x.pts", b"3")])
    assert got == [out / "a" / "x.pts"] and (out / "a" / "x.pts").read_bytes() == b"3"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["a", "a/x.pts"]
    assert out.stat().st_ino != inode  # a new folder was swapped in, not the old one edited
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_current_umask())


def test_a_failed_folder_write_leaves_the_old_folder_and_no_temporary_one(
    tmp_path: Path,
) -> None:
    from facealign_gui.fileio import write_folder

    out = tmp_path / "out"
    write_folder(out, [("x.pts", b"1")])

    def files():
        yield "y.pts", b"2"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_folder(out, files())
    assert [p.name for p in out.iterdir()] == ["x.pts"] and (out / "x.pts").read_bytes() == b"1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_temporary_files_of_a_killed_write_go_but_a_live_writers_stay(tmp_path: Path) -> None:
    import fcntl

    target = tmp_path / "a.csv"
    dead = tmp_path / ".a.csv.k1ll3d.tmp"
    live = tmp_path / ".a.csv.w0rk1n.tmp"
    other = tmp_path / ".b.csv.k1ll3d.tmp"
    for p in (dead, live, other):
        p.write_bytes(b"half")
    with open(live, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as `atomic_write_bytes` holds its file
        assert fileio.remove_stale_temps(target) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.csv.w0rk1n.tmp", ".b.csv.k1ll3d.tmp"]


def test_an_export_removes_what_a_killed_export_of_the_same_file_left(tmp_path: Path) -> None:
    import numpy as np

    from facealign_gui.datasets.hrnet_csv import write_hrnet_csv
    from facealign_gui.datasets.model import Dataset

    (tmp_path / ".a.csv.x7y8z9.tmp").write_text("image_name,scale,cen")  # SIGKILL mid-write
    ds = Dataset(format="x", scheme=None, root=tmp_path, images=["a.jpg"],
                 points=np.ones((1, 3, 2)), centers=np.ones((1, 2)), scales=np.ones(1))  # fmt: skip
    write_hrnet_csv(ds, tmp_path / "a.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]
