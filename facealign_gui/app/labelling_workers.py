"""Background work for the labelling dock: "predict all" and image loading.

Workers never touch the session or a widget: they emit plain results by signal, and the
dock's slots (main thread) store them. Cancellation is cooperative (a `threading.Event`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.types import FaceRegion, Predictor

EMIT_EVERY = 0.25  # seconds between result batches sent to the main thread


class PredictAllWorker(QObject):
    """Runs `run_predictions` over ``indices`` of a session's face dataset.

    Signals: ``results(list[(index, Prediction, role)])``, ``progress(done, total)``,
    ``failure(str)`` per failed image, ``finished(cancelled: bool)``.
    """

    results = Signal(object)
    progress = Signal(int, int)
    failure = Signal(str)
    finished = Signal(bool)
    live = Signal(int, object)  # (index, the full Prediction, heatmaps included)

    def __init__(self, predictor: Predictor, dataset: Dataset, indices: Sequence[int],
                 flip_pairs: Sequence[tuple[int, int]] | None = None) -> None:  # fmt: skip
        super().__init__()
        self.predictor = predictor
        self.dataset = dataset
        self.indices = list(indices)
        self.flip_pairs = flip_pairs
        self.cancel = threading.Event()
        # (prediction with heatmaps, mirrored or None) -> review scores (`session.review`)
        self.scorer: Callable[[Prediction, Prediction | None], dict] | None = None

    @Slot()
    def run(self) -> None:
        from facealign_gui.inference.pipeline import SampleFailure, run_predictions

        pending: list[tuple[int, Prediction, str]] = []
        last = time.monotonic()
        try:
            for i, res in run_predictions(
                self.predictor, self.dataset, indices=self.indices, cancel=self.cancel,
                progress=lambda d, t: self.progress.emit(d, t),
            ):  # fmt: skip
                if isinstance(res, SampleFailure):
                    self.failure.emit(str(res))
                    continue
                mirror = None
                if self.flip_pairs is not None and not self.cancel.is_set():
                    mirror = self._mirror(i, res)
                scores = self._scores(res, mirror)
                pending.append((i, _light(res), "primary", scores))
                if mirror is not None:
                    pending.append((i, mirror, "mirror"))
                self.live.emit(i, res)
                if time.monotonic() - last > EMIT_EVERY:
                    self.results.emit(pending)
                    pending, last = [], time.monotonic()
        except Exception as exc:  # report, never crash the app
            self.failure.emit(f"prediction stopped: {exc}")
        if pending:
            self.results.emit(pending)
        self.finished.emit(self.cancel.is_set())

    def _scores(self, res: Prediction, mirror: Prediction | None) -> dict:
        if self.scorer is None:
            return {}
        try:
            return self.scorer(res, mirror)
        except Exception as exc:  # a signal that cannot score this face: say so, keep going
            self.failure.emit(f"uncertainty scores: {exc}")
            return {}

    def _mirror(self, i: int, primary: Prediction) -> Prediction | None:
        """Predict on the mirrored image and map the points back (see `session.mirror`)."""
        import cv2

        from facealign_gui.core.geometry import box_from_points
        from facealign_gui.datasets.images import load_image
        from facealign_gui.session.mirror import flip_box, unflip_points

        try:
            image = load_image(self.dataset, i)
            w = image.shape[1]
            box = flip_box(box_from_points(primary.points), w)
            pred = self.predictor.predict(cv2.flip(image, 1), FaceRegion(box=box))
        except Exception as exc:
            self.failure.emit(f"{self.dataset.images[i]}: mirror prediction failed: {exc}")
            return None
        pts = unflip_points(pred.points, w, self.flip_pairs or ())
        conf = np.asarray(pred.confidence)[_perm(len(pts), self.flip_pairs or ())]
        return Prediction(points=pts, confidence=conf, model_id=pred.model_id)


def _perm(k: int, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    from facealign_gui.session.mirror import flip_permutation

    return flip_permutation(k, pairs)


def _light(p: Prediction) -> Prediction:
    """The prediction without heatmaps (the session does not store them)."""
    return Prediction(points=p.points, confidence=p.confidence, model_id=p.model_id,
                      seconds=p.seconds)  # fmt: skip


def start_worker(worker: PredictAllWorker, parent: QObject) -> QThread:
    """Run ``worker`` on a new QThread owned by ``parent``; the thread quits when done."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    thread.start()
    return thread


class _LoadSignals(QObject):
    loaded = Signal(int, object)
    failed = Signal(int, str)


class _LoadJob(QRunnable):
    def __init__(self, i: int, path: Path, signals: _LoadSignals) -> None:
        super().__init__()
        self.i, self.path, self.signals = i, path, signals

    def run(self) -> None:
        from facealign_gui.tasks.images import read_rgb

        try:
            image = read_rgb(self.path)  # RGB, as the image view draws it
        except Exception as exc:
            self.signals.failed.emit(self.i, f"{self.path}: {exc}")
            return
        self.signals.loaded.emit(self.i, image)


class ImageLoader(QObject):
    """Reads images on a thread pool; `loaded(i, image)` for the newest request only."""

    loaded = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _LoadSignals(self)
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)
        self._wanted = -1

    def request(self, i: int, path: Path) -> None:
        self._wanted = i
        self._pool.clear()  # drop queued, not yet started, older requests
        self._pool.start(_LoadJob(i, path, self._signals))

    def wait(self) -> None:
        self._pool.waitForDone()

    @Slot(int, object)
    def _on_loaded(self, i: int, image: object) -> None:
        if i == self._wanted:  # a stale image is never shown
            self.loaded.emit(i, image)

    @Slot(int, str)
    def _on_failed(self, i: int, message: str) -> None:
        if i == self._wanted:
            self.failed.emit(i, message)
