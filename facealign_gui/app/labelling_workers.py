"""Background work for the labelling dock: "predict all" and image loading.

"Predict all" is the window's run loop (`tasks.runs.run_chunks`) on the same
`GeneratorWorker`; it never touches the session or a widget: its chunks go out by signal and
the dock's slots (main thread) store them. Cancellation is cooperative.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from facealign_gui.app.thread_worker import GeneratorWorker
from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.types import FaceRegion, Predictor
from facealign_gui.tasks.runs import run_chunks

EMIT_EVERY = 0.25  # seconds between result batches sent to the main thread


@dataclass(frozen=True)
class PredictAllChunk:
    """Predictions for the session (``(index, Prediction, role[, scores])``, role "primary"
    (with its review scores) or "mirror"), failure messages, progress, and the full
    predictions with heatmaps (``live``)."""

    results: list[tuple]
    failures: list[str]
    done: int
    total: int
    live: list[tuple[int, Prediction]] = field(default_factory=list)
    faces: list[OtherFace] = field(default_factory=list)


@dataclass(frozen=True)
class OtherFace:
    """A second (third, ...) face the detector found in image ``image``: the session gets a
    row for it (`Session.add_face`) with ``box``, then its prediction, scores and mirror."""

    image: int
    number: int  # 1 for the image's second face (0, the best, is the image's own row)
    box: np.ndarray
    prediction: Prediction
    scores: dict
    mirror: Prediction | None
    full: Prediction  # with its heatmaps (the click-to-refine re-read)


#: (prediction with heatmaps, mirrored prediction or None) -> review scores by signal name
Scorer = Callable[[Prediction, Prediction | None], dict]


def predict_all(
    predictor: Predictor,
    dataset: Dataset,
    indices: Sequence[int],
    flip_pairs: Sequence[tuple[int, int]] | None,
    abort: threading.Event,
    scorer: Scorer | None = None,
    all_faces: bool = True,
) -> Generator[PredictAllChunk, None, bool]:
    """ "Predict all" as a generator over the window's run loop (`tasks.runs.run_chunks`):
    each chunk's predictions without heatmaps (with their review scores from ``scorer``),
    plus, with ``flip_pairs``, the prediction on the mirrored image mapped back; ``live``
    carries the full predictions (heatmaps kept) for the click-to-refine re-read. An image
    without a face box is predicted for every face the detector finds: the best one is the
    image's row, the others come as `OtherFace` (``faces``); ``all_faces=False`` predicts
    the best face only. Returns whether it was cancelled."""
    from facealign_gui.core.geometry import box_from_points

    gen = run_chunks(predictor, dataset, list(indices), abort, lambda _i: True, EMIT_EVERY,
                     all_faces=all_faces)  # fmt: skip
    seen: dict[int, int] = {}  # faces so far per image (an image's faces may span chunks)
    while True:
        try:
            chunk = next(gen)
        except StopIteration as stop:
            summary = stop.value
            break
        results: list[tuple] = []
        failures: list[str] = []
        live: list[tuple[int, Prediction]] = []
        others: list[OtherFace] = []
        for i, res in chunk:
            if not isinstance(res, Prediction):
                failures.append(str(res))
                continue
            number = seen.get(i, 0)
            seen[i] = number + 1
            mirror = None
            if flip_pairs is not None and not abort.is_set():
                mirror, err = _mirror(predictor, dataset, i, res, flip_pairs)
                if err:
                    failures.append(err)
            scores, err = _scores(scorer, res, mirror)
            if err:
                failures.append(err)
            if number:
                box = box_from_points(res.points)
                others.append(OtherFace(i, number, box, _light(res), scores, mirror, res))
                continue
            results.append((i, _light(res), "primary", scores))
            if mirror is not None:
                results.append((i, mirror, "mirror"))
            live.append((i, res))
        yield PredictAllChunk(results, failures, chunk.done, chunk.total, live, others)
    if summary.error:
        yield PredictAllChunk([], [f"prediction stopped: {summary.error}"], summary.done,
                              summary.total)  # fmt: skip
    return bool(summary.cancelled)


def predict_all_worker(
    predictor: Predictor, dataset: Dataset, indices: Sequence[int],
    flip_pairs: Sequence[tuple[int, int]] | None = None, parent: QObject | None = None,
    scorer: Scorer | None = None,
) -> GeneratorWorker:  # fmt: skip
    """`predict_all` on a `GeneratorWorker`: yields `PredictAllChunk`, returns cancelled."""
    return GeneratorWorker(
        lambda abort: predict_all(predictor, dataset, indices, flip_pairs, abort, scorer),
        parent,
    )


def _scores(scorer: Scorer | None, res: Prediction, mirror: Prediction | None) -> tuple[dict, str]:
    """One face's review scores; a signal that cannot score it says so and nothing stops."""
    if scorer is None:
        return {}, ""
    try:
        return scorer(res, mirror), ""
    except Exception as exc:
        return {}, f"uncertainty scores: {exc}"


def _mirror(
    predictor: Predictor, dataset: Dataset, i: int, primary: Prediction,
    flip_pairs: Sequence[tuple[int, int]],
) -> tuple[Prediction | None, str]:  # fmt: skip
    """Predict on the mirrored image and map the points back (see `session.mirror`)."""
    import cv2

    from facealign_gui.core.geometry import box_from_points
    from facealign_gui.datasets.images import load_image
    from facealign_gui.session.mirror import flip_box, unflip_points

    try:
        image = load_image(dataset, i)
        w = image.shape[1]
        box = flip_box(box_from_points(primary.points), w)
        pred = predictor.predict(cv2.flip(image, 1), FaceRegion(box=box))
    except Exception as exc:
        return None, f"{dataset.images[i]}: mirror prediction failed: {exc}"
    pts = unflip_points(pred.points, w, flip_pairs)
    conf = np.asarray(pred.confidence)[_perm(len(pts), flip_pairs)]
    return Prediction(points=pts, confidence=conf, model_id=pred.model_id), ""


def _perm(k: int, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    from facealign_gui.session.mirror import flip_permutation

    return flip_permutation(k, pairs)


def _light(p: Prediction) -> Prediction:
    """The prediction without heatmaps (the session does not store them)."""
    return Prediction(points=p.points, confidence=p.confidence, model_id=p.model_id,
                      seconds=p.seconds)  # fmt: skip


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
