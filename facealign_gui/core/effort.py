"""A simulated annotator that counts drags: the measure of how much work a tool leaves.

Rules (issue 13, used by ``benchmarks/bench_effort.py``):

* a point is *wrong* when it is more than ``max(2 px, 0.02 x inter-ocular distance)`` from
  its ground truth;
* the annotator drags the wrong point with the largest error exactly onto its ground truth;
  after each drag the tool may re-place the other points (a ``refiner``); a dragged point is
  the person's and never moves again;
* the annotator stops when no point is wrong, or after ``3 x K`` drags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from facealign_gui.core.schemes import Scheme

__all__ = ["AnnotatorResult", "Refiner", "interocular", "simulate_annotator", "tolerance"]

# (points: the person's where fixed, the tool's proposal elsewhere; fixed (K,)) -> points
Refiner = Callable[[np.ndarray, np.ndarray], np.ndarray]

MIN_TOLERANCE_PX = 2.0
TOLERANCE_FRACTION = 0.02


def interocular(gt: np.ndarray, scheme: Scheme | None) -> float:
    """The face's inter-ocular distance: the scheme's published pair (outer eye corners);
    schemes without one use the pupils, then the square root of the points' box area."""
    g = np.asarray(gt, dtype=np.float64)
    if scheme is not None and scheme.normaliser_indices is not None:
        i, j = scheme.normaliser_indices
        return float(np.linalg.norm(g[i] - g[j]))
    if scheme is not None and scheme.pupils is not None:
        a = np.nanmean(g[list(scheme.pupils[0])], axis=0)
        b = np.nanmean(g[list(scheme.pupils[1])], axis=0)
        return float(np.linalg.norm(a - b))
    span = np.nanmax(g, axis=0) - np.nanmin(g, axis=0)
    return float(np.sqrt(span[0] * span[1]))


def tolerance(interocular_distance: float) -> float:
    """How far from its ground truth a point may be before it is wrong (pixels)."""
    return max(MIN_TOLERANCE_PX, TOLERANCE_FRACTION * float(interocular_distance))


@dataclass(frozen=True)
class AnnotatorResult:
    """One face: drags made, final NME (over ``norm``) and the points the person verified."""

    drags: int
    nme: float
    points: np.ndarray


def simulate_annotator(
    start: np.ndarray,
    gt: np.ndarray,
    tol: float,
    norm: float,
    refiner: Refiner | None = None,
    counted: np.ndarray | None = None,
) -> AnnotatorResult:
    """Run the annotator of the module docstring on one face.

    Parameters
    ----------
    start : (K, 2) the tool's first proposal (NaN rows: nothing proposed, always wrong).
    gt : (K, 2) ground truth.
    tol : `tolerance` in pixels; ``norm``: the NME denominator (inter-ocular distance).
    refiner : called after each drag with the person's points where fixed and ``start``
        elsewhere, and the fixed mask; its answer for fixed points is ignored.
    counted : (K,) points that have a ground truth (default: the finite ones).
    """
    g = np.asarray(gt, dtype=np.float64)
    k = len(g)
    use = np.isfinite(g).all(axis=1) if counted is None else np.asarray(counted, bool)
    proposal = np.asarray(start, dtype=np.float64)
    pts = proposal.copy()
    fixed = np.zeros(k, dtype=bool)
    drags = 0
    while drags < 3 * k:
        err = np.linalg.norm(pts - g, axis=1)
        err = np.where(np.isfinite(err), err, np.inf)
        wrong = use & (err > tol)
        if not wrong.any():
            break
        i = int(np.argmax(np.where(wrong, err, -1.0)))
        pts[i] = g[i]
        fixed[i] = True
        drags += 1
        if refiner is not None:
            new = refiner(np.where(fixed[:, None], pts, proposal), fixed.copy())
            pts = np.where(fixed[:, None], pts, np.asarray(new, dtype=np.float64))
    dist = np.linalg.norm(pts - g, axis=1)[use]
    return AnnotatorResult(drags, float(np.mean(dist) / norm) if dist.size else float("nan"), pts)
