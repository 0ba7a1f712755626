"""Kaggle stacked-hourglass decoding (raymon-tian/hourglass-facekeypoints-detection).

The model maps a 96x96 grayscale face (pixels / 255) to 15 heatmaps of the same size;
``get_peak_points`` takes the first (row-major) maximum of each map, and its (x, y) are
input pixels directly (the targets were Gaussians centred on the pixel coordinates with
stride 1). Generic heatmap models with optional sub-pixel refinement live in
`facealign_gui.inference.decoders.generic`.
"""

from __future__ import annotations

import numpy as np

from facealign_gui.inference.decoders.hih import argmax_xy


def decode_hourglass(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, K, H, W) -> peak (x, y) in heatmap pixels (N, K, 2) and peak values (N, K)."""
    xy, maxv = argmax_xy(heatmaps)
    return xy, maxv.astype(np.float32)
