"""Landmark gestures as plain functions: hit-testing, selection math, label decluttering."""

from __future__ import annotations

import numpy as np

from facealign_gui.viewmodel.gestures import (
    click_selection,
    drag_indices,
    drag_kind,
    nearest_point,
    rect_selection,
    uncluttered,
)

PTS = np.array([[10.0, 10.0], [20.0, 10.0], [np.nan, np.nan], [100.0, 100.0]])


def test_a_click_picks_the_nearest_point_within_nine_screen_pixels() -> None:
    assert nearest_point((12, 11), PTS) == 0
    assert nearest_point((50, 50), PTS) is None
    # zoomed out: one screen pixel is 4 image pixels, so 30 image px is 7.5 screen px
    assert nearest_point((70, 100), PTS, pixel_size=(4, 4)) == 3
    assert nearest_point((70, 100), PTS, pixel_size=(1, 1)) is None


def test_a_point_without_coordinates_is_never_hit() -> None:
    assert nearest_point((0, 0), np.full((3, 2), np.nan), radius_px=1e9) is None
    assert nearest_point((0, 0), None) is None


def test_clicks_select_toggle_and_clear() -> None:
    sel = np.array([1, 3])
    assert click_selection(sel, 0, toggle=False, extend=False).tolist() == [0]
    assert click_selection(sel, 0, toggle=True, extend=False).tolist() == [0, 1, 3]
    assert click_selection(sel, 3, toggle=True, extend=False).tolist() == [1]
    assert click_selection(sel, None, toggle=False, extend=False).tolist() == []
    assert click_selection(sel, None, toggle=True, extend=True).tolist() == [1, 3]


def test_a_rubber_band_selects_what_is_inside_and_ctrl_adds() -> None:
    assert rect_selection(PTS, (0, 0, 15, 15), np.array([3]), add=False).tolist() == [0]
    assert rect_selection(PTS, (0, 0, 25, 15), np.array([3]), add=True).tolist() == [0, 1, 3]
    assert rect_selection(None, (0, 0, 1, 1), np.array([2]), add=False).tolist() == [2]


def test_a_drag_on_a_selected_point_moves_the_group_and_says_so() -> None:
    assert drag_indices(np.array([0, 1]), 1).tolist() == [0, 1]
    assert drag_indices(np.array([0, 1]), 3).tolist() == [3]
    assert drag_kind(np.array([0, 1])) == "group" and drag_kind(np.array([3])) == "drag"


def test_point_numbers_that_would_overlap_are_left_out_in_index_order() -> None:
    screen = np.array([[0.0, 0.0], [5.0, 0.0], [20.0, 0.0], [24.0, 3.0], [np.nan, 1.0]])
    assert uncluttered(screen, spacing_px=11).tolist() == [True, False, True, False, False]
    # 68 points packed into 30 px on screen: only a handful of numbers, not 68 on top
    rng = np.random.default_rng(0)
    packed = rng.uniform(0, 30, (68, 2))
    kept = uncluttered(packed, spacing_px=11)
    assert 1 <= kept.sum() <= 16
    d = np.hypot(*(packed[kept][:, None] - packed[kept][None]).transpose(2, 0, 1))
    assert (d[~np.eye(kept.sum(), dtype=bool)] >= 11).all()
