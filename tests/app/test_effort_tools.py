"""Issue 13's tools in the real window: click-to-refine, contour keys, the pre-labeller,
uncertainty orders and the provenance sidecar of an export."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from facealign_gui.app.main_window import MainWindow
from facealign_gui.app.refine_controller import SETTING
from facealign_gui.core.annotation import Prediction, Status
from facealign_gui.core.contours import contour_of
from facealign_gui.session.store import Session


@pytest.fixture
def labelling(qtbot, prefs, synthetic_dataset: Path, tiny_model: Path, tmp_path: Path):
    """The real window labelling 12 drawn faces (no landmarks yet), every image predicted by
    the tiny model."""
    w = MainWindow(prefs, default_model=None)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.inspector.datasetOpened, timeout=10000):
        w.open_path(synthetic_dataset)
    with qtbot.waitSignal(w.inspector.modelLoaded, timeout=10000):
        w.open_path(tiny_model)
    # the faces' boxes without their landmarks: every point starts as the model's
    ds = w.inspector.ds
    blank = dataclasses.replace(ds, points=np.full_like(ds.points, np.nan))
    assert w.labelling.start(lambda: Session.create(tmp_path / "work.fagsession", blank))
    dock = w.labelling.dock
    with qtbot.waitSignal(dock.controller.queueChanged, timeout=20000):
        dock.predict_all()
    qtbot.waitUntil(lambda: dock._worker is None, timeout=20000)
    qtbot.waitUntil(lambda: w.view.annotation_points() is not None, timeout=5000)
    yield w
    w.labelling.close()
    w.close()


def shown(w: MainWindow) -> np.ndarray:
    return w.view.annotation_points().copy()


def drag(w: MainWindow, k: int, delta: tuple[float, float]) -> np.ndarray:
    """What the ViewBox does for a drag of point ``k``: begin, then finish."""
    idx = w.view.begin_drag(k)
    old = w.view.annotation_points()[idx].copy()
    new = old + np.asarray(delta, float)
    w.view.finish_drag(idx, old, new)
    return new


# -- 1. click-to-refine ------------------------------------------------------------------------


def test_a_drag_refines_the_other_points_and_undoes_in_one_step(labelling) -> None:
    w = labelling
    dock, s = w.labelling.dock, w.labelling.session
    i = dock.controller.current
    before = shown(w)
    depth = dock.controller.stack.index()
    new = drag(w, 60, (6.0, 4.0))
    after = shown(w)
    np.testing.assert_allclose(after[60], new[0])  # the placed point is where it was put
    others = np.delete(np.arange(len(after)), 60)
    moved = np.linalg.norm(after[others] - before[others], axis=1)
    assert (moved > 0.05).sum() >= 5  # its neighbours followed
    assert dock.controller.stack.index() == depth + 1  # drag + refinement: one step
    assert "Refined" in dock.message.text() and " ms" in dock.message.text()
    kinds = [e.kind for e in s.image_journal(i)]
    assert kinds[-2:] == ["move", "refine"]

    dock.controller.undo()
    np.testing.assert_allclose(shown(w), before)  # one undo takes back both


def test_placed_points_never_move_when_another_point_is_dragged(labelling) -> None:
    w = labelling
    first = drag(w, 60, (5.0, 0.0))[0]
    second = drag(w, 76, (0.0, -5.0))[0]
    pts = shown(w)
    np.testing.assert_allclose(pts[60], first)
    np.testing.assert_allclose(pts[76], second)


def test_the_toggle_turns_refinement_off_and_is_remembered(labelling, prefs) -> None:
    w = labelling
    act = w.labelling.tools.refine.action
    assert act.isChecked() and act.shortcut().toString() == "Ctrl+Shift+R"
    assert act in w.labelling.parts.menu.actions()
    act.trigger()
    assert prefs.settings.value(SETTING) == "false"
    before = shown(w)
    new = drag(w, 60, (6.0, 4.0))
    after = shown(w)
    np.testing.assert_allclose(after[60], new[0])
    np.testing.assert_allclose(np.delete(after, 60, 0), np.delete(before, 60, 0))


# -- 2. contour tools --------------------------------------------------------------------------


def _arc_steps(pts: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.diff(pts, axis=0), axis=1)


def test_e_respaces_the_jaw_evenly_in_one_undo_step(labelling) -> None:
    w = labelling
    dock = w.labelling.dock
    w.labelling.tools.refine.set_enabled(False)
    jaw = list(contour_of("wflw98", 5).indices)
    pts = shown(w)
    pts[jaw[10]] += (8.0, 0.0)  # bunch one point up
    dock.controller.move_points(np.array([jaw[10]]), pts[[jaw[10]]])
    uneven = _arc_steps(shown(w)[jaw]).std()
    depth = dock.controller.stack.index()
    w.view.set_selection([jaw[3]])
    w.labelling.tools.contours.actions["E"].trigger()
    even = _arc_steps(shown(w)[jaw])
    assert even.std() < 0.5 * uneven
    assert dock.controller.stack.index() == depth + 1
    dock.controller.undo()
    assert _arc_steps(shown(w)[jaw]).std() == pytest.approx(uneven)


def test_ctrl_drag_slides_a_jaw_point_along_its_curve(labelling) -> None:
    w = labelling
    tools = w.labelling.tools
    tools.refine.set_enabled(False)
    tools.contours._modifiers = lambda: Qt.KeyboardModifier.ControlModifier
    before = shown(w)
    new = drag(w, 16, (0.0, 15.0))  # straight down, off the curve
    got = shown(w)[16]
    assert not np.allclose(got, new[0])  # not where the cursor went ...
    # ... but on the jaw, between its neighbours
    a, b = before[15], before[17]
    assert min(a[0], b[0]) - 1 <= got[0] <= max(a[0], b[0]) + 1


def test_g_selects_the_eye_and_rotation_keeps_its_shape(labelling) -> None:
    w = labelling
    tools = w.labelling.tools
    tools.refine.set_enabled(False)
    w.view.set_selection([61])
    tools.contours.actions["G"].trigger()
    sel = w.view.selected_points()
    assert 60 in sel and 67 in sel and 33 not in sel
    before = shown(w)[sel]
    tools.contours.actions["."].trigger()
    after = shown(w)[sel]
    assert not np.allclose(after, before)
    d0 = np.linalg.norm(before[:, None] - before[None], axis=2)
    d1 = np.linalg.norm(after[:, None] - after[None], axis=2)
    np.testing.assert_allclose(d1, d0, atol=1e-6)  # rigid
    tools.contours.actions["Alt+."].trigger()
    d2 = np.linalg.norm(shown(w)[sel][:, None] - shown(w)[sel][None], axis=2)
    np.testing.assert_allclose(d2, d0 * 1.02, atol=1e-6)


# -- 3. the pre-labeller -----------------------------------------------------------------------


def test_accepted_images_teach_the_pre_labeller_which_corrects_the_next_predictions(
    labelling,
) -> None:
    w = labelling
    dock, s = w.labelling.dock, w.labelling.session
    tools = w.labelling.tools
    tools.refine.set_enabled(False)
    for _ in range(4):  # the person's convention: every point 3 px right of the model's
        i = dock.controller.current
        pts = s.prediction(i).points + np.array([3.0, 0.0])
        dock.controller.move_points(np.arange(len(pts)), pts)
        dock.controller.accept_and_next()
    assert tools.prelabel.labeller.faces == 4
    text = tools.panel.label.text()
    assert "4 faces" in text and "corrected" in text and "raw" in text
    assert "applied to new predictions" in text
    stored = json.loads(s.setting("prelabel"))
    assert len(stored["images"]) == 4

    todo = next(i for i in range(len(s)) if s.status(i) is not Status.VERIFIED)
    raw = s.prediction(todo)
    dock._store_results([(todo, Prediction(raw.points, raw.confidence, model_id="m"), "primary")])
    fixed = s.prediction(todo)
    assert fixed.model_id.endswith("+learned")
    shift = np.broadcast_to([3.0, 0.0], raw.points.shape)
    np.testing.assert_allclose(fixed.points - raw.points, shift, atol=0.3)
    np.testing.assert_allclose(s.prediction(todo, role="raw").points, raw.points)

    dock.controller.undo()  # the last accept: that face is forgotten
    assert tools.prelabel.labeller.faces == 3
    assert len(json.loads(s.setting("prelabel"))["images"]) == 3

    tools.panel.reset_button.click()
    assert tools.prelabel.labeller.faces == 0 and s.setting("prelabel") is None


def test_the_pre_labeller_is_restored_when_the_session_reopens(labelling, tmp_path) -> None:
    w = labelling
    dock = w.labelling.dock
    w.labelling.tools.refine.set_enabled(False)
    dock.controller.accept_and_next()
    dock.controller.accept_and_next()
    path = w.labelling.session.path
    w.labelling.close()
    assert w.labelling.open(path)
    assert w.labelling.tools.prelabel.labeller.faces == 2


# -- 4. uncertainty orders ---------------------------------------------------------------------


def test_the_queue_sorts_by_heatmap_spread_and_rings_the_worst_point(labelling) -> None:
    w = labelling
    dock, s = w.labelling.dock, w.labelling.session
    tools = w.labelling.tools
    sc = s.scores("heatmap_spread")
    assert np.isfinite(sc.face).all()  # computed when the predictions arrived
    assert np.isfinite(s.scores("flip").face).all()
    assert np.isfinite(s.scores("shape_residual").face).all()
    box = dock.order_box
    box.setCurrentIndex(box.findData("heatmap_spread"))
    assert dock.controller.queue == s.review_queue("heatmap_spread", include_verified=True)
    i = dock.controller.current
    k = int(np.nanargmax(sc.per_point[i]))
    assert tools.worst == k
    assert f"<b>{k} " in tools.worst_label.text()
    x, y = tools.ring.getData()
    np.testing.assert_allclose([x[0], y[0]], shown(w)[k])
    assert w.heatmaps.landmark() == k  # its heatmap is the one beside the image


# -- 5. provenance sidecar ---------------------------------------------------------------------


def test_an_hrnet_csv_export_writes_the_provenance_sidecar_beside_it(labelling, tmp_path) -> None:
    from facealign_gui.datasets.io import write_dataset
    from facealign_gui.session.export import export_session, session_dataset

    w = labelling
    dock, s = w.labelling.dock, w.labelling.session
    drag(w, 60, (5.0, 0.0))
    dock.controller.accept_and_next()
    out = tmp_path / "faces.csv"
    res = export_session(s, out, "hrnet_csv")
    assert res.sidecar == tmp_path / "faces.provenance.json"
    doc = json.loads(res.sidecar.read_text())
    pts = doc["images"][0]["points"]
    assert pts[60] == "moved" and "refined" in pts
    plain = tmp_path / "plain.csv"
    write_dataset(session_dataset(s, s.labels(verified_only=True)), plain, "hrnet_csv")
    assert out.read_bytes() == plain.read_bytes()  # the CSV itself is untouched


def test_every_key_of_the_fewer_drags_sheet_is_bound_once_while_labelling(labelling) -> None:
    from PySide6.QtGui import QAction, QKeySequence

    from facealign_gui.app.effort_tools import EFFORT_SHORTCUTS
    from facealign_gui.app.help import shortcut_sections

    w = labelling
    assert ("Fewer drags (labelling)", EFFORT_SHORTCUTS) in shortcut_sections()
    bound = [s.toString() for a in w.findChildren(QAction) for s in a.shortcuts()]
    for keys, what in EFFORT_SHORTCUTS:
        if "drag" in keys.lower():
            continue  # gestures of the image view
        for key in keys.split(" / "):
            seq = QKeySequence(key.strip()).toString()
            assert bound.count(seq) == 1, f"{key!r} ({what}): bound {bound.count(seq)} times"


def test_a_nudge_burst_with_its_refinements_is_one_undo_step_and_redoes_whole(
    labelling, qtbot
) -> None:
    w = labelling
    c = w.labelling.dock.controller
    before = shown(w)
    depth = c.stack.index()
    w.view.set_selection([60])
    for _ in range(3):
        qtbot.keyClick(w.view, Qt.Key.Key_Right)
    after = shown(w)
    np.testing.assert_allclose(after[60], before[60] + (3.0, 0.0))
    assert (np.linalg.norm(np.delete(after - before, 60, 0), axis=1) > 0.05).sum() >= 5
    assert c.stack.index() == depth + 1
    c.undo()
    np.testing.assert_allclose(shown(w), before)
    c.redo()
    np.testing.assert_allclose(shown(w), after)


def test_refinement_re_reads_the_heatmaps_of_the_live_prediction(labelling) -> None:
    w = labelling
    s, c = w.labelling.session, w.labelling.dock.controller
    refiner = w.labelling.tools.refine.refiner
    live = refiner.live_prediction(s, c.current)
    assert live is not None and live.heatmaps is not None  # kept from "predict all"
    refiner.live.clear()  # without them, the fit alone
    drag(w, 60, (6.0, 4.0))
    no_heatmaps = shown(w)
    c.undo()
    refiner.remember(c.current, live)
    drag(w, 60, (6.0, 4.0))
    assert not np.allclose(shown(w), no_heatmaps)


def test_points_read_from_the_annotation_file_are_never_refined_away(
    labelling, qtbot, tmp_path
) -> None:
    w = labelling
    w.labelling.close()
    assert w.labelling.create(tmp_path / "with_truth.fagsession")  # the dataset's landmarks
    dock = w.labelling.dock
    dock.predict_all()
    qtbot.waitUntil(lambda: dock._worker is None, timeout=20000)
    assert w.labelling.session.prediction(dock.controller.current) is not None
    before = shown(w)
    new = drag(w, 60, (6.0, 4.0))
    after = shown(w)
    np.testing.assert_allclose(after[60], new[0])
    np.testing.assert_allclose(np.delete(after, 60, 0), np.delete(before, 60, 0))


def test_closing_the_session_while_predict_all_runs_drops_its_late_signals(
    labelling, qtbot, tmp_path
) -> None:
    w = labelling
    w.labelling.close()
    assert w.labelling.create(tmp_path / "again.fagsession")
    w.labelling.dock.predict_all()
    w.labelling.close()  # the worker's last results and "finished" are still queued
    qtbot.wait(300)  # delivered now: they must not reach the closed session
    assert w.labelling.dock is None


def test_the_pre_labeller_stays_out_of_the_way_while_the_models_own_is_better(labelling) -> None:
    w = labelling
    dock, s = w.labelling.dock, w.labelling.session
    tools = w.labelling.tools
    tools.refine.set_enabled(False)
    for _ in range(3):  # accepted as predicted: nothing to correct
        dock.controller.accept_and_next()
    assert tools.prelabel.labeller.faces == 3 and not tools.prelabel.applies()
    assert "not applied" in tools.panel.label.text()
    todo = next(i for i in range(len(s)) if s.status(i) is not Status.VERIFIED)
    raw = s.prediction(todo)
    dock._store_results([(todo, Prediction(raw.points, raw.confidence, model_id="m"), "primary")])
    assert s.prediction(todo).model_id == "m"


def test_a_reopened_session_shows_the_heatmaps_of_the_shown_image_again(labelling, qtbot) -> None:
    w = labelling
    path = w.labelling.session.path
    w.labelling.close()
    assert w.labelling.open(path)  # no "predict all" this time: no heatmaps kept
    tools, c = w.labelling.tools, w.labelling.dock.controller
    qtbot.waitUntil(lambda: c.current in tools.refine.refiner.live, timeout=10000)
    live = tools.refine.refiner.live_prediction(w.labelling.session, c.current)
    assert live is not None and live.heatmaps is not None  # refinement re-reads them too
    qtbot.waitUntil(lambda: w.heatmaps.heatmaps() is not None, timeout=5000)


def test_a_real_ctrl_drag_on_the_view_slides_the_point_and_a_plain_one_refines(
    labelling,
) -> None:
    from _mouse import drag as mouse_drag

    w = labelling
    c = w.labelling.dock.controller
    w.view.fit()
    before = shown(w)
    a = tuple(before[16])  # the chin
    b = (a[0] + 6.0, a[1] + 6.0)  # sideways and below the jaw
    mouse_drag(w.view, w.view.vb, a, b, Qt.KeyboardModifier.ControlModifier)
    slid = shown(w)[16]
    assert np.linalg.norm(slid - before[16]) > 0.5  # it moved ...
    assert np.linalg.norm(slid - b) > 2.0  # ... not to the cursor but along the jaw,
    assert before[16][0] < slid[0] < before[17][0]  # towards its neighbour
    c.undo()
    np.testing.assert_allclose(shown(w), before)
    depth = c.stack.index()
    mouse_drag(w.view, w.view.vb, a, b)
    after = shown(w)
    np.testing.assert_allclose(after[16], b, atol=0.5)  # a plain drag goes where it is put
    assert (np.linalg.norm(np.delete(after - before, 16, 0), axis=1) > 0.05).sum() >= 5
    assert c.stack.index() == depth + 1
