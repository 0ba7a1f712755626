"""NME, FR, CED and AUC: hand-worked numbers and an independent Simpson integration."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.core import metrics
from facealign_gui.core.metrics import (
    auc,
    ced_curve,
    failure_rate,
    landmark_errors,
    missing_reasons,
    nme_per_image,
    normalisers,
    score_faces,
    simpson,
    summarize,
)
from facealign_gui.core.schemes import get_scheme


def _face(k: int, pairs: dict[int, tuple[float, float]]) -> np.ndarray:
    gt = np.random.default_rng(k).random((1, k, 2)) * 10 + 20
    for i, xy in pairs.items():
        gt[0, i] = xy
    return gt


def test_nme_uses_outer_eye_corners_for_98_points() -> None:
    gt = _face(98, {60: (100.0, 50.0), 72: (130.0, 90.0)})  # 3-4-5 triangle: 50 px
    assert normalisers(gt, get_scheme("wflw98")).tolist() == [50.0]


def test_nme_uses_points_36_and_45_for_68_points_and_8_9_for_29() -> None:
    gt = _face(68, {36: (0.0, 0.0), 45: (0.0, 40.0)})
    assert normalisers(gt, get_scheme("300w68")).tolist() == [40.0]
    gt = _face(29, {8: (10.0, 0.0), 9: (16.0, 8.0)})
    assert normalisers(gt, get_scheme("cofw29")).tolist() == [10.0]


def test_inter_pupil_normaliser_averages_the_six_eye_points_for_68_points() -> None:
    gt = _face(68, {})
    gt[0, 36:42] = [0.0, 0.0]
    gt[0, 36, 0] = 6.0  # right eye mean x = 1
    gt[0, 42:48] = [31.0, 0.0]
    assert normalisers(gt, get_scheme("300w68"), kind="inter_pupil").tolist() == [30.0]


def test_aflw_default_normaliser_is_the_given_box_size() -> None:
    gt = np.zeros((2, 19, 2))
    scheme = get_scheme("aflw19")
    assert normalisers(gt, scheme, box_sizes=np.array([120.0, 80.0])).tolist() == [120.0, 80.0]
    with pytest.raises(ValueError, match="box_sizes"):
        normalisers(gt, scheme)


def test_box_normalisers_use_the_tight_box_of_the_ground_truth() -> None:
    gt = np.array([[[0.0, 0.0], [30.0, 40.0], [10.0, 10.0], [np.nan, np.nan]] + [[5.0, 5.0]] * 11])
    scheme = get_scheme("kaggle15")
    assert normalisers(gt, scheme, kind="bbox_diag").tolist() == [50.0]
    assert np.isclose(normalisers(gt, scheme, kind="bbox_sqrt_area")[0], np.sqrt(1200.0))


def test_nme_is_the_mean_point_distance_over_the_normaliser() -> None:
    gt = np.zeros((1, 4, 2))
    pred = np.array([[[3.0, 4.0], [0.0, 0.0], [6.0, 8.0], [0.0, 0.0]]])  # 5, 0, 10, 0
    norm = np.array([50.0])
    assert nme_per_image(pred, gt, norm).tolist() == [pytest.approx(15 / 4 / 50)]
    vis = np.array([[True, True, False, True]])
    assert nme_per_image(pred, gt, norm, vis).tolist() == [pytest.approx(5 / 3 / 50)]
    err = landmark_errors(pred, gt, norm, vis)
    assert np.isnan(err[0, 2]) and err[0, 0] == pytest.approx(0.1)


def test_nme_is_nan_without_visible_points_or_with_a_zero_normaliser() -> None:
    gt = np.zeros((2, 3, 2))
    pred = np.ones((2, 3, 2))
    vis = np.array([[False] * 3, [True] * 3])
    out = nme_per_image(pred, gt, np.array([1.0, 0.0]), vis)
    assert np.isnan(out).all()


def test_failure_rate_counts_images_strictly_above_the_threshold() -> None:
    nme = np.array([0.05, 0.1, 0.1000001, 0.2])
    assert failure_rate(nme) == 0.5
    assert failure_rate(nme, threshold=0.08) == 0.75
    assert failure_rate(np.array([0.2, np.nan])) == 1.0


def test_ced_counts_images_at_or_below_each_threshold() -> None:
    xs, ys = ced_curve(np.array([0.0, 0.05, 0.2]))
    assert xs.shape == (1001,) and xs[0] == 0 and xs[-1] == pytest.approx(0.1)
    assert ys[0] == pytest.approx(1 / 3)  # nme == 0 counts at threshold 0 (<=)
    assert ys[-1] == pytest.approx(2 / 3)


def test_auc_of_one_image_between_grid_points_matches_composite_simpson_by_hand() -> None:
    # nme 0.05005: ys = 0 for xs[i] < nme, 1 from i = 501 (0.0501) to 1000. Simpson weights
    # h/3 * (1, 4, 2, 4, ..., 2, 4, 1): odd i in 501..999 -> 250 * 4, even i in 502..998 ->
    # 249 * 2, i = 1000 -> 1: 1499 * h / 3, h = 1e-4; divided by 0.1 -> 1499 / 3000.
    assert auc(np.array([0.05005])) == pytest.approx(1499 / 3000, abs=1e-12)


def test_auc_is_one_for_perfect_and_zero_for_failed_images() -> None:
    assert auc(np.zeros(5)) == pytest.approx(1.0)
    assert auc(np.full(5, 0.5)) == 0.0


def test_auc_matches_scipy_simpson_when_the_sample_count_is_odd() -> None:
    integrate = pytest.importorskip("scipy.integrate")
    nme = np.random.default_rng(0).gamma(4.0, 0.012, 500)
    for t in (0.1, 0.08):
        xs, ys = ced_curve(nme, t)
        assert xs.size % 2 == 1
        assert auc(nme, t) == pytest.approx(integrate.simpson(ys, x=xs) / t, abs=1e-12)


def test_auc_averages_two_simpson_passes_when_the_sample_count_is_even() -> None:
    # arange(0, 0.07 + 1e-4, 1e-4) has 702 samples (last 0.0701), as in PIPNet; old scipy's
    # simps(even='avg') averages "Simpson on the first N-1 + trapezoid on the last interval"
    # and "trapezoid on the first interval + Simpson on the last N-1".
    integrate = pytest.importorskip("scipy.integrate")
    nme = np.random.default_rng(1).gamma(4.0, 0.01, 300)
    xs, ys = ced_curve(nme, 0.07)
    assert xs.size == 702
    first = integrate.simpson(ys[:-1], x=xs[:-1]) + 0.5 * (xs[-1] - xs[-2]) * (ys[-1] + ys[-2])
    last = integrate.simpson(ys[1:], x=xs[1:]) + 0.5 * (xs[1] - xs[0]) * (ys[1] + ys[0])
    assert auc(nme, 0.07) == pytest.approx((first + last) / 2 / 0.07, abs=1e-12)


def test_simpson_integrates_a_cubic_exactly() -> None:
    x = np.linspace(0.0, 2.0, 11)
    assert simpson(x**3, x) == pytest.approx(4.0)


def test_summarize_excludes_unscorable_nan_counts_them_and_reports_subsets() -> None:
    nme = np.array([0.02, 0.04, np.nan, 0.2])
    out = summarize(nme, subsets={"mask": np.array([True, True, False, False]), "idx": [2, 3]})
    assert out["count"] == 3 and out["unscorable"] == 1 and out["missing"] == 0
    assert out["nme"] == pytest.approx(0.26 / 3)
    assert out["fr"] == pytest.approx(1 / 3)
    assert out["auc"] == pytest.approx(auc(np.array([0.02, 0.04, 0.2])))
    assert out["subsets"]["mask"]["nme"] == pytest.approx(0.03)
    assert out["subsets"]["mask"]["fr"] == 0.0
    assert out["subsets"]["idx"]["count"] == 1 and out["subsets"]["idx"]["unscorable"] == 1
    assert "subsets" not in out["subsets"]["idx"]


def test_a_missing_prediction_is_a_failure_in_fr_and_beyond_the_threshold_in_auc() -> None:
    # four faces; the third has no prediction (+inf). FR = (0.2 > 0.1) + missing = 2 of 4.
    nme = np.array([0.02, 0.04, np.inf, 0.2])
    out = summarize(nme)
    assert out["count"] == 3 and out["missing"] == 1 and out["unscorable"] == 0
    assert out["nme"] == pytest.approx(0.26 / 3)  # the mean is over the scored faces
    assert out["fr"] == pytest.approx(0.5)
    # CED: at every threshold >= 0.04 two of four faces are within it, never the missing one
    xs, ys = ced_curve(nme)
    assert ys[np.searchsorted(xs, 0.05)] == pytest.approx(0.5)
    assert ys[-1] == pytest.approx(0.5)
    # AUC equals that of a face with an error beyond the threshold
    assert out["auc"] == pytest.approx(auc(np.array([0.02, 0.04, 5.0, 0.2])))


def test_score_faces_gives_a_face_with_a_nan_prediction_point_infinite_nme() -> None:
    scheme = get_scheme("300w68")
    rng = np.random.default_rng(3)
    gt = rng.uniform(50, 150, size=(4, 68, 2))
    pred = gt + 1.0
    pred[1] = np.nan  # no prediction
    pred[2, 30] = np.nan  # one counted point missing
    nme, _ = score_faces(pred, gt, scheme)
    assert np.isposinf(nme[1]) and np.isposinf(nme[2])
    assert np.isfinite(nme[[0, 3]]).all()
    reasons = missing_reasons(pred, gt)
    assert reasons[0] is None and reasons[3] is None
    assert reasons[1] == "the prediction has no points"
    assert reasons[2] == "the prediction lacks point(s) 30"
    # the two faces without a usable prediction are failures (they were left out before)
    assert summarize(nme)["fr"] == pytest.approx(0.5)


def test_summarize_of_only_unscorable_results_is_nan_not_an_error() -> None:
    out = summarize(np.array([np.nan, np.nan]))
    assert out["count"] == 0 and out["unscorable"] == 2
    assert np.isnan(out["nme"]) and np.isnan(out["fr"]) and np.isnan(out["auc"])


def test_summarize_of_only_missing_predictions_fails_every_face() -> None:
    out = summarize(np.array([np.inf, np.inf]))
    assert out["count"] == 0 and out["missing"] == 2
    assert np.isnan(out["nme"]) and out["fr"] == 1.0 and out["auc"] == 0.0


def test_counted_points_drops_invisible_and_missing_ground_truth_points() -> None:
    gt = np.zeros((1, 3, 2))
    gt[0, 1] = np.nan  # a Kaggle-style missing point
    visible = np.array([[True, True, False]])
    assert metrics.counted_points(gt, visible).tolist() == [[True, False, False]]
    assert metrics.counted_points(gt).tolist() == [[True, False, True]]


def test_score_faces_averages_only_counted_points_over_the_outer_eye_corners() -> None:
    from facealign_gui.core.schemes import get_scheme

    scheme = get_scheme("300w68")
    gt = np.zeros((1, 68, 2))
    gt[0, 45, 0] = 100.0  # outer eye corners 36 and 45 are 100 px apart
    pred = gt.copy()
    pred[0, 0, 0] += 10.0  # 10 px off on point 0 ...
    pred[0, 1, 0] += 50.0  # ... and 50 px off on point 1, which is not visible
    visible = np.ones((1, 68), bool)
    visible[0, 1] = False
    nme, errors = metrics.score_faces(pred, gt, scheme, visible)
    assert nme[0] == pytest.approx(0.1 / 67)  # 10/100 over the 67 counted points
    assert errors[0, 0] == pytest.approx(0.1)
    assert np.isnan(errors[0, 1])


def test_restrict_subsets_reindexes_to_the_scored_rows_and_drops_unscored_members() -> None:
    subsets = {"a": np.array([0, 2, 5]), "b": np.array([1])}
    out = metrics.restrict_subsets(subsets, np.array([5, 0, 3]), total=6)
    assert out["a"].tolist() == [0, 1]  # 0 is at position 1, 5 at position 0; 2 not scored
    assert out["b"].tolist() == []
