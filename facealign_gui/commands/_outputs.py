"""Never let a command's output replace one of its inputs.

An output clashes with the inputs when it is the same file (by path, symlink or hard link) as
an input file, an annotation file a dataset was read from, or an image; when it is an input
folder; or when it is a folder that contains any of those (a ``.pts`` folder export replaces
the whole folder). The check runs before any work, with or without ``--overwrite``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` are one file: the same resolved path, or (both existing) the
    same device and inode, as a hard link is."""
    ra, rb = Path(os.path.realpath(a)), Path(os.path.realpath(b))
    if ra == rb:
        return True
    ia = _identity(ra)
    return ia is not None and ia == _identity(rb)


def output_clash(output: str | Path, protected: Iterable[str | Path]) -> str | None:
    """Why writing ``output`` would destroy one of ``protected`` (None when it would not).

    ``protected``: the command's inputs, the annotation files its datasets came from and the
    images it reads.
    """
    out = Path(os.path.realpath(output))
    out_prefix = str(out).rstrip(os.sep) + os.sep
    for item in protected:
        p = Path(item)
        real = Path(os.path.realpath(p))
        if same_file(real, out):
            what = "folder" if real.is_dir() else "file"
            return f"{output} is an input {what} ({p}); choose another output"
        if str(real).startswith(out_prefix):
            return f"{output} contains the input {p}, which writing it would replace"
    return None
