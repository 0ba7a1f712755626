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

from facealign_gui.datasets._common import atomic_write_text, decode_text, read_file
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "kaggle_csv"
SIDE = 96


def point_names() -> tuple[str, ...]:
    from facealign_gui.core.schemes import get_scheme

    return get_scheme("kaggle15").point_names


def read_kaggle_csv(path: str | Path) -> Dataset:
    """Read a Kaggle facial-keypoints CSV (training or test layout)."""
    import pandas as pd

    path = Path(path)
    label = str(path)
    data = read_file(path)
    text, newline = decode_text(data, label)
    if not text.strip():
        raise DatasetError(Problem(label, None, "empty file (expected a Kaggle CSV header)", True))
    header = text.split("\n", 1)[0].split(",")
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
            bad = np.isnan(col) & df[c].notna().to_numpy() & keep
            for r in np.flatnonzero(bad):
                problems.append(
                    Problem(
                        label, int(lines[r]), f"column {c}: not a number: {df[c].iloc[r]!r}", True
                    )
                )
            keep &= ~bad
            coords[:, j] = col
    pixels = df["Image"].fillna("").astype(str).tolist()
    for r in np.flatnonzero(keep):
        count = pixels[r].count(" ") + 1 if pixels[r].strip() else 0
        if count != SIDE * SIDE:
            problems.append(
                Problem(
                    label, int(lines[r]), f"Image has {count} pixels, expected {SIDE * SIDE}", True
                )
            )
            keep[r] = False
    rows = np.flatnonzero(keep)
    kept_pixels = [pixels[r] for r in rows]
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
        return decode_pixels(kept_pixels[i], f"{label}:{ds.sources[i].rsplit(':', 1)[1]}")

    ds.image_loader = loader
    return ds


def decode_pixels(text: str, where: str) -> np.ndarray:
    """96 x 96 BGR uint8 image from a Kaggle pixel string."""
    try:
        grey = np.array(text.split(), dtype=np.int64)
    except ValueError:
        raise DatasetError(Problem(where, None, "Image is not space-separated integers")) from None
    if grey.size != SIDE * SIDE or grey.min() < 0 or grey.max() > 255:
        raise DatasetError(Problem(where, None, "Image must be 9216 values in 0..255"))
    g = grey.astype(np.uint8).reshape(SIDE, SIDE)
    return np.repeat(g[:, :, None], 3, axis=2)


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
