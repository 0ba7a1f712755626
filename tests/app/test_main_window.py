"""The real main window, driven like a person would: open, run, sort, select, cancel, close."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import _gui_data
import numpy as np
import pytest
from _mouse import click
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from facealign_gui.app.main_window import MainWindow
from facealign_gui.app.sample_table import COL_NME
from facealign_gui.core.results import EvalResult
from facealign_gui.datasets.io import open_dataset
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.pipeline import run_predictions


@pytest.fixture
def window(qtbot, prefs) -> MainWindow:
    w = MainWindow(prefs, default_model=None)  # the built-in model has its own tests
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def open_and_wait(w: MainWindow, qtbot, dataset: Path, model: Path | None = None) -> None:
    with qtbot.waitSignal(w.inspector.datasetOpened, timeout=10000):
        w.open_path(dataset)
    qtbot.waitUntil(lambda: w.inspector.image is not None, timeout=5000)
    if model is not None:
        with qtbot.waitSignal(w.inspector.modelLoaded, timeout=10000):
            w.open_path(model)


def run_and_wait(w: MainWindow, qtbot) -> None:
    """Run the model over the dataset and wait for the scores (computed off the UI thread)."""
    with qtbot.waitSignal(w.inspector.resultsReady, timeout=20000):
        w.act_run.trigger()


def test_the_start_page_offers_every_way_in_when_nothing_is_open(window: MainWindow, prefs) -> None:
    assert window.stack.currentWidget() is window.start_page
    assert set(window.start_page.buttons) == {"dataset", "folder", "model", "camera", "video"}
    prefs.add_recent("/data/wflw/list_98pt_rect_attr_test.txt")
    window.start_page.set_recent(prefs.recent_items())
    item = window.start_page.recent.item(0)
    assert item.toolTip() == "/data/wflw/list_98pt_rect_attr_test.txt"
    assert "(missing)" in item.text()


def test_opening_a_dataset_shows_its_first_image_points_and_table(
    window: MainWindow, qtbot, synthetic_dataset: Path, prefs
) -> None:
    open_and_wait(window, qtbot, synthetic_dataset)
    ds = window.inspector.ds
    assert window.stack.currentIndex() == 1
    assert window.dataset_dock.model.rowCount() == 12
    assert window.inspector.current == 0
    assert window.view.image_item.image.shape == (256, 256, 3)
    shown = np.stack([window.view.truth_item.data["x"], window.view.truth_item.data["y"]], 1)
    np.testing.assert_allclose(shown, ds.points[0])
    assert len(window.view.edges_truth.item.xData) > 0  # the WFLW scheme's edges
    assert prefs.recent_items()[0] == str(synthetic_dataset)
    assert window.dataset_dock.subset.count() == 7  # "all subsets" + WFLW's six


def test_a_run_scores_every_image_exactly_as_the_eval_functions_do(
    window: MainWindow, qtbot, synthetic_dataset: Path, tiny_model: Path
) -> None:
    open_and_wait(window, qtbot, synthetic_dataset, tiny_model)
    run_and_wait(window, qtbot)
    # the same computation without the window: pipeline + EvalResult
    ds = open_dataset(synthetic_dataset)
    pts = np.full(ds.points.shape, np.nan)
    for i, p in run_predictions(load_predictor(tiny_model), ds):
        pts[i] = p.points
    expected = EvalResult.from_points(ds, pts, "tiny_heatmap")
    got = window.inspector.results["tiny_heatmap"]
    np.testing.assert_allclose(got.nme, expected.nme)
    assert window.metrics_dock is None or window.metrics_dock.a is got
    assert "Run done: 12 of 12" in window.status_label.text()
    assert not window.progress.isVisible() and not window.cancel_button.isVisible()
    # the shown image has its prediction and heatmaps
    assert len(window.view.pred_item.data) == 98
    assert window.heatmaps.heatmaps() is not None


def test_sorting_by_nme_shows_the_worst_image_first_and_j_steps_to_the_next(
    window: MainWindow, qtbot, synthetic_dataset: Path, tiny_model: Path
) -> None:
    open_and_wait(window, qtbot, synthetic_dataset, tiny_model)
    run_and_wait(window, qtbot)
    nme = window.inspector.results["tiny_heatmap"].nme
    window.dataset_dock.table.sortByColumn(COL_NME, Qt.SortOrder.DescendingOrder)
    worst = np.argsort(-nme, kind="stable")
    window.dataset_dock.go_to_row(0)
    assert window.inspector.current == worst[0]
    qtbot.keyClick(window, Qt.Key.Key_J)
    assert window.inspector.current == worst[1]
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert window.inspector.current == worst[0]


def test_clicking_a_landmark_in_the_image_selects_its_heatmap(
    window: MainWindow, qtbot, synthetic_dataset: Path, tiny_model: Path
) -> None:
    open_and_wait(window, qtbot, synthetic_dataset, tiny_model)
    qtbot.waitUntil(lambda: window.heatmaps.heatmaps() is not None, timeout=10000)
    x, y = window.inspector.ds.points[0, 60]
    click(window.view, window.view.vb, (float(x), float(y)))
    assert window.heatmaps.landmark() == 60
    assert window.view.selected_points().tolist() == [60]
    assert window.heatmaps.info.text().startswith("landmark 60")
    # "]" steps to the next landmark
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.heatmaps.landmark() == 61


def test_cancel_stops_a_run_within_a_second_and_keeps_partial_scores(
    window: MainWindow, qtbot, tmp_path: Path, tiny_model: Path
) -> None:
    big = _gui_data.write_wflw_dataset(tmp_path / "big", n=1500, distinct_images=3)
    open_and_wait(window, qtbot, big, tiny_model)
    with qtbot.waitSignal(window.inspector.progress, timeout=10000):
        window.act_run.trigger()
    assert window.cancel_button.isVisible()
    t0 = time.perf_counter()
    with qtbot.waitSignal(window.inspector.runStateChanged, timeout=5000):
        window.cancel_button.click()
    assert time.perf_counter() - t0 < 1.0  # the requirement: cancel within a second
    qtbot.waitUntil(lambda: "tiny_heatmap" in window.inspector.results, timeout=5000)
    assert "Run cancelled" in window.status_label.text()
    nme = window.inspector.results["tiny_heatmap"].nme
    assert 0 < np.isfinite(nme).sum() < 1500


def test_closing_the_window_during_a_run_leaves_no_thread_running(
    qtbot, prefs, tmp_path: Path, tiny_model: Path
) -> None:
    w = MainWindow(prefs)
    qtbot.addWidget(w)
    w.show()
    big = _gui_data.write_wflw_dataset(tmp_path / "big", n=1500, distinct_images=3)
    open_and_wait(w, qtbot, big, tiny_model)
    with qtbot.waitSignal(w.inspector.progress, timeout=10000):
        w.act_run.trigger()
    w.close()
    assert not w.inspector.hub.running()
    assert w.inspector.hub.pool.activeThreadCount() == 0


def test_dropping_a_model_file_on_the_window_loads_it(
    window: MainWindow, qtbot, tiny_model: Path
) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tiny_model))])
    ev = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.dropEvent(ev)
    assert window.inspector.model_id == "tiny_heatmap"
    assert "tiny_heatmap" in window.model_label.text()
    assert window.prefs.recent_items()[0] == str(tiny_model)


def test_number_keys_and_h_toggle_layers(
    window: MainWindow, qtbot, synthetic_dataset: Path
) -> None:
    open_and_wait(window, qtbot, synthetic_dataset)
    window.view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_3)
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert not window.view.layer_visible("errors")
    assert not window.view.layer_visible("heatmap")
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.view.layer_visible("errors")


def test_an_unreadable_dataset_shows_an_error_instead_of_crashing(
    window: MainWindow, qtbot, tmp_path: Path
) -> None:
    bad = tmp_path / "list_98pt_rect_attr_test.txt"
    bad.write_text("not a landmark file\n")
    with qtbot.waitSignal(window.inspector.problem, timeout=10000) as sig:
        window.open_path(bad)
    assert str(bad) in sig.args[0].what
    assert window.stack.currentWidget() is window.start_page


def test_the_app_quits_by_itself_when_asked_by_the_environment(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        FACEALIGN_GUI_QUIT_AFTER_MS="100",
        XDG_CONFIG_HOME=str(tmp_path),
        HOME=str(tmp_path),
    )
    out = subprocess.run(
        [sys.executable, "-m", "facealign_gui"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr


def test_docks_make_room_for_the_start_page_and_return_with_a_dataset(
    window: MainWindow, qtbot, synthetic_dataset: Path
) -> None:
    assert not window.dataset_dock.isVisible() and not window.heatmap_dock.isVisible()
    open_and_wait(window, qtbot, synthetic_dataset)
    assert window.dataset_dock.isVisible() and window.heatmap_dock.isVisible()


def test_a_labelling_session_takes_over_the_view_and_gives_it_back(
    window: MainWindow, qtbot, synthetic_dataset: Path, tmp_path: Path
) -> None:
    from facealign_gui.session.store import Session

    open_and_wait(window, qtbot, synthetic_dataset)
    ds = window.inspector.ds
    assert window.labelling.start(lambda: Session.create(tmp_path / "s.fagsession", ds))
    assert window.labelling.dock is not None and window.presenter.mode == "label"
    assert window.view.is_editable()
    qtbot.waitUntil(lambda: window.view.image_item.image is not None, timeout=5000)
    shown = window.view.annotation_points().copy()
    window.dataset_dock.step(1)  # the table no longer drives the view
    qtbot.wait(200)  # sample 1's image and points would have arrived by now
    np.testing.assert_array_equal(window.view.annotation_points(), shown)
    window.labelling.close()
    qtbot.wait(50)  # anything the dock's workers still had queued is delivered (or dropped)
    assert window.labelling.dock is None and window.presenter.mode == "inspect"
    assert not window.view.is_editable()


def test_every_key_on_the_shortcut_sheet_is_bound_by_the_window(window: MainWindow) -> None:
    from PySide6.QtGui import QKeySequence

    from facealign_gui.app.shortcuts import SHORTCUTS

    bound = {s.toString() for a in window.actions() for s in a.shortcuts()}
    gestures = ("drag", "Arrow keys")  # handled by the image view, not by actions
    for keys, what in SHORTCUTS:
        if any(g in keys for g in gestures):
            continue
        for key in keys.split(" / "):
            seq = QKeySequence(key.strip()).toString()
            assert seq in bound, f"{key!r} ({what}) is on the sheet but not bound"


def test_opening_another_dataset_during_a_run_drops_the_old_runs_results(
    window: MainWindow, qtbot, tmp_path: Path, synthetic_dataset: Path, tiny_model: Path
) -> None:
    big = _gui_data.write_wflw_dataset(tmp_path / "big", n=1500, seed=5, distinct_images=3)
    open_and_wait(window, qtbot, big, tiny_model)
    with qtbot.waitSignal(window.inspector.progress, timeout=10000):
        window.act_run.trigger()
    with qtbot.waitSignal(window.inspector.runStateChanged, timeout=10000):
        open_and_wait(window, qtbot, synthetic_dataset)
    qtbot.wait(300)  # anything the old run had queued arrives now, and must be ignored
    cache = window.inspector.hub.cache
    cached = [i for i in range(12) if cache.get("tiny_heatmap", i) is not None]
    assert len(cached) <= 3  # the shown image and the rows prefetched after it, no more
    ds = open_dataset(synthetic_dataset)
    fresh = dict(run_predictions(load_predictor(tiny_model), ds, indices=cached))
    for i in cached:  # predictions of the new dataset's images, not the old run's
        np.testing.assert_allclose(cache.get("tiny_heatmap", i).points, fresh[i].points)
    assert not window.progress.isVisible()
    assert window.dataset_dock.model.rowCount() == 12


def test_colour_and_point_size_preferences_restyle_the_image_view(
    window: MainWindow, prefs
) -> None:
    prefs.set_colour("gt", "#0000ff")
    prefs.set_colour("error_high", "#ffffff")
    prefs.point_size = 6.0
    assert window.view.truth_item.opts["brush"].color().name() == "#0000ff"
    assert window.view.truth_item.opts["size"] == 11.0  # 2 * 6 - 1 px across
    assert window.view.errors.items[-1].opts["pen"].color().name() == "#ffffff"
    assert window.view.legend.scene() is window.view.scene()  # rebuilt, still shown


def test_a_second_model_run_on_the_same_dataset_is_compared_with_the_first(
    window: MainWindow, qtbot, synthetic_dataset: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from facealign_gui.inference.card import load_card, save_card

    # model B: the same network decoded without the quarter-pixel shift, so its errors differ
    card_b = load_card(tiny_model)
    card_b.id, card_b.family, card_b.decoder.subpixel = "tiny_no_shift", "heatmap", "none"
    card_b.onnx = str(tiny_model.with_suffix(".onnx"))
    path_b = save_card(card_b, tmp_path / "tiny_no_shift.toml")

    open_and_wait(window, qtbot, synthetic_dataset, tiny_model)
    run_and_wait(window, qtbot)
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(path_b)
    run_and_wait(window, qtbot)
    dock = window.metrics_dock
    if dock is None:
        pytest.skip("this window has no metrics dock")
    a, b = window.inspector.results["tiny_no_shift"], window.inspector.results["tiny_heatmap"]
    assert dock.a is a and dock.b is b
    assert len(dock.ced.curves) == 2
    diff = dock.difference()
    np.testing.assert_allclose(diff, a.nme - b.nme)
    assert np.nanmax(np.abs(diff)) > 0  # the two decoders really disagree
    # "A worse than B first": the table's first row is the image A loses most on
    dock.compareSortRequested.emit()
    assert window.inspector.current == int(np.nanargmax(diff))


def test_the_status_column_says_which_samples_the_model_has_predicted(
    window: MainWindow, qtbot, synthetic_dataset: Path, tiny_model: Path
) -> None:
    from facealign_gui.app.sample_table import COL_STATUS

    open_and_wait(window, qtbot, synthetic_dataset, tiny_model)
    model = window.dataset_dock.model

    def statuses() -> list[str]:
        return [model.data(model.index(r, COL_STATUS)) for r in range(model.rowCount())]

    qtbot.waitUntil(lambda: "predicted" in statuses(), timeout=5000)  # the shown image
    assert statuses().count("predicted") < model.rowCount()
    run_and_wait(window, qtbot)
    assert statuses() == ["predicted"] * model.rowCount()
    # another model has predicted nothing yet; going back to the first shows its statuses
    card_b = _gui_data.write_tiny_model(synthetic_dataset.parent / "b", "tiny_b")
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(card_b)
    assert statuses().count("predicted") <= 3  # at most the shown image and its prefetches
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(tiny_model)
    assert statuses() == ["predicted"] * model.rowCount()


def test_the_window_carries_the_application_icon(window: MainWindow) -> None:
    from facealign_gui.app.help import icon_path

    assert icon_path() is not None and icon_path().parent.name == "resources"
    icon = window.windowIcon()
    assert not icon.isNull()
    assert not icon.pixmap(64, 64).isNull()  # the SVG really renders
    desktop_icon = Path(__file__).resolve().parents[2] / "packaging/linux/facealign-gui.svg"
    assert icon_path().read_bytes() == desktop_icon.read_bytes()  # one icon everywhere


def test_a_live_frame_joins_the_open_labelling_session_with_its_prediction(
    window: MainWindow, qtbot, synthetic_dataset: Path, tmp_path: Path
) -> None:
    from facealign_gui.core.annotation import Prediction
    from facealign_gui.session.store import Session

    frame = np.full((48, 64, 3), 90, np.uint8)
    pred = Prediction(points=np.full((98, 2), 20.0), confidence=np.ones(98, np.float32))
    # with no session open the window says what to do, and nothing is written
    window.add_live_frame(frame, pred)
    assert "no labelling session is open" in window.banner.message.text()
    open_and_wait(window, qtbot, synthetic_dataset)
    path = tmp_path / "live.fagsession"
    assert window.labelling.start(lambda: Session.create(path, window.inspector.ds))
    dock = window.labelling.dock
    before = len(dock.session)
    window.add_live_frame(frame, pred)
    assert len(dock.session) == before + 1
    i = before
    saved = dock.session.image_path(i)
    assert saved.parent.name == "live_frames" and saved.is_file()
    np.testing.assert_array_equal(dock.session.prediction(i).points, pred.points)
    assert dock.counts["total"] == before + 1
    # a prediction of another scheme is refused with a message, and the session is unchanged
    wrong = Prediction(points=np.zeros((68, 2)), confidence=np.ones(68, np.float32))
    window.add_live_frame(frame, wrong)
    assert len(dock.session) == before + 1
    assert "68 points" in window.banner.message.text()
    window.labelling.close()


def toolbar_is_idle(w: MainWindow) -> bool:
    """What a person sees when no run is going: Run enabled, Cancel disabled, no bar."""
    return (
        w.act_run.isEnabled()
        and not w.act_cancel.isEnabled()
        and not w.progress.isVisible()
        and not w.cancel_button.isVisible()
    )


def test_the_toolbar_returns_to_idle_even_when_the_run_thread_ends_after_its_summary(
    window: MainWindow, qtbot, synthetic_dataset: Path, tiny_model: Path, monkeypatch
) -> None:
    from facealign_gui.app import worker

    original = worker.RunThread.run

    def slow_exit(self: worker.RunThread) -> None:  # the summary arrives, the thread lingers
        original(self)
        time.sleep(0.4)

    monkeypatch.setattr(worker.RunThread, "run", slow_exit)
    open_and_wait(window, qtbot, synthetic_dataset, tiny_model)
    run_and_wait(window, qtbot)
    assert toolbar_is_idle(window)
    qtbot.wait(600)  # the thread has ended now; nothing re-checks, so the state must be right
    assert toolbar_is_idle(window)
    run_and_wait(window, qtbot)  # a second run starts and finishes
    assert toolbar_is_idle(window)


def test_runs_cancelled_or_finished_on_500_faces_leave_the_window_ready_to_compare(
    window: MainWindow, qtbot, tmp_path: Path, tiny_model: Path
) -> None:
    from facealign_gui.inference.card import load_card, save_card

    card_b = load_card(tiny_model)
    card_b.id, card_b.decoder.subpixel = "tiny_b", "none"
    card_b.onnx = str(tiny_model.with_suffix(".onnx"))
    path_b = save_card(card_b, tmp_path / "tiny_b.toml")
    big = _gui_data.write_wflw_dataset(tmp_path / "big", n=500, distinct_images=8)
    open_and_wait(window, qtbot, big, tiny_model)
    with qtbot.waitSignal(window.inspector.progress, timeout=10000):
        window.act_run.trigger()
    with qtbot.waitSignal(window.inspector.runStateChanged, timeout=5000):
        window.act_cancel.trigger()
    qtbot.waitUntil(lambda: toolbar_is_idle(window), timeout=5000)
    qtbot.waitUntil(lambda: "tiny_heatmap" in window.inspector.results, timeout=10000)
    run_and_wait(window, qtbot)
    qtbot.waitUntil(lambda: toolbar_is_idle(window), timeout=20000)
    assert "Run done: 500 of 500" in window.status_label.text()
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(path_b)
    run_and_wait(window, qtbot)
    qtbot.waitUntil(lambda: toolbar_is_idle(window), timeout=5000)
    a, b = window.inspector.results["tiny_b"], window.inspector.results["tiny_heatmap"]
    assert np.isfinite(a.nme).all() and np.isfinite(b.nme).all()
    assert window.metrics_dock.a is a and window.metrics_dock.b is b


def test_a_replaced_runs_summary_does_not_end_the_run_that_replaced_it(
    window: MainWindow, qtbot, tmp_path: Path, tiny_model: Path
) -> None:
    big = _gui_data.write_wflw_dataset(tmp_path / "big", n=1500, distinct_images=3)
    open_and_wait(window, qtbot, big, tiny_model)
    with qtbot.waitSignal(window.inspector.progress, timeout=10000):
        window.inspector.run_dataset()
    states: list[bool] = []
    window.inspector.runStateChanged.connect(states.append)
    window.inspector.run_dataset()  # the first run is cancelled; its summary is now stale
    qtbot.wait(300)
    assert states == [True]  # no "stopped" from the replaced run
    assert window.act_cancel.isEnabled() and not window.act_run.isEnabled()
    with qtbot.waitSignal(window.inspector.runStateChanged, timeout=5000):
        window.act_cancel.trigger()
    assert toolbar_is_idle(window)


def shown_corners(w: MainWindow) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The top-left and top-right pixels of the image the view is drawing, as (R, G, B)."""
    img = w.view.image_item.image
    return tuple(int(v) for v in img[4, 4]), tuple(int(v) for v in img[4, -4])


def test_colour_images_keep_red_and_blue_in_inspection_and_in_labelling(
    window: MainWindow, qtbot, synthetic_dataset: Path, tmp_path: Path
) -> None:
    from facealign_gui.session.store import Session

    _gui_data.mark_colours(synthetic_dataset)
    open_and_wait(window, qtbot, synthetic_dataset)
    assert shown_corners(window) == (_gui_data.RED_RGB, _gui_data.BLUE_RGB)
    window.view.image_item.clear()
    ds = window.inspector.ds
    assert window.labelling.start(lambda: Session.create(tmp_path / "c.fagsession", ds))
    qtbot.waitUntil(lambda: window.view.image_item.image is not None, timeout=5000)
    assert shown_corners(window) == (_gui_data.RED_RGB, _gui_data.BLUE_RGB)


def test_opening_a_dataset_during_a_session_closes_it_and_shows_the_dataset(
    window: MainWindow, qtbot, synthetic_dataset: Path, tmp_path: Path
) -> None:
    from facealign_gui.session.store import Session

    open_and_wait(window, qtbot, synthetic_dataset)
    ds = window.inspector.ds
    assert window.labelling.start(lambda: Session.create(tmp_path / "s.fagsession", ds))
    with qtbot.waitSignal(window.inspector.datasetOpened, timeout=10000):
        window.open_path(synthetic_dataset)
    qtbot.waitUntil(lambda: window.view.image_item.image is not None, timeout=5000)
    assert window.labelling.dock is None and not window.view.is_editable()
    shown = np.stack([window.view.truth_item.data["x"], window.view.truth_item.data["y"]], 1)
    np.testing.assert_allclose(shown, window.inspector.ds.points[0])


def test_close_session_gives_the_view_back_to_the_dataset_at_once(
    window: MainWindow, qtbot, synthetic_dataset: Path, tmp_path: Path
) -> None:
    from facealign_gui.session.store import Session

    open_and_wait(window, qtbot, synthetic_dataset)
    window.dataset_dock.go_to_row(3)
    ds = window.inspector.ds
    assert not window.act_close_session.isEnabled()
    assert window.labelling.start(lambda: Session.create(tmp_path / "s.fagsession", ds))
    assert window.act_close_session.isEnabled()
    window.view.image_item.clear()
    window.act_close_session.trigger()
    qtbot.waitUntil(lambda: window.view.image_item.image is not None, timeout=5000)
    assert window.labelling.dock is None and not window.act_close_session.isEnabled()
    shown = np.stack([window.view.truth_item.data["x"], window.view.truth_item.data["y"]], 1)
    np.testing.assert_allclose(shown, ds.points[window.inspector.current])
    assert window.dataset_dock.current_sample() == window.inspector.current == 3


def nme_column(w: MainWindow) -> np.ndarray:
    """The NME column as a person reads it, in sample order (NaN for an empty cell)."""
    m = w.dataset_dock.model
    out = np.full(m.rowCount(), np.nan)
    for r in range(m.rowCount()):
        text = m.data(m.index(r, COL_NME), Qt.ItemDataRole.DisplayRole)
        out[m.sample_at(r)] = float(text) / 100 if text else np.nan
    return out


def test_after_switching_models_the_nme_column_is_the_new_models_own(
    window: MainWindow, qtbot, synthetic_dataset: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from facealign_gui.inference.card import load_card, save_card

    card_b = load_card(tiny_model)
    card_b.id, card_b.decoder.subpixel = "tiny_b", "none"
    card_b.onnx = str(tiny_model.with_suffix(".onnx"))
    path_b = save_card(card_b, tmp_path / "tiny_b.toml")
    open_and_wait(window, qtbot, synthetic_dataset, tiny_model)
    run_and_wait(window, qtbot)
    a = window.inspector.results["tiny_heatmap"].nme
    np.testing.assert_allclose(nme_column(window), a, atol=5e-5)
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(path_b)
    assert np.isnan(nme_column(window)).all()  # B has not run: no numbers, not A's
    run_and_wait(window, qtbot)
    b = window.inspector.results["tiny_b"].nme
    np.testing.assert_allclose(nme_column(window), b, atol=5e-5)
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(tiny_model)  # back to A: its numbers come back from the results
    np.testing.assert_allclose(nme_column(window), a, atol=5e-5)


def test_a_filter_that_hides_the_shown_image_moves_both_row_and_image(
    window: MainWindow, qtbot, synthetic_dataset: Path
) -> None:
    open_and_wait(window, qtbot, synthetic_dataset)
    dock = window.dataset_dock
    dock.go_to_row(5)
    assert window.inspector.current == 5
    dock.text.setText("face_00003")  # only sample 3 matches
    qtbot.waitUntil(lambda: dock.model.rowCount() == 1, timeout=3000)
    row = dock.table.selectionModel().currentIndex().row()
    assert row == 0 and dock.model.sample_at(row) == 3
    assert window.inspector.current == 3  # the image shown is the highlighted row's
    qtbot.waitUntil(lambda: window.inspector._image_index == 3, timeout=3000)
    shown = np.stack([window.view.truth_item.data["x"], window.view.truth_item.data["y"]], 1)
    np.testing.assert_allclose(shown, window.inspector.ds.points[3])


def test_the_nme_column_fills_in_while_a_run_is_going(
    window: MainWindow, qtbot, tmp_path: Path, tiny_model: Path
) -> None:
    big = _gui_data.write_wflw_dataset(tmp_path / "big", n=400, distinct_images=3)
    open_and_wait(window, qtbot, big, tiny_model)
    seen = []  # after the window handled each chunk: (scored yet?, its samples, the column)
    window.inspector.hub.runChunk.connect(
        lambda items: seen.append(
            (bool(window.inspector.results), [i for i, _ in items], nme_column(window))
        )
    )
    run_and_wait(window, qtbot)
    scored, idx, col = seen[0]
    assert not scored  # the first chunk came before the run's scores
    assert idx and np.isfinite(col[idx]).all()
    final = window.inspector.results["tiny_heatmap"].nme
    np.testing.assert_allclose(col[idx], final[idx], atol=5e-5)  # the same numbers


def test_a_fresh_window_has_the_built_in_model_selected(qtbot, prefs) -> None:
    from facealign_gui.app.main_window import DEFAULT_MODEL

    w = MainWindow(prefs)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.inspector.predictor is not None, timeout=10000)
    assert w.inspector.predictor.model_id == "mediapipe_face_landmark"
    assert w.inspector.model_path == str(DEFAULT_MODEL)
    assert "mediapipe_face_landmark" in w.model_label.text()


def test_a_model_opened_while_the_default_loads_wins_even_if_the_default_ends_last(
    qtbot, prefs, tiny_model: Path, monkeypatch
) -> None:
    from facealign_gui.inference import registry

    real = registry.load_predictor

    def slow_default(path: str, *a: object, **k: object) -> object:
        if "mediapipe" in str(path):
            time.sleep(0.5)  # the built-in model ends after the one the person chose
        return real(path, *a, **k)

    monkeypatch.setattr(registry, "load_predictor", slow_default)
    w = MainWindow(prefs, default_model=None)
    qtbot.addWidget(w)
    w.act_default_model.trigger()  # File > Use the built-in model, then at once another
    with qtbot.waitSignal(w.inspector.modelLoaded, timeout=10000):
        w.open_path(tiny_model)
    qtbot.wait(800)
    assert w.inspector.predictor.model_id == "tiny_heatmap"
    assert "tiny_heatmap" in w.model_label.text()


def view_width(w: MainWindow) -> float:
    (x0, x1), _ = w.view.vb.viewRange()
    return x1 - x0


def test_plus_minus_and_ctrl_wheel_zoom_the_image(
    window: MainWindow, qtbot, synthetic_dataset: Path
) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    open_and_wait(window, qtbot, synthetic_dataset)
    fit = view_width(window)
    window.act_zoom_in.trigger()
    assert view_width(window) == pytest.approx(fit / 1.25, rel=0.02)
    window.act_zoom_out.trigger()
    window.act_zoom_out.trigger()
    assert view_width(window) == pytest.approx(fit * 1.25, rel=0.02)
    window.view.fit()
    vp = window.view.viewport()
    centre = QPoint(vp.width() // 2, vp.height() // 2)
    ev = QWheelEvent(
        QPointF(centre), QPointF(vp.mapToGlobal(centre)), QPoint(0, 0), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(vp, ev)
    assert view_width(window) < 0.95 * fit  # Ctrl+wheel up zoomed in


def test_chart_legends_sit_outside_the_plotted_area(qtbot) -> None:
    from facealign_gui.app.ced_plot import CedPlot
    from facealign_gui.app.landmark_bars import LandmarkBars
    from facealign_gui.app.nme_histogram import NmeHistogram

    for plot in (CedPlot(), LandmarkBars(), NmeHistogram()):
        qtbot.addWidget(plot)
        plot.resize(420, 300)
        plot.show()
        plot.plot_item.plot([0, 1], [0, 1], name="A: a model with a long name")
        plot.plot_item.plot([0, 1], [1, 0], name="B: another model")
        qtbot.waitExposed(plot)
        qtbot.wait(20)
        legend = plot.legend.sceneBoundingRect()
        data = plot.vb.sceneBoundingRect()
        assert len(plot.legend.items) == 2
        assert not legend.intersects(data), type(plot).__name__


def test_a_session_file_opens_from_a_path_is_recent_and_names_itself_in_the_title(
    qtbot, prefs, synthetic_dataset: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from facealign_gui.session.store import Session

    w = MainWindow(prefs, default_model=None)
    qtbot.addWidget(w)
    open_and_wait(w, qtbot, synthetic_dataset, tiny_model)
    path = tmp_path / "work.fagsession"
    assert w.labelling.create(path)
    assert "work.fagsession — saved" in w.windowTitle()
    assert prefs.recent_items()[0] == str(path)
    assert prefs.session_model(str(path)) == str(tiny_model)  # remembered with the session
    w.labelling.close()
    assert "work.fagsession" not in w.windowTitle()
    w.close()
    Session.open(path).close()  # the lock was released

    w2 = MainWindow(prefs)  # a fresh window: the built-in model first, then the session's
    qtbot.addWidget(w2)
    w2.open_path(path)  # what `facealign-gui work.fagsession` does
    assert w2.labelling.dock is not None and w2.presenter.mode == "label"
    w2.show()
    assert w2.labelling.dock.isVisible()  # the labelling panel is not left hidden
    assert "work.fagsession — saved" in w2.windowTitle()
    qtbot.waitUntil(
        lambda: (
            w2.inspector.predictor is not None and w2.inspector.predictor.model_id == "tiny_heatmap"
        ),
        timeout=10000,
    )
    qtbot.wait(300)  # the built-in model, asked for first, must not replace it
    assert w2.inspector.predictor.model_id == "tiny_heatmap"
    assert w2.labelling.dock.predictor is w2.inspector.predictor
    w2.close()


def test_a_filter_hiding_the_shown_image_moves_it_even_when_row_0_was_highlighted(
    window: MainWindow, qtbot, synthetic_dataset: Path
) -> None:
    open_and_wait(window, qtbot, synthetic_dataset)
    dock = window.dataset_dock
    dock.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # row 0 shows sample 11
    dock.go_to_row(0)
    assert window.inspector.current == 11
    dock.text.setText("face_0000")  # samples 0-9: sample 11 is hidden, row 0 is now 9
    qtbot.waitUntil(lambda: dock.model.rowCount() == 10, timeout=3000)
    row = dock.table.selectionModel().currentIndex().row()
    assert dock.model.sample_at(row) == 9 == window.inspector.current


def test_a_slow_image_of_a_sample_already_left_is_never_shown(
    window: MainWindow, qtbot, synthetic_dataset: Path, monkeypatch
) -> None:
    from facealign_gui.tasks import images

    open_and_wait(window, qtbot, synthetic_dataset)
    real = images.load_rgb

    def slow_five(ds: object, i: int) -> np.ndarray:
        if i == 5:
            time.sleep(0.4)  # still decoding when the person has moved on to 6
        return real(ds, i)

    monkeypatch.setattr(images, "load_rgb", slow_five)
    window.inspector.hub.clear_images()
    window.dataset_dock.go_to_row(5)
    qtbot.wait(50)  # sample 5's decode has started
    window.dataset_dock.go_to_row(6)
    qtbot.wait(800)  # 5's image has arrived by now, and must have been dropped
    ds = window.inspector.ds
    assert window.inspector.current == 6
    np.testing.assert_array_equal(window.view.image_item.image, real(ds, 6))
    shown = np.stack([window.view.truth_item.data["x"], window.view.truth_item.data["y"]], 1)
    np.testing.assert_allclose(shown, ds.points[6])


def test_a_late_image_of_the_previous_dataset_is_not_shown_for_the_same_row(
    window: MainWindow, qtbot, synthetic_dataset: Path, tmp_path: Path, monkeypatch
) -> None:
    from facealign_gui.tasks import images

    other = _gui_data.write_wflw_dataset(tmp_path / "other", n=12, seed=9)
    open_and_wait(window, qtbot, synthetic_dataset)
    old_ds = window.inspector.ds
    real = images.load_rgb

    def slow_old(ds: object, i: int) -> np.ndarray:
        if ds is old_ds and i == 5:
            time.sleep(0.6)  # the old dataset's sample 5 arrives after the new one's
        return real(ds, i)

    monkeypatch.setattr(images, "load_rgb", slow_old)
    window.inspector.hub.clear_images()
    window.dataset_dock.go_to_row(5)
    qtbot.wait(50)
    open_and_wait(window, qtbot, other)
    window.dataset_dock.go_to_row(5)  # the same row of another dataset
    qtbot.wait(900)
    new_ds = window.inspector.ds
    assert new_ds is not old_ds and window.inspector.current == 5
    np.testing.assert_array_equal(window.view.image_item.image, real(new_ds, 5))


def test_a_late_prediction_for_the_previous_dataset_is_not_kept_for_the_new_one(
    window: MainWindow, qtbot, synthetic_dataset: Path, tmp_path: Path, tiny_model: Path,
    monkeypatch,
) -> None:  # fmt: skip
    from facealign_gui.inference import pipeline

    other = _gui_data.write_wflw_dataset(tmp_path / "other", n=12, seed=9)
    open_and_wait(window, qtbot, synthetic_dataset)
    old_ds = window.inspector.ds
    real = pipeline.run_predictions

    def slow_old(predictor: object, ds: object, *a: object, **k: object) -> object:
        if ds is old_ds:
            time.sleep(0.6)  # the old dataset's prediction ends after the switch
        return real(predictor, ds, *a, **k)

    monkeypatch.setattr(pipeline, "run_predictions", slow_old)
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(tiny_model)  # predicts the shown sample 0 of the old dataset
    open_and_wait(window, qtbot, other)
    qtbot.wait(1000)
    new_ds = window.inspector.ds
    fresh = dict(real(load_predictor(tiny_model), new_ds, indices=[0]))[0]
    got = window.inspector.hub.cache.get("tiny_heatmap", 0)
    assert got is not None
    np.testing.assert_allclose(got.points, fresh.points)
    shown = np.stack([window.view.pred_item.data["x"], window.view.pred_item.data["y"]], 1)
    np.testing.assert_allclose(shown, fresh.points)


def test_missing_images_are_said_so_drawn_on_a_blank_canvas_and_located_once(
    qtbot, prefs, synthetic_dataset: Path, tmp_path: Path
) -> None:
    import shutil

    shown_errors = []
    w = MainWindow(prefs, default_model=None)
    qtbot.addWidget(w)
    w.show()
    img_dir = synthetic_dataset.parent / "WFLW_images"
    moved = tmp_path / "elsewhere"
    shutil.move(str(img_dir), str(moved))
    w.inspector.problem.connect(shown_errors.append)
    with qtbot.waitSignal(w.inspector.datasetOpened, timeout=10000):
        w.open_path(synthetic_dataset)
    titles = [e.title for e in shown_errors]
    assert titles == ["Images not found"]  # not "rows could not be read"
    assert shown_errors[0].what.startswith("None images of") and str(synthetic_dataset) in (
        shown_errors[0].what
    )
    assert "Locate images folder" in shown_errors[0].next_step
    qtbot.waitUntil(lambda: w.inspector._image_index == 0, timeout=5000)
    canvas = w.view.image_item.image
    ds = w.inspector.ds
    assert canvas is not None and (canvas == 48).all()  # blank, big enough for the points
    assert canvas.shape[1] > np.nanmax(ds.points[0][:, 0]) and canvas.shape[0] > np.nanmax(
        ds.points[0][:, 1]
    )
    shown = np.stack([w.view.truth_item.data["x"], w.view.truth_item.data["y"]], 1)
    np.testing.assert_allclose(shown, ds.points[0])  # the ground truth is still drawn
    w.locate_images(moved)
    qtbot.waitUntil(lambda: w.inspector.image is not None, timeout=5000)
    assert not (w.view.image_item.image == 48).all()  # the real image now
    w.close()

    shown_errors.clear()
    w2 = MainWindow(prefs, default_model=None)  # the folder is remembered for this dataset
    qtbot.addWidget(w2)
    w2.inspector.problem.connect(shown_errors.append)
    with qtbot.waitSignal(w2.inspector.datasetOpened, timeout=10000):
        w2.open_path(synthetic_dataset)
    qtbot.waitUntil(lambda: w2.inspector.image is not None, timeout=5000)
    assert shown_errors == [] and w2.inspector.ds.root == moved


def test_a_model_of_another_scheme_is_said_before_the_run_and_named_from_its_scheme(
    window: MainWindow, qtbot, synthetic_dataset: Path, tmp_path: Path
) -> None:
    from facealign_gui.core.schemes import get_scheme

    model = _gui_data.write_random_model(tmp_path / "m68")  # 68 points; the data has 98
    open_and_wait(window, qtbot, synthetic_dataset)
    said = []
    window.inspector.problem.connect(said.append)
    with qtbot.waitSignal(window.inspector.modelLoaded, timeout=10000):
        window.open_path(model)
    assert [e.title for e in said] == ["The model's points do not match the dataset's"]
    assert "68 points (300w68)" in said[0].what and "98 (wflw98)" in said[0].what
    scored = []
    window.inspector.resultsReady.connect(scored.append)
    with qtbot.waitSignal(window.inspector.runStateChanged, timeout=20000) as sig:
        window.act_run.trigger()
        qtbot.waitUntil(lambda: "Run done" in window.status_label.text(), timeout=20000)
    assert "not scored: the model's points do not match" in window.status_label.text()
    assert "nan" not in window.status_label.text().lower() and scored == []
    assert sig is not None and toolbar_is_idle(window)
    name = get_scheme("300w68").point_names[36]
    assert name in window.view.describe_point(36, predicted=True)
