"""An OS-level lock so two running instances never write the same session.

The lock is ``<session>.lock`` holding the owner's pid and host, locked with ``fcntl.flock``
(``msvcrt.locking`` on Windows). The OS drops the lock when the owner dies, so a stale lock
file left by a killed process never blocks anyone. The file itself is left in place.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


class SessionLockedError(RuntimeError):
    """Another running instance has this session open."""


def lock_path(session_path: Path) -> Path:
    return session_path.with_name(session_path.name + ".lock")


class SessionLock:
    """Hold the lock for ``session_path`` until `release` (or process exit)."""

    def __init__(self, session_path: Path) -> None:
        self.path = lock_path(Path(session_path))
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise `SessionLockedError` naming the holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise SessionLockedError(
                f"{self.path.with_suffix('')} is open in another facealign-gui"
                f"{holder}. Close it there first (or open a copy of the file)."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            _unlock(fd)
        finally:
            os.close(fd)
        # The empty file stays: unlinking it would let two openers lock different inodes.

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode(errors="replace").split()
    except OSError:
        return ""
    if len(text) >= 2:
        return f" (pid {text[0]} on {text[1]})"
    if text:
        return f" (pid {text[0]})"
    return ""


try:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
