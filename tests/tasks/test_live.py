"""The live view's Qt-free loops: capture into the newest-frame slot, infer on what it holds."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.types import FaceRegion
from facealign_gui.tasks.frames import CapturedFrame, LatestFrameSlot
from facealign_gui.tasks.live import (
    Capture,
    LiveFrame,
    LiveInference,
    LiveInferenceError,
    LiveLoadError,
    SourceEnded,
    SourceFailed,
    SourceOpened,
)


class FakeCapture:
    """A video file of ``n`` frames whose pixel value is the frame number."""

    def __init__(self, n: int, opened: bool = True, fps: float = 0.0) -> None:
        self.n, self._opened, self.fps, self.read_count, self.released = n, opened, fps, 0, False

    def isOpened(self) -> bool:
        return self._opened

    def get(self, prop: int) -> float:
        return self.fps if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.read_count >= self.n:
            return False, None
        self.read_count += 1
        return True, np.full((4, 4, 3), self.read_count - 1, np.uint8)

    def release(self) -> None:
        self.released = True


def test_a_video_file_is_read_into_the_slot_then_ends_and_closes_it() -> None:
    slot = LatestFrameSlot()
    cap = FakeCapture(3, fps=25.0)
    loop = Capture("clip.mp4", slot, pace=False, opener=lambda _s: cap)
    events = list(loop.frames(threading.Event()))
    assert events == [SourceOpened(25.0), SourceEnded()]
    assert slot.put_count == 3 and slot.dropped == 2  # nobody took them: newest wins
    last = slot.take(0.0)
    assert last is not None and last.index == 2 and int(last.image[0, 0, 0]) == 2
    assert slot.finished and cap.released and loop.frames_read == 3


def test_a_source_that_does_not_open_says_so_and_closes_the_slot() -> None:
    slot = LatestFrameSlot()
    loop = Capture(0, slot, opener=lambda _s: FakeCapture(0, opened=False))
    assert list(loop.frames(threading.Event())) == [SourceFailed(0, opened=False)]
    assert slot.finished


def test_a_camera_that_stops_delivering_fails_after_many_misses(monkeypatch) -> None:
    slot = LatestFrameSlot()
    monkeypatch.setattr("facealign_gui.tasks.live.CAMERA_MISSES", 2)
    loop = Capture(1, slot, opener=lambda _s: FakeCapture(1))
    events = list(loop.frames(threading.Event()))
    assert events == [SourceOpened(0.0), SourceFailed(1, opened=True)]
    assert slot.put_count == 1


def test_abort_stops_the_capture_loop() -> None:
    slot, abort = LatestFrameSlot(), threading.Event()
    loop = Capture(0, slot, opener=lambda _s: FakeCapture(10**9))
    gen = loop.frames(abort)
    assert next(gen) == SourceOpened(0.0)
    abort.set()
    assert list(gen) == [] and slot.finished


class ShiftPredictor:
    """Landmarks at the face box's corner plus the frame's pixel value; confident."""

    model_id = "shift"

    def __init__(self, fail_on: int | None = None) -> None:
        self.fail_on = fail_on

    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        v = float(image[0, 0, 0])
        if v == self.fail_on:
            raise RuntimeError("the runtime fell over")
        pts = np.array([[10.0, 10.0], [30.0, 10.0], [20.0, 30.0]]) + v
        return Prediction(points=pts, confidence=np.ones(3, np.float32), model_id="shift")


def detector(image: np.ndarray) -> list[FaceRegion]:
    return [FaceRegion(box=np.array([5.0, 5.0, 40.0, 40.0]))]


def test_inference_yields_a_frame_per_taken_frame_and_ends_when_the_slot_closes() -> None:
    slot = LatestFrameSlot()
    loop = LiveInference(slot, ShiftPredictor(), detector, source_fps=lambda: 30.0)
    gen = loop.frames(threading.Event())
    out: list[LiveFrame] = []
    for k in range(3):
        slot.put(CapturedFrame(k, 0.0, np.full((64, 64, 3), k, np.uint8)))
        out.append(next(gen))
    slot.close()
    assert list(gen) == []
    assert [f.index for f in out] == [0, 1, 2] == loop.processed_indices
    assert all(len(f.predictions) == 1 and f.source_fps == 30.0 for f in out)
    np.testing.assert_allclose(out[2].predictions[0].points[0], [12.0, 12.0])
    assert loop.tracker is not None and loop.tracker.frames == 3


def test_the_models_are_loaded_inside_the_loop_and_a_failure_is_a_load_error() -> None:
    calls = []

    def load() -> tuple[object, object]:
        calls.append(threading.get_ident())
        raise FileNotFoundError(2, "no such file", "model.toml")

    loop = LiveInference(LatestFrameSlot(), load=load)  # type: ignore[arg-type]
    gen = loop.frames(threading.Event())
    assert calls == []  # nothing loads before the loop runs (on the worker's thread)
    with pytest.raises(LiveLoadError) as info:
        next(gen)
    assert isinstance(info.value.__cause__, FileNotFoundError) and len(calls) == 1


def test_a_model_failure_names_the_frame() -> None:
    slot = LatestFrameSlot()
    slot.put(CapturedFrame(7, 0.0, np.full((64, 64, 3), 3, np.uint8)))
    loop = LiveInference(slot, ShiftPredictor(fail_on=3), detector)
    with pytest.raises(LiveInferenceError, match="frame 7"):
        next(loop.frames(threading.Event()))


def test_abort_stops_the_inference_loop_while_it_waits_for_a_frame() -> None:
    abort = threading.Event()
    abort.set()
    loop = LiveInference(LatestFrameSlot(), ShiftPredictor(), detector)
    assert list(loop.frames(abort)) == []
