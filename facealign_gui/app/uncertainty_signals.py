"""The effort tools' per-landmark uncertainty signals, registered as review orders.

Qt-free (it sits in ``app/`` only because it joins ``inference`` and ``session``, which do not
import each other). `register` adds four `ReviewSignal`s; `score_prediction` computes those
that need what the session does not keep (heatmaps, the mirrored prediction) in the
prediction worker, and the session computes the shape residual itself when a prediction is
stored (``compute``).
"""

from __future__ import annotations

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.shape_model import ShapeModel, shipped_shape_model
from facealign_gui.inference import uncertainty
from facealign_gui.session.review import ReviewSignal, get_signal, register_signal

__all__ = ["EFFORT_SIGNALS", "least_confident", "register", "score_prediction", "worst_landmark"]

_SCHEME_BY_POINTS = {68: "300w68", 98: "wflw98"}
_PDMS: dict[int, ShapeModel | None] = {}


def _pdm(k: int) -> ShapeModel | None:
    if k not in _PDMS:
        name = _SCHEME_BY_POINTS.get(k)
        _PDMS[k] = None if name is None else shipped_shape_model(name)
    return _PDMS[k]


def _shape_residual(p: Prediction) -> np.ndarray:
    pdm = _pdm(p.num_points)
    if pdm is None or not np.isfinite(p.points).any():
        return np.full(p.num_points, np.nan)
    try:
        return uncertainty.shape_residual(p, pdm)
    except (ValueError, np.linalg.LinAlgError):  # a degenerate face: no score, not a failure
        return np.full(p.num_points, np.nan)


EFFORT_SIGNALS = (
    ReviewSignal("heatmap_peak", "Lowest heatmap peak first", worst="high", reduce="max",
                 description="1 - the heatmap maximum of each landmark (heatmap models)"),
    ReviewSignal("heatmap_spread", "Widest heatmap first", worst="high", reduce="max",
                 description="spread of each heatmap around its peak / face size"),
    ReviewSignal("flip", "Flip inconsistency first", worst="high", reduce="max",
                 description="distance to the un-flipped mirror prediction / face size"),
    ReviewSignal("shape_residual", "Least plausible shape first", worst="high", reduce="max",
                 compute=_shape_residual,
                 description="distance of each point from the shape model's expectation"),
)  # fmt: skip


def register() -> None:
    """Register `EFFORT_SIGNALS` (again is a no-op: `register_signal` accepts the same
    definition twice)."""
    for sig in EFFORT_SIGNALS:
        register_signal(sig)


def score_prediction(pred: Prediction, mirror: Prediction | None) -> dict[str, np.ndarray]:
    """The worker-side signals of one face (those its inputs allow)."""
    out: dict[str, np.ndarray] = {}
    if pred.heatmaps is not None and len(pred.heatmaps) == pred.num_points:
        out["heatmap_peak"] = uncertainty.heatmap_peak(pred)
        out["heatmap_spread"] = uncertainty.heatmap_spread(pred)
    if mirror is not None and mirror.num_points == pred.num_points:
        out["flip"] = uncertainty.flip_inconsistency(pred, mirror)
    return out


def worst_landmark(per_point: np.ndarray, signal: str) -> int | None:
    """Index of the landmark ``signal`` ranks worst (None when all are NaN)."""
    v = np.asarray(per_point, dtype=np.float64).reshape(-1)
    if not np.isfinite(v).any():
        return None
    worst = get_signal(signal).worst
    return int(np.nanargmax(v) if worst == "high" else np.nanargmin(v))


def least_confident(confidence: np.ndarray) -> int | None:
    """Index of the least confident landmark; None when every point is as confident (a
    model that reports 1.0 everywhere has no worst point)."""
    c = np.asarray(confidence, dtype=np.float64).reshape(-1)
    finite = c[np.isfinite(c)]
    if finite.size == 0 or float(finite.max() - finite.min()) <= 1e-6:
        return None
    return int(np.nanargmin(c))
