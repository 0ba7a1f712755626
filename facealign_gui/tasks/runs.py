"""The one run loop: a model over many samples, as a generator of result chunks.

The window's dataset-wide run and labelling's "predict all" both iterate `run_chunks`
(inside `facealign_gui.app.worker.GeneratorWorker`); it calls
`inference.pipeline.run_predictions`, the function the CLI uses. Cancellation is
cooperative: ``cancel`` is checked between faces by the pipeline and between chunks here.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass

from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.types import Predictor

CHUNK_SECONDS = 0.1  # a run hands its results over at most ~10 times a second


@dataclass(frozen=True)
class RunChunk:
    """Results since the last chunk: ``(index, Prediction | SampleFailure)``, and progress."""

    items: list[tuple[int, object]]
    done: int = 0
    total: int = 0
    generation: int = 0  # stamped by whoever asked for the run (see `WorkerHub`)

    def __iter__(self) -> Iterator[tuple[int, object]]:
        return iter(self.items)


@dataclass(frozen=True)
class RunSummary:
    """How a run ended."""

    model_id: str
    done: int
    total: int
    cancelled: bool
    error: str = ""
    seconds: float = 0.0
    generation: int = 0
    run_token: int = 0  # the request token of the run: only the newest run's summary counts


def run_chunks(
    predictor: Predictor,
    ds: Dataset,
    order: Sequence[int],
    cancel: threading.Event,
    keep_heatmaps: Callable[[int], bool] = lambda _i: True,
    chunk_seconds: float = CHUNK_SECONDS,
    batch_size: int = 8,
    all_faces: bool = False,
) -> Generator[RunChunk, None, RunSummary]:
    """Predict ``order`` of ``ds``; yield a `RunChunk` every ``chunk_seconds`` (and a last
    one), return a `RunSummary`. Heatmaps are dropped from results where
    ``keep_heatmaps(index)`` is False. A broken model ends the run with its error in the
    summary; it is never raised. ``all_faces``: a sample without a face box yields one
    result per face the detector finds (best first); ``done`` still counts samples."""
    from facealign_gui.inference.pipeline import run_predictions

    t0 = last = time.perf_counter()
    buf: list[tuple[int, object]] = []
    done, total, error = 0, len(order), ""
    previous = None  # with all_faces, a sample's faces come one after another: count once
    try:
        for i, r in run_predictions(
            predictor,
            ds,
            indices=list(order),
            cancel=cancel,
            batch_size=batch_size,
            keep_heatmaps=keep_heatmaps,  # float16 copies only for the faces that keep them
            all_faces=all_faces,
        ):
            if isinstance(r, Prediction) and r.heatmaps is not None and not keep_heatmaps(i):
                r = dataclasses.replace(r, heatmaps=None)  # a predictor that ignored the flag
            buf.append((i, r))
            if not all_faces or i != previous:
                done += 1
            previous = i
            now = time.perf_counter()
            if now - last >= chunk_seconds:
                yield RunChunk(buf, done, total)
                buf, last = [], now
    except Exception as exc:  # a broken model: report it, never crash the window
        error = f"{type(exc).__name__}: {exc}"
    if buf or not done:
        yield RunChunk(buf, done, total)
    return RunSummary(
        predictor.model_id, done, total, cancel.is_set(), error, time.perf_counter() - t0
    )
