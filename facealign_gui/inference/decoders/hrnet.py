"""HRNet (Wang et al., HRNet-Facial-Landmark-Detection) heatmaps -> image landmarks.

Published path (``lib/core/evaluation.py`` ``decode_preds`` called by ``lib/core/function.py``
``inference`` with ``meta['center']``, ``meta['scale']`` and ``[64, 64]``):

1. ``get_preds``: 1-based arg-max of each heatmap; a point whose maximum is <= 0 is set to 0.
2. quarter-pixel shift toward the larger neighbour, away from the border.
3. ``+ 0.5``.
4. ``transform_preds`` -> ``transform_pixel(invert=1)``: subtract 1, apply the inverse of
   ``get_transform(center, scale, [64, 64])``, truncate to int, add 1.

``mode="official"`` returns exactly those integer-valued points. ``mode="precise"`` keeps
the sub-pixel location (arg-max + the same quarter shift, 0-based) and maps it with the exact
inverse of ``core.geometry.crop_matrix(center, scale, (W, H), mode="precise")``; it does not
zero non-positive peaks (their confidence says so). On average official = precise + 0.5 px
on each axis (truncation then ``+ 1``).

Contract for ``scales``: the scale **as used by the crop**, i.e. HRNet's ``meta['scale']``,
which is the CSV scale already multiplied by ``HRNET_SCALE_FACTOR`` (1.25). Do not pass the
raw CSV value.
"""

from __future__ import annotations

import numpy as np

from facealign_gui.core.geometry import transform_preds
from facealign_gui.inference.decoders.heatmap import argmax_2d, quarter_offset

__all__ = ["decode_hrnet"]


def decode_hrnet(
    heatmaps: np.ndarray,
    centers: np.ndarray,
    scales: np.ndarray,
    mode: str = "official",
) -> tuple[np.ndarray, np.ndarray]:
    """Decode HRNet heatmaps to image points.

    Parameters
    ----------
    heatmaps : (N, K, H, W) model output (64x64 for the published models).
    centers : (N, 2) crop centers in image pixels.
    scales : (N,) crop scales, **already enlarged** by 1.25 (HRNet's ``meta['scale']``).
    mode : ``"official"`` or ``"precise"`` (see the module docstring).

    Returns
    -------
    points : (N, K, 2) float64 image coordinates (integer-valued in official mode).
    confidence : (N, K) float32 heatmap maxima.
    """
    if mode not in ("official", "precise"):
        raise ValueError(f"mode must be 'official' or 'precise', got {mode!r}")
    h = np.asarray(heatmaps)
    if h.ndim != 4:
        raise ValueError(f"heatmaps must have shape (N, K, H, W), got {h.shape}")
    n, k, hh, ww = h.shape
    c = np.asarray(centers, dtype=np.float64).reshape(-1, 2)
    s = np.asarray(scales, dtype=np.float64).reshape(-1)
    if c.shape[0] != n or s.shape[0] != n:
        raise ValueError(f"{n} heatmap sets but {c.shape[0]} centers and {s.shape[0]} scales")
    coords, maxvals = argmax_2d(h)
    coords = quarter_offset(h, coords)
    if mode == "official":
        # get_preds zeroes the 1-based coordinate of a non-positive (or NaN) maximum, which
        # is -1 in 0-based terms; the quarter shift never applies there.
        keep = maxvals > 0
        coords = np.where(keep[..., None], coords, -1.0)
    points = np.empty((n, k, 2), dtype=np.float64)
    for i in range(n):
        points[i] = transform_preds(coords[i], c[i], float(s[i]), (ww, hh), mode=mode)
    return points, maxvals
