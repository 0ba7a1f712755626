"""Kaggle "Facial Keypoints Detection" CSVs (``training.csv``, ``test.csv``).

``training.csv``: 30 columns ``<point>_x``, ``<point>_y`` for the 15 ``kaggle15`` points,
then ``Image``: 96 x 96 grey pixels as space-separated integers. An empty cell is a missing
point: it becomes ``visible == False`` with NaN coordinates (never 0). ``test.csv`` has
``ImageId,Image`` and no points. Images live in the file: sample ``i`` is named
``training.csv#<row>`` and `datasets.images.load_image` decodes its pixel string.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from facealign_gui.datasets._common import BAD_CHAR, atomic_write_text, decode_text, read_file
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "kaggle_csv"
SIDE = 96
HEADER_CHARS = 65536  # the header line must fit in these (31 names in the real files)


def point_names() -> tuple[str, ...]:
    from facealign_gui.core.schemes import get_scheme

    return get_scheme("kaggle15").point_names


def read_kaggle_csv(path: str | Path) -> Dataset:
    """Read a Kaggle facial-keypoints CSV (training or test layout)."""
    import pandas as pd

    path = Path(path)
    label = str(path)
    data = read_file(path)
    text, newline = decode_text(data, label, lenient=True)
    if not text.strip():
        raise DatasetError(Problem(label, None, "empty file (expected a Kaggle CSV header)", True))
    end = text.find("\n", 0, HEADER_CHARS)
    if end < 0 and len(text) > HEADER_CHARS:
        raise DatasetError(
            Problem(label, 1, f"header line is longer than {HEADER_CHARS} characters", True)
        )
    header = text[: end if end >= 0 else len(text)].split(",")
    if any(BAD_CHAR in c for c in header):
        raise DatasetError(Problem(label, 1, "binary junk in the header line", True))
    if any(not c.strip() for c in header):
        empty = sum(not c.strip() for c in header)
        raise DatasetError(
            Problem(label, 1, f"{empty} of the {len(header)} header columns have no name", True)
        )
    if "Image" not in header:
        raise DatasetError(Problem(label, 1, "no 'Image' column: not a Kaggle keypoints CSV", True))
    names = point_names()
    coord_cols = [f"{n}_{c}" for n in names for c in "xy"]
    has_points = any(c in header for c in coord_cols)
    missing_cols = [c for c in coord_cols if c not in header] if has_points else []
    if missing_cols:
        raise DatasetError(Problem(label, 1, f"missing columns: {', '.join(missing_cols)}", True))
    problems: list[Problem] = []
    body: list[str] = []
    linenos: list[int] = []
    for lineno, line in enumerate(text.split("\n")[1:], start=2):
        if not line.strip():
            continue
        if BAD_CHAR in line:
            problems.append(Problem(label, lineno, "not UTF-8 text (binary junk?)", True))
            continue
        if line.count(",") != len(header) - 1:
            problems.append(
                Problem(
                    label,
                    lineno,
                    f"expected {len(header)} columns, found {line.count(',') + 1}",
                    True,
                )
            )
            continue
        body.append(line)
        linenos.append(lineno)
    df = pd.read_csv(io.StringIO("\n".join([",".join(header), *body])), dtype={"Image": str})
    lines = np.array(linenos, dtype=np.int64)
    keep = np.ones(len(df), dtype=bool)
    coords = np.full((len(df), len(coord_cols)), np.nan)
    if has_points:
        for j, c in enumerate(coord_cols):
            col = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
            given = df[c].notna().to_numpy()
            bad = ~np.isfinite(col) & given & keep
            for r in np.flatnonzero(bad):
                what = "not a number" if np.isnan(col[r]) else "not a finite number"
                shown = str(df[c].iloc[r])
                problems.append(
                    Problem(label, int(lines[r]), f"column {c}: {what}: {shown!r}", True)
                )
            keep &= ~bad
            coords[:, j] = col
    pixels = df["Image"].fillna("").astype(str).tolist()
    rows = np.flatnonzero(keep)
    images, msgs = parse_pixel_rows([pixels[r] for r in rows])
    for r, msg in zip(rows.tolist(), msgs, strict=True):
        if msg:
            problems.append(Problem(label, int(lines[r]), msg, True))
            keep[r] = False
    images = images[[not m for m in msgs]]
    rows = np.flatnonzero(keep)
    n = len(rows)
    ds = Dataset(
        format=FORMAT,
        scheme="kaggle15" if has_points else None,
        root=path.parent,
        images=[f"{path.name}#{r}" for r in rows.tolist()],
        sources=[f"{label}:{lines[r]}" for r in rows.tolist()],
        problems=problems,
        skipped=sum(p.fatal for p in problems),
        meta={"newline": newline},
    )
    if has_points:
        pts = coords[rows].reshape(n, len(names), 2)
        vis = np.isfinite(pts).all(axis=2)
        pts[~vis] = np.nan
        ds.points, ds.visible = pts, vis
    if "ImageId" in df.columns:
        ds.attributes["image_id"] = df["ImageId"].to_numpy()[rows]

    def loader(i: int) -> np.ndarray:
        return np.repeat(images[i][:, :, None], 3, axis=2)

    ds.image_loader = loader
    return ds


def parse_pixel_rows(pixels: list[str]) -> tuple[np.ndarray, list[str]]:
    """(N, 96, 96) uint8 images of Kaggle pixel strings, and what is wrong with each row
    ("" when it is 9216 integers in 0..255; a bad row's image is left black).

    numpy's C text parser reads each row (about 0.2 ms); only a bad row is split in
    Python, to name its first bad pixel.
    """
    out = np.zeros((len(pixels), SIDE, SIDE), dtype=np.uint8)
    msgs = [""] * len(pixels)
    for r, text in enumerate(pixels):
        try:
            grey = np.fromstring(text, dtype=np.int64, sep=" ")  # text mode: not deprecated
        except ValueError:
            grey = None
        if grey is None or grey.size != SIDE * SIDE or grey.min() < 0 or grey.max() > 255:
            msgs[r] = _pixel_error(text, None if grey is None else grey.size)
            continue
        out[r] = grey.reshape(SIDE, SIDE)
    return out, msgs


def _pixel_error(text: str, count: int | None) -> str:
    for j, tok in enumerate(text.split()):
        if not (tok.isascii() and tok.isdigit() and int(tok) <= 255):
            return f"Image pixel {j + 1}: {tok[:20]!r} is not an integer in 0..255"
    count = len(text.split()) if count is None else count
    return f"Image has {count} pixels, expected {SIDE * SIDE}"


def write_kaggle_csv(ds: Dataset, path: str | Path) -> None:
    """Write ``ds`` (15 points, 96 x 96 images) as a Kaggle training CSV, atomically.

    Invisible points are written as empty cells. Every image must be 96 x 96.
    """
    from facealign_gui.datasets.images import load_image

    path = Path(path)
    if ds.points is None or ds.points.shape[1] != 15:
        raise DatasetError(
            Problem(str(path), None, "the Kaggle format holds exactly 15 points per face")
        )
    names = point_names()
    out = io.StringIO()
    out.write(",".join([f"{n}_{c}" for n in names for c in "xy"] + ["Image"]) + "\n")
    vis = np.ones(ds.points.shape[:2], bool) if ds.visible is None else ds.visible
    for i in range(len(ds)):
        img = load_image(ds, i)
        if img.shape[:2] != (SIDE, SIDE):
            raise DatasetError(
                Problem(
                    str(path),
                    None,
                    f"{ds.images[i]} is {img.shape[1]}x{img.shape[0]}, "
                    "the Kaggle format needs 96x96",
                )
            )
        grey = img[:, :, 0] if np.array_equal(img[:, :, 0], img[:, :, 1]) else _grey(img)
        cells = []
        for (x, y), v in zip(ds.points[i].tolist(), vis[i].tolist(), strict=False):
            ok = v and np.isfinite(x) and np.isfinite(y)
            cells += [repr(x), repr(y)] if ok else ["", ""]
        out.write(",".join([*cells, " ".join(map(str, grey.ravel().tolist()))]) + "\n")
    atomic_write_text(path, out.getvalue(), str(ds.meta.get("newline", "\n")))


def _grey(img: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
