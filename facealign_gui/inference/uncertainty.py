"""Per-landmark uncertainty signals: each returns a (K,) score, higher = more likely wrong.

* `heatmap_peak`: one minus the heatmap's maximum (heatmap families).
* `heatmap_spread`: how widely the heatmap's mass spreads around its peak, as a fraction of
  the face size (heatmap families).
* `flip_inconsistency`: distance between the prediction and the un-flipped prediction of the
  mirrored image (`inference.mirror.predict_mirrored`), as a fraction of the face size.
* `model_disagreement`: distance between two models' predictions of the same scheme (or of
  another scheme mapped into this one by a (K, K2) matrix), as a fraction of the face size.
* `shape_residual`: how far each point is from where the shape model expects it given all
  the *other* points (the leave-one-point-out residual of the Gaussian shape fit of
  `core.refine`), in the shape model's normalised units (unit RMS point norm).

The face size is the square root of the area of the prediction's landmark box, so scores of
faces of any size compare (the same normaliser as `session.mirror.disagreement`).
"""

from __future__ import annotations

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.refine import RefineSettings, prior_for, shape_frame
from facealign_gui.core.shape_model import ShapeModel, apply_similarity

__all__ = [
    "face_size",
    "flip_inconsistency",
    "heatmap_peak",
    "heatmap_spread",
    "model_disagreement",
    "shape_residual",
]


def face_size(points: np.ndarray) -> float:
    """Square root of the area of the finite points' box (at least 1e-9)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    p = p[np.isfinite(p).all(axis=1)]
    if len(p) < 2:
        return 1e-9
    span = p.max(axis=0) - p.min(axis=0)
    return float(np.sqrt(max(span[0], 1e-9) * max(span[1], 1e-9)))


def _heatmaps(prediction: Prediction) -> np.ndarray:
    if prediction.heatmaps is None:
        raise ValueError(f"prediction of {prediction.model_id or 'the model'} has no heatmaps")
    return np.asarray(prediction.heatmaps, dtype=np.float32)


def heatmap_peak(prediction: Prediction) -> np.ndarray:
    """``1 - max(heatmap)`` per landmark."""
    hm = _heatmaps(prediction)
    return 1.0 - hm.reshape(hm.shape[0], -1).max(axis=1).astype(np.float64)


def heatmap_spread(prediction: Prediction, floor: float = 0.1) -> np.ndarray:
    """Root-mean-square distance of each heatmap's mass from its peak, over the face size.

    The mass is the heatmap minus ``floor`` x its peak, clipped at zero (so background noise
    does not count); distances are heatmap pixels scaled to image pixels by
    ``crop_to_image`` (1 when it is missing).
    """
    hm = _heatmaps(prediction).astype(np.float64)
    k, h, w = hm.shape
    flat = hm.reshape(k, -1)
    peak_i = flat.argmax(axis=1)
    px, py = peak_i % w, peak_i // w
    mass = np.clip(flat - floor * flat.max(axis=1, keepdims=True), 0.0, None).reshape(k, h, w)
    yy, xx = np.mgrid[0:h, 0:w]
    d2 = (xx[None] - px[:, None, None]) ** 2 + (yy[None] - py[:, None, None]) ** 2
    total = mass.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt((mass * d2).sum(axis=(1, 2)) / total)
    rms = np.where(total > 0, rms, float(max(h, w)))
    scale = 1.0
    if prediction.crop_to_image is not None:
        m = np.asarray(prediction.crop_to_image, dtype=np.float64)
        scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    return rms * scale / face_size(prediction.points)


def _distance(a: np.ndarray, b: np.ndarray, ref: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64), axis=1)
    return d / face_size(ref)


def flip_inconsistency(prediction: Prediction, mirrored: Prediction) -> np.ndarray:
    """Distance to the un-flipped mirror prediction (`inference.mirror.predict_mirrored`)."""
    if mirrored.num_points != prediction.num_points:
        raise ValueError(f"{mirrored.num_points} mirrored points for {prediction.num_points}")
    return _distance(prediction.points, mirrored.points, prediction.points)


def model_disagreement(
    prediction: Prediction, other: Prediction, mapping: np.ndarray | None = None
) -> np.ndarray:
    """Distance to another model's prediction; ``mapping`` (K, K2) maps its K2 points into
    this scheme (e.g. `inference.mesh68.mapping_matrix` for a mesh)."""
    pts = np.asarray(other.points, dtype=np.float64)
    if mapping is not None:
        pts = np.asarray(mapping, dtype=np.float64) @ pts
    if pts.shape != prediction.points.shape:
        raise ValueError(
            f"the other model gives {pts.shape[0]} points, this one {prediction.num_points}; "
            f"pass a mapping"
        )
    return _distance(prediction.points, pts, prediction.points)


def shape_residual(
    prediction: Prediction, pdm: ShapeModel, settings: RefineSettings | None = None
) -> np.ndarray:
    """Leave-one-point-out residual of each point under the shape model.

    With the joint Gaussian of `core.refine` (shape prior, free pose, the model error and
    per-point noise), the residual of point ``i`` given all others is
    ``P_ii^-1 (P (y - mean))_i`` with ``P`` the inverse covariance (2 x 2 blocks); its length
    is the score. Non-finite points score NaN and do not count for the others.
    """
    s = settings or RefineSettings()
    pts = np.asarray(prediction.points, dtype=np.float64)
    if pts.shape[0] != pdm.num_points:
        raise ValueError(f"{pts.shape[0]} points for a {pdm.num_points}-point shape model")
    finite = np.isfinite(pts).all(axis=1)
    cache = prior_for(pdm, s)
    y = apply_similarity(shape_frame(np.nan_to_num(pts), pdm, finite.astype(float)),
                         np.nan_to_num(pts)).reshape(-1)  # fmt: skip
    cov = cache.prior + cache.error + np.eye(len(y)) * s.point_noise**2
    keep = np.repeat(finite, 2)
    sub = cov[np.ix_(keep, keep)]
    prec = np.linalg.inv(sub)
    r = prec @ (y[keep] - cache.mean[keep])
    n = int(finite.sum())
    out = np.full(pts.shape[0], np.nan)
    blocks = prec.reshape(n, 2, n, 2)[np.arange(n), :, np.arange(n), :]  # (n, 2, 2)
    res = np.linalg.solve(blocks, r.reshape(n, 2, 1))[..., 0]
    out[finite] = np.linalg.norm(res, axis=1)
    return out
