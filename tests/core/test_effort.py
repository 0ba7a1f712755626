"""The simulated annotator counts drags exactly as issue 13 defines them."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.core.effort import interocular, simulate_annotator, tolerance
from facealign_gui.core.schemes import get_scheme

GT = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [30.0, 0.0]])


def test_a_point_is_wrong_beyond_two_pixels_or_two_percent_of_the_eye_distance() -> None:
    assert tolerance(50.0) == 2.0
    assert tolerance(300.0) == pytest.approx(6.0)
    pts = np.zeros((68, 2))
    pts[36], pts[45] = [10.0, 0.0], [110.0, 0.0]
    assert interocular(pts, get_scheme("300w68")) == 100.0


def test_the_worst_wrong_point_is_dragged_first_and_right_points_are_left() -> None:
    start = GT + np.array([[0, 0], [0, 5], [1.5, 0], [0, 10]])  # points 1 and 3 are wrong
    order: list[int] = []

    def watch(points: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        order.append(int(np.flatnonzero(fixed)[-1]) if fixed.sum() == 1 else -1)
        return points

    res = simulate_annotator(start, GT, tol=2.0, norm=30.0, refiner=watch)
    assert res.drags == 2
    assert order[0] == 3  # the 10 px error before the 5 px one
    np.testing.assert_array_equal(res.points[[1, 3]], GT[[1, 3]])
    np.testing.assert_array_equal(res.points[[0, 2]], start[[0, 2]])
    assert res.nme == pytest.approx(1.5 / 4 / 30.0)


def test_a_refinement_that_fixes_the_rest_saves_the_other_drags() -> None:
    start = GT + 5.0

    def perfect(points: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        return GT.copy()

    assert simulate_annotator(start, GT, 2.0, 30.0).drags == 4
    assert simulate_annotator(start, GT, 2.0, 30.0, refiner=perfect).drags == 1


def test_a_refiner_can_neither_move_a_dragged_point_nor_see_its_own_output() -> None:
    start = GT + np.array([[0, 9], [0, 8], [0, 7], [0, 6]])
    seen: list[np.ndarray] = []

    def vandal(points: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        seen.append(points.copy())
        return points + 100.0  # moves everything, fixed points too

    res = simulate_annotator(start, GT, 2.0, 30.0, refiner=vandal)
    np.testing.assert_array_equal(res.points, GT)
    assert res.drags == 4  # every point dragged once; a dragged point is never wrong again
    # the refiner always gets the original proposal for the points not yet dragged
    np.testing.assert_array_equal(seen[0][1:], start[1:])


def test_points_without_ground_truth_are_not_counted() -> None:
    gt = GT.copy()
    gt[2] = np.nan
    res = simulate_annotator(GT + 5.0, gt, 2.0, 30.0)
    assert res.drags == 3


def test_a_missing_proposal_is_always_wrong() -> None:
    start = GT.copy()
    start[1] = np.nan
    assert simulate_annotator(start, GT, 2.0, 30.0).drags == 1
