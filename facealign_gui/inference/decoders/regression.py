"""Coordinate regression: the model outputs K (x, y) pairs directly.

Accepted shapes: (N, 2K) as x1 y1 x2 y2 ..., or (N, K, 2). ``normalised`` coordinates are
fractions of the crop width/height ([0, 1]); ``pixels`` are crop pixels.
"""

from __future__ import annotations

import numpy as np

from facealign_gui.inference.types import InferenceError


def decode_regression(
    coords: np.ndarray, num_points: int, input_size: tuple[int, int], mode: str = "normalised"
) -> tuple[np.ndarray, np.ndarray]:
    """Crop-pixel points (N, K, 2) and confidence (N, K) (all 1: a regressor gives none)."""
    n = coords.shape[0]
    if coords.ndim == 2 and coords.shape[1] == 2 * num_points:
        pts = coords.reshape(n, num_points, 2).astype(np.float64)
    elif coords.ndim == 3 and coords.shape[1:] == (num_points, 2):
        pts = coords.astype(np.float64)
    else:
        raise InferenceError(
            f"regression output has shape {tuple(coords.shape)}; expected (N, {2 * num_points}) "
            f"or (N, {num_points}, 2) for {num_points} landmarks"
        )
    if mode == "normalised":
        pts = pts * np.array(input_size, dtype=np.float64)
    elif mode != "pixels":
        raise ValueError(f"unknown coordinate mode {mode!r}")
    return pts, np.ones((n, num_points), dtype=np.float32)
