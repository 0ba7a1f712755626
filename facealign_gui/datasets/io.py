"""``open_dataset`` / ``write_dataset``: the one door in and out for every format."""

from __future__ import annotations

import os
from pathlib import Path

from facealign_gui.datasets import formats
from facealign_gui.datasets._common import check_images as _check_images
from facealign_gui.datasets.model import Dataset, DatasetError, Problem
from facealign_gui.datasets.sniff import detect_format


def open_dataset(
    path: str | Path,
    *,
    format: str | None = None,
    strict: bool = False,
    scheme: str | None = None,
    image_root: str | Path | None = None,
    check_images: bool = True,
) -> Dataset:
    """Read any supported dataset.

    Parameters
    ----------
    format : a name in `datasets.formats` (detected from the path and first bytes when None).
    strict : raise `DatasetError` on any problem instead of loading the valid rows.
    scheme : expected landmark scheme; a different point count is a `DatasetError`.
    image_root : folder image names are relative to (guessed per format when None).
    check_images : report missing images (non-fatal problems).
    """
    path = Path(path)
    fmt = formats.get_format(format or detect_format(path))
    if not path.exists():
        raise DatasetError(Problem(str(path), None, "no such file or folder", True))
    ds = fmt.read_dataset(path, image_root)
    if scheme is not None:
        _apply_scheme(ds, scheme, str(path))
    if check_images:
        _check_images(ds, str(path))
    if strict and ds.problems:
        raise DatasetError(ds.problems)
    return ds


def _apply_scheme(ds: Dataset, scheme: str, label: str) -> None:
    from facealign_gui.core.schemes import get_scheme

    try:
        s = get_scheme(scheme)
    except KeyError as e:
        raise DatasetError(str(e.args[0])) from None
    if ds.points is not None and ds.num_points != s.num_points:
        raise DatasetError(
            Problem(
                label,
                None,
                f"{ds.num_points} points per face, scheme {scheme} has {s.num_points}",
                True,
            )
        )
    ds.scheme = s.name


def output_format(ds: Dataset, path: str | Path, format: str | None = None) -> str:
    """Writer for ``path``: explicit ``format``, else by extension (a folder: ``.pts``)."""
    if format:
        fmt = formats.get_format(format)
        if not fmt.writable:
            raise DatasetError(
                f"cannot write {fmt.name}; writable formats: {formats.names_text(writable=True)}"
            )
        return fmt.name
    found = formats.for_output_suffix(Path(path).suffix, ds.format)
    if found is None:
        raise DatasetError(
            f"cannot tell the output format from {path!s} (known endings: "
            f"{formats.output_suffixes_text()}, or a folder); name the format"
        )
    return found.name


def source_files(ds: Dataset) -> set[Path]:
    """The annotation files ``ds`` was read from."""
    out = set()
    for s in ds.sources:
        file, _, line = s.rpartition(":")
        name = file if line.isdigit() else s
        out.add(Path(name.split("#", 1)[0]))
    return out


def write_dataset(
    ds: Dataset, path: str | Path, format: str | None = None, *, overwrite: bool = False
) -> str:
    """Write ``ds`` to ``path`` atomically; returns the format written.

    Never overwrites an existing file unless ``overwrite``; never overwrites a file ``ds``
    was read from, even then (`check_output`).
    """
    fmt = check_output(ds, path, format, overwrite=overwrite)
    fmt.write_dataset(ds, Path(path))
    return fmt.name


def check_output(
    ds: Dataset, path: str | Path, format: str | None = None, *, overwrite: bool = False
) -> formats.Format:
    """The writer `write_dataset` would use for ``ds`` at ``path``, or the `DatasetError` it
    would raise: no format for the name, a scheme the format cannot hold, the file ``ds`` was
    read from, an existing output without ``overwrite``. A command can ask before long work."""
    path = Path(path)
    fmt = formats.get_format(output_format(ds, path, format))
    why = fmt.cannot_write(ds.scheme, ds.num_points)
    if why is not None:
        raise DatasetError(Problem(str(path), None, why, True))
    target = os.path.realpath(path)
    for src in source_files(ds):
        if os.path.realpath(src) == target:
            raise DatasetError(
                Problem(str(path), None, "refusing to overwrite the input file", True)
            )
    if (
        path.exists()
        and not overwrite
        and not (fmt.folder and path.is_dir() and not any(path.iterdir()))
    ):
        raise DatasetError(Problem(str(path), None, "already exists (use --overwrite)", True))
    return fmt
