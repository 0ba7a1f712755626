"""Checks `score` and `eval` share: where a face came from, points far outside the image."""

from __future__ import annotations

import numpy as np

from facealign_gui.core.bounds import far_outside
from facealign_gui.datasets.model import Dataset


def face_source(ds: Dataset, i: int) -> str:
    """``file:line`` of face ``i`` where the reader recorded it, else its image name."""
    return ds.sources[i] if ds.sources else ds.images[i]


def image_sizes(ds: Dataset, rows: np.ndarray) -> np.ndarray:
    """(len(rows), 2) width, height of the rows' images from their headers; NaN where the
    image is absent or unreadable. Each image file is read once."""
    from facealign_gui.datasets.images import STORED, image_size

    orientation = str(ds.meta.get("orientation", STORED)) if getattr(ds, "meta", None) else STORED
    seen: dict[str, tuple[float, float]] = {}
    out = np.full((len(rows), 2), np.nan)
    for r, i in enumerate(np.asarray(rows, dtype=np.int64).tolist()):
        path = ds.image_path(i)
        key = str(path)
        if key not in seen:
            size = None
            try:
                size = image_size(path, orientation=orientation) if path.is_file() else None
            except (OSError, ValueError):
                size = None
            seen[key] = (float(size[0]), float(size[1])) if size else (np.nan, np.nan)
        out[r] = seen[key]
    return out


def far_outside_problems(ds: Dataset, points: np.ndarray, what: str) -> list[str]:
    """One line per face of ``ds`` whose ``points`` (ground truth or a prediction for it)
    have a point far outside the image (`core.bounds.far_outside`)."""
    rows = np.flatnonzero(np.isfinite(points).all(axis=2).any(axis=1))
    if rows.size == 0:
        return []
    sizes = image_sizes(ds, rows)
    out = []
    for r, k in far_outside(points[rows], sizes):
        i = int(rows[r])
        x, y = points[i, k]
        w, h = sizes[r]
        out.append(
            f"{face_source(ds, i)}: {what} point {k} at ({x:g}, {y:g}) is far outside the "
            f"{w:g}×{h:g} image"
        )
    return out
