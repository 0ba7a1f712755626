"""The bridge between the UI thread and background work.

- `ResultCache` (Qt-free, in `facealign_gui.tasks.cache`): predictions per (model id,
  sample index), heatmaps only for the most recently used entries.
- `run_worker`: a dataset-wide run, the Qt-free generator `tasks.runs.run_chunks` (over
  `inference.pipeline.run_predictions`, the function the CLI calls) on a `GeneratorWorker`,
  cancelled cooperatively.
- `WorkerHub`: the one main-thread QObject the widgets talk to. It decodes images and
  predicts the shown image on a `QThreadPool` (newest request wins; stale results are
  dropped), owns the run thread, and waits for all of them in `shutdown`.

Results reach widgets only through the hub's ``Signal(object)`` signals, emitted from worker
threads and delivered (queued) to slots of main-thread objects.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, QThread, QThreadPool, Signal

from facealign_gui.app.thread_worker import GeneratorWorker
from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.types import FaceRegion, Predictor
from facealign_gui.tasks.cache import ResultCache
from facealign_gui.tasks.runs import RunChunk, RunSummary, run_chunks
from facealign_gui.tasks.tokens import RequestTokens

__all__ = ["ResultCache", "RunChunk", "RunSummary", "WorkerHub", "run_worker"]


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
class FacesResult:
    """Every face the detector found in one image, each with the model's prediction."""

    token: int
    model_id: str
    index: int
    faces: list[FaceRegion]
    predictions: list[Prediction]
    generation: int = 0
    error: str = ""


@dataclass(frozen=True)
class TaskResult:
    tag: object
    value: object
    error: BaseException | None = None


def run_worker(
    predictor: Predictor, ds: Dataset, order: list[int], keep: Callable[[int], bool],
    parent: QObject | None = None,
) -> GeneratorWorker:  # fmt: skip
    """A `GeneratorWorker` over `run_chunks`: yields `RunChunk`, returns `RunSummary`."""
    return GeneratorWorker(lambda abort: run_chunks(predictor, ds, order, abort, keep), parent)


class WorkerHub(QObject):
    """Everything that runs off the UI thread, behind signals."""

    imageReady = Signal(object)  # ImageResult
    predictionReady = Signal(object)  # PredictionResult
    runChunk = Signal(object)
    runProgress = Signal(int, int)
    runFinished = Signal(object)  # RunSummary
    taskDone = Signal(object)  # TaskResult
    facesReady = Signal(object)  # FacesResult

    def __init__(self, parent: QObject | None = None, image_cache: int = 12) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.cache = ResultCache()
        self._images: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._image_slots = image_cache
        self._inflight: dict[tuple[int, int], threading.Event] = {}  # decodes under way
        self._lock = threading.Lock()
        self._image_token = 0
        self._wanted = -1
        self._pred_token = 0
        self._prefetching: set[tuple[str, int, int]] = set()  # (model, index, generation)
        self._prefetch_lock = threading.Lock()
        self.generation = 0  # bumped when the dataset changes: older results are dropped
        self._run: GeneratorWorker | None = None
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

    def decoded(self, ds: Dataset, index: int) -> np.ndarray:
        """Sample ``index`` as RGB, decoded at most once however many ask at the same time:
        the view's request and the shown image's prediction share one decode (a caller
        that finds it in flight waits for it). Raises what the decoder raised."""
        from facealign_gui.tasks.images import load_rgb

        key = (id(ds), index)
        with self._lock:
            img = self._images.get(key)
            if img is not None:
                self._images.move_to_end(key)
                return img
            busy = self._inflight.get(key)
            if busy is None:
                self._inflight[key] = threading.Event()
        if busy is not None:
            busy.wait(30.0)
            img = self.cached_image(ds, index)
            if img is not None:
                return img
            return load_rgb(ds, index)  # the other decode failed: say why ourselves
        try:
            rgb = load_rgb(ds, index)
            with self._lock:
                self._images[key] = rgb
                while len(self._images) > self._image_slots:
                    self._images.popitem(last=False)
            return rgb
        finally:
            with self._lock:
                self._inflight.pop(key).set()

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
        try:
            rgb, err = self.decoded(ds, index), ""
        except Exception as exc:
            rgb, err = None, str(exc) or type(exc).__name__
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
            for _, r in run_predictions(
                predictor, self._sharing_decodes(ds), indices=[index], batch_size=1, workers=1
            ):
                pred, err = (r, "") if isinstance(r, Prediction) else (None, str(r))
        except Exception as exc:
            err = f"{type(exc).__name__}: {exc}"
        if not self._closed:
            self.predictionReady.emit(
                PredictionResult(token, predictor.model_id, index, pred, err, generation)
            )

    def _sharing_decodes(self, ds: Dataset) -> Dataset:
        """``ds`` whose images come from `decoded` (as the BGR a predictor takes): the
        prediction of a shown image uses the decode the view shows."""
        from facealign_gui.tasks.images import rgb_to_bgr

        return dataclasses.replace(ds, image_loader=lambda j: rgb_to_bgr(self.decoded(ds, j)))

    def request_faces(
        self,
        predictor: Predictor,
        ds: Dataset,
        index: int,
        token: int,
        max_faces: int = 8,
        is_current: Callable[[int], bool] | None = None,
    ) -> None:
        """Detect every face in sample ``index`` (from the shared decode) and predict each;
        `facesReady` carries them with ``token``. A job whose token ``is_current`` no longer
        accepts when it starts (the person moved on) does nothing."""
        if self._closed:
            return
        gen = self.generation

        def job() -> None:
            if is_current is not None and not is_current(token):
                return  # asked for a row that is no longer shown: no decode, no detection
            from facealign_gui.inference.detect import detect_faces
            from facealign_gui.tasks.images import rgb_to_bgr

            faces: list[FaceRegion] = []
            preds: list[Prediction] = []
            err = ""
            try:
                bgr = rgb_to_bgr(self.decoded(ds, index))
                faces = detect_faces(bgr, max_faces=max_faces)
                preds = [predictor.predict(bgr, f) for f in faces]
            except Exception as exc:
                faces, preds, err = [], [], f"{type(exc).__name__}: {exc}"
            if not self._closed:
                r = FacesResult(token, predictor.model_id, index, faces, preds, gen, err)
                self.facesReady.emit(r)

        self.pool.start(job, 0)

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
    def start_run(
        self, predictor: Predictor, ds: Dataset, order: list[int]
    ) -> GeneratorWorker | None:
        """Start a run (cancelling any running one) over ``order``; None after `shutdown`.

        `runChunk` carries each `RunChunk` (stamped with the generation), `runProgress` the
        counts, `runFinished` the `RunSummary` (stamped with the run's token)."""
        if self._closed:
            return None
        self.cancel_run(wait=True)
        gen, token = self.generation, self.runs.issue()
        t = run_worker(predictor, ds, order, lambda i: i in self._keep, self)
        t.run_token = token  # type: ignore[attr-defined]

        def chunk(c: RunChunk) -> None:
            self.runChunk.emit(replace(c, generation=gen))
            self.runProgress.emit(c.done, c.total)

        def summary(s: RunSummary) -> None:
            self.runFinished.emit(replace(s, generation=gen, run_token=token))

        def failed(exc: BaseException) -> None:
            s = RunSummary(predictor.model_id, 0, len(order), t.abort.is_set(),
                           f"{type(exc).__name__}: {exc}", 0.0, gen, token)  # fmt: skip
            self.runFinished.emit(s)

        t.yielded.connect(chunk)
        t.returned.connect(summary)
        t.errored.connect(failed)
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
        if self._run is not None and self._run.run_token == summary.run_token:  # type: ignore[attr-defined]
            self._run.wait(5000)  # returns at once: the thread has nothing left to do
            self._run = None
        return True

    def set_shown(self, index: int, nearby: frozenset[int] = frozenset()) -> None:
        """Tell the run which samples are shown or near it (their heatmaps are kept); the
        set is replaced whole, so the run thread reads it without a lock."""
        self._keep = nearby | {index}

    def cancel_run(self, wait: bool = False, timeout_ms: int = 5000) -> None:
        t = self._run
        if t is None:
            return
        t.cancel()
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
