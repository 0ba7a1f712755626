"""Atomic file writes, shared by every layer that saves something a person keeps.

A write goes to a temporary file in the target folder, is flushed to disk, then renamed over
the target (``os.replace``), so a crash or a full disk leaves either the old file or the new
one, never half of one. The new file gets the ordinary permissions (0666 less the umask),
not the private 0600 that ``mkstemp`` creates.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # read once, at import, before any thread could race it


def atomic_write_bytes(path: str | Path, data: bytes, *, make_parents: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; ``make_parents`` creates missing folders
    (a person's export into a folder that is gone is an error to show instead)."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
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


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """`atomic_write_bytes` for text (no newline translation: write what ``text`` holds)."""
    return atomic_write_bytes(path, text.encode(encoding))
