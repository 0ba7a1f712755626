"""Opening the files a model card names, refusing the ones that would hang or flood us.

A card is a text file anyone can hand out, so the paths it names (``onnx``,
``decoder.meanface``) and the card itself are checked before a byte is read: each must be a
regular file (not ``/dev/zero``, a FIFO, a directory or a socket, which block or never end)
no larger than a bound for its kind. The file is opened non-blocking and checked on the open
descriptor (``fstat``), so a path swapped for a FIFO after a ``stat`` cannot hang the reader.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from facealign_gui.inference.types import InferenceError

MAX_ONNX_BYTES = (
    2 << 30
)  # protobuf's own limit for one .onnx file (larger models use external data)
MAX_MEANFACE_BYTES = 1 << 20  # a mean face is 2K numbers: a few kB for 98 points
MAX_CARD_BYTES = 1 << 20  # a card is a page of TOML

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _check(st: os.stat_result, path: Path, what: str, limit: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise InferenceError(f"{path}: {what} is {_kind(st.st_mode)}, not a regular file")
    if st.st_size > limit:
        raise InferenceError(
            f"{path}: {what} is {st.st_size:,} bytes; more than {limit:,} bytes is refused"
        )


def check_model_file(path: str | Path, what: str, limit: int) -> os.stat_result:
    """``stat`` of ``path`` when it is a regular file of at most ``limit`` bytes.

    For files another library opens by name (onnxruntime); readers here use `open_model_file`.
    Raises `InferenceError` naming the file and what was wrong.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise InferenceError(f"{path}: cannot read {what} ({exc.strerror})") from None
    _check(st, path, what, limit)
    return st


@contextmanager
def open_model_file(path: str | Path, what: str, limit: int) -> Iterator[tuple[BinaryIO, int]]:
    """Open ``path`` for reading after checking the descriptor: yields (file, size).

    The open is non-blocking (a FIFO opens at once instead of waiting for a writer) and the
    checks run on what was opened.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        with suppress(OSError):  # a socket cannot be opened at all: say what it is
            _check(path.stat(), path, what, limit)
        raise InferenceError(f"{path}: cannot read {what} ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        _check(st, path, what, limit)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f, st.st_size


def read_model_file(path: str | Path, what: str, limit: int) -> bytes:
    """The bytes of a small file a card names (mean face, the card itself), checked first."""
    with open_model_file(path, what, limit) as (f, _size):
        data = f.read(limit + 1)
    if len(data) > limit:  # grew while we read it
        raise InferenceError(f"{path}: {what} is more than {limit:,} bytes; refused")
    return data
