"""Threads behind the live view: capture into a latest-frame slot, infer on the newest frame.

Two threads, one slot between them:

- `CaptureThread` reads the camera or video file at the source's own pace (a video file is
  paced to its frame rate) and *puts* each frame into a `LatestFrameSlot`, replacing the
  frame that was waiting. It never waits for the model.
- `InferenceThread` *takes* the newest frame, gets landmarks through a
  `inference.tracking.FaceTracker` (the detector runs when no face is tracked and every
  ``REDETECT_EVERY`` frames; between, each face's region comes from its last landmarks, as
  MediaPipe's graph does), and emits a `LiveFrame` by signal.

When the model is slower than the source the frames in between are dropped (counted in
`LatestFrameSlot.dropped`), never queued: what the view shows lags the source by at most one
frame plus one inference.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QThread, Signal

from facealign_gui.app import errors
from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.tracking import REDETECT_EVERY, FaceTracker
from facealign_gui.inference.types import FaceRegion, Predictor
from facealign_gui.tasks.frames import CapturedFrame, LatestFrameSlot, RateMeter

__all__ = ["CapturedFrame", "LatestFrameSlot", "LiveFrame", "RateMeter"]

Detector = Callable[[np.ndarray], list[FaceRegion]]

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "mediapipe_face_landmark.toml"


@dataclass
class LiveFrame:
    """One processed frame, as the view receives it."""

    index: int
    image: np.ndarray
    faces: list[FaceRegion]
    predictions: list[Prediction]
    seconds: float  # detection + landmarks
    latency: float  # capture -> result
    source_fps: float
    processed_fps: float
    dropped: int
    heatmap: tuple[np.ndarray, int, int] | None = None  # warped [0,1] map, x0, y0
    extra: dict[str, object] = field(default_factory=dict)


def _open_capture(source: int | str) -> object:
    import cv2

    return cv2.VideoCapture(source)


class CaptureThread(QThread):
    """Reads ``source`` (camera index or video path) into ``slot`` until stopped or EOF.

    Signals
    -------
    opened(float) : the source opened; its nominal frame rate (0 when unknown).
    failed(object) : an `errors.UserError` (camera not opened, file unreadable).
    ended() : a video file reached its end.
    """

    opened = Signal(float)
    failed = Signal(object)
    ended = Signal()

    def __init__(self, source: int | str, slot: LatestFrameSlot, pace: bool = True) -> None:
        super().__init__()
        self.source = source
        self.slot = slot
        self.pace = pace
        self.meter = RateMeter()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self.frames_read = 0

    def stop(self) -> None:
        self._stop.set()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self._paused.set()
        else:
            self._paused.clear()

    @property
    def source_fps(self) -> float:
        return self.meter.rate

    def run(self) -> None:
        import cv2

        cap = _open_capture(self.source)
        try:
            if not cap.isOpened():  # type: ignore[attr-defined]
                err = (
                    errors.no_camera(self.source)
                    if isinstance(self.source, int)
                    else errors.video_unreadable(self.source)
                )
                self.failed.emit(err)
                return
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)  # type: ignore[attr-defined]
            self.opened.emit(fps)
            is_file = not isinstance(self.source, int)
            period = 1.0 / fps if (is_file and self.pace and fps > 0) else 0.0
            due = time.monotonic()
            misses = 0
            while not self._stop.is_set():
                if self._paused.is_set():
                    self._stop.wait(0.02)
                    due = time.monotonic()
                    continue
                ok, frame = cap.read()  # type: ignore[attr-defined]
                if not ok:
                    if is_file:
                        self.ended.emit()
                        break
                    misses += 1
                    if misses > 50:  # a camera that stopped delivering
                        self.failed.emit(errors.no_camera(int(self.source)))
                        break
                    self._stop.wait(0.02)
                    continue
                misses = 0
                now = time.monotonic()
                self.meter.tick(now)
                self.slot.put(CapturedFrame(self.frames_read, now, frame))
                self.frames_read += 1
                if period:
                    due += period
                    self._stop.wait(max(0.0, due - time.monotonic()))
        finally:
            cap.release()  # type: ignore[attr-defined]
            self.slot.close()


def _default_detector() -> Detector:
    """The face detector on one thread with spinning off: a frame every ~33 ms needs no more
    (`runtime.session_config("live")`, measured in benchmarks/bench_live.py)."""
    import functools

    from facealign_gui.inference.runtime import session_config
    from facealign_gui.inference.tracking import live_detector

    return functools.partial(live_detector, threads=session_config("live"))


def _default_predictor() -> Predictor:
    from facealign_gui.inference.loader import load_predictor
    from facealign_gui.inference.runtime import session_config

    return load_predictor(DEFAULT_MODEL, threads=session_config("live"))  # type: ignore[arg-type]


def warped_heatmap(pred: Prediction, shape: tuple[int, ...]) -> tuple[np.ndarray, int, int] | None:
    """The max over a prediction's heatmaps, warped into image space (None without any)."""
    if pred.heatmaps is None or pred.crop_to_image is None or len(pred.heatmaps) == 0:
        return None
    from facealign_gui.viewmodel.heatmaps import reduce_heatmaps, warp_to_image

    return warp_to_image(reduce_heatmaps(pred.heatmaps, "max"), pred.crop_to_image, shape)


class InferenceThread(QThread):
    """Takes the newest frame from ``slot`` and emits `processed(LiveFrame)`.

    ``predictor``/``detector`` default to the embedded MediaPipe model and the face
    detector, loaded in this thread (not the UI thread) when it starts.
    """

    processed = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        slot: LatestFrameSlot,
        predictor: Predictor | None = None,
        detector: Detector | None = None,
        source_fps: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self.slot = slot
        self.predictor = predictor
        self.detector = detector
        self.source_fps = source_fps or (lambda: 0.0)
        self.heatmaps = False
        self.redetect_every = REDETECT_EVERY
        self.tracker: FaceTracker | None = None
        self.meter = RateMeter()
        self.processed_indices: list[int] = []
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def _load(self) -> bool:
        try:
            if self.predictor is None:
                self.predictor = _default_predictor()
            if self.detector is None:
                self.detector = _default_detector()
        except FileNotFoundError as exc:
            self.failed.emit(errors.model_missing(exc.filename or DEFAULT_MODEL))
            return False
        except Exception as exc:  # any loader fault becomes a message, not a crash
            self.failed.emit(
                errors.UserError(
                    title="Model could not be loaded",
                    what=f"The live-view model could not be loaded: {exc}",
                    next_step="Choose another model (--model CARD) and open the live view again.",
                    fatal=True,
                )
            )
            return False
        return True

    def run(self) -> None:
        if not self._load():
            return
        assert self.predictor is not None and self.detector is not None
        self.tracker = FaceTracker(
            self.detector, self.predictor, redetect_every=self.redetect_every
        )
        while not self._stop.is_set():
            item = self.slot.take(0.05)
            if item is None:
                if self.slot.finished:
                    break
                continue
            t0 = time.monotonic()
            try:
                step = self.tracker.step(item.image)
                faces, preds = step.faces, step.predictions
            except Exception as exc:
                self.failed.emit(
                    errors.UserError(
                        title="Live inference failed",
                        what=f"The model failed on frame {item.index}: {exc}",
                        next_step="Choose another model, or report the message above.",
                        fatal=True,
                    )
                )
                break
            heat = None
            if self.heatmaps and preds:
                heat = warped_heatmap(preds[0], item.image.shape)
            now = time.monotonic()
            self.meter.tick(now)
            self.processed_indices.append(item.index)
            self.processed.emit(
                LiveFrame(
                    index=item.index,
                    image=item.image,
                    faces=faces,
                    predictions=preds,
                    seconds=now - t0,
                    latency=now - item.captured_at,
                    source_fps=self.source_fps(),
                    processed_fps=self.meter.rate,
                    dropped=self.slot.dropped,
                    heatmap=heat,
                )
            )
