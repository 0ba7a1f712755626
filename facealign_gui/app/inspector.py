"""The window's brain without the window: dataset + model + background work -> views.

`Inspector` is the sample source of the inspecting mode: it owns the open dataset, the
loaded model and the `WorkerHub`, and updates the dataset dock and heatmap panel it is given
and the image view through its `ViewPort` (inert while labelling has the view). Every slow
step (opening a dataset, loading a model, decoding an image, running the model) goes
through the hub; every result
comes back through a signal to a slot here, on the UI thread. Scores come from
`core.results.EvalResult` (the functions behind ``facealign-gui eval``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from facealign_gui.app.dataset_dock import DatasetDock
from facealign_gui.app.errors import (
    UserError,
    dataset_moved,
    images_missing,
    model_missing,
    unreadable_rows,
)
from facealign_gui.app.heatmap_panel import HeatmapPanel
from facealign_gui.app.presenter import ViewPort
from facealign_gui.app.worker import (
    FacesResult,
    ImageResult,
    PredictionResult,
    RunChunk,
    RunSummary,
    TaskResult,
    TaskTag,
    WorkerHub,
)
from facealign_gui.core.annotation import Prediction
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.types import Predictor
from facealign_gui.tasks.tokens import RequestTokens
from facealign_gui.viewmodel.overlay import HeatmapOverlay

MISMATCH_TITLE = "The model's points do not match the dataset's"


class Inspector(QObject):
    """Keeps the views showing the current sample of the current dataset and model."""

    datasetOpened = Signal(object)  # Dataset
    datasetReplacing = Signal()  # emitted (directly) just before another dataset is shown
    modelLoaded = Signal(object)  # Predictor
    resultsReady = Signal(object)  # EvalResult
    runStateChanged = Signal(bool)  # True while a dataset-wide run is going
    progress = Signal(int, int)
    message = Signal(str)
    problem = Signal(object)  # UserError
    problemResolved = Signal(str)  # the title of a problem that no longer holds
    facesChanged = Signal(int)  # how many faces the shown image has (0: not known / one)
    sampleShown = Signal(int)

    def __init__(
        self,
        dock: DatasetDock,
        view: ViewPort,
        heatmaps: HeatmapPanel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.hub = WorkerHub(self)
        self.orientation = "stored"  # how image files are read (`datasets.images`)
        self.model_requests = RequestTokens()
        self.face_requests = RequestTokens()
        self.faces: FacesResult | None = None  # every face of the shown image, when several
        self.face_choice = 0
        self.hub.facesReady.connect(self._on_faces)
        # dataset path -> the images folder the person located for it (or None)
        self.images_folder_for: Callable[[str], str | None] | None = None
        self.dock, self.view, self.heatmaps = dock, view, heatmaps
        self.ds: Dataset | None = None
        self.dataset_path: str | None = None
        self.model_path: str | None = None
        self._run_text = ""
        self.predictor: Predictor | None = None
        self.results: dict[str, object] = {}
        self.current = -1
        self.image: np.ndarray | None = None
        self._image_index = -1
        self._norms: np.ndarray | None = None
        self._has_heatmaps = False
        self.hub.imageReady.connect(self._on_image)
        self.hub.predictionReady.connect(self._on_prediction)
        self.hub.runChunk.connect(self._on_chunk)
        self.hub.runProgress.connect(self.progress)
        self.hub.runFinished.connect(self._on_run_finished)
        self.hub.taskDone.connect(self._on_task)
        dock.sampleActivated.connect(self.show_sample)
        view.pointClicked.connect(self.select_landmark)
        self._scheme: tuple[np.ndarray | None, list[str] | None] = (None, None)
        heatmaps.landmarkSelected.connect(self.select_landmark)
        heatmaps.overlayChanged.connect(self._on_overlay)

    @property
    def model_id(self) -> str:
        return "" if self.predictor is None else self.predictor.model_id

    # -- opening things --------------------------------------------------------------------
    def open_dataset(self, path: str | Path, format: str | None = None) -> None:
        """Read a dataset off the UI thread; `datasetOpened` follows."""
        from facealign_gui.datasets.io import open_dataset

        path = str(path)
        self.message.emit(f"Opening {path} …")
        self.hub.run_task(("dataset", path), lambda: open_dataset(path, format=format))

    def open_model(self, path: str | Path) -> None:
        """Load a model card or .onnx off the UI thread; `modelLoaded` follows."""
        from facealign_gui.inference.loader import load_predictor
        from facealign_gui.inference.runtime import session_config

        path = str(path)
        self.message.emit(f"Loading model {path} …")
        token = self.model_requests.issue()  # the newest model asked for is the one loaded
        # on-demand predictions: all cores, no spinning between requests (bench_runtime.py)
        config = session_config("interactive")
        self.hub.run_task(
            TaskTag("model", path, token), lambda: load_predictor(path, threads=config)
        )

    @Slot(object)
    def _on_task(self, res: TaskResult) -> None:
        kind, path = res.tag  # type: ignore[misc]
        if kind == "model" and not self.model_requests.is_current(getattr(res.tag, "token", 0)):
            return  # a model asked for before the one now loading
        if kind == "propose":
            return  # a bare .onnx's proposed card: app.card_dialog.CardFlow takes it
        if kind == "score":
            if path != self.hub.generation:
                return  # scores of a dataset that is no longer open
            if res.error is not None:
                self.message.emit(f"{self._run_text} · cannot score: {res.error}")
            else:
                self._show_result(res.value)
            return
        if res.error is not None:
            self.problem.emit(self._open_error(kind, path, res.error))
            self.message.emit(f"Could not open {path}")
            return
        if kind == "dataset":
            ds: Dataset = res.value  # type: ignore[assignment]
            if not len(ds):
                self.problem.emit(
                    UserError(
                        title="No samples could be read",
                        what=f"{path}: no sample could be read.",
                        next_step="Check that this is a dataset file in a supported format.",
                        details=tuple(str(p) for p in ds.problems),
                        fatal=True,
                    )
                )
                self.message.emit(f"Could not open {path}")
                return
            self.dataset_path = path
            folder = self.images_folder_for(path) if self.images_folder_for else None
            if folder and Path(folder).is_dir():  # where the person located them last time
                _rebase(ds, folder)
            self.set_dataset(ds)
        else:
            self.model_path = path
            self.set_predictor(res.value)  # type: ignore[arg-type]

    @staticmethod
    def _open_error(kind: str, path: str, error: BaseException) -> UserError:
        """The most specific message for a dataset or model that would not open."""
        if kind == "dataset":
            if not Path(path).exists():
                return dataset_moved(path)
        else:
            if not Path(path).exists() and Path(path).suffix.lower() in (".toml", ".onnx"):
                return model_missing(path)
            try:
                from facealign_gui.inference.loader import resolve_card

                onnx = resolve_card(path).onnx_path
                if not onnx.exists():
                    return model_missing(onnx)
            except Exception:  # the card itself is broken: the generic message says why
                pass
        what = "dataset" if kind == "dataset" else "model"
        return UserError(
            title=f"Could not open the {what}",
            what=f"{path}: {error}",
            next_step=f"Check the file, or open another {what}.",
            fatal=True,
        )

    def set_dataset(self, ds: Dataset) -> None:
        """Show ``ds``: its table, its scheme, its first sample."""
        from facealign_gui.core.schemes import get_scheme, scheme_for_num_points
        from facealign_gui.datasets.images import set_orientation

        self.datasetReplacing.emit()  # a labelling session on the old data closes first
        set_orientation(ds, self.orientation)
        self.hub.new_generation()  # results still on their way for the old dataset are dropped
        self.results.clear()
        self.ds, self.current, self._image_index, self.image = ds, -1, -1, None
        scheme = None
        try:
            if ds.scheme:
                scheme = get_scheme(ds.scheme)
            elif ds.num_points:
                scheme = scheme_for_num_points(ds.num_points)
        except (KeyError, ValueError):
            scheme = None
        self.view.clear_all()
        self._scheme = (
            None if scheme is None else np.array(scheme.edges, np.int64).reshape(-1, 2),
            None if scheme is None else list(scheme.point_names),
        )
        self.view.set_scheme(*self._scheme)
        self.heatmaps.set_names(None if scheme is None else list(scheme.point_names))
        self._norms = self._normalisers(ds, scheme)
        self.dock.set_dataset(ds)
        self._report_problems(ds)
        self.datasetOpened.emit(ds)
        self.message.emit(f"{len(ds):,} samples · {ds.format} · {ds.scheme or 'no landmarks'}")
        if len(ds):
            self.dock.go_to_row(0)

    def _report_problems(self, ds: Dataset) -> None:
        """Missing images and unreadable rows are different faults with different fixes."""
        missing = [p for p in ds.problems if _is_missing_image(p)]
        other = [p for p in ds.problems if not _is_missing_image(p)]
        file = self.dataset_path or ds.root
        if missing:
            whole = any("images found under" in str(p) for p in missing)
            count = len(ds) if whole else len(missing)
            self.problem.emit(images_missing(file, ds.root, count, len(ds)))
        if other:
            self.problem.emit(unreadable_rows(file, other, len(ds)))

    def locate_images(self, folder: str | Path) -> int:
        """Read the open dataset's images from ``folder`` instead; returns how many of them
        are still missing there."""
        ds = self.ds
        if ds is None:
            return 0
        missing = _rebase(ds, folder)
        self.hub.clear_images()
        if missing:
            self.problem.emit(images_missing(self.dataset_path or folder, folder, missing, len(ds)))
        self.message.emit(
            f"Images from {folder}" + (f" · {missing:,} still missing" if missing else "")
        )
        self.reshow()
        return missing

    @staticmethod
    def _normalisers(ds: Dataset, scheme: object) -> np.ndarray | None:
        if ds.points is None or scheme is None:
            return None
        from facealign_gui.core import metrics
        from facealign_gui.core.results import _box_sizes

        try:
            return metrics.normalisers(ds.points, scheme, _box_sizes(ds))  # type: ignore[arg-type]
        except ValueError:
            return None

    def set_predictor(self, predictor: Predictor) -> None:
        self.hub.cancel_run(wait=True)
        self.predictor = predictor
        self._refresh_statuses()
        old = self.results.get(predictor.model_id)  # this model's own numbers, or none
        self.dock.set_nme(None if old is None else old.nme, getattr(old, "threshold", 0.1))
        self._has_heatmaps = False
        self.modelLoaded.emit(predictor)
        self.view.set_prediction_names(_point_names(getattr(predictor, "scheme", None)))
        self.message.emit(f"Model {predictor.model_id} · {predictor.num_points} points")
        mismatch = self.scheme_mismatch()
        if mismatch:  # said when the model is chosen, before any run
            self.problem.emit(mismatch)
        else:
            self.problemResolved.emit(MISMATCH_TITLE)  # an older mismatch no longer holds
        if self.current >= 0:
            self._ask_faces(self.current)  # the other faces, with this model
            self._show_prediction(request=True)

    def scheme_mismatch(self) -> UserError | None:
        """Why the model's points cannot be scored against the dataset's, or None."""
        ds, p = self.ds, self.predictor
        if ds is None or p is None or ds.points is None:
            return None
        k, m = ds.num_points, p.num_points
        ds_scheme, p_scheme = ds.scheme, getattr(p, "scheme", None)
        if k == m and (not ds_scheme or not p_scheme or ds_scheme == p_scheme):
            return None
        what = (
            f"The model {p.model_id} predicts {m} points ({p_scheme or 'no scheme'}); the "
            f"dataset has {k} ({ds_scheme or 'no scheme'}). Its predictions are shown, but "
            "no NME can be computed."
        )
        return UserError(
            title=MISMATCH_TITLE,
            what=what,
            next_step=f"Open a {ds_scheme or f'{k}-point'} model to score this dataset.",
            fatal=False,
        )

    def _refresh_statuses(self) -> None:
        """The status column for the current model, from what the cache already holds."""
        table = self.dock.model
        table.set_status(None)
        if self.ds is None or self.predictor is None:
            return
        known = self.hub.cache.statuses(self.model_id, len(self.ds))
        table.set_status_at([i for i, _ in known], [_status_text(r) for _, r in known])

    # -- the shown sample ------------------------------------------------------------------
    @Slot(int)
    def show_sample(self, i: int) -> None:
        """Show sample ``i``. Image, points and prediction change together, in one paint,
        when the decoded image arrives (at once when it was prefetched)."""
        ds = self.ds
        if ds is None or not 0 <= i < len(ds):
            return
        self.current = i
        rows = self.dock.model
        r = rows.row_of(i)
        near = tuple(rows.sample_at(j) for j in (r + 1, r + 2, r - 1) if 0 <= j < rows.rowCount())
        if self.predictor is not None:
            self.hub.set_shown(i, self._nearby(r))
        if self.predictor is not None:  # predict while the image decodes
            self._request_missing_prediction()
        self._ask_faces(i)
        self.hub.request_image(ds, i, prefetch=near)  # may deliver at once (cached)
        if self.predictor is not None:
            # the next two rows: browsing with a held key outruns a one-row prefetch
            for nxt in near[:2]:
                if nxt < 0 or nxt == i:
                    continue
                p = self.hub.cache.get(self.model_id, nxt)
                if (
                    p is None or (self._has_heatmaps and p.heatmaps is None)
                ) and self.hub.cache.failure(self.model_id, nxt) is None:
                    self.hub.request_prediction(self.predictor, ds, nxt, prefetch=True)
        self.sampleShown.emit(i)

    def _apply_sample(self) -> None:
        """Points and prediction of the current sample (called with its image)."""
        ds, i = self.ds, self.current
        with self.view.batch():
            if ds.points is not None:
                vis = None if ds.visible is None else ds.visible[i]
                self.view.set_annotation(ds.points[i], vis)
            else:
                self.view.set_annotation(None)
            norm = None if self._norms is None else float(self._norms[i])
            self.view.set_error_normaliser(norm if norm and np.isfinite(norm) else None)
            self._show_prediction(request=False)

    def _nearby(self, row: int, before: int = 8, after: int = 56) -> frozenset[int]:
        """Samples of the rows around ``row`` in table order: a run keeps their heatmaps."""
        rows = self.dock.model.rows()
        lo, hi = max(0, row - before), max(0, row + after)
        return frozenset(rows[lo:hi].tolist())

    def _blank_canvas(self, i: int) -> np.ndarray | None:
        """A grey image of sample ``i``'s recorded size (``meta["image_sizes"]`` as (w, h)),
        else big enough for its points; None without either."""
        ds = self.ds
        sizes = ds.meta.get("image_sizes") if ds is not None else None
        if sizes is not None:
            w, h = (int(v) for v in sizes[i])  # type: ignore[index]
        elif ds is not None and ds.points is not None and np.isfinite(ds.points[i]).any():
            hi = np.nanmax(ds.points[i], axis=0)
            w, h = (int(np.ceil(v * 1.1)) + 1 for v in hi)
        else:
            return None
        return np.full((max(h, 1), max(w, 1), 3), 48, np.uint8)

    # -- several faces in one image -----------------------------------------------------------
    def _ask_faces(self, i: int) -> None:
        """Images without a face box from the dataset: find every face, not only the largest."""
        token = self.face_requests.issue()
        had = self.faces is not None and len(self.faces.faces) > 1
        self.faces, self.face_choice = None, 0
        if had:
            self.facesChanged.emit(0)
        ds = self.ds
        if self.predictor is None or ds is None or ds.boxes is not None or ds.centers is not None:
            return
        self.hub.request_faces(
            self.predictor, ds, i, token, is_current=self.face_requests.is_current
        )

    @Slot(object)
    def _on_faces(self, res: FacesResult) -> None:
        if not self.face_requests.is_current(res.token):
            return  # asked before another row, model or dataset was shown: a newer token
        self.faces = res if len(res.faces) > 1 else None
        self.face_choice = 0
        self.facesChanged.emit(len(res.faces) if self.faces is not None else 0)
        if self.faces is not None and self._image_index == self.current:
            self._show_prediction(request=False)

    def select_face(self, k: int) -> None:
        """Show face ``k`` (0 = the detector's best) of the shown image as the prediction."""
        if self.faces is None or not 0 <= k < len(self.faces.predictions):
            return
        self.face_choice = k
        self._show_prediction(request=False)

    def current_prediction(self) -> Prediction | None:
        if self.predictor is None or self.current < 0:
            return None
        return self.hub.cache.get(self.model_id, self.current)

    def _show_prediction(self, request: bool) -> None:
        pred = self.current_prediction()
        faces = self.faces
        others: list[np.ndarray] = []
        if faces is not None:  # several faces: the chosen one is "the" prediction
            pred = faces.predictions[self.face_choice]
            others = [p.points for j, p in enumerate(faces.predictions) if j != self.face_choice]
        self.view.set_other_faces(others)
        if pred is None:
            self.view.set_prediction(None)
        else:
            self.view.set_prediction(pred.points, pred.confidence)
        img = self.image if self._image_index == self.current else None
        self.heatmaps.set_data(img, pred)
        if request:
            self._request_missing_prediction()

    def _request_missing_prediction(self) -> None:
        pred = self.current_prediction()
        missing = pred is None or (self._has_heatmaps and pred.heatmaps is None)
        failed = self.hub.cache.failure(self.model_id, self.current) is not None
        if missing and not failed and self.predictor is not None and self.ds is not None:
            self.hub.request_prediction(self.predictor, self.ds, self.current)

    @Slot(object)
    def _on_image(self, res: ImageResult) -> None:
        if res.token != self.hub.latest_image_token() or res.index != self.current:
            return  # stale: the user has moved on
        if res.image is None:  # ground truth on a blank canvas of the image's size
            self.image, self._image_index = None, res.index
            self.view.set_image(self._blank_canvas(res.index))
            self._apply_sample()
            self.message.emit(f"Cannot show image: {res.error}")
            return
        self.image, self._image_index = res.image, res.index
        self.view.set_image(res.image)
        self._apply_sample()

    @Slot(object)
    def _on_prediction(self, res: PredictionResult) -> None:
        if res.generation != self.hub.generation:
            return  # asked for a dataset that is no longer open
        if res.prediction is not None:
            self.hub.cache.put(res.model_id, res.index, res.prediction)
            self._has_heatmaps |= res.prediction.heatmaps is not None
        else:
            self.hub.cache.put_failure(res.model_id, res.index, res.error)
        if res.model_id == self.model_id:
            outcome = res.prediction if res.prediction is not None else res.error
            self.dock.model.set_status_at([res.index], [_status_text(outcome)])
        shown = self._image_index == self.current
        if res.index == self.current and res.model_id == self.model_id and shown:
            if res.prediction is None:
                self.message.emit(f"No prediction for sample {res.index}: {res.error}")
            self._show_prediction(request=False)

    # -- landmarks and heatmaps ------------------------------------------------------------
    @Slot(int)
    def select_landmark(self, k: int) -> None:
        self.heatmaps.set_landmark(k)
        if not np.array_equal(self.view.selected_points(), [k]):
            self.view.set_selection([k])

    @Slot(object)
    def _on_overlay(self, overlay: HeatmapOverlay | None) -> None:
        self.view.set_heatmap(overlay)

    # -- dataset-wide run ------------------------------------------------------------------
    def run_dataset(self) -> bool:
        """Run the model over every sample: the shown one first, then in table order."""
        if self.ds is None or self.predictor is None or not len(self.ds):
            self.message.emit("Open a dataset and a model first.")
            return False
        n = len(self.ds)
        mismatch = self.scheme_mismatch()
        if mismatch is not None:
            self.problem.emit(mismatch)
        first = [self.current] if self.current >= 0 else []
        order = np.concatenate([first, self.dock.model.rows(), np.arange(n)]).astype(np.int64)
        _, keep = np.unique(order, return_index=True)
        order = order[np.sort(keep)]
        self.hub.start_run(self.predictor, self.ds, order.tolist())
        self.hub.set_shown(self.current, self._nearby(self.dock.model.row_of(self.current)))
        self.runStateChanged.emit(True)
        self.message.emit(f"Running {self.model_id} over {n:,} samples …")
        return True

    def cancel_run(self) -> None:
        if self.hub.running():
            self.hub.cancel_run()
            self.message.emit("Cancelling …")

    @Slot(object)
    def _on_chunk(self, items: RunChunk) -> None:
        if items.generation != self.hub.generation:
            return  # a run over a dataset that is no longer open
        mid, cache = self.model_id, self.hub.cache
        touched = False
        done, texts = [], []
        for i, r in items:
            if isinstance(r, Prediction):
                cache.put(mid, i, r)
                self._has_heatmaps |= r.heatmaps is not None
            else:
                cache.put_failure(mid, i, str(r))
            done.append(i)
            texts.append(_status_text(r))
            touched |= i == self.current
        self.dock.model.set_status_at(done, texts)
        self._fill_nme(done)
        if touched and self._image_index == self.current:
            self._show_prediction(request=False)

    def _fill_nme(self, indices: list[int]) -> None:
        """Per-image NME of freshly predicted samples, into the table during a run (the
        same `core.metrics.nme_per_image` the final score uses)."""
        ds, norms = self.ds, self._norms
        if ds is None or ds.points is None or norms is None or not indices:
            return
        from facealign_gui.core.metrics import nme_per_image

        idx = np.asarray(indices, np.int64)
        k = ds.points.shape[1]
        pred = np.full((len(idx), k, 2), np.nan)
        for j, i in enumerate(idx):
            p = self.hub.cache.get(self.model_id, int(i))
            if p is not None and p.points.shape == (k, 2):
                pred[j] = p.points
        vis = None if ds.visible is None else ds.visible[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            nme = nme_per_image(pred, ds.points[idx], norms[idx], vis)
        self.dock.model.set_nme_at(idx.tolist(), nme)

    @Slot(object)
    def _on_run_finished(self, s: RunSummary) -> None:
        if self.hub.run_ended(s):
            self.runStateChanged.emit(False)
        if s.generation != self.hub.generation:
            return  # a run over a dataset that is no longer open
        if s.error:
            self.problem.emit(
                UserError(
                    title="The run stopped",
                    what=s.error,
                    next_step="Check the model card and the dataset.",
                    fatal=True,
                )
            )
        state = "cancelled" if s.cancelled else "done"
        self._run_text = f"Run {state}: {s.done:,} of {s.total:,} samples in {s.seconds:.1f} s"
        if s.model_id != self.model_id:  # another model was loaded meanwhile: not its scores
            self.message.emit(f"{self._run_text} · {s.model_id} was replaced by {self.model_id}")
        elif self.scheme_mismatch() is not None:
            self.message.emit(self._run_text + " · not scored: the model's points do not match")
        elif self.score_in_background():
            self.message.emit(self._run_text + " · scoring …")
        else:
            self.message.emit(self._run_text)

    def _score_inputs(self) -> tuple[Dataset, np.ndarray, str, np.ndarray] | None:
        ds = self.ds
        if ds is None or ds.points is None or self.predictor is None:
            return None
        if self.scheme_mismatch() is not None:
            return None  # said when the model was chosen and when the run started
        n, k = ds.points.shape[:2]
        cache = self.hub.cache
        # a failed face counts as missing (a failure in FR), as in `eval`
        return ds, cache.points(self.model_id, n, k), self.model_id, cache.evaluated(
            self.model_id, n
        )

    def score_in_background(self) -> bool:
        """Score the cached predictions with `EvalResult` on the pool (the same functions as
        ``facealign-gui eval``); `resultsReady` follows. False when there is nothing to score."""
        inputs = self._score_inputs()
        if inputs is None:
            return False
        from facealign_gui.core.results import EvalResult

        ds, pts, mid, run = inputs
        self.hub.run_task(
            ("score", self.hub.generation),
            lambda: EvalResult.from_points(ds, pts, mid, evaluated=run),
        )
        return True

    def score(self) -> object | None:
        """Score the cached predictions now (on this thread) and show the result."""
        inputs = self._score_inputs()
        if inputs is None:
            return None
        from facealign_gui.core.results import EvalResult

        try:
            ds, pts, mid, run = inputs
            result = EvalResult.from_points(ds, pts, mid, evaluated=run)
        except ValueError as exc:
            self.message.emit(f"Cannot score: {exc}")
            return None
        self._show_result(result)
        return result

    def _show_result(self, result: object) -> None:
        result.dataset = self.dataset_path or result.dataset  # type: ignore[attr-defined]
        self.results[result.model_id] = result  # type: ignore[attr-defined]
        self.dock.set_nme(result.nme, result.threshold)  # type: ignore[attr-defined]
        self.resultsReady.emit(result)
        summ = result.summary  # type: ignore[attr-defined]
        self.message.emit(
            f"{self._run_text} · NME {100 * summ['nme']:.2f}% · FR {100 * summ['fr']:.2f}%"
            f" · AUC {summ['auc']:.4f}".lstrip(" ·")
        )

    def set_orientation(self, orientation: str) -> None:
        """Read images in ``"stored"`` pixel order or ``"displayed"`` (EXIF applied) from now
        on, and show the current image again that way. Cached predictions were made on the
        other pixels, so they are dropped."""
        from facealign_gui.datasets.images import set_orientation

        self.orientation = orientation
        if self.ds is None:
            return
        set_orientation(self.ds, orientation)
        self.hub.new_generation()
        self.hub.clear_images()
        self.hub.cache.clear()
        self.results.clear()
        self.reshow()

    def reshow(self) -> None:
        """Draw the current sample again (the presenter gave this mode the view back)."""
        self.view.clear_all()
        self.view.set_scheme(*self._scheme)
        if self.ds is not None and self.current >= 0:
            self._image_index = -1
            self.show_sample(self.current)

    def shutdown(self) -> None:
        self.hub.shutdown()


def _point_names(scheme: str | None) -> list[str] | None:
    from facealign_gui.core.schemes import get_scheme

    try:
        return list(get_scheme(scheme).point_names) if scheme else None
    except (KeyError, ValueError):
        return None


def _rebase(ds: Dataset, folder: str | Path) -> int:
    """Read ``ds``'s images from ``folder``; its missing-image problems are recounted there.
    Returns how many are still missing."""
    from facealign_gui.datasets.model import Problem

    ds.root = Path(folder)
    ds.problems[:] = [p for p in ds.problems if not _is_missing_image(p)]
    missing = [i for i in range(len(ds)) if not ds.image_path(i).is_file()]
    ds.problems += [Problem(str(ds.image_path(i)), None, "image not found") for i in missing]
    return len(missing)


def _is_missing_image(problem: object) -> bool:
    text = str(problem)
    return "image not found" in text or "images found under" in text


def _status_text(outcome: object) -> str:
    """The dataset table's status for one sample's prediction (or the error instead)."""
    if isinstance(outcome, Prediction):
        return "predicted"
    first = str(outcome).strip().splitlines()[0] if str(outcome).strip() else "unknown error"
    return f"no prediction: {first[:60]}"
