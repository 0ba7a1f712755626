"""Contour tools as session edits, for the labelling editor (no Qt here).

Each call applies one session edit (one undo step when the editor pushes it as an
`EditCommand`) with its own journal kind, which provenance counts as a person's move:

* `slide` (kind ``"slide"``): the dragged landmark moves along its contour's curve; call it on
  every mouse move of a modifier-drag with the points as they were when the drag began, and
  push only the last edit (or merge them like a drag);
* `respace` (kind ``"respace"``): the contour under a landmark gets evenly spaced points;
* `move_group` (kind ``"group"``): a semantic group (an eye, the mouth, a brow) is moved,
  rotated and scaled rigidly.

Suggested keys for the shortcut sheet: Shift-drag = slide along the contour, E = re-space
the contour of the selected point, G then drag / R / S = move / rotate / scale its group.
"""

from __future__ import annotations

import numpy as np

from facealign_gui.core.contours import contour_of, slide_point, transform_group
from facealign_gui.core.contours import respace as respace_points
from facealign_gui.core.schemes import get_scheme
from facealign_gui.session.journal import Edit

__all__ = ["group_of", "move_group", "respace", "slide"]


def _current(session: object, image: int) -> np.ndarray:
    ann = session.annotation(image)  # type: ignore[attr-defined]
    if ann is not None:
        return np.asarray(ann.points, dtype=np.float64)
    pred = session.prediction(image)  # type: ignore[attr-defined]
    if pred is None:
        raise ValueError(f"image {image} has neither an annotation nor a prediction")
    return np.asarray(pred.points, dtype=np.float64)


def _apply(session: object, image: int, old: np.ndarray, new: np.ndarray, kind: str) -> Edit | None:
    moved = np.flatnonzero(~np.all(np.isclose(old, new, rtol=0, atol=1e-9, equal_nan=True), axis=1))
    if moved.size == 0:
        return None
    return session.move_points(image, moved, new[moved], kind=kind)  # type: ignore[attr-defined]


def slide(
    session: object, image: int, index: int, cursor: tuple[float, float],
    start_points: np.ndarray | None = None,
) -> Edit | None:  # fmt: skip
    """Slide landmark ``index`` along its contour towards ``cursor``; None when it is on no
    contour (the editor then falls back to a plain drag) or does not move."""
    scheme = getattr(session, "scheme", None)
    contour = contour_of(scheme, index) if scheme else None
    if contour is None:
        return None
    now = _current(session, image)
    base = now if start_points is None else np.asarray(start_points, dtype=np.float64)
    new = now.copy()
    new[index] = slide_point(base, contour, index, cursor)[index]
    return _apply(session, image, now, new, "slide")


def respace(session: object, image: int, index: int) -> Edit | None:
    """Evenly re-space the contour landmark ``index`` lies on (None: no contour)."""
    scheme = getattr(session, "scheme", None)
    contour = contour_of(scheme, index) if scheme else None
    if contour is None:
        return None
    now = _current(session, image)
    return _apply(session, image, now, respace_points(now, contour), "respace")


def group_of(session: object, index: int) -> tuple[str, tuple[int, ...]] | None:
    """The scheme group (name, indices) landmark ``index`` belongs to, or None."""
    scheme = getattr(session, "scheme", None)
    if not scheme:
        return None
    for name, idx in get_scheme(scheme).groups.items():
        if index in idx:
            return name, tuple(idx)
    return None


def move_group(
    session: object, image: int, index: int, *, translate: tuple[float, float] = (0.0, 0.0),
    rotate: float = 0.0, scale: float = 1.0,
) -> Edit | None:  # fmt: skip
    """Move / rotate (radians) / scale the group of landmark ``index`` about its centroid."""
    group = group_of(session, index)
    if group is None:
        return None
    now = _current(session, image)
    new = transform_group(now, group[1], translate=translate, rotate=rotate, scale=scale)
    return _apply(session, image, now, new, "group")
