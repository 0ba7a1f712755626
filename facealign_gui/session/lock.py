"""An OS-level lock so two running instances never write the same session.

The lock is taken on the session file itself (``fcntl.flock`` on a descriptor of it), so it
belongs to the file's identity, its device and inode: a symlink, a hard link or another
spelling of the path reaches the same inode and meets the same lock. (SQLite locks the file
with POSIX ``fcntl`` locks, which ``flock`` does not interact with on Linux.) The owner's pid
and host go to ``<real path>.lock`` for the message a second opener sees. The OS drops the lock
when the owner dies, so a killed process never blocks anyone. Within one process the held
identities are also kept in a set, so a second open is refused without opening (and closing)
another descriptor of a file SQLite is using: closing one would drop SQLite's POSIX locks.

On Windows, where locking bytes of the database would block SQLite's own reads, the lock is
the ``<real path>.lock`` file (``msvcrt.locking``); a hard link there is not recognised.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path


class SessionLockedError(RuntimeError):
    """Another running instance has this session open."""


_HELD: set[tuple[int, int]] = set()  # (device, inode) of every session this process locked


def lock_path(session_path: Path) -> Path:
    """The file naming the holder: beside the real file, whatever link was opened."""
    real = Path(os.path.realpath(session_path))
    return real.with_name(real.name + ".lock")


class SessionLock:
    """Hold the lock for ``session_path`` until `release` (or process exit)."""

    def __init__(self, session_path: Path) -> None:
        self.session_path = Path(session_path)
        self.path = lock_path(self.session_path)
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None

    def acquire(self) -> None:
        """Take the lock or raise `SessionLockedError` naming the holder.

        OSError when the session file cannot be opened. Nothing stays open on failure.
        """
        st = os.stat(self.session_path)
        identity = (st.st_dev, st.st_ino)
        if identity in _HELD:
            raise SessionLockedError(
                f"{self.session_path} is open in another session of this facealign-gui (under "
                "this or another name). Close it there first (or open a copy of the file)."
            )
        fd = _open_target(self.session_path, self.path)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise SessionLockedError(
                f"{self.session_path} is open in another facealign-gui{_read_holder(self.path)}."
                " Close it there first (or open a copy of the file)."
            ) from None
        fst = os.fstat(fd)
        self._identity = (fst.st_dev, fst.st_ino)
        _HELD.add(self._identity)
        self._fd = fd
        _write_holder(self.path)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _HELD.discard(self._identity)  # type: ignore[arg-type]
        with contextlib.suppress(OSError):
            os.truncate(self.path, 0)
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None


def _write_holder(path: Path) -> None:
    """Best effort: the holder file is only for the message (a full disk must not stop us)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        finally:
            os.close(fd)


def _read_holder(path: Path) -> str:
    try:
        text = path.read_bytes()[:200].decode(errors="replace").split()
    except OSError:
        return ""
    if len(text) >= 2:
        return f" (pid {text[0]} on {text[1]})"
    if text:
        return f" (pid {text[0]})"
    return ""


try:
    import fcntl

    def _open_target(session_path: Path, holder: Path) -> int:
        return os.open(session_path, os.O_RDONLY)

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _open_target(session_path: Path, holder: Path) -> int:
        return os.open(holder, os.O_RDWR | os.O_CREAT, 0o644)

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
