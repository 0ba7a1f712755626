"""Landmarks that cannot belong to their image: far outside its borders.

A face cut by the image border legitimately has points a little outside it (300-W and WFLW
both do); a point more than ``margin`` of the image's width/height beyond the border is a
coordinate bug (wrong units, swapped axes, another image's points) and is reported.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FAR_MARGIN", "far_outside"]

#: how far beyond the border, as a fraction of the image's width/height, is "far"
FAR_MARGIN = 0.5


def far_outside(
    points: np.ndarray, sizes: np.ndarray, margin: float = FAR_MARGIN
) -> list[tuple[int, int]]:
    """``(face, point)`` of the worst far-outside point of each face that has one.

    points : (N, K, 2) pixels; NaN points are ignored.
    sizes : (N, 2) image width and height; rows with a non-positive or NaN size are skipped.
    """
    p = np.asarray(points, dtype=np.float64)
    wh = np.asarray(sizes, dtype=np.float64).reshape(-1, 2)
    good = np.isfinite(wh).all(axis=1) & (wh > 0).all(axis=1)
    lo = -margin * wh
    hi = (1 + margin) * wh
    with np.errstate(invalid="ignore"):
        beyond = np.maximum(lo[:, None, :] - p, p - hi[:, None, :])  # > 0 when outside
        scale = np.where(good[:, None], wh, 1.0)[:, None, :]
        score = np.nan_to_num(np.max(beyond / scale, axis=2), nan=-np.inf)
    score[~good] = -np.inf
    out = []
    for i in np.flatnonzero((score > 0).any(axis=1)):
        out.append((int(i), int(np.argmax(score[i]))))
    return out
