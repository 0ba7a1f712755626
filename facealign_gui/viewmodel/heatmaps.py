"""Array work behind the heatmap panel: normalising, tiling, warping into the image.

Pure numpy/cv2 (no Qt) so it is cheap to test and to time.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from facealign_gui.core import geometry


def normalise(hm: np.ndarray) -> np.ndarray:
    """One heatmap (H, W) scaled to [0, 1] by its own maximum (negatives clipped)."""
    h = np.clip(np.asarray(hm, dtype=np.float32), 0.0, None)
    m = float(h.max()) if h.size else 0.0
    return h / m if m > 0 else h


def reduce_heatmaps(heatmaps: np.ndarray, how: str) -> np.ndarray:
    """``"sum"`` or ``"max"`` over all K heatmaps, each first normalised to [0, 1]."""
    h = np.clip(heatmaps.astype(np.float32), 0.0, None)
    peaks = h.reshape(len(h), -1).max(axis=1)
    h = h / np.where(peaks > 0, peaks, 1.0)[:, None, None]
    out = h.sum(axis=0) if how == "sum" else h.max(axis=0)
    return normalise(out)


def mosaic(heatmaps: np.ndarray, gap: int = 1) -> tuple[np.ndarray, int]:
    """All K heatmaps tiled into one image, each normalised to [0, 1].

    Returns the (rows*(H+gap), cols*(W+gap)) float32 image and the number of columns; tile
    ``k`` is at row ``k // cols``, column ``k % cols``. Gaps are NaN-free zeros.
    """
    k, h, w = heatmaps.shape
    cols = max(1, math.ceil(math.sqrt(k)))
    rows = math.ceil(k / cols)
    hm = np.clip(heatmaps.astype(np.float32), 0.0, None)
    peaks = hm.reshape(k, -1).max(axis=1)
    hm /= np.where(peaks > 0, peaks, 1.0)[:, None, None]
    tiles = np.zeros((rows * cols, h + gap, w + gap), np.float32)
    tiles[:k, :h, :w] = hm
    grid = tiles.reshape(rows, cols, h + gap, w + gap).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(grid.reshape(rows * (h + gap), cols * (w + gap))), cols


def peak(hm: np.ndarray) -> tuple[float, float]:
    """(x, y) of the heatmap's maximum, in heatmap pixels (the decoders' `argmax_2d`)."""
    from facealign_gui.inference.decoders.heatmap import argmax_2d

    coords, _ = argmax_2d(np.asarray(hm)[None, None])
    return float(coords[0, 0, 0]), float(coords[0, 0, 1])


def invert_affine(m: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine matrix (`core.geometry.invert_affine`, the one copy)."""
    return geometry.invert_affine(m)


def apply_affine(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Map points (N, 2) through a 2x3 affine matrix (`core.geometry.transform_points`)."""
    return geometry.transform_points(np.asarray(xy, dtype=np.float64).reshape(-1, 2), m)


def warp_to_image(
    hm: np.ndarray, crop_to_image: np.ndarray, image_shape: tuple[int, ...]
) -> tuple[np.ndarray, int, int]:
    """Warp a heatmap (H, W) into the image, only over the crop's bounding box.

    Returns ``(warped, x0, y0)``: ``warped[r, c]`` is the heatmap value at image pixel
    ``(x0 + c, y0 + r)``. Pixel centres are at integer coordinates in both frames, as in
    ``cv2.warpAffine``.
    """
    h, w = hm.shape
    corners = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [-0.5, h - 0.5], [w - 0.5, h - 0.5]])
    img = apply_affine(crop_to_image, corners)
    ih, iw = image_shape[:2]
    x0 = int(max(0, math.floor(img[:, 0].min())))
    y0 = int(max(0, math.floor(img[:, 1].min())))
    x1 = int(min(iw, math.ceil(img[:, 0].max()) + 1))
    y1 = int(min(ih, math.ceil(img[:, 1].max()) + 1))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), np.float32), 0, 0
    m = np.asarray(crop_to_image, dtype=np.float64).copy()
    m[:, 2] -= (x0, y0)
    out = cv2.warpAffine(
        np.ascontiguousarray(hm, dtype=np.float32),
        m,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    return out, x0, y0


def crop_from_image(
    image: np.ndarray, crop_to_image: np.ndarray, size: tuple[int, int], upscale: int
) -> np.ndarray:
    """The image region the heatmaps cover, resampled to ``upscale`` x heatmap size.

    Output pixel (c, r) shows heatmap coordinate ((c + 0.5) / upscale - 0.5, ...), so an
    `ImageItem` with rect (-0.5, -0.5, W, H) lines it up with the heatmap pixels.
    """
    h, w = size
    s = float(upscale)
    # heatmap coord u = (c + 0.5)/s - 0.5  ->  image = M @ u
    scale = np.array([[1 / s, 0, 0.5 / s - 0.5], [0, 1 / s, 0.5 / s - 0.5], [0, 0, 1]])
    full = np.vstack([np.asarray(crop_to_image, np.float64), [0, 0, 1]]) @ scale
    return cv2.warpAffine(
        image,
        full[:2],
        (w * upscale, h * upscale),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
    )
