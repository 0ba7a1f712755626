"""Click-to-refine for any model: the shape-model fit of `core.refine`, plus, for heatmap
models, re-reading each heatmap near the position the fitted shape implies.

The re-read takes, for every landmark, the largest heatmap value inside a
``(2 * window + 1)``-pixel square around the fitted position (in heatmap pixels) and refines
it to sub-pixel precision with the decoders' own helper
(`inference.decoders.heatmap.subpixel_refine`, the parabola through the peak and its
neighbours). A peak value is the new
confidence of that observation, so a heatmap that is flat near the fitted shape counts less.
"""

from __future__ import annotations

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.refine import RefineSettings, Reread
from facealign_gui.core.refine import refine as fit_refine
from facealign_gui.core.shape_model import ShapeModel, apply_similarity, invert_similarity
from facealign_gui.inference.decoders.heatmap import subpixel_refine

__all__ = ["heatmap_reader", "refine", "refine_prediction", "reread_heatmaps"]


def reread_heatmaps(
    heatmaps: np.ndarray, heatmap_to_image: np.ndarray, points: np.ndarray, window: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Each heatmap's peak within ``window`` heatmap pixels of ``points`` (image pixels).

    Returns (image points (K, 2), peak values (K,)). A point whose window falls outside its
    heatmap keeps its position, with peak value 0.
    """
    hm = np.asarray(heatmaps, dtype=np.float32)
    k, h, w = hm.shape
    to_hm = invert_similarity(heatmap_to_image)
    p = apply_similarity(to_hm, points)
    cx = np.rint(np.nan_to_num(p[:, 0], nan=-1e6)).astype(np.int64)
    cy = np.rint(np.nan_to_num(p[:, 1], nan=-1e6)).astype(np.int64)
    off = np.arange(-window, window + 1)
    xs = cx[:, None] + off[None, :]  # (K, n) window columns
    ys = cy[:, None] + off[None, :]
    in_x = (xs >= 0) & (xs < w)
    in_y = (ys >= 0) & (ys < h)
    has = in_x.any(axis=1) & in_y.any(axis=1)
    patch = hm[np.arange(k)[:, None, None], np.clip(ys, 0, h - 1)[:, :, None],
               np.clip(xs, 0, w - 1)[:, None, :]]  # fmt: skip
    patch = np.where(in_y[:, :, None] & in_x[:, None, :], patch, -np.inf)
    flat = patch.reshape(k, -1)
    best = np.argmax(flat, axis=1)
    n = len(off)
    coords = np.stack([xs[np.arange(k), best % n], ys[np.arange(k), best // n]], axis=1)
    coords = np.where(has[:, None], coords, 0).astype(np.float64)
    peaks = np.where(has, flat[np.arange(k), best], 0.0)
    coords = subpixel_refine(hm[None], coords[None])[0]
    out = np.where(has[:, None], apply_similarity(heatmap_to_image, coords), points)
    return out, np.clip(np.nan_to_num(peaks.astype(np.float64), neginf=0.0), 0.0, None)


def heatmap_reader(
    heatmaps: np.ndarray | None, heatmap_to_image: np.ndarray | None, window: int = 3
) -> Reread | None:
    """A `core.refine.Reread` over one face's heatmaps, or None without heatmaps."""
    if heatmaps is None or heatmap_to_image is None:
        return None
    hm = np.asarray(heatmaps, dtype=np.float32)
    m = np.asarray(heatmap_to_image, dtype=np.float64)
    return lambda pts: reread_heatmaps(hm, m, pts, window)


def refine(
    points: np.ndarray,
    confidence: np.ndarray | None,
    fixed_mask: np.ndarray,
    pdm: ShapeModel,
    heatmaps: np.ndarray | None = None,
    heatmap_to_image: np.ndarray | None = None,
    settings: RefineSettings | None = None,
    window: int = 3,
    predicted: np.ndarray | None = None,
    learned_error: tuple[np.ndarray, float] | None = None,
) -> np.ndarray:
    """`core.refine.refine`, re-reading ``heatmaps`` (K, H, W) when they are given.

    ``points``: the person's points where ``fixed_mask``, the model's prediction elsewhere;
    ``predicted``: the model's prediction at every point (see `core.refine.refine`). Rows of
    ``fixed_mask`` come back unchanged.
    """
    reader = heatmap_reader(heatmaps, heatmap_to_image, window)
    return fit_refine(points, confidence, fixed_mask, pdm, predicted=predicted, reread=reader,
                      settings=settings, learned_error=learned_error)  # fmt: skip


def refine_prediction(
    prediction: Prediction,
    placed: np.ndarray,
    fixed_mask: np.ndarray,
    pdm: ShapeModel,
    settings: RefineSettings | None = None,
) -> np.ndarray:
    """Refine ``prediction`` given the person's ``placed`` points (K, 2) where
    ``fixed_mask``; the heatmaps of the prediction are re-read when it has them."""
    fixed = np.asarray(fixed_mask, dtype=bool)
    pts = np.where(fixed[:, None], np.asarray(placed, dtype=np.float64), prediction.points)
    return refine(pts, prediction.confidence, fixed, pdm, prediction.heatmaps,
                  prediction.crop_to_image, settings, predicted=prediction.points)  # fmt: skip
