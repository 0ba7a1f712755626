"""Generic heatmap decoding: argmax with an optional sub-pixel step.

``quarter`` moves the peak a quarter pixel towards the larger neighbour on each axis (the
HRNet / stacked-hourglass convention; only when the peak is not on the border).
``quadratic`` fits a parabola through the peak and its two neighbours on each axis and
moves to its vertex (clamped to half a pixel).
"""

from __future__ import annotations

import numpy as np

from facealign_gui.inference.decoders.hih import argmax_xy


def decode_heatmaps(heatmaps: np.ndarray, subpixel: str = "none") -> tuple[np.ndarray, np.ndarray]:
    """(N, K, H, W) -> (x, y) in heatmap pixels (N, K, 2) float64 and peak values (N, K)."""
    xy, maxv = argmax_xy(heatmaps)
    if subpixel == "none":
        return xy, maxv.astype(np.float32)
    n, k, h, w = heatmaps.shape
    px = xy[..., 0].astype(np.int64)
    py = xy[..., 1].astype(np.int64)
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    inside_x = (px > 0) & (px < w - 1)
    inside_y = (py > 0) & (py < h - 1)
    hm = heatmaps.astype(np.float64)
    centre = hm[ni, ki, py, px]
    left = hm[ni, ki, py, np.clip(px - 1, 0, w - 1)]
    right = hm[ni, ki, py, np.clip(px + 1, 0, w - 1)]
    up = hm[ni, ki, np.clip(py - 1, 0, h - 1), px]
    down = hm[ni, ki, np.clip(py + 1, 0, h - 1), px]
    if subpixel == "quarter":
        dx = 0.25 * np.sign(right - left)
        dy = 0.25 * np.sign(down - up)
    elif subpixel == "quadratic":
        with np.errstate(divide="ignore", invalid="ignore"):
            den_x = 2.0 * centre - left - right
            den_y = 2.0 * centre - up - down
            dx = np.where(den_x > 0, 0.5 * (right - left) / den_x, 0.0)
            dy = np.where(den_y > 0, 0.5 * (down - up) / den_y, 0.0)
        dx, dy = np.clip(dx, -0.5, 0.5), np.clip(dy, -0.5, 0.5)
    else:
        raise ValueError(f"unknown sub-pixel mode {subpixel!r}")
    out = xy.copy()
    out[..., 0] += np.where(inside_x, dx, 0.0)
    out[..., 1] += np.where(inside_y, dy, 0.0)
    return out, maxv.astype(np.float32)
