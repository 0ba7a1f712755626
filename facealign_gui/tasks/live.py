"""The live view's two loops, Qt-free, as generators (run by `app.thread_worker.GeneratorWorker`).

- `Capture.frames` reads a camera or video file at the source's own pace (a video file is
  paced to its frame rate) and *puts* each frame into a `LatestFrameSlot`, replacing the
  frame that was waiting; it never waits for the model. It yields only what the view must
  hear about: `SourceOpened`, `SourceFailed`, `SourceEnded`.
- `LiveInference.frames` *takes* the newest frame, gets landmarks through an
  `inference.tracking.FaceTracker` (the detector runs when no face is tracked and every
  ``redetect_every`` frames; between, each face's region comes from its last landmarks, as
  MediaPipe's graph does) and yields a `LiveFrame` per processed frame.

When the model is slower than the source the frames in between are dropped (counted in
`LatestFrameSlot.dropped`), never queued: what the view shows lags the source by at most one
frame plus one inference. Both loops stop at their abort event (checked at least every
50 ms) and close or leave the slot so the other one ends too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.tracking import REDETECT_EVERY, FaceTracker
from facealign_gui.inference.types import FaceRegion, Predictor
from facealign_gui.tasks.frames import CapturedFrame, LatestFrameSlot, RateMeter

Detector = Callable[[np.ndarray], list[FaceRegion]]

TAKE_TIMEOUT = 0.05  # seconds the inference loop waits for a frame before re-checking abort
CAMERA_MISSES = 50  # failed reads in a row after which a camera counts as gone


@dataclass(frozen=True)
class SourceOpened:
    fps: float  # the source's nominal frame rate (0 when unknown)


@dataclass(frozen=True)
class SourceFailed:
    source: int | str  # a camera index or a video path
    opened: bool  # False: it never opened; True: a camera stopped delivering


@dataclass(frozen=True)
class SourceEnded:
    """A video file reached its end."""


CaptureEvent = SourceOpened | SourceFailed | SourceEnded


def open_capture(source: int | str) -> object:
    import cv2

    return cv2.VideoCapture(source)


class Capture:
    """Reads ``source`` (camera index or video path) into ``slot``; see `frames`."""

    def __init__(
        self,
        source: int | str,
        slot: LatestFrameSlot,
        pace: bool = True,
        opener: Callable[[int | str], object] = open_capture,
    ) -> None:
        self.source = source
        self.slot = slot
        self.pace = pace
        self.opener = opener
        self.meter = RateMeter()
        self.paused = threading.Event()
        self.frames_read = 0

    @property
    def source_fps(self) -> float:
        return self.meter.rate

    def frames(self, abort: threading.Event) -> Generator[CaptureEvent, None, None]:
        """Read until ``abort``, the end of a file or a dead source; the slot is closed on
        the way out (the inference loop then ends)."""
        import cv2

        cap = self.opener(self.source)
        try:
            if not cap.isOpened():  # type: ignore[attr-defined]
                yield SourceFailed(self.source, opened=False)
                return
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)  # type: ignore[attr-defined]
            yield SourceOpened(fps)
            is_file = not isinstance(self.source, int)
            period = 1.0 / fps if (is_file and self.pace and fps > 0) else 0.0
            due = time.monotonic()
            misses = 0
            while not abort.is_set():
                if self.paused.is_set():
                    abort.wait(0.02)
                    due = time.monotonic()
                    continue
                ok, frame = cap.read()  # type: ignore[attr-defined]
                if not ok:
                    if is_file:
                        yield SourceEnded()
                        return
                    misses += 1
                    if misses > CAMERA_MISSES:  # a camera that stopped delivering
                        yield SourceFailed(self.source, opened=True)
                        return
                    abort.wait(0.02)
                    continue
                misses = 0
                now = time.monotonic()
                self.meter.tick(now)
                self.slot.put(CapturedFrame(self.frames_read, now, frame))
                self.frames_read += 1
                if period:
                    due += period
                    abort.wait(max(0.0, due - time.monotonic()))
        finally:
            cap.release()  # type: ignore[attr-defined]
            self.slot.close()


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


class LiveLoadError(RuntimeError):
    """The live view's model or detector could not be loaded (``__cause__`` says why)."""


class LiveInferenceError(RuntimeError):
    """The model failed on frame ``index`` (``__cause__`` is its exception)."""

    def __init__(self, index: int, cause: BaseException) -> None:
        super().__init__(f"The model failed on frame {index}: {cause}")
        self.index = index


def warped_heatmap(pred: Prediction, shape: tuple[int, ...]) -> tuple[np.ndarray, int, int] | None:
    """The max over a prediction's heatmaps, warped into image space (None without any)."""
    if pred.heatmaps is None or pred.crop_to_image is None or len(pred.heatmaps) == 0:
        return None
    from facealign_gui.viewmodel.heatmaps import reduce_heatmaps, warp_to_image

    return warp_to_image(reduce_heatmaps(pred.heatmaps, "max"), pred.crop_to_image, shape)


class LiveInference:
    """Landmarks on the newest frame of ``slot``; see `frames`.

    ``load`` gives the predictor and the detector for those not given; it is called inside
    `frames`, so on the worker's thread, never the UI thread. ``heatmaps`` may be switched
    while the loop runs (read once per frame).
    """

    def __init__(
        self,
        slot: LatestFrameSlot,
        predictor: Predictor | None = None,
        detector: Detector | None = None,
        source_fps: Callable[[], float] | None = None,
        load: Callable[[], tuple[Predictor, Detector]] | None = None,
    ) -> None:
        self.slot = slot
        self.predictor = predictor
        self.detector = detector
        self.source_fps = source_fps or (lambda: 0.0)
        self.load = load
        self.heatmaps = False
        self.redetect_every = REDETECT_EVERY
        self.tracker: FaceTracker | None = None
        self.meter = RateMeter()
        self.processed_indices: list[int] = []

    def _ready(self) -> tuple[Predictor, Detector]:
        if self.predictor is None or self.detector is None:
            if self.load is None:
                raise LiveLoadError("no model or face detector was given, and no loader")
            try:
                predictor, detector = self.load()
            except Exception as exc:
                raise LiveLoadError(str(exc)) from exc
            self.predictor = self.predictor or predictor
            self.detector = self.detector or detector
        return self.predictor, self.detector  # type: ignore[return-value]

    def frames(self, abort: threading.Event) -> Generator[LiveFrame, None, None]:
        """Process frames until ``abort`` or the slot is closed and empty. Raises
        `LiveLoadError` or `LiveInferenceError` (the loop ends there)."""
        predictor, detector = self._ready()
        self.tracker = FaceTracker(detector, predictor, redetect_every=self.redetect_every)
        while not abort.is_set():
            item = self.slot.take(TAKE_TIMEOUT)
            if item is None:
                if self.slot.finished:
                    return
                continue
            t0 = time.monotonic()
            try:
                step = self.tracker.step(item.image)
            except Exception as exc:
                raise LiveInferenceError(item.index, exc) from exc
            faces, preds = step.faces, step.predictions
            heat = warped_heatmap(preds[0], item.image.shape) if self.heatmaps and preds else None
            now = time.monotonic()
            self.meter.tick(now)
            self.processed_indices.append(item.index)
            yield LiveFrame(
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
