"""Undoable edits: a drag is one step, a nudge burst is one step, copy-all is one step,
and any edit/undo/redo sequence leaves the session equal to its journal's replay."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from _labelling_fakes import FakeView, assert_matches_replay, labelling_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from facealign_gui.app.editing import LABELLING_SHORTCUTS, EditController
from facealign_gui.core.annotation import Status


@pytest.fixture
def setup(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    s = labelling_session(tmp_path)
    view = FakeView()
    c = EditController(view, s)
    yield s, view, c
    c.close()
    s.close()


def test_the_least_confident_image_is_shown_first_with_its_prediction(setup) -> None:
    s, view, c = setup
    assert c.current == 0  # confidence 0.2 is the lowest
    np.testing.assert_array_equal(view.points, s.prediction(0).points)
    assert view.editable


def test_a_drag_is_saved_and_one_undo_restores_the_prediction(setup) -> None:
    s, view, c = setup
    before = view.points.copy()
    view.drag([3, 4], before[[3, 4]] + 5.0)
    np.testing.assert_array_equal(s.annotation(0).points[[3, 4]], before[[3, 4]] + 5.0)
    assert c.stack.count() == 1
    c.undo()
    assert s.annotation(0) is None and s.status(0) is Status.PREDICTED
    np.testing.assert_array_equal(view.points, before)
    c.redo()
    np.testing.assert_array_equal(s.annotation(0).points[[3, 4]], before[[3, 4]] + 5.0)


def test_a_burst_of_arrow_key_nudges_is_one_undo_step(qtbot, tmp_path: Path) -> None:
    from facealign_gui.app.image_view import ImageView

    s = labelling_session(tmp_path)
    view = ImageView()
    qtbot.addWidget(view)
    c = EditController(view, s)
    start = s.prediction(0).points.copy()
    view.set_selection([7, 8])
    for key in [Qt.Key.Key_Right] * 3 + [Qt.Key.Key_Down] * 2:
        qtbot.keyClick(view, key)
    moved = s.annotation(0).points
    step = view.nudge_step
    np.testing.assert_allclose(moved[[7, 8]], start[[7, 8]] + [3 * step, 2 * step])
    assert c.stack.count() == 1
    c.undo()
    assert s.annotation(0) is None
    view.set_selection([9])  # another selection starts another step
    qtbot.keyClick(view, Qt.Key.Key_Left)
    view.set_selection([7, 8])
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert c.stack.count() == 2
    c.close()
    s.close()


def test_a_drag_after_nudges_is_its_own_step(setup) -> None:
    _s, view, c = setup
    from facealign_gui.app.editing import MovePoints

    view.drag([1], view.points[[1]] + 1.0)
    view.drag([1], view.points[[1]] + 1.0)
    assert c.stack.count() == 2  # two drags never merge
    assert all(isinstance(c.stack.command(i), MovePoints) for i in range(2))


def test_copy_all_is_one_step(setup) -> None:
    s, view, c = setup
    view.drag([1], [[0.0, 0.0]])
    view.drag([2], [[0.0, 0.0]])
    c.copy_prediction(selected_only=False)
    np.testing.assert_array_equal(s.annotation(0).points, s.prediction(0).points)
    assert c.stack.count() == 3
    c.undo()
    np.testing.assert_array_equal(s.annotation(0).points[[1, 2]], [[0.0, 0.0], [0.0, 0.0]])


def test_copy_selected_and_toggle_visibility_need_a_selection(setup) -> None:
    s, view, c = setup
    messages: list[str] = []
    c.failed.connect(messages.append)
    c.copy_prediction(selected_only=True)
    c.toggle_visibility()
    assert len(messages) == 2 and c.stack.count() == 0
    view.selection = np.array([5, 6])
    c.toggle_visibility()
    assert not s.annotation(0).visible[[5, 6]].any()
    c.toggle_visibility()
    assert s.annotation(0).visible.all()
    assert c.stack.count() == 2


def test_accept_and_next_verifies_and_moves_to_the_next_least_confident(setup) -> None:
    s, view, c = setup
    c.accept_and_next()
    assert s.status(0) is Status.VERIFIED and c.current == 1
    np.testing.assert_array_equal(view.points, s.prediction(1).points)
    c.undo()  # undo of an accept goes back to that image
    assert s.status(0) is Status.PREDICTED and c.current == 0


def test_reset_to_prediction_is_undoable(setup) -> None:
    s, view, c = setup
    view.drag([0], [[1.0, 1.0]])
    c.reset_to_prediction()
    assert s.annotation(0) is None
    c.undo()
    np.testing.assert_array_equal(s.annotation(0).points[0], [1.0, 1.0])


def test_labelling_shortcuts_list_space_and_undo() -> None:
    keys = dict(LABELLING_SHORTCUTS)
    assert "Space" in keys and "Ctrl+Z" in keys


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "drag",
                "nudge",
                "copy_all",
                "copy_sel",
                "vis",
                "reset",
                "accept",
                "undo",
                "redo",
                "goto",
            ]
        ),
        st.integers(0, 3),
        st.integers(0, 67),
    ),
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(actions=ACTIONS)
def test_any_edit_undo_redo_sequence_equals_the_journal_replay(qtbot, tmp_path_factory,
                                                               actions) -> None:  # fmt: skip
    tmp = tmp_path_factory.mktemp("h")
    s = labelling_session(tmp)
    view = FakeView()
    c = EditController(view, s)
    model = {}  # independent oracle: image -> (points, visible) or absent, with snapshots
    undo: list[dict] = []
    redo: list[dict] = []

    def snapshot() -> dict:
        return {i: (p.copy(), v.copy()) for i, (p, v) in model.items()}

    def shown(i: int) -> tuple[np.ndarray, np.ndarray]:
        if i in model:
            return model[i]
        return s.prediction(i).points.copy(), np.ones(68, bool)

    for act, img, k in actions:
        cur = c.current
        before = snapshot()
        changed = True
        if act == "goto":
            c.show(img)
            changed = False
        elif act in ("drag", "nudge"):
            p, v = shown(cur)
            p = p.copy()
            p[k] = p[k] + (1.0, 0.0)
            c._nudging = act == "nudge"
            view.drag([k], p[[k]])
            model[cur] = (p, v.copy())
        elif act == "copy_all":
            model[cur] = (s.prediction(cur).points.copy(), np.ones(68, bool))
            c.copy_prediction(False)
        elif act == "copy_sel":
            view.selection = np.array([k])
            p, v = shown(cur)
            p, v = p.copy(), v.copy()
            p[k], v[k] = s.prediction(cur).points[k], True
            model[cur] = (p, v)
            c.copy_prediction(True)
        elif act == "vis":
            view.selection = np.array([k])
            p, v = shown(cur)
            v = v.copy()
            v[k] = not v[k]
            model[cur] = (p.copy(), v)
            c.toggle_visibility()
        elif act == "reset":
            if cur not in model:
                changed = False
            model.pop(cur, None)
            c.reset_to_prediction()
        elif act == "accept":
            if s.status(cur) is Status.VERIFIED:
                changed = False
            elif cur not in model:
                model[cur] = shown(cur)
            c.accept_and_next()
        elif act == "undo":
            changed = False
            if c.stack.canUndo() and undo:
                redo.append(snapshot())
                model = undo.pop()
            c.undo()
        elif act == "redo":
            changed = False
            if c.stack.canRedo() and redo:
                undo.append(snapshot())
                model = redo.pop()
            c.redo()
        if changed:
            undo.append(before)
            redo.clear()
        assert_matches_replay(s)
        for i in range(len(s)):
            ann = s.annotation(i)
            if i in model:
                np.testing.assert_array_equal(ann.points, model[i][0])
                np.testing.assert_array_equal(ann.visible, model[i][1])
            else:
                assert ann is None
    c.close()
    with contextlib.suppress(Exception):
        s.close()


def test_time_on_an_image_is_counted_when_the_person_moves_on(qtbot, tmp_path: Path) -> None:
    import facealign_gui.app.editing as editing

    s = labelling_session(tmp_path)
    now = [1000.0]  # the injected clock: independent of the machine's uptime
    c = EditController(FakeView(), s, clock=lambda: now[0])
    assert c.current == 0
    now[0] += 12.5
    c.show(2)
    now[0] += 1000.0  # walked away: one visit counts at most MAX_SECONDS_PER_VISIT
    c.show(3)
    assert s.image_info(0)["seconds"] == pytest.approx(12.5, abs=0.5)
    assert s.image_info(2)["seconds"] == pytest.approx(editing.MAX_SECONDS_PER_VISIT)
    c.close()
    s.close()


def test_next_skips_a_long_run_of_verified_images(qtbot, tmp_path: Path) -> None:
    s = labelling_session(tmp_path, n=30)
    for i in range(1, 28):
        s.accept(i)
    c = EditController(FakeView(), s)
    assert c.current == 0
    c.accept_and_next()
    assert c.current == 28
    c.accept_and_next()
    assert c.current == 29
    c.accept_and_next()  # nothing left: stays
    assert c.current == 29 and s.counts()["remaining"] == 0
    c.close()
    s.close()


def test_a_new_session_starts_at_the_least_confident_image_and_reopens_where_left(
    qtbot, tmp_path: Path
) -> None:
    from _labelling_fakes import Prediction

    s = labelling_session(tmp_path, n=3)
    s.set_prediction(2, Prediction(s.prediction(2).points, np.full(68, 0.01, np.float32)))
    c = EditController(FakeView(), s)
    assert c.current == 2
    c.show(1)
    c.close()
    c2 = EditController(FakeView(), s)
    assert c2.current == 1
    c2.close()
    s.close()


def test_the_next_image_starts_with_nothing_selected_so_a_nudge_edits_nothing(
    qtbot, tmp_path: Path
) -> None:
    from facealign_gui.app.image_view import ImageView

    s = labelling_session(tmp_path)
    view = ImageView()
    qtbot.addWidget(view)
    c = EditController(view, s)
    view.set_selection([5, 6])
    c.go_next()
    assert c.current == 1
    assert view.selected_points().tolist() == []
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert s.status(1) is Status.PREDICTED  # the nudge found nothing to move
    c.close()
    s.close()
