"""Atomic file and folder writes, shared by every layer that saves something a person keeps.

A write goes to a temporary file in the target folder, is flushed to disk, then renamed over
the target (``os.replace``), so a crash or a full disk leaves either the old file or the new
one, never half of one. The new file gets the ordinary permissions (0666 less the umask),
not the private 0600 that ``mkstemp`` creates.

A folder (`write_folder`, e.g. a ``.pts`` export) is written whole into a hidden temporary
sibling, then swapped with the old folder in one step (Linux ``renameat2(RENAME_EXCHANGE)``;
elsewhere two renames) and the old one removed: a reader sees the old folder or the new
one, complete, never a mix, and files the new write does not hold are gone. Writers into
one parent folder take turns on a ``flock`` of that folder, and the next write removes
whatever a killed one left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; leftovers are removed by age instead
    fcntl = None  # type: ignore[assignment]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # read once, at import, before any thread could race it
_DIR_MODE = 0o777 & ~_umask()


def atomic_write_bytes(path: str | Path, data: bytes, *, make_parents: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; ``make_parents`` creates missing folders
    (a person's export into a folder that is gone is an error to show instead)."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if fcntl is not None:  # a live write: `remove_stale_temps` leaves it alone
            fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Remove the temporary files a killed `atomic_write_bytes` of ``path`` left beside it.

    A live writer holds a ``flock`` on its temporary file, so only abandoned ones go
    (without ``fcntl``: only those older than an hour). Costs one listing of the folder,
    so it is called by exports, not by every small write.
    """
    import time

    path = Path(path)
    prefix, removed = f".{path.name}.", []
    with contextlib.suppress(OSError), os.scandir(path.parent) as it:
        for entry in it:
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            if fcntl is None:
                if time.time() - entry.stat().st_mtime > STALE_SECONDS:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
                continue
            with contextlib.suppress(OSError):
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while it is written
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
                finally:
                    os.close(fd)
    return removed


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """`atomic_write_bytes` for text (no newline translation: write what ``text`` holds)."""
    return atomic_write_bytes(path, text.encode(encoding))


FOLDER_TMP = ".folder-"  # ``.<name>.folder-XXXX``: a folder being written (or its old copy)
STALE_SECONDS = 3600.0  # without flock: a leftover this old is no live writer's


def write_folder(
    target: str | Path, files: Iterable[tuple[str, bytes]], *, make_parents: bool = True
) -> list[Path]:
    """Replace the folder ``target`` by one holding exactly ``files`` (relative posix path,
    bytes), all or nothing; returns the written paths (under ``target``)."""
    target = Path(target)
    parent = target.parent
    if make_parents:
        parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(20, "not a folder", str(target))
    with _parent_lock(parent):
        remove_leftovers(parent, target.name)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}{FOLDER_TMP}", dir=parent))
        try:
            written = _fill(tmp, files)
            os.chmod(tmp, _DIR_MODE)  # mkdtemp makes it private (0700)
            _swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _fsync_dir(parent)
    return [target / rel for rel in written]


def remove_leftovers(parent: Path, name: str) -> list[Path]:
    """Remove the temporary folders a killed `write_folder` of ``parent/name`` left; callers
    hold the parent's lock (without ``fcntl``, only leftovers older than an hour go)."""
    import time

    removed = []
    prefix = f".{name}{FOLDER_TMP}"
    with contextlib.suppress(OSError), os.scandir(parent) as it:
        for entry in it:
            if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
                continue
            if fcntl is None and time.time() - entry.stat().st_mtime < STALE_SECONDS:
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _fill(tmp: Path, files: Iterable[tuple[str, bytes]]) -> list[str]:
    written: list[str] = []
    dirs = {tmp}
    for rel, data in files:
        out = tmp / rel
        if out.parent not in dirs:
            out.parent.mkdir(parents=True, exist_ok=True)
            dirs.add(out.parent)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        written.append(rel)
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        _fsync_dir(d)
    return written


def _swap_in(tmp: Path, target: Path) -> None:
    """Put ``tmp`` where ``target`` is, atomically when the platform can; remove the old."""
    if not target.exists():
        os.rename(tmp, target)  # also replaces an empty folder atomically
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp)  # ``tmp`` now holds the old folder
        return
    try:
        os.rename(tmp, target)  # POSIX replaces an empty folder in one step
        return
    except OSError:
        pass  # not empty: move the old one aside first
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}{FOLDER_TMP}old-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if the
    platform or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not on this file system
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def _parent_lock(parent: Path) -> Iterator[None]:
    """Writers of folders into ``parent`` take turns (an advisory ``flock`` on it)."""
    if fcntl is None:
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock; so does the process dying


def _fsync_dir(path: Path) -> None:
    if fcntl is None:
        return  # Windows cannot open a folder to flush it
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
