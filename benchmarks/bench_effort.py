"""How much work a person still has to do per face: a simulated annotator counts drags.

For every face of ``--dataset`` (any supported format with ground truth and images, read
with `facealign_gui.datasets.io.open_dataset`) the model of ``--model`` (a card, an .onnx or a
built-in card id; default: the embedded MediaPipe model) predicts the points through
`inference.pipeline.run_predictions` (the path the window uses: the dataset's face box, else
the face detector). Then, per flow:

* a point is *wrong* when it is more than ``max(2 px, 0.02 x inter-ocular distance)`` from
  its ground truth (inter-ocular: the scheme's published pair of outer eye corners; schemes
  without one use the pupils, then the square root of the ground-truth box area);
* the annotator drags the wrong point with the largest error exactly onto its ground truth;
  after each drag the tool may refine the other points (flow-dependent); a dragged point is
  fixed and never moves again;
* it stops when no point is wrong, or after ``3 x K`` drags.

Flows
-----
``manual``           the scheme's mean shape placed in the face box, no refinement.
``predict+correct``  the model's prediction, no refinement (a model of another scheme goes
                     through `core.scheme_map` when a mapping exists, e.g. 300-W -> WFLW;
                     otherwise the flow starts from the mean shape like ``manual``).
``click-to-refine``  the prediction, `inference.refine.refine` after every drag.
``adaptive``         faces in dataset order; the prediction goes through the pre-labeller
                     (`session.prelabel.PreLabeller`), refitted after each verified face on
                     (the model's points, the points the person verified); no refinement.
``adaptive+refine``  ``adaptive`` with `refine` after every drag; the refinement's error
                     model is blended with the covariance of the pre-labeller's
                     leave-one-out errors on the faces verified so far.

Shape model (so that no face scores itself): the shipped PDM of the scheme
(``facealign_gui/models/shape_<scheme>.npz``; the 300-W one was fitted on the 300-W test and
valid annotation files only, so ``shared/data/dev_faces`` -- 300-W *training* images -- are not
in it), or ``--shape-model FILE``. Any evaluated face that *was* among the model's training
faces (found by its fingerprint, e.g. a 300-W test face) is removed from the model exactly
before the run (`ShapeModel.without`), and the count is printed. For a scheme without a
shipped model, the PDM is fitted, before each face, on the faces verified *before* it in the
session (at least
``MIN_SESSION_FACES``); the evaluated face is never in its own shape model.

The final NME is the mean over faces of the final points' NME against the ground truth (same
normaliser as the tolerance). Unless ``--json``, a table is printed, with the drags of the
faces after the tenth beside the whole-run means, and the time one `refine` call takes.

    python benchmarks/bench_effort.py --dataset ../shared/data/dev_faces [--model CARD] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.effort import (
    AnnotatorResult,
    Refiner,
    interocular,
    simulate_annotator,
    tolerance,
)
from facealign_gui.core.refine import RefineSettings
from facealign_gui.core.scheme_map import can_map, map_points
from facealign_gui.core.schemes import Scheme, get_scheme, scheme_for_num_points
from facealign_gui.core.shape_model import (
    ShapeModel,
    fit_shape_model,
    load_shape_model,
    shipped_shape_model,
)
from facealign_gui.datasets.io import open_dataset
from facealign_gui.datasets.model import Dataset
from facealign_gui.inference.refine import refine
from facealign_gui.session.prelabel import PreLabeller

FLOWS = ("manual", "predict+correct", "click-to-refine", "adaptive", "adaptive+refine")
MIN_SESSION_FACES = 5
AFTER = 10  # the "after 10 faces" column
PRIOR_FACES = 5.0  # adaptive+refine: weight of the learned error model = N / (N + this)


@dataclass
class Face:
    index: int
    gt: np.ndarray
    counted: np.ndarray
    tol: float
    norm: float
    center: tuple[float, float] | None
    scale: float | None
    prediction: Prediction | None = None
    failure: str = ""


@dataclass
class FlowStats:
    drags: list[int] = field(default_factory=list)
    nme: list[float] = field(default_factory=list)

    def add(self, r: AnnotatorResult) -> None:
        self.drags.append(r.drags)
        self.nme.append(r.nme)

    def summary(self) -> dict[str, float | int | None]:
        if not self.drags:
            return {"drags_mean": None, "drags_median": None, "final_nme": None, "faces": 0}
        return {
            "drags_mean": float(np.mean(self.drags)),
            "drags_median": float(statistics.median(self.drags)),
            "final_nme": float(np.mean(self.nme)),
            "faces": len(self.drags),
        }


def load_faces(ds: Dataset, scheme: Scheme | None) -> list[Face]:
    from facealign_gui.inference.pipeline import face_for_sample

    if ds.points is None:
        raise SystemExit(f"{ds.root}: the dataset has no ground-truth landmarks")
    faces = []
    for i in range(len(ds)):
        gt = ds.points[i]
        counted = np.isfinite(gt).all(axis=1)
        if ds.visible is not None:
            counted &= ds.visible[i]
        if not counted.any():
            continue
        io = interocular(gt, scheme)
        if not (np.isfinite(io) and io > 0):
            print(f"warning: {ds.sources[i] if ds.sources else i}: no inter-ocular distance "
                  f"(eye points missing); face left out", file=sys.stderr)  # fmt: skip
            continue
        region = face_for_sample(ds, i)
        center = scale = None
        if region is not None and region.center is not None and region.scale is not None:
            center, scale = region.center, region.scale
        elif region is not None and region.box is not None:
            x1, y1, x2, y2 = region.box
            center, scale = ((x1 + x2) / 2, (y1 + y2) / 2), max(x2 - x1, y2 - y1) / 200.0
        faces.append(Face(i, gt, counted, tolerance(io), io, center, scale))
    return faces


def predict_faces(faces: list[Face], ds: Dataset, model: str | None) -> tuple[str, str | None]:
    """Fill each face's prediction; returns the model's id and landmark scheme."""
    from facealign_gui.inference.pipeline import SampleFailure, run_predictions

    if model is None:
        from facealign_gui.inference.mediapipe import load_default_predictor

        predictor = load_default_predictor()
    else:
        from facealign_gui.inference.registry import load_predictor

        predictor = load_predictor(model)
    by_index = {f.index: f for f in faces}
    for i, res in run_predictions(predictor, ds, indices=[f.index for f in faces]):
        if isinstance(res, SampleFailure):
            by_index[i].failure = str(res)
        else:
            by_index[i].prediction = res
    return predictor.model_id, predictor.scheme


def session_shape_model(verified: list[np.ndarray], scheme: str) -> ShapeModel | None:
    """A PDM of the faces verified so far (never the face being labelled)."""
    if len(verified) < MIN_SESSION_FACES:
        return None
    shapes = np.stack(verified)
    return fit_shape_model(shapes, scheme=scheme, num_modes=min(len(verified) - 1, 20),
                           source=f"{len(verified)} faces verified in this session")  # fmt: skip


def mean_in_box(face: Face, pdm: ShapeModel | None, k: int) -> np.ndarray:
    """The manual start: the mean shape placed in the face box."""
    if pdm is not None and pdm.box_mean is not None and face.center is not None:
        return pdm.place_in_box(face.center, float(face.scale or 1.0))
    centre = np.asarray(face.center if face.center is not None else (0.0, 0.0))
    return np.tile(centre, (k, 1)).astype(np.float64)


def make_refiner(pred: Prediction | None, start: np.ndarray, pdm: ShapeModel | None,
                 settings: RefineSettings,
                 learned: tuple[np.ndarray, float] | None = None) -> Refiner | None:  # fmt: skip
    """`inference.refine.refine` bound to one face; ``start`` is the proposal it refines."""
    if pdm is None:
        return None
    k = len(start)
    own = pred is not None and pred.num_points == k
    conf = pred.confidence if own else None  # type: ignore[union-attr]
    # the heatmaps belong to the raw prediction: re-read them only when the start is it
    raw = own and np.array_equal(start, pred.points)  # type: ignore[union-attr]
    hm = pred.heatmaps if raw else None  # type: ignore[union-attr]
    m = pred.crop_to_image if raw else None  # type: ignore[union-attr]

    def run(points: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        return refine(points, conf, fixed, pdm, hm, m, settings, predicted=start,
                      learned_error=learned)  # fmt: skip

    return run


class Flows:
    """The five flows over faces in dataset order, with their learned state."""

    def __init__(self, scheme: Scheme | None, k: int, pdm: ShapeModel | None,
                 settings: RefineSettings, model_scheme: str | None = None) -> None:  # fmt: skip
        self.scheme, self.k, self.pdm_shipped, self.settings = scheme, k, pdm, settings
        self.model_scheme = model_scheme
        self.name = scheme.name if scheme is not None else f"custom{k}"
        self.labellers: dict[str, PreLabeller] = {}
        self.verified: dict[str, list[np.ndarray]] = {f: [] for f in FLOWS}
        self.refine_seconds: list[float] = []

    def labeller(self, flow: str, source_points: int) -> PreLabeller:
        if flow not in self.labellers:
            same = self.pdm_shipped is not None and source_points == self.k
            self.labellers[flow] = PreLabeller(
                source_points, self.k,
                reference=self.pdm_shipped.mean if same else None,  # type: ignore[union-attr]
                normaliser=self.scheme.normaliser_indices if self.scheme else None,
            )  # fmt: skip
        return self.labellers[flow]

    def model_points(self, face: Face, pdm: ShapeModel | None) -> np.ndarray | None:
        """The prediction in the dataset's scheme (mapped when the model's scheme differs and
        `core.scheme_map` knows how), or None."""
        pred = face.prediction
        if pred is None:
            return None
        if pred.num_points == self.k:
            return pred.points
        target = self.scheme.name if self.scheme else None
        if target and self.model_scheme != target and can_map(self.model_scheme, target):
            # e.g. the 68-point default model on a WFLW dataset
            return map_points(pred.points, self.model_scheme or "", target, pdm)
        return None

    def learning_source(self, face: Face, pdm: ShapeModel | None) -> np.ndarray | None:
        """What the pre-labeller learns from: the prediction in the dataset's scheme when it
        exists (it then learns a correction), else the model's own points."""
        own = self.model_points(face, pdm)
        if own is not None or face.prediction is None:
            return own
        return face.prediction.points

    def start(self, flow: str, face: Face, pdm: ShapeModel | None) -> np.ndarray:
        """The tool's first proposal for ``face`` in ``flow``."""
        own = self.model_points(face, pdm)
        if flow == "manual" or face.prediction is None:  # no prediction: the mean shape
            return mean_in_box(face, pdm, self.k)
        if flow.startswith("adaptive"):
            src = self.learning_source(face, pdm)
            corrected = self.labeller(flow, len(src)).predict(src)  # type: ignore[arg-type]
            if corrected is not None:
                return corrected
        return own if own is not None else mean_in_box(face, pdm, self.k)

    def run_face(self, flow: str, face: Face) -> AnnotatorResult:
        pdm = self.pdm_shipped or session_shape_model(self.verified[flow], self.name)
        start = self.start(flow, face, pdm)
        refiner = None
        if flow in ("click-to-refine", "adaptive+refine"):
            lab = self.labellers.get(flow)
            learned = lab.error_covariance(PRIOR_FACES) if lab is not None else None
            refiner = make_refiner(face.prediction, start, pdm, self.settings, learned)
            if refiner is not None and flow == "click-to-refine":
                fixed = np.zeros(self.k, bool)
                fixed[: self.k // 4] = True
                t0 = time.perf_counter()
                refiner(start, fixed)
                self.refine_seconds.append(time.perf_counter() - t0)
        res = simulate_annotator(start, face.gt, face.tol, face.norm, refiner, face.counted)
        if np.isfinite(res.points).all():  # the face is verified: learn from it
            self.verified[flow].append(res.points)
            src = self.learning_source(face, pdm)
            if flow.startswith("adaptive") and src is not None:
                self.labeller(flow, len(src)).add(src, res.points)
        return res


def run_flows(
    faces: list[Face], scheme: Scheme | None, k: int, pdm_shipped: ShapeModel | None,
    settings: RefineSettings, model_scheme: str | None = None,
) -> tuple[dict[str, FlowStats], dict[str, FlowStats], list[float]]:  # fmt: skip
    """Every flow over every face in dataset order: (stats, stats after `AFTER` faces,
    seconds of one refine call per face)."""
    stats = {f: FlowStats() for f in FLOWS}
    late = {f: FlowStats() for f in FLOWS}
    flows = Flows(scheme, k, pdm_shipped, settings, model_scheme)
    for n, face in enumerate(faces):
        for flow in FLOWS:
            res = flows.run_face(flow, face)
            stats[flow].add(res)
            if n >= AFTER:
                late[flow].add(res)
    return stats, late, flows.refine_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True, help="annotation file or folder")
    parser.add_argument("--format", default=None, help="dataset format (default: detected)")
    parser.add_argument("--model", default=None, help="model card / .onnx / built-in id")
    parser.add_argument("--shape-model", default=None, help="PDM .npz (default: shipped)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    ds = open_dataset(args.dataset, format=args.format)
    if ds.points is None:
        raise SystemExit(f"{args.dataset}: no ground truth to count drags against")
    k = int(ds.points.shape[1])
    scheme = get_scheme(ds.scheme) if ds.scheme else scheme_for_num_points(k)
    faces = load_faces(ds, scheme)
    t0 = time.perf_counter()
    model_id, model_scheme = predict_faces(faces, ds, args.model)
    predict_s = time.perf_counter() - t0
    failed = [f for f in faces if f.prediction is None]
    for f in failed:
        print(f"warning: {f.failure}", file=sys.stderr)
    pdm = (
        load_shape_model(args.shape_model)
        if args.shape_model
        else shipped_shape_model(scheme.name if scheme else None)
    )
    if pdm is not None and pdm.num_points != k:
        raise SystemExit(f"shape model has {pdm.num_points} points, the dataset {k}")
    left_out = 0
    if pdm is not None:  # no face may be scored by a shape model fitted on it
        pdm, left_out = pdm.without(np.stack([f.gt for f in faces]))
    settings = RefineSettings()
    c0 = time.process_time()
    t1 = time.perf_counter()
    stats, late, refine_s = run_flows(faces, scheme, k, pdm, settings, model_scheme)
    sim_s, sim_cpu = time.perf_counter() - t1, time.process_time() - c0
    flows = {name: s.summary() for name, s in stats.items()}
    if args.json:
        print(json.dumps({"flows": flows}))
        return 0
    print(f"dataset {args.dataset}: {len(faces)} faces, {k} points, scheme "
          f"{scheme.name if scheme else 'custom'}; model {model_id} "
          f"({len(failed)} failed, {predict_s:.1f} s)")  # fmt: skip
    print(f"shape model: {pdm.source if pdm else 'fitted per face on earlier verified faces'}")
    print(f"evaluated faces found in the shape model's training set and left out: {left_out}")
    print(f"| {'flow':<16} | {'drags mean':>10} | {'median':>6} | {'final NME':>9} | {'faces':>5} "
          f"| {'mean after ' + str(AFTER):>13} | {'vs predict':>10} |")  # fmt: skip
    print(f"|{'-' * 18}|{'-' * 12}|{'-' * 8}|{'-' * 11}|{'-' * 7}|{'-' * 15}|{'-' * 12}|")
    base = flows["predict+correct"]["drags_mean"]
    for name in FLOWS:
        f = flows[name]
        if not f["faces"]:
            print(f"| {name:<16} | {'-':>10} | {'-':>6} | {'-':>9} | {0:>5} | {'-':>13} | "
                  f"{'-':>10} |")  # fmt: skip
            continue
        lt = late[name].summary()["drags_mean"]
        lt_s = f"{lt:13.2f}" if lt is not None else f"{'-':>13}"
        ratio = f"{(f['drags_mean'] / base - 1) * 100:+9.1f}%" if base else f"{'-':>10}"
        print(f"| {name:<16} | {f['drags_mean']:10.2f} | {f['drags_median']:6.1f} | "
              f"{f['final_nme']:9.4f} | {f['faces']:5d} | {lt_s} | {ratio} |")  # fmt: skip
    if refine_s:
        med = statistics.median(refine_s)
        print(f"one refine call (K={k}, {k // 4} fixed): median {med * 1e3:.2f} ms wall over "
              f"{len(refine_s)} faces")  # fmt: skip
    print(f"simulation: {sim_s:.1f} s wall, {sim_cpu:.1f} s CPU; load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
