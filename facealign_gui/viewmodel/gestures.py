"""Landmark gestures as plain functions: which point a click hits, what a click or a
rubber band does to the selection, which point numbers fit on screen.

Coordinates are image pixels unless named ``screen``; ``pixel_size`` is the size of one
screen pixel in image pixels (x, y), as a ViewBox reports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PICK_RADIUS_PX = 9.0  # a click this close (screen pixels) to a point picks it
LABEL_SPACING_PX = 11.0  # point numbers closer than this on screen would overlap


def nearest_point(
    xy: Sequence[float] | np.ndarray,
    points: np.ndarray | None,
    pixel_size: Sequence[float] = (1.0, 1.0),
    radius_px: float = PICK_RADIUS_PX,
) -> int | None:
    """Index of the point nearest ``xy`` within ``radius_px`` screen pixels, else None.

    Points with a NaN coordinate are never hit.
    """
    if points is None or not len(points):
        return None
    scale = np.maximum(np.asarray(pixel_size, float), 1e-12)
    d = np.hypot(*((np.asarray(points, float) - np.asarray(xy, float)) / scale).T)
    d = np.where(np.isfinite(d), d, np.inf)
    i = int(np.argmin(d))
    return i if d[i] <= radius_px else None


def click_selection(
    selection: np.ndarray, hit: int | None, toggle: bool, extend: bool
) -> np.ndarray:
    """The selection after a click: ``hit`` alone; with ``toggle`` (Shift/Ctrl) ``hit`` is
    added or removed; a click on nothing clears it unless ``extend`` (Shift) is held."""
    sel = np.asarray(selection, np.int64)
    if hit is None:
        return sel.copy() if extend else np.zeros(0, np.int64)
    if toggle:
        return np.array(sorted(set(sel.tolist()) ^ {hit}), np.int64)
    return np.array([hit], np.int64)


def rect_selection(
    points: np.ndarray | None,
    rect: tuple[float, float, float, float],
    selection: np.ndarray,
    add: bool,
) -> np.ndarray:
    """Points inside ``rect`` = (left, top, right, bottom); with ``add`` (Ctrl) joined to the
    current selection."""
    if points is None:
        return np.asarray(selection, np.int64).copy()
    left, top, right, bottom = rect
    x, y = np.asarray(points, float).T
    inside = np.flatnonzero((x >= left) & (x <= right) & (y >= top) & (y <= bottom))
    return np.union1d(selection, inside).astype(np.int64) if add else inside.astype(np.int64)


def drag_indices(selection: np.ndarray, hit: int) -> np.ndarray:
    """What a drag starting on point ``hit`` moves: the selection if ``hit`` is in it (a group
    drag), else ``hit`` alone."""
    sel = np.asarray(selection, np.int64)
    return sel.copy() if hit in sel else np.array([hit], np.int64)


def drag_kind(indices: np.ndarray) -> str:
    """``"group"`` when a drag moves several points, ``"drag"`` for one."""
    return "group" if len(indices) > 1 else "drag"


def uncluttered(screen_xy: np.ndarray, spacing_px: float = LABEL_SPACING_PX) -> np.ndarray:
    """Mask of the points whose number can be drawn without overlapping an earlier one.

    Greedy in index order: a point is labelled when no labelled point lies within
    ``spacing_px`` (a grid of cells of that size keeps it linear in the point count).
    """
    xy = np.asarray(screen_xy, float).reshape(-1, 2)
    keep = np.zeros(len(xy), bool)
    cells: dict[tuple[int, int], list[int]] = {}
    s = float(spacing_px)
    for i, (x, y) in enumerate(xy):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        cx, cy = int(np.floor(x / s)), int(np.floor(y / s))
        clash = False
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in cells.get((cx + dx, cy + dy), ()):
                    if (xy[j, 0] - x) ** 2 + (xy[j, 1] - y) ** 2 < s * s:
                        clash = True
                        break
                if clash:
                    break
            if clash:
                break
        if not clash:
            keep[i] = True
            cells.setdefault((cx, cy), []).append(i)
    return keep
