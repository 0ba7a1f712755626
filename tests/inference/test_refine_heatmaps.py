"""Heatmap re-read around the fitted shape (click-to-refine for heatmap models)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facealign_gui.core.shape_model import load_shape_model
from facealign_gui.inference.refine import refine, reread_heatmaps

MODELS = Path(__file__).resolve().parents[2] / "facealign_gui" / "models"
TO_IMAGE = np.array([[4.0, 0.0, 10.0], [0.0, 4.0, 20.0]])  # heatmap px -> image px


def _blob(h: int, w: int, x: float, y: float, peak: float = 1.0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return peak * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2))


def test_the_reread_takes_the_peak_inside_the_window_not_the_highest() -> None:
    hm = (_blob(64, 64, 10.3, 12.0, 0.6) + _blob(64, 64, 50.0, 50.0, 1.0))[None]
    near = np.array([[10 * 4 + 10.0 + 4.0, 12 * 4 + 20.0]])  # 1 heatmap px right of it
    pts, peak = reread_heatmaps(hm, TO_IMAGE, near, window=3)
    np.testing.assert_allclose(pts[0], [10.3 * 4 + 10.0, 12.0 * 4 + 20.0], atol=0.6)
    assert 0.5 < peak[0] < 0.61


def test_a_window_outside_the_heatmap_keeps_the_point_with_zero_peak() -> None:
    hm = _blob(16, 16, 8, 8)[None]
    far = np.array([[10.0 + 4 * 100, 20.0]])
    pts, peak = reread_heatmaps(hm, TO_IMAGE, far, window=2)
    np.testing.assert_array_equal(pts, far)
    assert peak[0] == 0.0


def test_refine_follows_the_heatmap_near_the_shape_instead_of_a_far_decoy() -> None:
    pdm = load_shape_model(MODELS / "shape_300w68.npz")
    truth = pdm.mean * 60.0 + [138.0, 148.0]  # fits a 64 x 64 heatmap at stride 4
    hm_pos = (truth - TO_IMAGE[:, 2]) / 4.0
    heatmaps = np.stack([_blob(64, 64, x, y) for x, y in hm_pos]).astype(np.float32)
    heatmaps[48] = 0.5 * heatmaps[48] + _blob(64, 64, hm_pos[48, 0] + 8, hm_pos[48, 1] + 9)
    pred = truth.copy()
    pred[48] = (hm_pos[48] + [8, 9]) * 4.0 + TO_IMAGE[:, 2]  # the decoder took the decoy
    conf = np.ones(68)
    fixed = np.zeros(68, bool)
    fixed[[36, 45, 30, 8]] = True
    without = refine(pred, conf, fixed, pdm)
    with_hm = refine(pred, conf, fixed, pdm, heatmaps, TO_IMAGE)
    e_without = np.linalg.norm(without[48] - truth[48])
    e_with = np.linalg.norm(with_hm[48] - truth[48])
    assert e_with < 1.0 < e_without
