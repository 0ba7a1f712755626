"""``open_dataset`` / ``write_dataset``: the one door in and out for every format."""

from __future__ import annotations

import os
from pathlib import Path

from facealign_gui.datasets._common import check_images as _check_images
from facealign_gui.datasets.detect import FORMATS, detect_format
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

WRITABLE = ("hrnet_csv", "wflw_list", "pts", "kaggle_csv")
ALIASES = {
    "hrnet": "hrnet_csv",
    "csv": "hrnet_csv",
    "aflw_csv": "hrnet_csv",
    "wflw": "wflw_list",
    "kaggle": "kaggle_csv",
    "cofw": "cofw_mat",
    "mat": "cofw_mat",
    "folder": "image_folder",
    "images": "image_folder",
}


def canonical_format(name: str) -> str:
    """Format name from a user's spelling; `DatasetError` listing the known ones."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        raise DatasetError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    return key


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
    format : one of `FORMATS` (detected from the path and first bytes when None).
    strict : raise `DatasetError` on any problem instead of loading the valid rows.
    scheme : expected landmark scheme; a different point count is a `DatasetError`.
    image_root : folder image names are relative to (guessed per format when None).
    check_images : report missing images (non-fatal problems).
    """
    path = Path(path)
    fmt = canonical_format(format) if format else detect_format(path)
    ds = _read(path, fmt, image_root)
    if scheme is not None:
        _apply_scheme(ds, scheme, str(path))
    if check_images:
        _check_images(ds, str(path))
    if strict and ds.problems:
        raise DatasetError(ds.problems)
    return ds


def _read(path: Path, fmt: str, image_root: str | Path | None) -> Dataset:
    if not path.exists():
        raise DatasetError(Problem(str(path), None, "no such file or folder", True))
    if fmt == "hrnet_csv":
        from facealign_gui.datasets.hrnet_csv import read_hrnet_csv

        return read_hrnet_csv(path, image_root=image_root)
    if fmt == "wflw_list":
        from facealign_gui.datasets.wflw_list import read_wflw_list

        return read_wflw_list(path, image_root=image_root)
    if fmt == "cofw_mat":
        from facealign_gui.datasets.cofw_mat import read_cofw_mat

        return read_cofw_mat(path)
    if fmt == "pts":
        from facealign_gui.datasets.pts import read_pts_file, read_pts_folder

        return read_pts_folder(path) if path.is_dir() else read_pts_file(path)
    if fmt == "kaggle_csv":
        from facealign_gui.datasets.kaggle_csv import read_kaggle_csv

        return read_kaggle_csv(path)
    from facealign_gui.datasets.image_folder import read_image_folder

    return read_image_folder(path)


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
    """Writer for ``path``: explicit ``format``, else by extension (folder -> .pts)."""
    if format:
        fmt = canonical_format(format)
        if fmt not in WRITABLE:
            raise DatasetError(f"cannot write {fmt}; writable formats: {', '.join(WRITABLE)}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "kaggle_csv" if ds.format == "kaggle_csv" else "hrnet_csv"
    if suffix == ".txt":
        return "wflw_list"
    if suffix == "":
        return "pts"
    raise DatasetError(f"cannot tell the output format from the name {path!s}")


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
    was read from, even then.
    """
    path = Path(path)
    fmt = output_format(ds, path, format)
    target = os.path.realpath(path)
    for src in source_files(ds):
        if os.path.realpath(src) == target:
            raise DatasetError(
                Problem(str(path), None, "refusing to overwrite the input file", True)
            )
    if (
        path.exists()
        and not overwrite
        and not (fmt == "pts" and path.is_dir() and not any(path.iterdir()))
    ):
        raise DatasetError(Problem(str(path), None, "already exists (use --overwrite)", True))
    if fmt == "hrnet_csv":
        from facealign_gui.datasets.hrnet_csv import write_hrnet_csv

        write_hrnet_csv(ds, path)
    elif fmt == "wflw_list":
        from facealign_gui.datasets.wflw_list import write_wflw_list

        write_wflw_list(ds, path)
    elif fmt == "pts":
        from facealign_gui.datasets.pts import write_pts_folder

        write_pts_folder(ds, path)
    else:
        from facealign_gui.datasets.kaggle_csv import write_kaggle_csv

        write_kaggle_csv(ds, path)
    return fmt
