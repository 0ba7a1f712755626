"""How well each per-landmark uncertainty signal ranks the landmarks by their true error.

For every face of ``--dataset`` (ground truth + images) the model of ``--model`` (default: the
embedded MediaPipe model) predicts the points (`inference.pipeline.run_predictions`, the
dataset's face box); then each signal of `facealign_gui.inference.uncertainty` scores every
landmark (higher = more likely wrong) and the table gives its Spearman rank correlation with
the true error (point distance / inter-ocular distance):

* pooled: over all (face, landmark) pairs, i.e. how well it orders a review queue;
* within face: the mean over faces of the correlation across one face's landmarks, i.e. how
  well it finds the worst landmark of the image shown;
* per face: over faces, the face score the review queue sorts by (the signal's reduction in
  `FACE_REDUCE`, as registered in `app.uncertainty_signals` / `app.second_model`) against the
  face's NME, i.e. how well the queue puts the worst faces first (few faces: noisy).

Signals: ``flip`` (the mirror pass, `inference.mirror.predict_mirrored`, same face region),
``shape residual`` (shipped shape model of the scheme), ``disagreement`` with ``--other``
(another model card of the same scheme; default: the same model on the face detector's box
instead of the dataset's, which is a second opinion from another crop, not another network),
and, for heatmap models, ``heatmap peak`` and ``heatmap spread``. A signal the model cannot
give is shown as n/a.

A model of another scheme than the dataset's is scored on the points the two share through
a fixed table (`SHARED_POINTS`: 300-W 68 -> Kaggle 15, e.g. eye centre = mean of the eye's
six points); the inter-ocular distance stays the dataset's. With ``--model`` a Kaggle-15
hourglass and the default ``--other``, the disagreement is with the embedded MediaPipe model
mapped the same way: two different networks.

    python benchmarks/bench_signals.py --dataset ../shared/data/dev_faces [--model CARD]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.schemes import get_scheme, scheme_for_num_points
from facealign_gui.core.shape_model import load_shape_model
from facealign_gui.datasets.images import load_image
from facealign_gui.datasets.io import open_dataset
from facealign_gui.inference import uncertainty as unc
from facealign_gui.inference.mirror import predict_mirrored
from facealign_gui.inference.pipeline import face_for_sample
from facealign_gui.inference.types import FaceRegion, Predictor

MODELS = Path(__file__).resolve().parents[1] / "facealign_gui" / "models"

# (dataset scheme, model scheme) -> one tuple of dataset indices per model point (averaged)
SHARED_POINTS: dict[tuple[str, str], tuple[tuple[int, ...], ...]] = {
    ("300w68", "kaggle15"): (
        tuple(range(42, 48)),  # left eye centre (the subject's left)
        tuple(range(36, 42)),  # right eye centre
        (42,),
        (45,),
        (39,),
        (36,),  # left inner / outer, right inner / outer corners
        (22,),
        (26,),
        (21,),
        (17,),  # left brow inner / outer, right brow inner / outer
        (30,),  # nose tip
        (54,),
        (48,),  # mouth left / right corner
        (51,),
        (57,),  # top of the upper lip, bottom of the lower lip
    ),
}


# how the labelling dock's review orders reduce per-landmark scores to one per face
FACE_REDUCE = {"flip": np.nanmax, "shape residual": np.nanmax, "disagreement": np.nanmean,
               "heatmap peak": np.nanmax, "heatmap spread": np.nanmax}  # fmt: skip


def shared_matrix(dataset_scheme: str, model_scheme: str, k: int) -> np.ndarray | None:
    """(K_model, K_dataset) averaging matrix of `SHARED_POINTS`, or None."""
    table = SHARED_POINTS.get((dataset_scheme, model_scheme))
    if table is None:
        return None
    m = np.zeros((len(table), k))
    for row, idx in enumerate(table):
        m[row, list(idx)] = 1.0 / len(idx)
    return m


def _load(model: str | None) -> Predictor:
    if model is None:
        from facealign_gui.inference.mediapipe import load_default_predictor

        return load_default_predictor()
    from facealign_gui.inference.loader import load_predictor

    return load_predictor(model)


def _detector_face(image: np.ndarray) -> FaceRegion | None:
    from facealign_gui.inference.detect import detect_faces

    found = detect_faces(image, max_faces=1)
    return found[0] if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--model", default=None)
    parser.add_argument("--other", default=None, help="second model card (same scheme)")
    args = parser.parse_args(argv)

    ds = open_dataset(args.dataset)
    if ds.points is None:
        raise SystemExit(f"{args.dataset}: no ground truth")
    k = int(ds.points.shape[1])
    scheme = get_scheme(ds.scheme) if ds.scheme else scheme_for_num_points(k)
    if scheme is None or scheme.normaliser_indices is None:
        raise SystemExit("the dataset's scheme has no inter-ocular pair to normalise errors")
    model = _load(args.model)
    model_scheme = get_scheme(model.scheme) if model.scheme else scheme
    gt_map = None
    if model_scheme.name != scheme.name:
        gt_map = shared_matrix(scheme.name, model_scheme.name, k)
        if gt_map is None:
            raise SystemExit(f"no shared points between {scheme.name} and {model_scheme.name}")
    pdm_path = MODELS / f"shape_{model_scheme.name}.npz"
    pdm = load_shape_model(pdm_path) if pdm_path.is_file() else None
    if args.other:
        other, other_name = _load(args.other), args.other
    elif gt_map is not None:
        other = _load(None)
        other_name = f"{other.model_id} (mapped to {model_scheme.name})"
    else:
        other, other_name = None, f"{model.model_id} on the detector's box"
    km = model_scheme.num_points

    signals: dict[str, list[np.ndarray]] = {}
    errors: list[np.ndarray] = []
    t0 = time.perf_counter()
    for i in range(len(ds)):
        face = face_for_sample(ds, i)
        image = load_image(ds, i)
        if face is None:
            face = _detector_face(image)
            if face is None:
                continue
        pred = model.predict(image, face)
        full = ds.points[i]
        a, b = scheme.normaliser_indices
        io = float(np.linalg.norm(full[a] - full[b]))
        gt = full if gt_map is None else gt_map @ full
        errors.append(np.linalg.norm(pred.points - gt, axis=1) / io)
        row = {
            "flip": unc.flip_inconsistency(
                pred, predict_mirrored(model, image, face, model_scheme.flip_pairs)
            ),
            "shape residual": unc.shape_residual(pred, pdm) if pdm else None,
            "disagreement": _disagree(pred, image, face, model, other, gt_map),
            "heatmap peak": unc.heatmap_peak(pred) if pred.heatmaps is not None else None,
            "heatmap spread": unc.heatmap_spread(pred) if pred.heatmaps is not None else None,
        }
        for name, got in row.items():
            signals.setdefault(name, []).append(
                np.full(km, np.nan) if got is None else np.asarray(got, dtype=np.float64)
            )
    seconds = time.perf_counter() - t0
    err = np.stack(errors)
    print(f"dataset {args.dataset}: {len(err)} faces, {km} points scored; model {model.model_id}; "
          f"disagreement with: {other_name}; {seconds:.1f} s, load "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"true error: mean NME {np.nanmean(err):.4f} (inter-ocular)")
    print(f"| {'signal':<16} | {'pooled Spearman':>15} | {'within-face mean':>16} "
          f"| {'per face':>8} |")  # fmt: skip
    print(f"|{'-' * 18}|{'-' * 17}|{'-' * 18}|{'-' * 10}|")
    for name, vals in signals.items():
        s = np.stack(vals)
        ok = np.isfinite(s) & np.isfinite(err)
        if ok.sum() < 3:
            print(f"| {name:<16} | {'n/a':>15} | {'n/a':>16} | {'n/a':>8} |")
            continue
        pooled = spearmanr(s[ok], err[ok]).statistic
        per = [spearmanr(s[j][ok[j]], err[j][ok[j]]).statistic for j in range(len(s))
               if ok[j].sum() > 2 and np.ptp(s[j][ok[j]]) > 0]  # fmt: skip
        face = _per_face(s, err, FACE_REDUCE[name])
        print(f"| {name:<16} | {pooled:15.3f} | {np.nanmean(per):16.3f} | {face:8.3f} |")
    return 0


def _per_face(scores: np.ndarray, err: np.ndarray, reduce: object) -> float:
    """Spearman over faces of the reduced score against the face's mean error (NaN: < 3)."""
    ok = np.isfinite(scores).any(axis=1)
    if ok.sum() < 3:
        return float("nan")
    face = np.array([reduce(row[np.isfinite(row)]) for row in scores[ok]])  # type: ignore[operator]
    return float(spearmanr(face, np.nanmean(err[ok], axis=1)).statistic)


def _disagree(
    pred: Prediction, image: np.ndarray, face: FaceRegion, model: Predictor,
    other: Predictor | None, mapping: np.ndarray | None = None,
) -> np.ndarray | None:  # fmt: skip
    if other is not None:
        return unc.model_disagreement(pred, other.predict(image, face), mapping)
    region = _detector_face(image)
    if region is None:
        return None
    return unc.model_disagreement(pred, model.predict(image, region))


if __name__ == "__main__":
    raise SystemExit(main())
