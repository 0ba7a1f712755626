"""Contour tools as pure functions: slide a point along its curve, re-space a contour evenly,
move / rotate / scale a semantic group rigidly.

A contour is an ordered run of landmark indices (open, like the jaw, or closed, like a lid
loop or the lips). The curve through a contour is a uniform Catmull-Rom spline through its
points (end tangents from the end segments for an open contour), sampled densely and
measured by arc length. WFLW's 33-point jaw and the brows, lids and lips of both 300-W and
WFLW are defined as equal-arc-length samples of such curves, which `respace` restores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facealign_gui.core.schemes import Scheme

__all__ = [
    "Contour",
    "contour_of",
    "contours_for",
    "respace",
    "slide_point",
    "spline_polyline",
    "transform_group",
]

SAMPLES_PER_SEGMENT = 64


@dataclass(frozen=True)
class Contour:
    """An ordered run of landmark indices; ``closed`` joins the last point to the first."""

    name: str
    indices: tuple[int, ...]
    closed: bool = False


def _run(a: int, b: int) -> tuple[int, ...]:
    return tuple(range(a, b))


_CONTOURS: dict[str, tuple[Contour, ...]] = {
    "300w68": (
        Contour("jaw", _run(0, 17)),
        Contour("right_brow", _run(17, 22)),
        Contour("left_brow", _run(22, 27)),
        Contour("nose_bridge", _run(27, 31)),
        Contour("nose_lower", _run(31, 36)),
        Contour("right_eye", _run(36, 42), closed=True),
        Contour("left_eye", _run(42, 48), closed=True),
        Contour("outer_lips", _run(48, 60), closed=True),
        Contour("inner_lips", _run(60, 68), closed=True),
    ),
    "wflw98": (
        Contour("jaw", _run(0, 33)),
        Contour("right_brow", _run(33, 42), closed=True),
        Contour("left_brow", _run(42, 51), closed=True),
        Contour("nose_bridge", _run(51, 55)),
        Contour("nose_lower", _run(55, 60)),
        Contour("right_eye", _run(60, 68), closed=True),
        Contour("left_eye", _run(68, 76), closed=True),
        Contour("outer_lips", _run(76, 88), closed=True),
        Contour("inner_lips", _run(88, 96), closed=True),
    ),
}


def contours_for(scheme: Scheme | str) -> tuple[Contour, ...]:
    """The curves of a scheme (empty for schemes whose points are not sampled curves)."""
    name = scheme if isinstance(scheme, str) else scheme.name
    return _CONTOURS.get(name, ())


def contour_of(scheme: Scheme | str, index: int) -> Contour | None:
    """The contour landmark ``index`` lies on, or None."""
    for c in contours_for(scheme):
        if index in c.indices:
            return c
    return None


def _control(pts: np.ndarray, closed: bool) -> np.ndarray:
    if closed:
        return np.vstack([pts[-1:], pts, pts[:2]])
    first = 2 * pts[0] - pts[1]
    last = 2 * pts[-1] - pts[-2]
    return np.vstack([first, pts, last])


def spline_polyline(
    points: np.ndarray, closed: bool = False, samples: int = SAMPLES_PER_SEGMENT
) -> tuple[np.ndarray, np.ndarray]:
    """Dense samples of the Catmull-Rom curve through ``points`` (N, 2).

    Returns (curve (M, 2), knot positions (N,) as indices into ``curve``); a closed curve
    ends where it starts.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n = len(pts)
    if n < 2:
        return pts.copy(), np.zeros(n, dtype=np.int64)
    c = _control(pts, closed)
    segments = n if closed else n - 1
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    t2, t3 = t * t, t * t * t
    out = []
    for s in range(segments):
        p0, p1, p2, p3 = c[s], c[s + 1], c[s + 2], c[s + 3]
        out.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                + (3 * p1 - p0 - 3 * p2 + p3) * t3
            )
        )
    out.append(pts[:1] if closed else pts[-1:])
    curve = np.vstack(out)
    knots = np.arange(n) * samples
    return curve, knots


def _arc(curve: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))])


def respace(points: np.ndarray, contour: Contour) -> np.ndarray:
    """``points`` (K, 2) with the contour's points moved to equal arc-length steps along the
    curve through them; an open contour keeps its two end points, a closed one its first."""
    out = np.array(points, dtype=np.float64, copy=True)
    idx = list(contour.indices)
    if len(idx) < 3:
        return out
    curve, _ = spline_polyline(out[idx], contour.closed)
    arc = _arc(curve)
    n = len(idx)
    targets = np.linspace(0.0, arc[-1], n + 1 if contour.closed else n)[:n]
    xs = np.interp(targets, arc, curve[:, 0])
    ys = np.interp(targets, arc, curve[:, 1])
    out[idx] = np.stack([xs, ys], axis=1)
    if not contour.closed:
        out[idx[-1]] = points[idx[-1]]
    out[idx[0]] = points[idx[0]]
    return out


def slide_point(
    points: np.ndarray, contour: Contour, index: int, target: tuple[float, float]
) -> np.ndarray:
    """``points`` with landmark ``index`` moved along its contour's curve to the curve point
    nearest ``target`` (the cursor), kept strictly between its two neighbours so the order
    of the contour never changes. Call it with the points as they were when the drag began.
    """
    out = np.array(points, dtype=np.float64, copy=True)
    idx = list(contour.indices)
    if index not in idx:
        raise ValueError(f"landmark {index} is not on contour {contour.name!r}")
    if len(idx) < 2:
        return out
    pos = idx.index(index)
    curve, knots = spline_polyline(out[idx], contour.closed)
    n = len(idx)
    if contour.closed:
        # walk from the previous knot to the next one, through this point
        lo, hi = knots[pos] - knots[1], knots[pos] + knots[1]
        span = np.arange(lo + 1, hi) % (len(curve) - 1)
    else:
        lo = knots[pos - 1] if pos > 0 else 0
        hi = knots[pos + 1] if pos < n - 1 else len(curve) - 1
        first = lo + 1 if pos > 0 else 0
        last = hi - 1 if pos < n - 1 else hi
        span = np.arange(first, last + 1)
    cand = curve[span]
    best = int(np.argmin(((cand - np.asarray(target, dtype=np.float64)) ** 2).sum(axis=1)))
    out[index] = cand[best]
    return out


def transform_group(
    points: np.ndarray,
    indices: tuple[int, ...] | list[int],
    *,
    translate: tuple[float, float] = (0.0, 0.0),
    rotate: float = 0.0,
    scale: float = 1.0,
    center: tuple[float, float] | None = None,
) -> np.ndarray:
    """``points`` with the group ``indices`` scaled by ``scale``, rotated by ``rotate``
    radians (counter-clockwise on screen, image y pointing down: a positive angle turns x
    towards -y) about ``center`` (default: the group's centroid), then moved by
    ``translate``."""
    out = np.array(points, dtype=np.float64, copy=True)
    idx = list(indices)
    if not idx:
        return out
    g = out[idx]
    c = g.mean(axis=0) if center is None else np.asarray(center, dtype=np.float64)
    cs, sn = np.cos(rotate), np.sin(rotate)
    rot = np.array([[cs, sn], [-sn, cs]])  # image y down
    out[idx] = (g - c) @ (scale * rot).T + c + np.asarray(translate, dtype=np.float64)
    return out
