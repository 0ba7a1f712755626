"""The heatmaps of the shown labelling image when "predict all" did not leave them (a
session opened again, an image predicted before): one background prediction of that image.

`ShownHeatmaps.request(i)` runs the model on image ``i`` on a one-thread pool (the newest
request wins; an older one still running is dropped when it ends) and emits
`ready(i, prediction)` with the heatmaps. A model that gives none is not asked again.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from facealign_gui.core.annotation import Prediction

__all__ = ["ShownHeatmaps"]


class _Signals(QObject):
    done = Signal(int, int, object)  # (token, image, Prediction or None)


class _Job(QRunnable):
    def __init__(self, token: int, i: int, predictor: object, dataset: object,
                 signals: _Signals, cancel: threading.Event) -> None:  # fmt: skip
        super().__init__()
        self.token, self.i, self.predictor, self.dataset = token, i, predictor, dataset
        self.signals, self.cancel = signals, cancel

    def run(self) -> None:
        from facealign_gui.inference.pipeline import run_predictions

        out = None
        try:
            for _i, res in run_predictions(self.predictor, self.dataset, indices=[self.i],  # type: ignore[arg-type]
                                           workers=1, cancel=self.cancel):  # fmt: skip
                out = res if isinstance(res, Prediction) else None
        except Exception:  # the "predict all" run reports failures; this is only a view
            out = None
        self.signals.done.emit(self.token, self.i, out)


class ShownHeatmaps(QObject):
    """See the module docstring."""

    ready = Signal(int, object)

    def __init__(self, session: object, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._token = 0
        self._cancel = threading.Event()
        self._dataset: object | None = None
        self._dataset_n = -1
        self._without: set[int] = set()  # ids of predictors that gave no heatmaps

    def request(self, i: int, predictor: object | None) -> bool:
        """Predict image ``i`` in the background; False when there is nothing to ask."""
        if predictor is None or id(predictor) in self._without:
            return False
        n = len(self.session)  # type: ignore[arg-type]
        if self._dataset is None or self._dataset_n != n:  # frames may have been added
            self._dataset = self.session.face_dataset()  # type: ignore[attr-defined]
            self._dataset_n = n
        self._cancel.set()  # an older request gives up
        self._cancel = threading.Event()
        self._token += 1
        self._predictor = predictor
        self._pool.clear()
        self._pool.start(_Job(self._token, i, predictor, self._dataset, self._signals,
                              self._cancel))  # fmt: skip
        return True

    @Slot(int, int, object)
    def _on_done(self, token: int, i: int, prediction: object) -> None:
        if token != self._token or prediction is None:
            return  # a newer request replaced it, or it failed
        if getattr(prediction, "heatmaps", None) is None:
            self._without.add(id(self._predictor))
            return
        self.ready.emit(i, prediction)

    def shutdown(self) -> None:
        self._token += 1
        self._cancel.set()
        self._pool.clear()
        self._pool.waitForDone()
