"""The bridge between the UI thread and background work.

- `ResultCache` (Qt-free, in `facealign_gui.tasks.cache`): predictions per (model id,
  sample index), heatmaps only for the most recently used entries.
- `RunThread`: a dataset-wide run through `inference.pipeline.run_predictions` (the same
  function the CLI calls), cancelled cooperatively with a `threading.Event`.
- `WorkerHub`: the one main-thread QObject the widgets talk to. It decodes images and
  predicts the shown image on a `QThreadPool` (newest request wins; stale results are
  dropped), owns the run thread, and waits for all of them in `shutdown`.

Results reach widgets only through the hub's ``Signal(object)`` signals, emitted from worker
threads and delivered (queued) to slots of main-thread objects.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, QThreadPool, Signal

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.types import Predictor
from facealign_gui.tasks.cache import ResultCache
from facealign_gui.tasks.tokens import RequestTokens

__all__ = ["ResultCache", "RunThread", "WorkerHub"]

CHUNK_SECONDS = 0.1  # a run emits its results at most ~10 times a second


@dataclass(frozen=True)
class ImageResult:
    token: int
    index: int
    image: np.ndarray | None  # RGB uint8, None when it failed
    error: str = ""


@dataclass(frozen=True)
class PredictionResult:
    token: int
    model_id: str
    index: int
    prediction: Prediction | None
    error: str = ""
    generation: int = 0  # `WorkerHub.generation` when it was asked for


@dataclass(frozen=True)
class RunSummary:
    model_id: str
    done: int
    total: int
    cancelled: bool
    error: str = ""
    seconds: float = 0.0
    generation: int = 0
    run_token: int = 0  # `WorkerHub.runs` token of the run: only the newest run's counts


@dataclass(frozen=True)
class RunChunk:
    """Results of a run since the last chunk: ``(index, Prediction | SampleFailure)``."""

    items: list[tuple[int, object]]
    generation: int = 0

    def __iter__(self) -> Iterator[tuple[int, object]]:
        return iter(self.items)


class TaskTag(tuple):
    """What a task was for: unpacks as ``kind, path``; ``token`` is its request token (0
    when its kind keeps none)."""

    token: int

    def __new__(cls, kind: str, path: object, token: int = 0) -> TaskTag:
        tag = super().__new__(cls, (kind, path))
        tag.token = token
        return tag

    @property
    def kind(self) -> str:
        return self[0]

    @property
    def path(self) -> object:
        return self[1]


@dataclass(frozen=True)
class TaskResult:
    tag: object
    value: object
    error: BaseException | None = None


class RunThread(QThread):
    """Runs a predictor over a dataset; results in chunks, progress, and a `RunSummary`."""

    chunk = Signal(object)  # list[tuple[int, Prediction | SampleFailure]]
    progress = Signal(int, int)
    summary = Signal(object)  # RunSummary

    def __init__(
        self, predictor: Predictor, ds: Dataset, order: list[int], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.predictor = predictor
        self.ds = ds
        self.order = order
        self.cancel_event = threading.Event()
        # the samples whose heatmaps are kept (the shown one and its neighbours in table
        # order); replaced as a whole by the UI thread, read here: no lock needed
        self.keep_heatmaps_for: frozenset[int] = frozenset()
        self.generation = 0
        self.run_token = 0

    def run(self) -> None:
        from facealign_gui.inference.pipeline import run_predictions

        model_id = self.predictor.model_id
        t0 = time.perf_counter()
        last = t0
        buf: list[tuple[int, object]] = []
        done, total, error = 0, len(self.order), ""
        try:
            for i, r in run_predictions(
                self.predictor, self.ds, indices=self.order, cancel=self.cancel_event
            ):
                if (
                    isinstance(r, Prediction)
                    and r.heatmaps is not None
                    and i not in self.keep_heatmaps_for
                ):
                    r = dataclasses.replace(r, heatmaps=None)
                buf.append((i, r))
                done += 1
                now = time.perf_counter()
                if now - last >= CHUNK_SECONDS:
                    self.chunk.emit(RunChunk(buf, self.generation))
                    self.progress.emit(done, total)
                    buf, last = [], now
        except Exception as exc:  # a broken model: report it, never crash the window
            error = f"{type(exc).__name__}: {exc}"
        if buf:
            self.chunk.emit(RunChunk(buf, self.generation))
        self.progress.emit(done, total)
        self.summary.emit(
            RunSummary(
                model_id,
                done,
                total,
                self.cancel_event.is_set(),
                error,
                time.perf_counter() - t0,
                self.generation,
                self.run_token,
            )
        )


class WorkerHub(QObject):
    """Everything that runs off the UI thread, behind signals."""

    imageReady = Signal(object)  # ImageResult
    predictionReady = Signal(object)  # PredictionResult
    runChunk = Signal(object)
    runProgress = Signal(int, int)
    runFinished = Signal(object)  # RunSummary
    taskDone = Signal(object)  # TaskResult

    def __init__(self, parent: QObject | None = None, image_cache: int = 12) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.cache = ResultCache()
        self._images: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._image_slots = image_cache
        self._lock = threading.Lock()
        self._image_token = 0
        self._wanted = -1
        self._pred_token = 0
        self._prefetching: set[tuple[str, int, int]] = set()  # (model, index, generation)
        self._prefetch_lock = threading.Lock()
        self.generation = 0  # bumped when the dataset changes: older results are dropped
        self._run: RunThread | None = None
        self.runs = RequestTokens()  # the newest run's summary ends the "running" state
        self._keep: frozenset[int] = frozenset()
        self._closed = False

    # -- images ----------------------------------------------------------------------------
    def cached_image(self, ds: Dataset, index: int) -> np.ndarray | None:
        with self._lock:
            img = self._images.get((id(ds), index))
            if img is not None:
                self._images.move_to_end((id(ds), index))
            return img

    def request_image(self, ds: Dataset, index: int, prefetch: tuple[int, ...] = ()) -> int:
        """Decode sample ``index`` off the UI thread; returns the request token.

        A cached image is delivered at once (synchronously, through the same signal).
        Requests a newer one replaced are skipped before they start.
        """
        self._image_token += 1
        token = self._image_token
        self._wanted = index
        if self._closed:
            return token
        img = self.cached_image(ds, index)
        if img is not None:
            self.imageReady.emit(ImageResult(token, index, img))
        else:
            self.pool.start(lambda: self._load(ds, index, token, True), 2)
        for j in prefetch:
            if 0 <= j < len(ds) and self.cached_image(ds, j) is None:
                self.pool.start(lambda j=j: self._load(ds, j, token, False), 0)
        return token

    def _load(self, ds: Dataset, index: int, token: int, deliver: bool) -> None:
        if self._closed:
            return
        if deliver and token != self._image_token:
            return  # stale: a newer image was requested before this one started
        if not deliver and abs(index - self._wanted) > 2 and token != self._image_token:
            return  # a prefetch for a row the user has already left behind
        if not deliver and self.cached_image(ds, index) is not None:
            return
        from facealign_gui.tasks.images import load_rgb

        try:
            rgb, err = load_rgb(ds, index), ""
        except Exception as exc:
            rgb, err = None, str(exc) or type(exc).__name__
        if rgb is not None:
            with self._lock:
                self._images[(id(ds), index)] = rgb
                while len(self._images) > self._image_slots:
                    self._images.popitem(last=False)
        if deliver and not self._closed:
            self.imageReady.emit(ImageResult(token, index, rgb, err))

    def clear_images(self) -> None:
        with self._lock:
            self._images.clear()

    # -- one prediction (the shown image, served before the run) -------------------------------
    def request_prediction(
        self, predictor: Predictor, ds: Dataset, index: int, prefetch: bool = False
    ) -> int:
        """Predict sample ``index`` now, at high priority; returns the request token.

        A newer request makes older ones stale (skipped before they start); a ``prefetch``
        (the next row) runs at low priority and does not replace the shown image's request.
        """
        if self._closed:
            return self._pred_token
        if prefetch:
            token = self._pred_token
            gen = self.generation
            key = (predictor.model_id, index, gen)
            with self._prefetch_lock:
                if key in self._prefetching:
                    return token  # already on its way
                self._prefetching.add(key)

            def job() -> None:
                try:
                    self._predict(predictor, ds, index, token, gen, True)
                finally:
                    with self._prefetch_lock:
                        self._prefetching.discard(key)

            self.pool.start(job, 0)
            return token
        self._pred_token += 1
        token = self._pred_token
        gen = self.generation
        self.pool.start(lambda: self._predict(predictor, ds, index, token, gen), 1)
        return token

    def _predict(
        self,
        predictor: Predictor,
        ds: Dataset,
        index: int,
        token: int,
        generation: int,
        prefetch: bool = False,
    ) -> None:
        if self._closed or (token != self._pred_token and not prefetch):
            return
        if prefetch and token != self._pred_token:
            return  # the user moved on before the prefetch started
        from facealign_gui.inference.pipeline import run_predictions

        pred, err = None, ""
        try:
            for _, r in run_predictions(predictor, ds, indices=[index], batch_size=1, workers=1):
                pred, err = (r, "") if isinstance(r, Prediction) else (None, str(r))
        except Exception as exc:
            err = f"{type(exc).__name__}: {exc}"
        if not self._closed:
            self.predictionReady.emit(
                PredictionResult(token, predictor.model_id, index, pred, err, generation)
            )

    def latest_prediction_token(self) -> int:
        return self._pred_token

    def latest_image_token(self) -> int:
        return self._image_token

    # -- any other slow call (open a dataset, load a model) ----------------------------------
    def run_task(self, tag: object, fn: Callable[[], object]) -> None:
        """Call ``fn()`` on the pool; `taskDone` carries its value or exception. Nothing
        starts after `shutdown` (a signal queued before it may still ask)."""
        if self._closed:
            return

        def job() -> None:
            try:
                value, error = fn(), None
            except Exception as exc:
                value, error = None, exc
            if not self._closed:
                self.taskDone.emit(TaskResult(tag, value, error))

        self.pool.start(job, 3)

    # -- dataset-wide run ------------------------------------------------------------------
    def start_run(self, predictor: Predictor, ds: Dataset, order: list[int]) -> RunThread | None:
        """Start a run (cancelling any running one) over ``order``; None after `shutdown`."""
        if self._closed:
            return None
        self.cancel_run(wait=True)
        t = RunThread(predictor, ds, order, self)
        t.generation = self.generation
        t.run_token = self.runs.issue()
        t.keep_heatmaps_for = self._keep
        t.chunk.connect(self.runChunk)
        t.progress.connect(self.runProgress)
        t.summary.connect(self.runFinished)
        self._run = t
        t.start(QThread.Priority.LowPriority)
        return t

    def new_generation(self) -> int:
        """Start afresh (a new dataset): cancel the run, drop every cached or pending result."""
        self.cancel_run(wait=True)
        self.generation += 1
        self._pred_token += 1
        self.cache.clear()
        self.clear_images()
        return self.generation

    def running(self) -> bool:
        return self._run is not None and self._run.isRunning()

    def run_ended(self, summary: RunSummary) -> bool:
        """Whether ``summary`` ends the newest run (its thread may still be exiting: the
        summary is emitted from inside it). A replaced run's summary returns False."""
        if not self.runs.is_current(summary.run_token):
            return False
        if self._run is not None and self._run.run_token == summary.run_token:
            self._run.wait(5000)  # returns at once: the thread has nothing left to do
            self._run = None
        return True

    def set_shown(self, index: int, nearby: frozenset[int] = frozenset()) -> None:
        """Tell the run which samples are shown or near it (their heatmaps are kept)."""
        self._keep = nearby | {index}
        if self._run is not None:
            self._run.keep_heatmaps_for = self._keep

    def cancel_run(self, wait: bool = False, timeout_ms: int = 5000) -> None:
        t = self._run
        if t is None:
            return
        t.cancel_event.set()
        if wait:
            t.wait(timeout_ms)
            self._run = None

    def shutdown(self) -> None:
        """Cancel everything and wait for every thread: nothing outlives the window."""
        self._closed = True
        self._image_token += 1
        self._pred_token += 1
        self.cancel_run(wait=True, timeout_ms=30000)
        self.pool.clear()
        self.pool.waitForDone(30000)
