"""Mirror test-time check: a model run on the flipped image, flipped back, should agree with
its run on the image. Where the two disagree the model is unsure, so a person looks first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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


def disagreement(a: np.ndarray, b: np.ndarray) -> float:
    """Mean point distance between two predictions over the size of ``a``'s landmark box
    (square root of its area), so faces of any size compare."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    span = np.nanmax(a, axis=0) - np.nanmin(a, axis=0)
    norm = float(np.sqrt(max(span[0], 1e-9) * max(span[1], 1e-9)))
    return float(np.nanmean(np.linalg.norm(a - b, axis=1)) / norm)
