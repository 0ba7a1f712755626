"""A second model in a labelling session: its disagreement with the session's predictions is
a review order, the worst landmark is ringed, and stopping or closing mid-run breaks nothing."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest

from facealign_gui.app.main_window import MainWindow
from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.pipeline import run_predictions
from facealign_gui.inference.uncertainty import face_size
from facealign_gui.session.store import Session


@pytest.fixture
def window(qtbot, prefs, synthetic_dataset: Path, tiny_model: Path, tmp_path: Path):
    """The real window with a labelling session over 12 drawn faces (no predictions yet)."""
    w = MainWindow(prefs, default_model=None)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.inspector.datasetOpened, timeout=10000):
        w.open_path(synthetic_dataset)
    with qtbot.waitSignal(w.inspector.modelLoaded, timeout=10000):
        w.open_path(tiny_model)
    ds = w.inspector.ds
    blank = dataclasses.replace(ds, points=np.full_like(ds.points, np.nan))
    assert w.labelling.start(lambda: Session.create(tmp_path / "work.fagsession", blank))
    yield w
    w.labelling.close()
    w.close()


def b_points(session: Session, card: Path) -> dict[int, np.ndarray]:
    """What the second model predicts for every image, computed here on its own."""
    out = {}
    for i, p in run_predictions(load_predictor(card), session.face_dataset()):
        assert isinstance(p, Prediction), p
        out[i] = np.asarray(p.points, dtype=np.float64)
    return out


def run_second(qtbot, w: MainWindow, model: object) -> None:
    second = w.labelling.tools.second
    with qtbot.waitSignal(second.finished, timeout=30000):
        assert second.start(model)
    assert not second.running


def choose_order(w: MainWindow, name: str) -> None:
    box = w.labelling.dock.order_box
    j = box.findData(name)
    assert j >= 0, f"{name} is not in the Order box"
    box.setCurrentIndex(j)


class SlowPredictor:
    """The tiny model, 60 ms per face (no prepare/run_prepared: one face at a time)."""

    def __init__(self, card: Path) -> None:
        self.inner = load_predictor(card)
        self.model_id, self.num_points = "slow_tiny", self.inner.num_points
        self.scheme = self.inner.scheme
        self.calls = 0

    def predict(self, image: object, face: object) -> Prediction:
        time.sleep(0.06)
        self.calls += 1
        return self.inner.predict(image, face)

    def predict_batch(self, images: list, faces: list) -> list[Prediction]:
        return [self.predict(im, f) for im, f in zip(images, faces, strict=True)]


def test_the_order_box_offers_two_models_disagree_most(window) -> None:
    box = window.labelling.dock.order_box
    j = box.findData("model_disagreement")
    assert j >= 0 and box.itemText(j) == "Two models disagree most"


def test_predicting_the_second_model_stores_each_images_distance_to_the_first(
    qtbot, window, tiny_model: Path
) -> None:
    w = window
    s = w.labelling.session
    b = b_points(s, tiny_model)
    # the session's (A) predictions: B's points moved by a known offset per image,
    # image 7 by far the most
    offsets = {i: 1.0 + 0.1 * i for i in range(len(s))}
    offsets[7] = 12.0
    for i in range(len(s)):
        a = b[i] + (offsets[i], 0.0)
        s.set_prediction(i, Prediction(points=a, confidence=np.full(len(a), 0.9, np.float32)))
    run_second(qtbot, w, tiny_model)

    sc = s.scores("model_disagreement")
    for i in range(len(s)):
        expected = offsets[i] / face_size(b[i] + (offsets[i], 0.0))
        np.testing.assert_allclose(sc.per_point[i], expected, rtol=1e-4)
        assert sc.face[i] == pytest.approx(expected, rel=1e-4)
    choose_order(w, "model_disagreement")
    q = w.labelling.dock.controller.queue
    assert q[0] == 7
    faces = [sc.face[i] for i in q]
    assert faces == sorted(faces, reverse=True)  # worst first all the way down


def test_the_worst_landmark_of_the_disagreement_order_is_ringed(
    qtbot, window, tiny_model: Path
) -> None:
    w = window
    s, tools = w.labelling.session, w.labelling.tools
    b = b_points(s, tiny_model)
    for i in range(len(s)):
        a = b[i] + (1.0, 1.0)
        a[33] += (9.0, -4.0) if i == 3 else (0.0, 0.0)  # image 3: point 33 is far off
        a[60] += (0.0, 5.0) if i == 3 else (0.0, 0.0)
        s.set_prediction(i, Prediction(points=a, confidence=np.full(len(a), 0.9, np.float32)))
    run_second(qtbot, w, tiny_model)
    choose_order(w, "model_disagreement")
    w.labelling.dock.controller.show(3)
    assert tools.worst == 33
    x, y = tools.ring.getData()
    np.testing.assert_allclose([x[0], y[0]], s.prediction(3).points[33])
    assert "two models disagree most" in tools.worst_label.text()


def test_images_predicted_by_the_first_model_later_get_their_score_then(
    qtbot, window, tiny_model: Path
) -> None:
    w = window
    s, dock = w.labelling.session, w.labelling.dock
    run_second(qtbot, w, tiny_model)  # B first: no A prediction to compare with yet
    assert np.isnan(s.scores("model_disagreement").face).all()
    with qtbot.waitSignal(dock.controller.queueChanged, timeout=20000):
        dock.predict_all()  # A is the same tiny model: the two agree everywhere
    qtbot.waitUntil(lambda: dock._worker is None, timeout=20000)
    face = s.scores("model_disagreement").face
    assert np.isfinite(face).all()
    np.testing.assert_allclose(face, 0.0, atol=1e-6)


def test_a_second_model_of_another_scheme_is_refused_with_its_name(
    qtbot, window, tmp_path: Path
) -> None:
    import _gui_data

    card = _gui_data.write_random_model(tmp_path / "other", k=68)
    w = window
    run_second(qtbot, w, card)
    text = w.labelling.dock.message.text()
    assert "random_68.toml" in text and "68 points" in text and "98" in text
    assert np.isnan(w.labelling.session.scores("model_disagreement").face).all()
    assert w.labelling.tools.second.choose_button.isEnabled()  # it can be tried again


def test_stopping_the_second_model_keeps_what_it_scored_and_it_can_run_again(
    qtbot, window, tiny_model: Path
) -> None:
    w = window
    s, second = w.labelling.session, w.labelling.tools.second
    s.set_predictions([(i, Prediction(points=p, confidence=np.ones(len(p), np.float32)),
                        "primary") for i, p in b_points(s, tiny_model).items()])  # fmt: skip
    slow = SlowPredictor(tiny_model)
    with qtbot.waitSignal(second.finished, timeout=30000) as done:
        assert second.start(slow)
        qtbot.waitUntil(lambda: slow.calls > 0, timeout=10000)  # the first batch is running
        second.cancel()
    assert done.args == [True]
    n = len(second.points)
    assert 0 < n < len(s)  # it stopped part way
    face = s.scores("model_disagreement").face
    assert np.isfinite(face).sum() == n
    assert "stopped" in w.labelling.dock.message.text()
    run_second(qtbot, w, tiny_model)  # again, to the end
    assert np.isfinite(s.scores("model_disagreement").face).all()


def test_closing_the_session_mid_run_stops_the_second_model_and_stores_nothing_late(
    qtbot, window, tiny_model: Path, tmp_path: Path
) -> None:
    w = window
    s, second = w.labelling.session, w.labelling.tools.second
    s.set_predictions([(i, Prediction(points=p, confidence=np.ones(len(p), np.float32)),
                        "primary") for i, p in b_points(s, tiny_model).items()])  # fmt: skip
    slow = SlowPredictor(tiny_model)
    assert second.start(slow)
    qtbot.waitUntil(lambda: slow.calls > 0, timeout=10000)
    w.labelling.close()  # detaches the tools: waits for the worker
    assert not second.running and s.closed
    calls = slow.calls
    assert calls < len(s)  # it did not run to the end
    qtbot.wait(300)  # any chunk still queued is delivered now, to nobody
    assert slow.calls == calls
    again = Session.open(tmp_path / "work.fagsession")  # the file is whole and unlocked
    try:
        assert len(again) == 12
        assert np.isfinite(again.scores("model_disagreement").face).sum() <= calls
    finally:
        again.close()


def test_the_label_menu_action_predicts_the_card_chosen(
    qtbot, window, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    w = window
    second = w.labelling.tools.second
    assert second.action in w.labelling.parts.menu.actions()
    # the bare .onnx of the tiny model: its card beside it is the one loaded
    onnx = str(tiny_model.with_suffix(".onnx"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (onnx, ""))
    with qtbot.waitSignal(second.finished, timeout=30000):
        second.action.trigger()
    assert second.model_id == "tiny_heatmap" and len(second.points) == 12
    assert "tiny_heatmap (12 / 12 images)" in second.label.text()


def test_a_bare_onnx_without_its_card_is_refused_before_loading(
    qtbot, window, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from PySide6.QtWidgets import QFileDialog

    bare = tmp_path / "alone" / "model.onnx"
    bare.parent.mkdir()
    shutil.copy(tiny_model.with_suffix(".onnx"), bare)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bare), ""))
    second = window.labelling.tools.second
    second.ask()
    assert not second.running
    assert str(bare) in window.labelling.dock.message.text()
    assert "card" in window.labelling.dock.message.text()


def test_closing_the_session_takes_the_menu_action_away(window) -> None:
    menu = window.labelling.parts.menu
    action = window.labelling.tools.second.action
    window.labelling.close()
    assert action not in menu.actions()
