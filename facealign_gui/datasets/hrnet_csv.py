"""HRNet's CSV annotations (300W, WFLW, AFLW) — read fast, write exactly.

Layout (HRNet-Facial-Landmark-Detection, ``lib/datasets/face300w.py`` / ``wflw.py``)::

    image_name,scale,center_w,center_h,original_0_x,original_0_y,...

AFLW (``lib/datasets/aflw.py``) has one more column, ``box_size``, third::

    image_name,scale,box_size,center_w,center_h,original_0_x,original_0_y,...

``scale`` is the face box side / 200; image names are relative to ``<csv dir>/images``.
Coordinates are 0-based image pixels (HRNet adds 1 before its 1-based crop transform).

Reading uses pandas' C parser on the whole file, then validates every row at once; if
anything is wrong (wrong column count, a non-number, NaN, scale <= 0, blank lines) the file
is read again by a careful per-line parser that names ``file:line`` and keeps valid rows.
Writing uses ``repr`` of each float64, the shortest text that reads back as the same number,
so read -> write -> read reproduces every value exactly.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import numpy as np

from facealign_gui.datasets._boxes import NO_POINT, centers_scales_from_points
from facealign_gui.datasets._common import (
    BAD_CHAR,
    atomic_write_text,
    decode_text,
    guess_image_root,
    newline_of,
    read_file,
    refuse_binary,
    scheme_name_for,
)
from facealign_gui.datasets._format import repr_rows
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "hrnet_csv"
HEAD_BYTES = 65536  # the header line must fit in these
WFLW_SUBSETS = ("largepose", "expression", "illumination", "makeup", "occlusion", "blur")


def read_hrnet_csv(path: str | Path, *, image_root: str | Path | None = None) -> Dataset:
    """Read an HRNet CSV (300W / WFLW / AFLW layout, detected from the header)."""
    path = Path(path)
    label = str(path)
    head = read_file(path, HEAD_BYTES + 4)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head or head.isspace():
        raise DatasetError(Problem(label, None, "empty file (expected an HRNet CSV header)", True))
    refuse_binary(head, label)
    columns = _header_columns(head, label)
    offset, k = _layout(columns, label)
    newline = newline_of(head)

    fast = _read_fast(path, columns)
    if fast is not None:
        names, values = fast
        problems: list[Problem] = []
        lines = np.arange(2, 2 + len(names))
        skipped = 0
    else:
        text, _ = decode_text(read_file(path), label, lenient=True)
        names, values, lines, problems, skipped = _read_careful(text, label, columns, offset, k)

    n = len(names)
    ds = Dataset(
        format=FORMAT,
        scheme=scheme_name_for(k),
        root=Path(image_root) if image_root else guess_image_root(path.parent, _first(names)),
        images=names,
        points=values[:, offset:].reshape(n, k, 2),
        visible=np.ones((n, k), dtype=bool),
        centers=values[:, offset - 2 : offset].copy(),
        scales=values[:, 0].copy(),
        sources=[f"{label}:{i}" for i in lines.tolist()],
        problems=problems,
        skipped=skipped,
        meta={"newline": newline, "header": columns},
    )
    if offset == 4:
        ds.attributes["box_size"] = values[:, 1].copy()
    ds.subsets = subsets_from_name(path.name, names)
    return ds


def _first(names: list[str]) -> str | None:
    return names[0] if names else None


def _header_columns(data: bytes, label: str) -> list[str]:
    """Column names of the header line, read from its first `HEAD_BYTES` bytes only.

    A header longer than that (300,000 empty columns, say, or a file with no line ends) is
    refused in bounded time and memory; so is a header with junk bytes or empty names.
    """
    head = data[:HEAD_BYTES]
    ends = [i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0]
    if not ends and len(data) > HEAD_BYTES:
        raise DatasetError(
            Problem(
                label,
                1,
                f"header line is longer than {HEAD_BYTES} bytes "
                f"({head.count(b',') + 1}+ columns): not an HRNet CSV header",
                True,
            )
        )
    first = head[: min(ends)] if ends else head
    if b"\x00" in first:
        raise DatasetError(Problem(label, 1, "binary junk in the header line", True))
    text, _ = decode_text(first, label)
    columns = next(csv.reader([text.strip()]))
    empty = [j for j, c in enumerate(columns) if not c.strip()]
    if empty:
        raise DatasetError(
            Problem(
                label,
                1,
                f"header column {empty[0] + 1} has no name ({len(empty)} of the "
                f"{len(columns)} columns are empty): not an HRNet CSV header",
                True,
            )
        )
    return columns


def _layout(columns: list[str], label: str) -> tuple[int, int]:
    """(index of the first coordinate among the numeric columns, number of points)."""
    lower = [c.strip().lower() for c in columns]
    if len(lower) < 4 or lower[1] != "scale":
        raise DatasetError(
            Problem(
                label,
                1,
                "not an HRNet CSV header: expected 'image_name,scale,center_w,center_h,"
                f"original_0_x,...', found '{','.join(columns[:4])}...'",
                True,
            )
        )
    offset = 4 if lower[2] == "box_size" else 3  # first coordinate, not counting the name
    ncoord = len(columns) - 1 - offset
    if ncoord <= 0 or ncoord % 2:
        raise DatasetError(
            Problem(
                label, 1, f"header has {ncoord} coordinate columns, expected an even number", True
            )
        )
    return offset, ncoord // 2


def _read_fast(path: Path, columns: list[str]) -> tuple[list[str], np.ndarray] | None:
    """Whole-file parse with pandas; None when any row needs the careful path.

    Blank lines are kept as all-NaN rows (``skip_blank_lines=False``), so they too send the
    file to the careful path and can never shift the reported line numbers.
    """
    import pandas as pd

    try:
        with warnings.catch_warnings():
            # a column of mixed types is caught below and sent to the careful path
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            df = pd.read_csv(
                path,
                header=0,
                dtype={columns[0]: str},
                skip_blank_lines=False,
            )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return None
    if df.shape[1] != len(columns):
        return None
    numeric = df.iloc[:, 1:]
    if not all(dt.kind in "fi" for dt in numeric.dtypes):
        return None
    values = numeric.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or not (values[:, 0] > 0).all():
        return None
    names_col = df.iloc[:, 0]
    if names_col.isna().any():
        return None
    names = names_col.astype(str).str.strip().tolist()
    if not all(names) or "\x00" in "".join(names):  # NUL bytes: the careful path names them
        return None
    return names, values


def _read_careful(
    text: str, label: str, columns: list[str], offset: int, k: int
) -> tuple[list[str], np.ndarray, np.ndarray, list[Problem], int]:
    """Line-by-line parse naming every bad row; keeps the good ones."""
    ncols = len(columns)
    names: list[str] = []
    rows: list[np.ndarray] = []
    lines: list[int] = []
    problems: list[Problem] = []
    skipped = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        if lineno == 1 or not line.strip():
            continue
        if BAD_CHAR in line:
            msg, row = "not UTF-8 text (binary junk?)", None
        else:
            msg, row = _parse_row(line, columns, ncols, offset, k)
        if msg:
            problems.append(Problem(label, lineno, msg, fatal=True))
            skipped += 1
            continue
        names.append(row[0])  # type: ignore[arg-type]
        rows.append(row[1])  # type: ignore[arg-type]
        lines.append(lineno)
    values = np.array(rows, dtype=np.float64).reshape(len(rows), ncols - 1)
    return names, values, np.array(lines, dtype=np.int64), problems, skipped


def _parse_row(
    line: str, columns: list[str], ncols: int, offset: int, k: int
) -> tuple[str, tuple[str, np.ndarray] | None]:
    tokens = next(csv.reader([line])) if '"' in line else line.split(",")
    if len(tokens) != ncols:
        return f"expected {ncols} columns ({k} points), found {len(tokens)}", None
    name = tokens[0].strip()
    if not name:
        return "empty image name", None
    try:
        row = np.array(tokens[1:], dtype=np.float64)
    except ValueError:
        j = next(j for j, t in enumerate(tokens) if j > 0 and not _is_float(t))
        return f"column {columns[j]}: not a number: {tokens[j].strip()!r}", None
    finite = np.isfinite(row)
    if not finite.all():
        j = int(np.flatnonzero(~finite)[0])
        return f"column {columns[j + 1]}: {tokens[j + 1].strip()!r} is not a finite number", None
    if row[0] <= 0:
        return f"scale must be positive, found {tokens[1].strip()!r}", None
    return "", (name, row)


def _is_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def subsets_from_name(file_name: str, images: list[str]) -> dict[str, np.ndarray]:
    """Subsets implied by HRNet's file names (and, for full 300W, by image folders).

    ``*_valid_common.csv`` -> common, ``*_valid_challenge.csv`` -> challenge,
    ``face_landmarks_300w_valid.csv`` -> full = common (lfpw, helen) + challenge (ibug),
    ``*_wflw_test_<subset>.csv`` -> that WFLW subset, ``*_aflw_test_frontal.csv`` -> frontal.
    """
    stem = Path(file_name).stem.lower()
    n = len(images)
    everything = np.arange(n, dtype=np.int64)
    for name in ("challenge", "common", "frontal", *WFLW_SUBSETS):
        if re.search(rf"(^|_){name}($|_)", stem):
            return {name: everything}
    if "300w" in stem and re.search(r"(^|_)valid($|_)", stem):
        ibug = np.array([img.replace("\\", "/").split("/")[0] == "ibug" for img in images])
        return {
            "full": everything,
            "common": np.flatnonzero(~ibug).astype(np.int64),
            "challenge": np.flatnonzero(ibug).astype(np.int64),
        }
    if "300w" in stem and re.search(r"(^|_)test($|_)", stem):
        kinds = [img.replace("\\", "/").split("/")[1:2] for img in images]
        indoor = np.array([bool(k) and "indoor" in k[0].lower() for k in kinds], dtype=bool)
        outdoor = np.array([bool(k) and "outdoor" in k[0].lower() for k in kinds], dtype=bool)
        if indoor.any() or outdoor.any():
            return {
                "indoor": np.flatnonzero(indoor).astype(np.int64),
                "outdoor": np.flatnonzero(outdoor).astype(np.int64),
            }
    return {}


def write_hrnet_csv(ds: Dataset, path: str | Path) -> None:
    """Write ``ds`` as an HRNet CSV (AFLW layout when it has ``box_size``), atomically.

    Missing centre/scale are derived from the points by HRNet's landmark box rule
    (`core.geometry.center_scale_from_points`). HRNet CSVs cannot hold missing points.
    """
    path = Path(path)
    if ds.points is None:
        raise DatasetError(Problem(str(path), None, "an unlabelled dataset has no points to write"))
    n, k = ds.points.shape[:2]
    if not np.isfinite(ds.points).all():
        bad = int((~np.isfinite(ds.points).all(axis=(1, 2))).sum())
        raise DatasetError(
            Problem(
                str(path), None, f"HRNet CSV cannot hold missing points ({bad} faces have some)"
            )
        )
    centers, scales = _centers_scales(ds)
    aflw = "box_size" in ds.attributes or ds.scheme == "aflw19"
    cols: list[np.ndarray] = [scales[:, None]]
    if aflw:
        cols.append(_box_size(ds, path)[:, None])
    cols += [centers, ds.points.reshape(n, 2 * k)]
    values = np.concatenate(cols, axis=1)

    header = ",".join(_header(ds, aflw, k))
    names, joined = ds.images, "".join(ds.images)
    if any(c in joined for c in ',"\n\r'):
        names = [_csv_name(name) for name in names]
    rows = repr_rows(values, ",")
    lines = [header, *(f"{name},{row}" for name, row in zip(names, rows, strict=False))]
    atomic_write_text(path, "\n".join(lines) + "\n", str(ds.meta.get("newline", "\n")))


def _header(ds: Dataset, aflw: bool, k: int) -> list[str]:
    old = ds.meta.get("header")
    offset = 5 if aflw else 4
    if (
        ds.format == FORMAT
        and isinstance(old, list)
        and len(old) == offset + 2 * k
        and (old[2].strip().lower() == "box_size") == aflw
    ):
        return [str(c) for c in old]
    head = ["image_name", "scale"] + (["box_size"] if aflw else []) + ["center_w", "center_h"]
    return head + [f"original_{i}_{c}" for i in range(k) for c in "xy"]


def _csv_name(name: str) -> str:
    if any(c in name for c in ',"\n\r'):
        return '"' + name.replace('"', '""') + '"'
    return name


def _centers_scales(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    if ds.centers is not None and ds.scales is not None:
        return np.asarray(ds.centers, np.float64), np.asarray(ds.scales, np.float64)
    assert ds.points is not None
    centers, scales = centers_scales_from_points(ds.points, ds.visible)
    if np.isnan(scales).any():  # a face without a visible point has no box
        raise ValueError(NO_POINT)
    return centers, scales


def _box_size(ds: Dataset, path: Path) -> np.ndarray:
    if "box_size" in ds.attributes:
        return np.asarray(ds.attributes["box_size"], dtype=np.float64)
    if ds.boxes is not None:
        b = np.asarray(ds.boxes, dtype=np.float64)
        return np.sqrt((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
    raise DatasetError(
        Problem(str(path), None, "the AFLW layout needs a box_size per face (or face boxes)")
    )
