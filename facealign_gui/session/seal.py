"""The whole-file seal: proof, in one pass over the bytes, that a closed session is unchanged.

A clean close (no WAL left) writes the CRC-32 of the whole file into the SQLite header's
``user_version`` field (offset 60, four bytes SQLite never interprets), computed with those
four bytes taken as zero. Open zeroes it again before anything is written, so a file that was
not closed cleanly (a crash, a copy taken while open, another tool) carries no seal. When the
seal matches, the file is byte for byte what this program closed and the row-by-row checks are
skipped; when it does not, that is not yet damage (free pages may differ): the full checks
decide. Reading is by ``mmap``; no SQLite connection may be open on the file meanwhile (closing
another descriptor of it would drop SQLite's POSIX locks).
"""

from __future__ import annotations

import mmap
import os
import zlib
from pathlib import Path

OFFSET = 60  # SQLite header: user version
_ZERO = b"\0\0\0\0"
_CHUNK = 1 << 22


def _crc(view: memoryview) -> int:
    # every slice is released at once: a slice still alive would stop the mmap closing
    with view[:OFFSET] as head:
        c = zlib.crc32(head)
    c = zlib.crc32(_ZERO, c)
    for start in range(OFFSET + 4, len(view), _CHUNK):
        with view[start : start + _CHUNK] as chunk:
            c = zlib.crc32(chunk, c)
    return c


def _wal_pending(path: Path) -> bool:
    try:
        return os.path.getsize(f"{path}-wal") > 0
    except OSError:
        return False


def check(path: Path, copy_to: Path | None = None) -> bool:
    """True when ``path`` carries a seal that matches its bytes (and no WAL is pending).

    With ``copy_to``, the bytes read are also written there (for the ``.bak``); the caller
    keeps the copy only when this returns True. OSError (disk full ...) propagates.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < OFFSET + 4:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            view = memoryview(m)
            try:
                stored = int.from_bytes(view[OFFSET : OFFSET + 4], "big")
                if copy_to is not None:
                    _write_all(copy_to, view)
                if stored == 0 or _wal_pending(path):
                    return False
                return _crc(view) == stored
            finally:
                view.release()


def _write_all(dst: Path, view: memoryview) -> None:
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        done = 0
        while done < len(view):
            with view[done : done + _CHUNK] as chunk:
                done += os.write(fd, chunk)
    finally:
        os.close(fd)


def seal(path: Path) -> bool:
    """Write the seal into a closed session file; False when it cannot (WAL left, read-only)."""
    if _wal_pending(path):
        return False
    try:
        with open(path, "r+b", buffering=0) as f:
            if os.fstat(f.fileno()).st_size < OFFSET + 4:
                return False
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                view = memoryview(m)
                try:
                    crc = _crc(view)
                finally:
                    view.release()
            f.seek(OFFSET)
            f.write(crc.to_bytes(4, "big"))
        return True
    except OSError:
        return False


def unseal(path: Path) -> None:
    """Clear the seal before the file is written to."""
    with open(path, "r+b", buffering=0) as f:
        f.seek(OFFSET)
        head = f.read(4)
        if head != _ZERO and len(head) == 4:
            f.seek(OFFSET)
            f.write(_ZERO)
