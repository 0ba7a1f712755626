"""The effort signals: registered once, scored from what each prediction carries."""

from __future__ import annotations

import numpy as np

from facealign_gui.app import uncertainty_signals as us
from facealign_gui.core.annotation import Prediction
from facealign_gui.core.shape_model import shipped_shape_model
from facealign_gui.session.review import get_signal, orders


def _pred(heatmaps: bool = False) -> Prediction:
    pdm = shipped_shape_model("300w68")
    pts = pdm.mean * 80.0 + 120.0
    hm = None
    if heatmaps:
        hm = np.zeros((68, 16, 16), np.float32)
        hm[:, 8, 8] = 0.9
        hm[5, 8, 9] = 0.9  # point 5's heatmap is wider
    return Prediction(pts, np.ones(68, np.float32), hm, np.eye(2, 3) * 4.0, "m")


def test_registering_twice_adds_each_signal_once() -> None:
    us.register()
    us.register()
    names = [s.name for s in us.EFFORT_SIGNALS]
    assert all(orders().count(n) == 1 for n in names)
    assert get_signal("shape_residual").compute is not None


def test_heatmap_signals_need_heatmaps_and_flip_needs_the_mirror() -> None:
    assert us.score_prediction(_pred(), None) == {}
    p = _pred(heatmaps=True)
    mirrored = Prediction(p.points + np.array([3.0, 0.0]), p.confidence)
    got = us.score_prediction(p, mirrored)
    assert set(got) == {"heatmap_peak", "heatmap_spread", "flip"}
    np.testing.assert_allclose(got["heatmap_peak"], 0.1, atol=1e-6)
    assert int(np.argmax(got["heatmap_spread"])) == 5
    assert np.all(got["flip"] > 0)


def test_the_shape_residual_is_nan_for_a_scheme_without_a_shape_model() -> None:
    odd = Prediction(np.zeros((7, 2)), np.ones(7, np.float32))
    assert np.isnan(get_signal("shape_residual").compute(odd)).all()
    assert np.isfinite(get_signal("shape_residual").compute(_pred())).all()


def test_the_worst_landmark_follows_the_signals_direction() -> None:
    v = np.array([0.2, np.nan, 0.9, 0.1])
    assert us.worst_landmark(v, "heatmap_spread") == 2  # high is worst
    assert us.worst_landmark(np.full(4, np.nan), "flip") is None
    assert us.least_confident(np.array([0.9, 0.4, 0.8])) == 1
    assert us.least_confident(np.ones(68)) is None  # all alike: no worst point
