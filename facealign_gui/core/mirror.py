"""Horizontal flips of landmarks and boxes (the mirror pass of `inference.mirror` and the
session's mirror check). With pixel centres at integer coordinates, column ``x`` of the
flipped image is column ``width - 1 - x`` of the original; left/right pairs swap names."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["flip_box", "flip_permutation", "unflip_points"]


def flip_permutation(num_points: int, flip_pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """Index map ``perm`` with ``mirrored[perm]`` = points in the un-mirrored order."""
    perm = np.arange(num_points)
    for a, b in flip_pairs:
        perm[a], perm[b] = b, a
    return perm


def unflip_points(
    points: np.ndarray, width: int, flip_pairs: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Points predicted on the horizontally flipped image, mapped back onto the image.

    With pixel centres at integer coordinates, column ``x`` of the flipped image is column
    ``width - 1 - x`` of the original; left/right landmark pairs swap names.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    out = pts[flip_permutation(pts.shape[0], flip_pairs)].copy()
    out[:, 0] = (width - 1) - out[:, 0]
    return out


def flip_box(box: Sequence[float], width: int) -> tuple[float, float, float, float]:
    """A face box ``x1, y1, x2, y2`` in the horizontally flipped image."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return (width - 1 - x2, y1, width - 1 - x1, y2)
