"""The live view drops frames it cannot keep up with, reports a missing camera, stops cleanly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.app.live_view import LiveView
from facealign_gui.app.live_worker import CapturedFrame, LatestFrameSlot
from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.types import FaceRegion

FPS = 50.0
FRAMES = 40


@pytest.fixture
def video(tmp_path: Path) -> Path:
    """A 40-frame 50 fps MJPG clip whose frame i has a bright square at x = 2 * i."""
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (128, 96))
    assert writer.isOpened()
    for i in range(FRAMES):
        img = np.full((96, 128, 3), 40, np.uint8)
        img[30:50, 2 * i : 2 * i + 20] = 255
        writer.write(img)
    writer.release()
    return path


class SlowPredictor:
    """Takes ``delay`` s per face, as a model slower than the source would."""

    model_id = "slow"
    num_points = 3
    scheme = None

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = 0
        self.threads: set[str] = set()

    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        pts = np.array([[10.0, 10.0], [20.0, 10.0], [15.0, 20.0]])
        return Prediction(points=pts, confidence=np.ones(3, np.float32), model_id="slow")

    def predict_batch(self, images: list, faces: list) -> list[Prediction]:
        return [self.predict(i, f) for i, f in zip(images, faces, strict=True)]


def one_face(image: np.ndarray) -> list[FaceRegion]:
    return [FaceRegion(box=(5.0, 5.0, 30.0, 30.0))]


def test_latest_frame_slot_keeps_only_the_newest_frame() -> None:
    slot = LatestFrameSlot()
    img = np.zeros((2, 2, 3), np.uint8)
    for i in range(5):
        slot.put(CapturedFrame(i, 0.0, img))
    assert slot.dropped == 4
    item = slot.take(0.01)
    assert item is not None and item.index == 4
    assert slot.take(0.01) is None
    slot.close()
    assert slot.finished


def test_slow_model_drops_frames_instead_of_queueing_them(qtbot, video: Path) -> None:
    predictor = SlowPredictor(delay=0.1)  # 10 fps model, 50 fps source
    view = LiveView(predictor=predictor, detector=one_face)
    qtbot.addWidget(view)
    shown: list[int] = []
    view.frameShown.connect(lambda f: shown.append(f.index))
    t0 = time.monotonic()
    view.start(str(video))
    qtbot.waitUntil(lambda: not view.is_running(), timeout=4000)
    elapsed = time.monotonic() - t0
    capture_read = FRAMES
    inference = view.inference
    qtbot.waitUntil(lambda: len(shown) == len(inference.processed_indices), timeout=1000)
    processed = inference.processed_indices
    # The clip lasts 0.8 s; a queue would need 40 * 0.1 = 4 s to drain, dropping needs ~0.9 s.
    assert elapsed < 3.5
    assert len(processed) < FRAMES / 2
    assert view.slot.dropped >= FRAMES - len(processed) - 1
    assert view.slot.put_count == capture_read
    assert processed == sorted(processed) and processed[-1] >= FRAMES - 2  # newest frame shown
    assert np.diff(processed).max() > 1  # frames in between were skipped
    assert predictor.threads and "MainThread" not in predictor.threads
    assert "dropped" in view.fps_label.text() and "processed" in view.fps_label.text()
    view.close()


def test_add_frame_emits_the_shown_image_and_its_prediction(qtbot, video: Path) -> None:
    view = LiveView(predictor=SlowPredictor(0.0), detector=one_face)
    qtbot.addWidget(view)
    assert not view.add_button.isEnabled()
    with qtbot.waitSignal(view.frameShown, timeout=3000):
        view.start(str(video))
    view.pause_button.click()
    assert view.pause_button.text() == "Resume"
    with qtbot.waitSignal(view.frameCaptured, timeout=1000) as sig:
        view.add_button.click()
    image, pred = sig.args
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8
    assert isinstance(pred, Prediction) and pred.points.shape == (3, 2)
    view.close()
    assert not view.is_running()


def test_pause_stops_reading_the_video(qtbot, video: Path) -> None:
    view = LiveView(predictor=SlowPredictor(0.0), detector=one_face)
    qtbot.addWidget(view)
    view.pause_button.setChecked(True)
    view.start(str(video))
    qtbot.wait(200)
    assert view.capture.frames_read == 0
    view.pause_button.setChecked(False)
    qtbot.waitUntil(lambda: view.capture is None or view.capture.frames_read > 3, timeout=2000)
    view.stop()
    assert not view.is_running()


def test_a_camera_that_does_not_open_shows_what_to_do_next(qtbot, monkeypatch) -> None:
    class Closed:
        def isOpened(self) -> bool:
            return False

        def release(self) -> None:
            pass

    monkeypatch.setattr("facealign_gui.app.live_worker._open_capture", lambda source: Closed())
    view = LiveView(predictor=SlowPredictor(0.0), detector=one_face)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sourceFailed, timeout=2000) as sig:
        view.start(7)
    assert sig.args[0].title == "No camera"
    assert view.stack.currentWidget() is view.message
    text = view.message.text()
    assert "Camera 7 could not be opened" in text and "--video FILE" in text
    qtbot.waitUntil(lambda: not view.is_running(), timeout=2000)
    view.close()


def test_an_unreadable_video_file_is_reported_in_the_window(qtbot, tmp_path: Path) -> None:
    bad = tmp_path / "not_a_video.avi"
    bad.write_bytes(b"this is not a video")
    view = LiveView(predictor=SlowPredictor(0.0), detector=one_face)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sourceFailed, timeout=3000):
        view.start(str(bad))
    assert str(bad) in view.message.text()
    view.close()


def test_closing_mid_inference_waits_for_the_worker(qtbot, video: Path) -> None:
    predictor = SlowPredictor(delay=0.3)
    view = LiveView(predictor=predictor, detector=one_face)
    qtbot.addWidget(view)
    view.start(str(video))
    qtbot.waitUntil(lambda: predictor.calls > 0, timeout=2000)
    view.close()
    assert not view.is_running()
    assert view.capture is None and view.inference is None


class HeatmapPredictor(SlowPredictor):
    """Returns one 8x8 heatmap peaking at its centre, mapped onto image pixels 10..17."""

    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        pred = super().predict(image, face)
        hm = np.zeros((1, 8, 8), np.float16)
        hm[0, 4, 4] = 1.0
        pred.heatmaps = hm
        pred.crop_to_image = np.array([[1.0, 0.0, 10.0], [0.0, 1.0, 10.0]])
        return pred


def test_heatmap_overlay_is_warped_into_the_frame_when_switched_on(qtbot, video: Path) -> None:
    view = LiveView(predictor=HeatmapPredictor(0.0), detector=one_face)
    qtbot.addWidget(view)
    view.heatmap_box.setChecked(True)
    with qtbot.waitSignal(view.frameShown, timeout=3000) as sig:
        view.start(str(video))
    warped, x0, y0 = sig.args[0].heatmap
    peak = np.unravel_index(int(np.argmax(warped)), warped.shape)
    assert (x0 + peak[1], y0 + peak[0]) == (14, 14)
    assert view.view.heat_item.image is not None
    view.heatmap_box.setChecked(False)
    assert view.view.heat_item.image is None
    view.close()


def test_the_live_workers_are_the_one_worker_idiom(qtbot, video: Path) -> None:
    from facealign_gui.app.thread_worker import GeneratorWorker

    view = LiveView(predictor=SlowPredictor(0.0), detector=one_face)
    qtbot.addWidget(view)
    view.start(str(video), pace=False)
    assert isinstance(view.capture, GeneratorWorker) and isinstance(view.inference, GeneratorWorker)
    qtbot.waitUntil(lambda: not view.is_running(), timeout=10000)
    view.close()


def test_a_model_failing_on_a_frame_is_reported_with_its_number(qtbot, video: Path) -> None:
    class Broken(SlowPredictor):
        def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
            raise RuntimeError("the runtime fell over")

    view = LiveView(predictor=Broken(0.0), detector=one_face)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sourceFailed, timeout=5000) as sig:
        view.start(str(video))
    assert sig.args[0].title == "Live inference failed"
    assert "failed on frame" in view.message.text() and "fell over" in view.message.text()
    view.close()


def test_a_missing_live_model_says_which_file(qtbot, video: Path, monkeypatch) -> None:
    def missing() -> tuple[object, object]:
        raise FileNotFoundError(2, "No such file", "/nowhere/live.toml")

    monkeypatch.setattr("facealign_gui.app.live_worker._default_models", missing)
    view = LiveView(predictor=None, detector=one_face)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sourceFailed, timeout=5000):
        view.start(str(video))
    assert "/nowhere/live.toml" in view.message.text()
    view.close()
