"""The image view: layers, error colours, hover text, and the editing API."""

from __future__ import annotations

import numpy as np
import pytest
from _mouse import click, drag
from PySide6.QtCore import Qt

from facealign_gui.app import style
from facealign_gui.app.image_view import ImageView


@pytest.fixture
def view(qtbot: object) -> ImageView:
    v = ImageView()
    qtbot.addWidget(v)  # type: ignore[attr-defined]
    v.resize(400, 400)
    v.show()
    qtbot.waitExposed(v)  # type: ignore[attr-defined]
    v.set_image(np.full((200, 200, 3), 90, np.uint8))
    return v


def square_points() -> np.ndarray:
    return np.array([[50.0, 50.0], [150.0, 50.0], [150.0, 150.0], [50.0, 150.0]])


def test_truth_and_prediction_are_separate_layers_with_one_item_each(view: ImageView) -> None:
    truth = square_points()
    pred = truth + 3.0
    view.set_annotation(truth, np.array([True, True, False, True]))
    view.set_prediction(pred, np.full(4, 0.9))
    shown = np.stack([view.truth_item.data["x"], view.truth_item.data["y"]], 1)
    assert shown.tolist() == truth[[0, 1, 3]].tolist()  # the invisible point is not drawn
    assert len(view.pred_item.data) == 4
    view.set_layer_visible("prediction", False)
    assert not view.pred_item.isVisible() and view.truth_item.isVisible()


def test_image_levels_are_fixed_so_a_dark_image_is_not_stretched(view: ImageView) -> None:
    view.set_image(np.full((20, 30, 3), 10, np.uint8))
    view.image_item.render()
    assert view.image_item.qimage.pixelColor(3, 4).getRgb()[:3] == (10, 10, 10)
    view.set_image(np.full((20, 30), 1000, np.uint16))
    assert tuple(view.image_item.levels) == (0, 65535)
    # pixel centres at integers: the image item starts half a pixel up-left
    assert (view.image_item.pos().x(), view.image_item.pos().y()) == (-0.5, -0.5)


def test_error_vectors_are_coloured_by_normalised_error(view: ImageView) -> None:
    truth = square_points()
    # errors of 1, 3, 7 and 20 px over a normaliser of 100 px: one vector in each bin of
    # style.ERROR_BINS (2 %, 5 %, 10 %)
    pred = truth + np.array([[1.0, 0], [3.0, 0], [7.0, 0], [20.0, 0]])
    view.set_annotation(truth)
    view.set_prediction(pred)
    view.set_error_normaliser(100.0)
    counts = [len(item.xData) // 2 for item in view.errors.items]
    assert counts == [1, 1, 1, 1]
    assert view.errors.items[3].xData.tolist() == [50.0, 70.0]  # truth -> prediction
    assert len(style.ERROR_COLORS) == len(style.ERROR_BINS) + 1


def test_scheme_edges_skip_invisible_points(view: ImageView) -> None:
    view.set_scheme(np.array([[0, 1], [1, 2], [2, 3]]), ["a", "b", "c", "d"])
    view.set_annotation(square_points(), np.array([True, True, False, True]))
    assert len(view.edges_truth.item.xData) == 2  # only 0-1 survives; 1-2 and 2-3 touch 2


def test_hover_text_names_the_point_and_its_error(view: ImageView) -> None:
    view.set_scheme(None, ["chin", "nose", "left eye", "right eye"])
    view.set_annotation(square_points())
    view.set_prediction(square_points() + np.array([3.0, 4.0]), np.array([0.5, 0.6, 0.7, 0.8]))
    text = view.describe_point(2)
    assert text.startswith("2 · left eye")
    assert "error 5.0 px" in text and "confidence 0.70" in text


def test_clicking_a_point_selects_it_and_reports_its_index(view: ImageView, qtbot) -> None:
    view.set_annotation(square_points())
    with qtbot.waitSignal(view.pointClicked) as sig:
        click(view, view.vb, (151.0, 149.0))
    assert sig.args == [2]
    assert view.selected_points().tolist() == [2]


def test_dragging_a_point_emits_points_moved_once_with_start_positions(
    view: ImageView, qtbot
) -> None:
    view.set_editable(True)
    view.set_annotation(square_points())
    moved, dragging = [], []
    view.pointsMoved.connect(lambda i, o, n, k: moved.append((i, o, n)))
    view.pointsDragging.connect(lambda i, xy: dragging.append(xy))
    drag(view, view.vb, (50.0, 50.0), (80.0, 60.0))
    assert len(moved) == 1
    idx, old, new = moved[0]
    assert idx.tolist() == [0]
    assert old.tolist() == [[50.0, 50.0]]
    np.testing.assert_allclose(new, [[80.0, 60.0]], atol=1.0)
    assert len(dragging) >= 2  # live updates while dragging
    np.testing.assert_allclose(view.annotation_points()[0], new[0])


def test_dragging_is_panning_when_not_editable(view: ImageView) -> None:
    view.set_annotation(square_points())
    moved = []
    view.pointsMoved.connect(lambda *a: moved.append(a))
    before = view.vb.viewRange()
    drag(view, view.vb, (50.0, 50.0), (80.0, 60.0))
    assert moved == []
    assert view.vb.viewRange() != before
    assert view.annotation_points()[0].tolist() == [50.0, 50.0]


def test_shift_drag_selects_points_and_dragging_one_moves_them_together(
    view: ImageView,
) -> None:
    view.set_editable(True)
    view.set_annotation(square_points())
    selections = []
    view.selectionChanged.connect(selections.append)
    drag(view, view.vb, (30.0, 30.0), (170.0, 100.0), Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_points().tolist() == [0, 1]
    assert selections[-1].tolist() == [0, 1]
    moved = []
    view.pointsMoved.connect(lambda i, o, n, k: moved.append((i, o, n)))
    drag(view, view.vb, (150.0, 50.0), (160.0, 70.0))
    idx, old, new = moved[0]
    assert idx.tolist() == [0, 1]
    np.testing.assert_allclose(new - old, [[10.0, 20.0], [10.0, 20.0]], atol=1.0)
    assert view.annotation_points()[2].tolist() == [150.0, 150.0]  # not selected: stays


def test_arrow_keys_nudge_the_selection_by_one_pixel_and_shift_by_ten(
    view: ImageView, qtbot
) -> None:
    view.set_editable(True)
    view.set_annotation(square_points())
    view.set_selection([1, 3])
    moved = []
    view.pointsMoved.connect(lambda i, o, n, k: moved.append((i, o, n)))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert len(moved) == 2
    assert (moved[0][2] - moved[0][1]).tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert (moved[1][2] - moved[1][1]).tolist() == [[0.0, -10.0], [0.0, -10.0]]
    assert view.annotation_points()[1].tolist() == [151.0, 40.0]


def test_arrow_keys_do_nothing_when_not_editable(view: ImageView, qtbot) -> None:
    view.set_annotation(square_points())
    view.set_selection([0])
    moved = []
    view.pointsMoved.connect(lambda *a: moved.append(a))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert moved == []


def test_clear_all_removes_points_and_image(view: ImageView) -> None:
    view.set_annotation(square_points())
    view.set_prediction(square_points())
    view.clear_all()
    assert len(view.truth_item.data) == 0 and len(view.pred_item.data) == 0
    assert view.image_item.image is None
    assert view.vb in view.ci.items  # the layout itself is untouched


def test_an_occluded_point_stays_drawn_hollow_and_can_be_selected(view: ImageView) -> None:
    view.set_editable(True)
    view.set_annotation(square_points(), np.array([True, True, False, True]))
    drawn = np.stack([view.occluded_item.data["x"], view.occluded_item.data["y"]], 1)
    assert drawn.tolist() == [[150.0, 150.0]]
    assert (
        view.occluded_item.opts["brush"] is None
        or view.occluded_item.opts["brush"].style() == Qt.BrushStyle.NoBrush
    )  # hollow
    assert view.occluded_item.opacity() < 1.0 and view.occluded_item.isVisible()
    click(view, view.vb, (150.0, 150.0))
    assert view.selected_points().tolist() == [2]
    assert view.occluded().tolist() == [2]
    assert "(occluded)" in view.describe_point(2)


def test_each_gesture_says_its_kind_drag_group_or_nudge(view: ImageView, qtbot) -> None:
    view.set_editable(True)
    view.set_annotation(square_points())
    kinds = []
    view.pointsMoved.connect(lambda i, o, n, k: kinds.append((i.tolist(), k)))
    drag(view, view.vb, (50.0, 50.0), (60.0, 60.0))
    view.set_selection([0, 1])
    drag(view, view.vb, (150.0, 50.0), (140.0, 40.0))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert kinds == [([0], "drag"), ([0, 1], "group"), ([0, 1], "nudge")]
