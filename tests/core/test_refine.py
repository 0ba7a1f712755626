"""Click-to-refine: the shape-model fit to fixed points plus a weighted prediction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.core.refine import RefineSettings, refine
from facealign_gui.core.shape_model import load_shape_model

MODELS = Path(__file__).resolve().parents[2] / "facealign_gui" / "models"


@pytest.fixture(scope="module")
def pdm():
    return load_shape_model(MODELS / "shape_300w68.npz")


def _face(pdm, coefficients=(0.0,)) -> np.ndarray:
    """A plausible 68-point face ~120 px wide at (200, 150), slightly rotated."""
    shape = pdm.shape(np.asarray(coefficients) * np.sqrt(pdm.variances[: len(coefficients)]))
    a = 0.1
    rot = 80.0 * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return shape @ rot.T + [200.0, 150.0]


def test_points_the_person_placed_never_move(pdm) -> None:
    truth = _face(pdm, (1.0, -0.5))
    pred = truth + np.random.default_rng(0).normal(0, 3, truth.shape)
    fixed = np.zeros(68, bool)
    fixed[[8, 30, 36, 45]] = True
    pts = np.where(fixed[:, None], truth, pred)
    out = refine(pts, np.ones(68), fixed, pdm, predicted=pred)
    np.testing.assert_array_equal(out[fixed], truth[fixed])


def test_a_trusted_plausible_prediction_with_nothing_fixed_stays_where_it_is(pdm) -> None:
    truth = _face(pdm, (1.0, -0.5, 0.5))
    trusted = RefineSettings(shape_error=0.02, point_noise=0.002)
    out = refine(truth, None, np.zeros(68, bool), pdm, settings=trusted)
    assert np.abs(out - truth).max() < 0.5  # px, on a ~120 px face


def test_by_default_an_unusual_shape_is_partly_blamed_on_the_model(pdm) -> None:
    truth = _face(pdm, (3.0,))  # 3 standard deviations along the first mode
    mean = _face(pdm, (0.0,))
    out = refine(truth, None, np.zeros(68, bool), pdm)
    moved = np.linalg.norm(out - truth, axis=1).mean()
    span = np.linalg.norm(mean - truth, axis=1).mean()
    # shape_error 0.5: the posterior keeps 1 / (1 + 0.25) of a mode's deviation
    assert moved == pytest.approx(0.2 * span, rel=0.25)


def test_fixing_three_points_removes_a_shift_of_the_whole_prediction(pdm) -> None:
    truth = _face(pdm, (0.8,))
    pred = truth + np.array([6.0, -4.0])  # a misplaced face box: every point 7.2 px off
    fixed = np.zeros(68, bool)
    fixed[[36, 45, 57]] = True
    pts = np.where(fixed[:, None], truth, pred)
    out = refine(pts, np.ones(68), fixed, pdm, predicted=pred)
    err = np.linalg.norm(out - truth, axis=1)
    assert err[~fixed].mean() < 0.2 * 7.2  # px; the prediction was 7.2 px off everywhere


def test_a_low_confidence_point_is_pulled_more_towards_the_shape(pdm) -> None:
    truth = _face(pdm)
    pred = truth.copy()
    pred[48] += [0.0, 12.0]  # the mouth corner is wrong
    fixed = np.zeros(68, bool)
    sure = np.ones(68)
    unsure = sure.copy()
    unsure[48] = 0.05
    err_sure = np.linalg.norm(refine(pred, sure, fixed, pdm)[48] - truth[48])
    err_unsure = np.linalg.norm(refine(pred, unsure, fixed, pdm)[48] - truth[48])
    assert err_unsure < 0.5 * err_sure
    assert err_unsure < 6.0


def test_a_missing_prediction_is_filled_from_the_shape(pdm) -> None:
    truth = _face(pdm, (0.5,))
    pred = truth.copy()
    pred[30] = np.nan
    out = refine(pred, None, np.zeros(68, bool), pdm)
    assert np.linalg.norm(out[30] - truth[30]) < 3.0


def test_points_and_shape_model_must_agree_in_size(pdm) -> None:
    with pytest.raises(ValueError, match="68-point shape model"):
        refine(np.zeros((5, 2)), None, np.zeros(5, bool), pdm)
