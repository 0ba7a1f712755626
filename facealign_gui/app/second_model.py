"""A second ("B") model in a labelling session: where two networks disagree, review first.

`SecondModel(dock)` adds a row to the labelling dock (the B model's name, progress, Stop) and
the action "Compare with a second model…" (Label menu). Choosing a model card (a bare .onnx:
its card beside it) loads it and predicts every image on the dock's worker kind
(`labelling_workers.predict_all` over `tasks.runs.run_chunks`, one `GeneratorWorker`), both
off the UI thread. B's points stay in memory (the session stores one model's predictions);
what is stored is the per-landmark distance between each image's current (A) prediction and
B's, as the review signal ``model_disagreement`` in the session's score table
(`uncertainty.model_disagreement`, over the face size). An image predicted by A after B gets
its score when A's prediction arrives (the dock's ``livePrediction``).

The order "Two models disagree most" (`SIGNAL`) sorts the queue by the mean over landmarks
(how far apart the two networks place the face as a whole; `benchmarks/bench_signals.py`'s
"per face" column measures how well that finds the worst faces). The worst landmark is the
one farthest from B's.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from facealign_gui.app.labelling_workers import PredictAllChunk, predict_all
from facealign_gui.app.thread_worker import GeneratorWorker
from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference import uncertainty
from facealign_gui.inference.types import Predictor
from facealign_gui.session.review import ReviewSignal, register_signal
from facealign_gui.session.store import SessionError

__all__ = ["SIGNAL", "SecondModel", "card_for", "disagreement_scores", "second_model_run"]

SIGNAL = ReviewSignal(
    "model_disagreement",
    "Two models disagree most",
    worst="high",
    reduce="mean",
    description="distance between the session's prediction and a second model's / face size",
)


def register() -> None:
    """Register `SIGNAL` (again is a no-op: `register_signal` accepts the same definition)."""
    register_signal(SIGNAL)


def disagreement_scores(
    primary: dict[int, Prediction | None], second: dict[int, np.ndarray]
) -> list[tuple[int, str, np.ndarray]]:
    """``set_scores_many`` items: per-landmark A-B distances of the images both predicted."""
    out = []
    for i, a in primary.items():
        b = second.get(i)
        if a is None or b is None or b.shape != a.points.shape:
            continue
        other = Prediction(points=b, confidence=np.ones(len(b), np.float32))
        out.append((i, SIGNAL.name, uncertainty.model_disagreement(a, other)))
    return out


def card_for(path: str | Path) -> Path | None:
    """The card to load for ``path``: itself, or the .toml beside a bare .onnx (None when
    there is none: a guessed card can crop or decode the model wrongly)."""
    p = Path(path)
    if p.suffix.lower() != ".onnx":
        return p
    card = p.with_suffix(".toml")
    return card if card.is_file() else None


def second_model_run(
    model: str | Path | Predictor,
    dataset: Dataset,
    indices: Sequence[int],
    num_points: int,
    abort: threading.Event,
) -> Generator[str | PredictAllChunk, None, bool]:
    """Load ``model`` (a card or .onnx path; a `Predictor` is used as it is), yield its
    model id, then `predict_all`'s chunks (no mirror pass, no scores). Returns cancelled."""
    if isinstance(model, (str, Path)):
        from facealign_gui.inference.loader import load_predictor
        from facealign_gui.inference.runtime import session_config

        predictor = load_predictor(model, threads=session_config("batch"))
    else:
        predictor = model
    if predictor.num_points != num_points:
        name = model if isinstance(model, (str, Path)) else predictor.model_id
        raise ValueError(
            f"{name}: the second model gives {predictor.num_points} points, the session's "
            f"scheme has {num_points}; choose a model of the same scheme"
        )
    yield str(predictor.model_id)
    if abort.is_set():
        return True
    # one row per face already: the other faces of an image are rows with their own boxes
    return (yield from predict_all(predictor, dataset, indices, None, abort, all_faces=False))


class SecondModel(QObject):
    """See the module docstring. ``detach`` before the dock goes (stops the worker)."""

    finished = Signal(bool)  # the B run ended (True: cancelled or failed)
    scored = Signal(list)  # images whose model_disagreement scores were just stored

    def __init__(self, dock: object, menu: object | None = None, say: object = None) -> None:
        super().__init__(dock)  # type: ignore[arg-type]
        register()
        self.dock, self.menu = dock, menu
        self.session = dock.session  # type: ignore[attr-defined]
        self.say = say or dock.message.setText  # type: ignore[attr-defined]
        self.points: dict[int, np.ndarray] = {}  # B's points by image
        self.model_id: str | None = None
        self._worker: GeneratorWorker | None = None
        self._failed = False
        self._cancelled = False
        self._shut = False
        self.action = QAction("Compare with a second &model…", self)
        self.action.setToolTip("Predict the session with another model and review first the "
                               "images where the two disagree most")  # fmt: skip
        self.action.triggered.connect(self.ask)
        if menu is not None:
            menu.addAction(self.action)  # type: ignore[attr-defined]
        self.row = QWidget(dock.widget())  # type: ignore[attr-defined]
        lay = QHBoxLayout(self.row)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Second model: none", self.row)
        self.label.setObjectName("second_model")
        self.progress = QProgressBar(self.row)
        self.progress.setFormat("%v / %m")
        self.progress.setMaximumHeight(14)
        self.choose_button = QPushButton("Compare…", self.row)
        self.choose_button.setToolTip(self.action.toolTip())
        self.choose_button.clicked.connect(self.ask)
        self.stop_button = QPushButton("Stop", self.row)
        self.stop_button.clicked.connect(self.cancel)
        for w in (self.label, self.progress, self.choose_button, self.stop_button):
            lay.addWidget(w)
        lay.setStretch(0, 1)
        self.progress.hide()
        self.stop_button.hide()
        box = dock.widget().layout()  # type: ignore[attr-defined]
        box.insertWidget(box.count() - 1, self.row)  # above the message line
        dock.livePrediction.connect(self._on_primary)  # type: ignore[attr-defined]

    @property
    def running(self) -> bool:
        return self._worker is not None

    # -- starting ---------------------------------------------------------------------------
    def ask(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.dock, "Second model to compare with", "",  # type: ignore[arg-type]
            "Model card (*.toml);;Model card or ONNX (*.toml *.onnx);;All files (*)",
        )  # fmt: skip
        if path:
            card = card_for(path)
            if card is None:
                self.say(f"{path}: a bare .onnx needs its model card to be compared (how to "
                         "crop and decode it): open it once with File ▸ Open model… and save "
                         "the card beside it, then choose the card.")  # fmt: skip
                return
            self.start(card)

    def start(self, model: str | Path | Predictor) -> bool:
        """Predict every image with ``model`` in the background (False: one is running or
        the session is closed)."""
        if self._worker is not None or self._shut or self.session.closed:
            return False
        n = len(self.session)
        self.points.clear()
        self.model_id = None
        self._failed = self._cancelled = False
        ds, k = self.session.face_dataset(), self.session.num_points
        worker = GeneratorWorker(
            lambda abort: second_model_run(model, ds, range(n), k, abort), self
        )
        worker.yielded.connect(self._on_yield)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        name = model.model_id if hasattr(model, "model_id") else Path(model).name  # type: ignore[union-attr]
        self.label.setText(f"Second model: loading {name}…")
        self.progress.setRange(0, max(n, 1))
        self.progress.setValue(0)
        self.progress.show()
        self.stop_button.show()
        self.choose_button.setEnabled(False)
        worker.start()
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.say("Stopping the second model…")

    # -- results (main thread) ---------------------------------------------------------------
    def _on_yield(self, item: object) -> None:
        if self._shut or self.session.closed:
            return
        if isinstance(item, str):
            self.model_id = item
            self.label.setText(f"Second model: {item}")
            return
        chunk: PredictAllChunk = item  # type: ignore[assignment]
        for i, pred, *_rest in chunk.results:
            self.points[int(i)] = np.asarray(pred.points, dtype=np.float64)
        self._score([int(r[0]) for r in chunk.results])
        if chunk.failures:
            self.say(f"Second model: {chunk.failures[-1]}")
        self.progress.setMaximum(chunk.total)
        self.progress.setValue(chunk.done)

    def _on_primary(self, i: int, _prediction: object) -> None:
        """An A prediction arrived (stored by the dock): score it against B's."""
        if not self._shut and not self.session.closed and i in self.points:
            self._score([i])

    def _score(self, images: Sequence[int]) -> None:
        primary = {i: self.session.prediction(i) for i in images}
        items = disagreement_scores(primary, self.points)
        if not items:
            return
        try:
            self.session.set_scores_many(items)
        except SessionError as exc:
            self.say(str(exc))
            return
        self.scored.emit([i for i, *_ in items])

    def _on_returned(self, cancelled: object) -> None:
        self._cancelled = bool(cancelled)

    def _on_error(self, exc: object) -> None:
        self._failed = True
        if not self._shut:
            self.say(f"Second model stopped: {exc}")

    def _on_finished(self) -> None:
        worker, self._worker = self._worker, None
        if worker is None or self._shut:
            return
        worker.wait()
        worker.deleteLater()
        self.progress.hide()
        self.stop_button.hide()
        self.choose_button.setEnabled(True)
        bad = self._failed or self._cancelled
        name = self.model_id or "the second model"
        if not self._failed:
            done = len(self.points)
            how = "stopped" if self._cancelled else "finished"
            self.label.setText(f"Second model: {name} ({done} / {len(self.session)} images)")
            self.say(f"Second model {how}: {done} images compared with {name}.")
        else:
            self.label.setText("Second model: none")
        c = self.dock.controller  # type: ignore[attr-defined]
        if c.order == SIGNAL.name:
            c.refresh_queue()
        self.finished.emit(bad)

    # -- closing ----------------------------------------------------------------------------
    def detach(self) -> None:
        """Stop the worker (waiting for it) and remove the menu action; late chunks are
        dropped."""
        self._shut = True
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            worker.wait()
            worker.deleteLater()
        if self.menu is not None:
            self.menu.removeAction(self.action)  # type: ignore[attr-defined]
