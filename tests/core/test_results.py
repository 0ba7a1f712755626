"""EvalResult scores predictions with core.metrics; numbers worked by hand.

The fixture: four 300W-68 faces whose ground-truth outer eye corners (points 36 and 45) are
100 px apart, so the normaliser is 100. Image i's prediction is the ground truth shifted by a
3-4-5 triangle scaled by (1, 2, 3): every point is 5, 10, 15 px off, NME 0.05, 0.10, 0.15.
Image 3 has no prediction (NaN). Point 0 of image 0 is invisible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.core.results import EvalResult
from facealign_gui.datasets.model import Dataset

K = 68


def _dataset() -> Dataset:
    gt = np.zeros((4, K, 2))
    gt[:, :, 0] = np.linspace(0, 100, K)
    gt[:, :, 1] = 50.0
    gt[:, 36] = (0.0, 40.0)
    gt[:, 45] = (100.0, 40.0)
    visible = np.ones((4, K), bool)
    visible[0, 0] = False
    return Dataset(
        format="test",
        scheme="300w68",
        root=Path("/data/300w"),
        images=[f"img{i}.jpg" for i in range(4)],
        points=gt,
        visible=visible,
        subsets={"a": np.array([0, 1]), "b": np.array([2, 3])},
    )


def _pred(ds: Dataset) -> np.ndarray:
    pred = ds.points.copy()
    for i, s in enumerate((1, 2, 3)):
        pred[i] += (3.0 * s, 4.0 * s)
    pred[3] = np.nan
    return pred


@pytest.fixture
def result() -> EvalResult:
    ds = _dataset()
    # the model ran on all four faces and gave nothing usable for the last one
    return EvalResult.from_points(ds, _pred(ds), "m1", evaluated=np.ones(4, bool))


def test_per_image_nme_is_mean_distance_over_the_inter_ocular_distance(result) -> None:
    np.testing.assert_allclose(result.nme[:3], [0.05, 0.10, 0.15])
    assert np.isposinf(result.nme[3])
    assert result.failed.tolist() == [False, False, False, True]
    assert np.isnan(result.landmark_errors[0, 0])  # invisible
    assert np.isnan(result.landmark_errors[3]).all()  # no prediction
    assert result.scheme == "300w68" and result.images[2] == "img2.jpg"


def test_summary_counts_a_missing_prediction_as_a_failure_but_not_in_the_mean(result) -> None:
    s = result.summary
    assert s["count"] == 3 and s["missing"] == 1 and s["unscorable"] == 0
    assert s["nme"] == pytest.approx(0.10)
    # 0.15 > 0.10 fails, and so does the missing face; 0.10 itself is not a failure: 2 of 4
    assert s["fr"] == pytest.approx(2 / 4)
    # CED is 0 below 0.05, 1/4 up to 0.10 (the missing face never counts): 0.05 * 1/4 / 0.10
    assert s["auc"] == pytest.approx(1 / 8, abs=2e-3)
    a, b = s["subsets"]["a"], s["subsets"]["b"]
    assert a["count"] == 2 and a["nme"] == pytest.approx(0.075) and a["fr"] == 0.0
    assert b["count"] == 1 and b["missing"] == 1 and b["fr"] == 1.0
    assert result.above_threshold().tolist() == [False, False, True, True]


def test_faces_not_run_yet_are_left_out_not_counted_as_failures() -> None:
    ds = _dataset()
    r = EvalResult.from_points(ds, _pred(ds), "m1")  # row 3 all NaN: not run yet
    assert np.isnan(r.nme[3])
    assert r.summary["missing"] == 0 and r.summary["unscorable"] == 1
    assert r.summary["fr"] == pytest.approx(1 / 3)


def test_per_landmark_mean_skips_invisible_points(result) -> None:
    means = result.per_landmark_mean()
    assert means.shape == (K,)
    assert means[0] == pytest.approx((0.10 + 0.15) / 2)
    assert means[1] == pytest.approx((0.05 + 0.10 + 0.15) / 3)
    assert result.per_landmark_mean("b")[5] == pytest.approx(0.15)


def test_ced_is_the_fraction_of_images_at_or_below_each_threshold(result) -> None:
    xs, ys = result.ced()
    assert xs[0] == 0.0 and xs[-1] == pytest.approx(0.1)
    assert ys[np.searchsorted(xs, 0.04)] == 0.0
    # four faces were run: the missing one is never within a threshold
    assert ys[np.searchsorted(xs, 0.07)] == pytest.approx(1 / 4)
    assert ys[-1] == pytest.approx(2 / 4)


def test_compare_is_positive_where_this_model_is_worse(result) -> None:
    ds = _dataset()
    other_pred = ds.points + np.array([6.0, 8.0])  # every image NME 0.10
    other = EvalResult.from_points(ds, other_pred, "m2")
    diff = result.compare(other)
    np.testing.assert_allclose(diff[:3], [-0.05, 0.0, 0.05], atol=1e-12)
    assert np.isnan(diff[3])


def test_mismatched_shapes_and_unknown_subsets_are_clear_errors(result) -> None:
    ds = _dataset()
    with pytest.raises(ValueError, match=r"predictions have shape \(4, 5, 2\)"):
        EvalResult.from_points(ds, np.zeros((4, 5, 2)), "m")
    with pytest.raises(KeyError, match="known subsets: a, b"):
        result.indices("largepose")
    short = EvalResult.from_points(
        Dataset("t", "300w68", Path("."), ["x"], points=ds.points[:1]), ds.points[:1], "m3"
    )
    with pytest.raises(ValueError, match="not the same dataset"):
        result.compare(short)


def test_threshold_changes_fr_and_auc(result) -> None:
    ds = _dataset()
    loose = EvalResult.from_points(ds, _pred(ds), "m1", threshold=0.2)
    assert loose.summary["fr"] == 0.0
    assert loose.summary["nme"] == pytest.approx(result.summary["nme"])
    # CED: 1/3 on [0.05, 0.10), 2/3 on [0.10, 0.15), 1 on [0.15, 0.2]: (1/3+2/3+1) * 0.05 / 0.2
    assert loose.summary["auc"] == pytest.approx(0.5, abs=2e-3)


def test_points_without_ground_truth_coordinates_do_not_count() -> None:
    ds = _dataset()
    ds.points[1, 7] = np.nan  # a missing point (Kaggle-style), still flagged visible
    r = EvalResult.from_points(ds, _pred(ds), "m1")
    assert r.nme[1] == pytest.approx(0.10)  # mean over the 67 points that have coordinates
    assert np.isnan(r.landmark_errors[1, 7])


def test_results_equal_the_score_commands_numbers(capsys, shared_dir: Path, tmp_path: Path) -> None:
    """The metrics panel and ``facealign-gui score`` give the same numbers on 300W."""
    import json

    from facealign_gui.cli import main
    from facealign_gui.datasets.hrnet_csv import read_hrnet_csv, write_hrnet_csv

    gt_path = shared_dir / "data" / "300w" / "face_landmarks_300w_valid.csv"
    if not gt_path.is_file():
        pytest.skip("300W CSVs are not present")
    gt = read_hrnet_csv(gt_path)
    noise = np.random.default_rng(1).normal(0.0, 4.0, gt.points.shape)
    pred_ds = read_hrnet_csv(gt_path)
    pred_ds.points = gt.points + noise
    pred_path = tmp_path / "pred.csv"
    write_hrnet_csv(pred_ds, pred_path)
    assert main(["score", "--gt", str(gt_path), "--pred", str(pred_path), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)

    gui = EvalResult.from_points(gt, read_hrnet_csv(pred_path).points, "noise")
    assert gui.summary["count"] == cli["count"] == len(gt)
    for key in ("nme", "fr", "auc"):
        assert gui.summary[key] == pytest.approx(cli[key], rel=1e-12), key
    assert set(cli["subsets"]) == set(gui.summary["subsets"])
    for name, row in cli["subsets"].items():
        for key in ("count", "nme", "fr", "auc"):
            assert gui.summary["subsets"][name][key] == pytest.approx(row[key], rel=1e-12)
    per_image = np.array([e["nme"] for e in cli["per_image"]], dtype=float)
    # same code path; only summation order may differ (1 ulp seen), hence rtol 1e-12
    np.testing.assert_allclose(gui.nme, per_image, rtol=1e-12, atol=0)
