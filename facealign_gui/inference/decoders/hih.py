"""Heatmap-in-Heatmap (HIH) decoding, following starhiking/HeatmapInHeatmap.

The integer heatmap (64x64 for the published WFLW model) gives the cell by argmax; the
per-landmark decimal heatmap (``offset_size`` square, 8x8 published) gives the position
inside that cell by argmax, divided by its side (``decode_hih_head``): a peak in column c of
an 8-wide decimal map adds c/8 of a cell. Like their ``decode_woo_head``, a map whose
maximum is not positive decodes to 0. Results are in integer-heatmap pixels, where the
training target was ``normalised crop coordinate * heatmap size``.
"""

from __future__ import annotations

import numpy as np

from facealign_gui.inference.decoders.heatmap import argmax_2d
from facealign_gui.inference.types import InferenceError


def decode_hih(heatmaps: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HIH landmarks in integer-heatmap pixels, and the heatmap peak as confidence.

    Parameters
    ----------
    heatmaps : (N, K, H, W) integer heatmaps.
    offsets : (N, K, s, s) decimal heatmaps.
    """
    if heatmaps.ndim != 4 or offsets.ndim != 4 or offsets.shape[:2] != heatmaps.shape[:2]:
        raise InferenceError(
            f"HIH outputs do not match: heatmaps {heatmaps.shape}, decimal heatmaps "
            f"{offsets.shape} (expected (N, K, H, W) and (N, K, s, s))"
        )
    cell, maxv = argmax_2d(heatmaps)
    cell *= (maxv > 0)[..., None]
    sub, sub_max = argmax_2d(offsets)
    sub *= (sub_max > 0)[..., None]
    sub /= np.array([offsets.shape[3], offsets.shape[2]], dtype=np.float64)
    return cell + sub, maxv
