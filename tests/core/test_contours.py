"""Contour tools: slide along a curve, re-space evenly, move a group rigidly."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.core.contours import (
    Contour,
    contour_of,
    contours_for,
    respace,
    slide_point,
    spline_polyline,
    transform_group,
)
from facealign_gui.core.schemes import get_scheme

LINE = Contour("line", (0, 1, 2, 3))
RING = Contour("ring", tuple(range(8)), closed=True)


def _line() -> np.ndarray:
    return np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [6.0, 0.0]])


def _ring(angles: np.ndarray, r: float = 10.0) -> np.ndarray:
    return np.stack([r * np.cos(angles), r * np.sin(angles)], axis=1) + np.array([50.0, 40.0])


def test_the_spline_passes_through_every_point() -> None:
    pts = _ring(np.linspace(0, 2 * np.pi, 8, endpoint=False))
    curve, knots = spline_polyline(pts, closed=True)
    np.testing.assert_allclose(curve[knots], pts, atol=1e-12)
    np.testing.assert_allclose(curve[-1], curve[0])


def test_respacing_a_straight_contour_gives_equal_steps_and_keeps_its_ends() -> None:
    out = respace(_line(), LINE)
    np.testing.assert_allclose(out, [[0, 0], [2, 0], [4, 0], [6, 0]], atol=1e-3)


def test_respacing_a_closed_contour_spaces_its_points_evenly_around_it() -> None:
    angles = np.array([0.0, 0.3, 1.1, 1.9, 3.0, 3.6, 4.4, 5.5])
    out = respace(_ring(angles), RING)
    got = np.unwrap(np.arctan2(out[:, 1] - 40.0, out[:, 0] - 50.0))
    steps = np.diff(np.append(got, got[0] + 2 * np.pi))
    # the spline through 8 uneven points is close to the circle, not on it
    np.testing.assert_allclose(steps, 2 * np.pi / 8, atol=0.06)
    np.testing.assert_allclose(out[0], _ring(angles)[0])  # the first point stays


def test_respacing_leaves_points_off_the_contour_alone() -> None:
    pts = np.vstack([_line(), [[9.0, 9.0]]])
    assert respace(pts, LINE)[4].tolist() == [9.0, 9.0]


def test_sliding_projects_the_cursor_onto_the_curve() -> None:
    out = slide_point(_line(), LINE, 1, (2.0, 5.0))
    np.testing.assert_allclose(out[1], [2.0, 0.0], atol=0.05)
    np.testing.assert_array_equal(out[[0, 2, 3]], _line()[[0, 2, 3]])


def test_sliding_never_passes_a_neighbour() -> None:
    out = slide_point(_line(), LINE, 1, (10.0, 0.0))
    assert 2.9 < out[1, 0] < 3.0 and out[1, 1] == pytest.approx(0.0, abs=1e-9)
    end = slide_point(_line(), LINE, 0, (-5.0, 1.0))
    assert end[0].tolist() == [0.0, 0.0]  # an end point can only move inwards


def test_sliding_on_a_closed_contour_wraps_around_its_first_point() -> None:
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    pts = _ring(angles)
    target = _ring(np.array([-0.3]))[0]  # between point 7 and point 0
    out = slide_point(pts, RING, 0, tuple(target))
    angle = np.arctan2(out[0, 1] - 40.0, out[0, 0] - 50.0)
    assert angle == pytest.approx(-0.3, abs=0.03)


def test_sliding_a_point_off_its_contour_is_an_error() -> None:
    with pytest.raises(ValueError, match="not on contour"):
        slide_point(_line(), LINE, 7, (0.0, 0.0))


def test_a_group_turns_scales_and_moves_about_its_centroid() -> None:
    pts = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [9.0, 9.0]])
    out = transform_group(pts, (0, 1, 2, 3), rotate=np.pi / 2, scale=2.0, translate=(10.0, 0.0))
    # centroid (1, 1); (0, 0) is (-1, -1) from it -> scaled (-2, -2) -> turned (-2, 2)
    np.testing.assert_allclose(out[0], [1 - 2 + 10, 1 + 2], atol=1e-12)
    np.testing.assert_allclose(out[:4].mean(axis=0), [11.0, 1.0], atol=1e-12)
    assert out[4].tolist() == [9.0, 9.0]


def test_schemes_have_their_curves() -> None:
    wflw = {c.name: c for c in contours_for(get_scheme("wflw98"))}
    assert len(wflw["jaw"].indices) == 33 and not wflw["jaw"].closed
    assert wflw["right_eye"].closed
    assert contour_of("300w68", 40).name == "right_eye"
    assert contour_of("300w68", 67).name == "inner_lips"
    assert contours_for("cofw29") == ()
    for name in ("300w68", "wflw98"):
        covered = sorted(i for c in contours_for(name) for i in c.indices)
        assert covered == sorted(set(covered))  # no point on two curves
