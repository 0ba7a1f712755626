"""Per-landmark uncertainty signals: higher means more likely wrong, on worked numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.shape_model import load_shape_model
from facealign_gui.inference import uncertainty as unc

MODELS = Path(__file__).resolve().parents[2] / "facealign_gui" / "models"
SQUARE = np.array([[0.0, 0.0], [40.0, 0.0], [40.0, 40.0], [0.0, 40.0]])  # face size 40


def _pred(points: np.ndarray, heatmaps: np.ndarray | None = None, m=None) -> Prediction:
    k = len(points)
    return Prediction(points=points, confidence=np.ones(k, np.float32), heatmaps=heatmaps,
                      crop_to_image=m)  # fmt: skip


def test_the_peak_signal_is_one_minus_the_heatmap_maximum() -> None:
    hm = np.zeros((2, 5, 5), np.float32)
    hm[0, 2, 2], hm[1, 1, 1] = 0.8, 0.25
    np.testing.assert_allclose(unc.heatmap_peak(_pred(SQUARE[:2], hm)), [0.2, 0.75], atol=1e-6)


def test_the_spread_signal_measures_mass_around_the_peak_in_face_sizes() -> None:
    hm = np.zeros((2, 9, 9), np.float32)
    hm[0, 4, 4] = 1.0  # a single pixel: no spread
    hm[1, 4, 4], hm[1, 4, 7] = 1.0, 1.0  # half the mass 3 heatmap px away
    m = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])  # 2 image px per heatmap px
    got = unc.heatmap_spread(_pred(SQUARE[:2] * [1, 0] + [[0, 0], [0, 40]], hm, m), floor=0.0)
    # rms distance = sqrt(0.5 * 3^2) heatmap px = 2.121 -> 4.243 image px / face size 40
    np.testing.assert_allclose(got, [0.0, np.sqrt(4.5) * 2 / 40], atol=1e-9)


def test_heatmap_signals_need_heatmaps() -> None:
    with pytest.raises(ValueError, match="no heatmaps"):
        unc.heatmap_peak(_pred(SQUARE))


def test_flip_and_model_disagreement_are_distances_over_the_face_size() -> None:
    other = SQUARE.copy()
    other[2] += [3.0, 4.0]
    np.testing.assert_allclose(unc.flip_inconsistency(_pred(SQUARE), _pred(other)),
                               [0, 0, 5 / 40, 0])  # fmt: skip
    mapping = np.eye(4)[[1, 0, 2, 3]]  # the other model orders its first two points swapped
    swapped = other[[1, 0, 2, 3]]
    np.testing.assert_allclose(unc.model_disagreement(_pred(SQUARE), _pred(swapped), mapping),
                               [0, 0, 5 / 40, 0])  # fmt: skip
    with pytest.raises(ValueError, match="pass a mapping"):
        unc.model_disagreement(_pred(SQUARE), _pred(SQUARE[:3]))


def test_the_shape_residual_singles_out_the_implausible_point() -> None:
    pdm = load_shape_model(MODELS / "shape_300w68.npz")
    pts = pdm.mean * 80.0 + [200.0, 150.0]
    pts[48] += [0.0, -25.0]  # the mouth corner sits up in the cheek
    pts[10] = np.nan
    res = unc.shape_residual(_pred(pts), pdm)
    assert np.isnan(res[10])
    assert np.nanargmax(res) == 48
    assert res[48] > 3 * np.nanmedian(res)
