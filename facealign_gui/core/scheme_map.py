"""Points of one landmark scheme expressed in another (300-W 68 -> WFLW 98).

WFLW's 98 points refine 300-W's 68 along the same curves: the jaw has a point between every
two 300-W jaw points, each lid has five points instead of four (resampled at equal arc length
along the lid curve through the 300-W points), the nose and mouth are the same points, and the
pupils are the eye centres. WFLW's lower brow edges have no 300-W counterpart: with a WFLW
shape model they are filled in as the shape model's expectation given every other point
(`core.refine` with the mapped points fixed); without one they stay NaN.
"""

from __future__ import annotations

import itertools

import numpy as np

from facealign_gui.core.contours import spline_polyline
from facealign_gui.core.shape_model import ShapeModel

__all__ = ["can_map", "map_points"]


def _spline_samples(points: np.ndarray, m: int) -> np.ndarray:
    """``m`` points at equal arc length along the spline through ``points`` (ends kept)."""
    curve, _ = spline_polyline(points)
    seg = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, arc[-1], m)
    return np.stack([np.interp(t, arc, curve[:, 0]), np.interp(t, arc, curve[:, 1])], axis=1)


def _midpoints(points: np.ndarray) -> np.ndarray:
    """The arc-length middle of the spline between every two consecutive ``points``."""
    curve, knots = spline_polyline(points)
    out = []
    for a, b in itertools.pairwise(knots):
        piece = curve[a : b + 1]
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(piece, axis=0), axis=1))])
        half = arc[-1] / 2
        out.append([np.interp(half, arc, piece[:, 0]), np.interp(half, arc, piece[:, 1])])
    return np.asarray(out)


def _w300_to_wflw(p: np.ndarray) -> np.ndarray:
    out = np.full((98, 2), np.nan)
    out[0:33:2] = p[0:17]
    out[1:33:2] = _midpoints(p[0:17])
    out[33:38] = p[17:22]  # right brow, outer -> inner along the top
    out[42:47] = p[22:27]  # left brow, inner -> outer
    out[51:55] = p[27:31]
    out[55:60] = p[31:36]
    # right eye: 60 outer corner, 61-63 upper lid, 64 inner corner, 65-67 lower lid
    out[60:65] = _spline_samples(p[[36, 37, 38, 39]], 5)
    lower = _spline_samples(p[[39, 40, 41, 36]], 5)
    out[65:68] = lower[1:4]
    # left eye: 68 inner corner, 69-71 upper lid, 72 outer corner, 73-75 lower lid
    out[68:73] = _spline_samples(p[[42, 43, 44, 45]], 5)
    lower = _spline_samples(p[[45, 46, 47, 42]], 5)
    out[73:76] = lower[1:4]
    out[76:96] = p[48:68]
    out[96] = p[36:42].mean(axis=0)
    out[97] = p[42:48].mean(axis=0)
    return out


_MAPS = {("300w68", "wflw98"): _w300_to_wflw}


def can_map(source: str | None, target: str | None) -> bool:
    """Whether `map_points` knows how to go from ``source`` to ``target``."""
    return source == target or (source, target) in _MAPS


def map_points(
    points: np.ndarray, source: str, target: str, target_model: ShapeModel | None = None
) -> np.ndarray:
    """``points`` of scheme ``source`` as points of ``target`` (see the module docstring)."""
    p = np.asarray(points, dtype=np.float64)
    if source == target:
        return p.copy()
    fn = _MAPS.get((source, target))
    if fn is None:
        raise ValueError(f"no mapping from scheme {source!r} to {target!r}")
    out = fn(p)
    missing = ~np.isfinite(out).all(axis=1)
    if missing.any() and target_model is not None and target_model.num_points == len(out):
        from facealign_gui.core.refine import refine

        out = refine(out, None, ~missing, target_model)
    return out
