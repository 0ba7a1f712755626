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

import io
import re
from collections import Counter
from pathlib import Path

import numpy as np

from facealign_gui.datasets._common import (
    BAD_CHAR,
    atomic_write_text,
    guess_image_root,
    read_text,
    scheme_name_for,
)
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "wflw_list"
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
    """
    path = Path(path)
    label = str(path)
    text, newline = read_text(path, lenient=True)
    lines = text.split("\n")
    n_coord = 2 * num_points
    counts = Counter(len(ln.split()) for ln in lines if ln.strip())
    if not counts:
        raise DatasetError(Problem(label, None, "empty file (expected WFLW list lines)", True))
    with_rect = counts.get(n_coord + 11, 0) >= counts.get(n_coord + 1, 0)
    expected = n_coord + 11 if with_rect else n_coord + 1

    names: list[str] = []
    rows: list[np.ndarray] = []
    sources: list[str] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(lines, start=1):
        tokens = line.split()
        if not tokens:
            continue
        if BAD_CHAR in line:
            msg, row = "not UTF-8 text (binary junk?)", None
        else:
            msg, row = _parse_line(tokens, expected, n_coord, with_rect)
        if msg:
            problems.append(Problem(label, lineno, msg, fatal=True))
            continue
        names.append(tokens[-1])
        rows.append(row)  # type: ignore[arg-type]
        sources.append(f"{label}:{lineno}")
    n = len(rows)
    values = np.array(rows, dtype=np.float64).reshape(n, expected - 1)
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


def subset_from_file_name(name: str) -> str | None:
    """``list_98pt_test_largepose.txt`` -> ``"largepose"`` (None for other names)."""
    m = re.fullmatch(r"list_\d+pt_test_([a-z_-]+)\.txt", name.lower())
    return m.group(1).replace("-", "").replace("_", "") if m else None


def _parse_line(
    tokens: list[str], expected: int, n_coord: int, with_rect: bool
) -> tuple[str, np.ndarray | None]:
    if len(tokens) != expected:
        return (
            f"expected {expected} values ({n_coord // 2} points"
            + (", rect, 6 attributes" if with_rect else "")
            + f", image name), found {len(tokens)}",
            None,
        )
    try:
        row = np.array(tokens[:-1], dtype=np.float64)
    except ValueError:
        bad = next(t for t in tokens[:-1] if not _is_number(t))
        return f"not a number: {bad!r}", None
    if not np.isfinite(row).all():
        return "coordinates must be finite numbers (found NaN or inf)", None
    if with_rect:
        flags = row[n_coord + 4 :]
        if not np.isin(flags, (0.0, 1.0)).all():
            return f"attribute flags must be 0 or 1, found {flags.tolist()}", None
        x1, y1, x2, y2 = row[n_coord : n_coord + 4]
        if x2 < x1 or y2 < y1:
            return f"face rect has x_max < x_min or y_max < y_min: {[x1, y1, x2, y2]}", None
    return "", row


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def centers_scales_from_points(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HRNet centre / scale of every face by the landmark box rule."""
    from facealign_gui.core.geometry import center_scale_from_points

    n = len(points)
    centers = np.empty((n, 2), dtype=np.float64)
    scales = np.empty(n, dtype=np.float64)
    for i in range(n):
        finite = np.isfinite(points[i]).all(axis=1)
        if not finite.any():
            centers[i] = np.nan
            scales[i] = np.nan
            continue
        c, s = center_scale_from_points(points[i], finite)
        centers[i] = c
        scales[i] = s
    return centers, scales


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
    n = len(ds)
    coords = _format_numbers(ds.points.reshape(n, -1))
    with_rect = ds.boxes is not None and all(a in ds.attributes for a in ATTRIBUTES)
    if with_rect:
        assert ds.boxes is not None
        boxes = np.asarray(ds.boxes, dtype=np.float64)
        rect = (
            [[str(int(v)) for v in row] for row in boxes.tolist()]
            if np.array_equal(boxes, np.round(boxes))
            else _format_numbers(boxes)
        )
        flags = np.stack([np.asarray(ds.attributes[a]).astype(int) for a in ATTRIBUTES], 1)
    out = io.StringIO()
    for i in range(n):
        parts = coords[i]
        if with_rect:
            parts = parts + rect[i] + [str(v) for v in flags[i].tolist()]
        if any(c.isspace() for c in ds.images[i]):
            raise DatasetError(
                Problem(str(path), None, f"image name has a space: {ds.images[i]!r}")
            )
        out.write(" ".join([*parts, ds.images[i]]) + "\n")
    atomic_write_text(path, out.getvalue(), str(ds.meta.get("newline", "\n")))


def _format_numbers(values: np.ndarray) -> list[list[str]]:
    """Six decimals when they read back as the same float64, else ``repr``."""
    rows = values.tolist()
    six = [[f"{v:.6f}" for v in row] for row in rows]
    if np.array_equal(np.array(six, dtype=np.float64).reshape(values.shape), values):
        return six
    return [[repr(v) for v in row] for row in rows]
