"""The heatmap overlay the image view draws: a small value type, not a tuple."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HeatmapOverlay:
    """A heatmap warped into image space.

    Attributes
    ----------
    image : (h, w) float array, values in [0, 1]
    x0, y0 : image pixel of ``image[0, 0]``
    lut : (256, 4) uint8 colour table, or None for grey
    """

    image: np.ndarray
    x0: float
    y0: float
    lut: np.ndarray | None = None
