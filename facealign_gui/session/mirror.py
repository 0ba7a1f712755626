"""Mirror test-time check: a model run on the flipped image, flipped back, should agree with
its run on the image. Where the two disagree the model is unsure, so a person looks first."""

from __future__ import annotations

import numpy as np

from facealign_gui.core.mirror import flip_box, flip_permutation, unflip_points

__all__ = ["disagreement", "flip_box", "flip_permutation", "unflip_points"]


def disagreement(a: np.ndarray, b: np.ndarray) -> float:
    """Mean point distance between two predictions over the size of ``a``'s landmark box
    (square root of its area), so faces of any size compare."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    span = np.nanmax(a, axis=0) - np.nanmin(a, axis=0)
    norm = float(np.sqrt(max(span[0], 1e-9) * max(span[1], 1e-9)))
    return float(np.nanmean(np.linalg.norm(a - b, axis=1)) / norm)
