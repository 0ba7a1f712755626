"""The live view's two workers: `tasks.live`'s Qt-free loops on the one worker idiom.

Both are `GeneratorWorker`s (the idiom of the window's run and of "predict all"): the loop is
a generator in `facealign_gui.tasks.live`, the worker runs it on its own thread and turns what
it yields (or raises) into named signals for the view:

- `CaptureWorker` runs `Capture.frames`: the source's frames go into a `LatestFrameSlot`
  (newest frame wins); `opened(fps)`, `failed(UserError)`, `ended()`.
- `InferenceWorker` runs `LiveInference.frames` on the newest frame; `processed(LiveFrame)`,
  `failed(UserError)`. The embedded MediaPipe model and the face detector are loaded on the
  worker's thread when none is given.

`stop()` is the worker's cooperative cancel: each loop checks its abort event at least every
50 ms (a frame inside the model finishes first).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from facealign_gui.app import errors
from facealign_gui.app.thread_worker import GeneratorWorker
from facealign_gui.inference.types import Predictor
from facealign_gui.tasks import live
from facealign_gui.tasks.frames import CapturedFrame, LatestFrameSlot, RateMeter
from facealign_gui.tasks.live import Detector, LiveFrame, warped_heatmap

__all__ = [
    "CaptureWorker",
    "CapturedFrame",
    "Detector",
    "InferenceWorker",
    "LatestFrameSlot",
    "LiveFrame",
    "RateMeter",
    "warped_heatmap",
]

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "mediapipe_face_landmark.toml"


def _open_capture(source: int | str) -> object:
    """The video source (a seam the tests replace)."""
    return live.open_capture(source)


class CaptureWorker(GeneratorWorker):
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

    def __init__(self, source: int | str, slot: LatestFrameSlot, pace: bool = True,
                 parent: QObject | None = None) -> None:  # fmt: skip
        self.loop = live.Capture(source, slot, pace, opener=lambda s: _open_capture(s))
        super().__init__(self.loop.frames, parent)
        self.source, self.slot = source, slot
        # direct: relayed on the worker's thread, as a QThread's own signals were emitted
        self.yielded.connect(self._relay, Qt.ConnectionType.DirectConnection)
        self.errored.connect(self._errored, Qt.ConnectionType.DirectConnection)

    def stop(self) -> None:
        self.cancel()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.loop.paused.set()
        else:
            self.loop.paused.clear()

    @property
    def source_fps(self) -> float:
        return self.loop.source_fps

    @property
    def frames_read(self) -> int:
        return self.loop.frames_read

    def _relay(self, event: object) -> None:
        if isinstance(event, live.SourceOpened):
            self.opened.emit(event.fps)
        elif isinstance(event, live.SourceEnded):
            self.ended.emit()
        elif isinstance(event, live.SourceFailed):
            s = event.source
            self.failed.emit(
                errors.no_camera(s) if isinstance(s, int) else errors.video_unreadable(s)
            )

    def _errored(self, exc: object) -> None:
        self.failed.emit(errors.UserError(
            title="The video source failed", what=f"Reading {self.source} failed: {exc}",
            next_step="Open the source again, or choose another one.", fatal=True))  # fmt: skip


def _default_models() -> tuple[Predictor, Detector]:
    """The embedded MediaPipe model and the face detector, one thread each with spinning
    off: a frame every ~33 ms needs no more (`runtime.session_config("live")`, measured in
    benchmarks/bench_live.py)."""
    import functools

    from facealign_gui.inference.loader import load_predictor
    from facealign_gui.inference.runtime import session_config
    from facealign_gui.inference.tracking import live_detector

    threads = session_config("live")
    predictor = load_predictor(DEFAULT_MODEL, threads=threads)  # type: ignore[arg-type]
    return predictor, functools.partial(live_detector, threads=threads)


class InferenceWorker(GeneratorWorker):
    """Takes the newest frame from ``slot`` and emits `processed(LiveFrame)`.

    ``predictor``/``detector`` default to the embedded MediaPipe model and the face
    detector, loaded on the worker's thread (not the UI thread) when it starts.
    """

    processed = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        slot: LatestFrameSlot,
        predictor: Predictor | None = None,
        detector: Detector | None = None,
        source_fps: Callable[[], float] | None = None,
        parent: QObject | None = None,
    ) -> None:
        self.loop = live.LiveInference(slot, predictor, detector, source_fps, _default_models)
        super().__init__(self.loop.frames, parent)
        self.slot = slot
        # direct: re-emitted on the worker's thread; the view's slots get them queued
        self.yielded.connect(self.processed, Qt.ConnectionType.DirectConnection)
        self.errored.connect(self._errored, Qt.ConnectionType.DirectConnection)

    def stop(self) -> None:
        self.cancel()

    # the loop's state, read and set by the view and the benchmark
    @property
    def predictor(self) -> Predictor | None:
        return self.loop.predictor

    @property
    def detector(self) -> Detector | None:
        return self.loop.detector

    @property
    def heatmaps(self) -> bool:
        return self.loop.heatmaps

    @heatmaps.setter
    def heatmaps(self, on: bool) -> None:
        self.loop.heatmaps = bool(on)

    @property
    def redetect_every(self) -> int:
        return self.loop.redetect_every

    @redetect_every.setter
    def redetect_every(self, n: int) -> None:
        self.loop.redetect_every = int(n)

    @property
    def tracker(self) -> object:
        return self.loop.tracker

    @property
    def meter(self) -> RateMeter:
        return self.loop.meter

    @property
    def processed_indices(self) -> list[int]:
        return self.loop.processed_indices

    def _errored(self, exc: object) -> None:
        cause = getattr(exc, "__cause__", None) or exc
        if isinstance(exc, live.LiveLoadError):
            if isinstance(cause, FileNotFoundError):
                self.failed.emit(errors.model_missing(cause.filename or DEFAULT_MODEL))
                return
            self.failed.emit(errors.UserError(
                title="Model could not be loaded",
                what=f"The live-view model could not be loaded: {cause}",
                next_step="Choose another model (--model CARD) and open the live view again.",
                fatal=True))  # fmt: skip
            return
        self.failed.emit(errors.UserError(
            title="Live inference failed", what=str(exc),
            next_step="Choose another model, or report the message above.",
            fatal=True))  # fmt: skip
