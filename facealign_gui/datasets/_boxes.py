"""HRNet centre/scale of many faces at once (the batched landmark box rule).

`centers_scales_from_points` gives, row for row, exactly the doubles that
`facealign_gui.core.geometry.center_scale_from_points` gives for one face: the box is
``floor`` of the smallest and ``ceil`` of the largest usable coordinate, the centre its
middle, the scale its longer side / 200. The same float64 operations run in the same order,
so the results are bit-identical (tests/datasets/test_wflw_list_fast.py checks it on the
real files).
"""

from __future__ import annotations

import numpy as np

NO_POINT = "no visible, finite landmark to compute a box from"


def centers_scales_from_points(
    points: np.ndarray, visible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Centre (N, 2) and scale (N,) of every face of ``points`` (N, K, 2).

    A point counts when its coordinates are finite (and, with ``visible`` (N, K), when it is
    visible). A face with no such point gets NaN centre and scale.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 3 or pts.shape[2] != 2:
        raise ValueError(f"points must have shape (N, K, 2), got {pts.shape}")
    keep = np.isfinite(pts).all(axis=2)
    if visible is not None:
        vis = np.asarray(visible, dtype=bool)
        if vis.shape != keep.shape:
            raise ValueError(f"visible must have shape {keep.shape}, got {vis.shape}")
        keep &= vis
    some = keep.any(axis=1)
    if keep.all():
        lo, hi = pts.min(axis=1), pts.max(axis=1)
    else:
        lo = np.where(keep[..., None], pts, np.inf).min(axis=1)
        hi = np.where(keep[..., None], pts, -np.inf).max(axis=1)
        lo[~some] = 0.0  # keeps inf - inf (and its warning) out of the arithmetic below
        hi[~some] = 0.0
    lo, hi = np.floor(lo), np.ceil(hi)
    centers = (lo + hi) / 2.0
    side = hi - lo
    scales = np.maximum(side[:, 0], side[:, 1]) / 200.0
    centers[~some] = np.nan
    scales[~some] = np.nan
    return centers, scales
