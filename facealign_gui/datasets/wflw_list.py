"""WFLW's original annotation lists.

``list_98pt_rect_attr_{train,test}.txt``: one face per line, space separated::

    x0 y0 ... x97 y97  x_min y_min x_max y_max  pose expression illumination make-up
    occlusion blur  image_name

(196 coordinates, a 4-value face rectangle, 6 attribute flags, the image name: 207 tokens).
``list_98pt_test_<subset>.txt`` (largepose, expression, illumination, makeup, occlusion,
blur) hold 196 coordinates and the name (197 tokens). One image can hold several faces, so
samples are keyed by row, never by name. Image names are relative to ``WFLW_images``.

HRNet's centre/scale are derived from the points by the landmark box rule
(`core.geometry.center_scale_from_points`), as for a WFLW list -> HRNet CSV conversion.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np

from facealign_gui.datasets._boxes import centers_scales_from_points
from facealign_gui.datasets._common import (
    atomic_write_text,
    guess_image_root,
    newline_of,
    read_file,
    refuse_binary,
    scheme_name_for,
)
from facealign_gui.datasets._format import exact_rows, int_rows
from facealign_gui.datasets._wflw_rows import (
    bad_rows,
    blank_junk_lines,
    read_mixed,
    salvage_frame,
)
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "wflw_list"
WFLW_POINTS = 98  # the lists' layout; `open_dataset` reads them as 98 points
ATTRIBUTES = ("pose", "expression", "illumination", "makeup", "occlusion", "blur")
# attribute flag -> subset name used by the WFLW subset lists
SUBSET_OF_ATTRIBUTE = {
    "pose": "largepose",
    "expression": "expression",
    "illumination": "illumination",
    "makeup": "makeup",
    "occlusion": "occlusion",
    "blur": "blur",
}


def read_wflw_list(
    path: str | Path,
    *,
    image_root: str | Path | None = None,
    num_points: int = 98,
    with_centers: bool = True,
) -> Dataset:
    """Read a WFLW rect+attribute list or a subset list (told apart by the token count).

    ``with_centers=False`` skips deriving HRNet centre/scale (for matching subset lists).
    A clean file is parsed in one pass by pandas' C parser and checked with whole-array
    tests (`_read_fast`); any doubt sends it to `_wflw_rows.read_mixed`, which still parses
    the plain lines in one pandas pass, names ``file:line`` of every bad row and keeps the
    good ones, exactly as the one-line-at-a-time reference `_wflw_rows.read_lines` does.
    """
    path = Path(path)
    label = str(path)
    data = read_file(path)
    n_coord = 2 * num_points
    frame = _read_frame(data, n_coord)
    fast = None if frame is None else _accept(frame[0], frame[2], n_coord)
    salvaged = None
    if fast is None:  # most lines fine: keep one whole-file parse, redo only the others
        refuse_binary(data[3:] if data.startswith(b"\xef\xbb\xbf") else data, label)
        blanked = blank_junk_lines(data)  # junk bytes or blank lines: stand-ins for pandas
        stood = None if blanked is None else _read_frame(blanked[0], n_coord)
        if stood is not None:
            salvaged = salvage_frame(*stood, label, n_coord, blanked[1])  # type: ignore[index]
        if salvaged is None and frame is not None:
            salvaged = salvage_frame(frame[0], frame[1], frame[2], label, n_coord)
    if fast is not None:
        names, values, with_rect = fast
        sources = [f"{label}:{i}" for i in range(1, len(names) + 1)]
        problems: list[Problem] = []
        newline = _newline(data)
    elif salvaged is not None:
        names, values, with_rect, sources, problems = salvaged
        newline = _newline(data)
    else:  # a binary file was refused above, where ``fast is None``
        names, values, with_rect, sources, problems = read_mixed(data, label, n_coord)
        newline = newline_of(data)
    n = len(names)
    points = values[:, :n_coord].reshape(n, num_points, 2)
    ds = Dataset(
        format=FORMAT,
        scheme=scheme_name_for(num_points),
        root=Path(image_root)
        if image_root
        else guess_image_root(path.parent, names[0] if names else None),
        images=names,
        points=points,
        visible=np.ones((n, num_points), dtype=bool),
        sources=sources,
        problems=problems,
        skipped=len(problems),
        meta={"newline": newline, "kind": "rect_attr" if with_rect else "points"},
    )
    if with_rect:
        ds.boxes = values[:, n_coord : n_coord + 4].copy()
        for j, name in enumerate(ATTRIBUTES):
            flags = values[:, n_coord + 4 + j].astype(np.uint8)
            ds.attributes[name] = flags
            ds.subsets[SUBSET_OF_ATTRIBUTE[name]] = np.flatnonzero(flags).astype(np.int64)
    else:
        sub = subset_from_file_name(path.name)
        if sub:
            ds.subsets[sub] = np.arange(n, dtype=np.int64)
    if with_centers:
        ds.centers, ds.scales = centers_scales_from_points(points)
    return ds


def _newline(data: bytes) -> str:
    """The newline `decode_text` reports for ASCII ``data``."""
    return newline_of(data[3:] if data.startswith(b"\xef\xbb\xbf") else data)


def _read_fast(data: bytes, n_coord: int) -> tuple[list[str], np.ndarray, bool] | None:
    """Whole-file parse of a clean ASCII list; None when any line needs the careful path.

    Clean means: every line has the same number of space-separated fields (207 or 197 for
    98 points), every number parses and passes `bad_rows`, no blank line, no whitespace
    inside a name. Numbers are parsed by pandas' C parser (correctly rounded, the same
    doubles as ``float``; it accepts a subset of the texts ``float`` accepts).
    """
    frame = _read_frame(data, n_coord)
    return None if frame is None else _accept(frame[0], frame[2], n_coord)


def _read_frame(data: bytes, n_coord: int) -> tuple[object, bytes, int] | None:
    """(pandas frame, the bytes it was parsed from, fields per line) of an ASCII list, or
    None when pandas cannot parse it as one table."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # Trailing blank lines change nothing (one final newline pandas ignores by itself);
    # inner ones become empty rows that fail the checks below.
    tail = data[-64:]
    if tail[len(tail.rstrip()) :] not in (b"", b"\n", b"\r\n", b"\r"):
        data = data.rstrip()
    # Non-ASCII text (bad UTF-8, U+FFFD, Unicode spaces) and NUL bytes: the careful path.
    if not data or data.isspace() or not data.isascii() or b"\x00" in data:
        return None
    end = data.find(b"\n")
    ncols = len(data[: end if end >= 0 else len(data)].split())
    if ncols not in (n_coord + 11, n_coord + 1):
        return None
    import pandas as pd

    try:
        with warnings.catch_warnings():
            # a column with a bad token is caught below (its dtype is not numeric)
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            df = pd.read_csv(
                io.BytesIO(data),
                sep=" ",
                header=None,
                quoting=csv.QUOTE_NONE,
                na_filter=False,  # "nan", "NA", "" stay text and fail the dtype check
                skip_blank_lines=False,
                engine="c",
            )
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        return None
    if df.shape[1] != ncols:
        return None
    return df, data, ncols


def _accept(df: object, ncols: int, n_coord: int) -> tuple[list[str], np.ndarray, bool] | None:
    """The frame's names, numbers and layout when every row is clean, else None."""
    # int64 columns (rect, flags) convert to the doubles float() gives; anything else
    # (text, bool, uint64) goes to the careful path
    if not all(dt.kind in "fi" for dt in df.dtypes.iloc[:-1]):  # type: ignore[attr-defined]
        return None
    names = df.iloc[:, -1].tolist()  # type: ignore[attr-defined]
    values = df.iloc[:, :-1].to_numpy(dtype=np.float64)  # type: ignore[attr-defined]
    with_rect = ncols == n_coord + 11
    if not _plain_names(names) or bad_rows(values, n_coord, with_rect).any():
        return None
    return names, values, with_rect


def _plain_names(names: list[object]) -> bool:
    """Every name a non-empty string without whitespace (one token, as ``str.split`` sees)."""
    if not all(isinstance(s, str) and s for s in names):
        return False
    joined = "".join(names)  # type: ignore[arg-type]
    return joined.split() == [joined]


def subset_from_file_name(name: str) -> str | None:
    """``list_98pt_test_largepose.txt`` -> ``"largepose"`` (None for other names)."""
    m = re.fullmatch(r"list_\d+pt_test_([a-z_-]+)\.txt", name.lower())
    return m.group(1).replace("-", "").replace("_", "") if m else None


def write_wflw_list(ds: Dataset, path: str | Path) -> None:
    """Write ``ds`` as a WFLW list, atomically.

    With face boxes and the six attribute flags it is a ``rect_attr`` list, otherwise a
    points-only (subset-style) list. Numbers use WFLW's six decimals when that reproduces
    every value exactly, else the shortest exact text.
    """
    path = Path(path)
    if ds.points is None:
        raise DatasetError(Problem(str(path), None, "an unlabelled dataset has no points to write"))
    if not np.isfinite(ds.points).all():
        raise DatasetError(Problem(str(path), None, "WFLW lists cannot hold missing points"))
    if ds.points.shape[1] != WFLW_POINTS:  # what we write must read back
        raise DatasetError(
            Problem(
                str(path),
                None,
                f"a WFLW list holds {WFLW_POINTS} points per face, this dataset has "
                f"{ds.points.shape[1]}: write an HRNet CSV (.csv) or a .pts folder instead",
            )
        )
    _check_names(ds.images, path)
    n = len(ds)
    coords = exact_rows(ds.points.reshape(n, -1), " ")
    with_rect = ds.boxes is not None and all(a in ds.attributes for a in ATTRIBUTES)
    if with_rect:
        assert ds.boxes is not None
        boxes = np.asarray(ds.boxes, dtype=np.float64)
        rect = (
            int_rows(boxes, " ")
            if np.array_equal(boxes, np.round(boxes))
            else exact_rows(boxes, " ")
        )
        flags = np.stack([np.asarray(ds.attributes[a]).astype(int) for a in ATTRIBUTES], 1)
        lines = [
            f"{c} {r} {f} {name}"
            for c, r, f, name in zip(coords, rect, int_rows(flags, " "), ds.images, strict=False)
        ]
    else:
        lines = [f"{c} {name}" for c, name in zip(coords, ds.images, strict=False)]
    text = "\n".join(lines) + "\n" if lines else ""
    atomic_write_text(path, text, str(ds.meta.get("newline", "\n")))


def _check_names(images: list[str], path: Path) -> None:
    """A WFLW list is space separated: an image name must not hold whitespace."""
    joined = "".join(images)
    if joined.split() == [joined] or not joined:
        return
    for name in images:
        if any(c.isspace() for c in name):
            raise DatasetError(Problem(str(path), None, f"image name has a space: {name!r}"))
