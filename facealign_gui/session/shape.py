"""The shape model a labelling session uses: the shipped one of its scheme, or one fitted on
the session's own verified labels (for COFW, AFLW, a custom scheme...)."""

from __future__ import annotations

import numpy as np

from facealign_gui.core.shape_model import ShapeModel, fit_shape_model, shipped_shape_model

__all__ = ["MIN_FACES", "session_shape_model", "shape_model_for_session"]

MIN_FACES = 5  # verified faces before a session's own shape model is fitted


def session_shape_model(
    session: object, num_modes: int = 20, min_faces: int = MIN_FACES
) -> ShapeModel | None:
    """A PDM fitted on the session's verified annotations with every point placed, or None
    with fewer than ``min_faces`` of them."""
    labels = session.labels(verified_only=True)  # type: ignore[attr-defined]
    if len(labels) == 0:
        return None
    complete = np.isfinite(labels.points).all(axis=(1, 2))
    if int(complete.sum()) < min_faces:
        return None
    shapes = labels.points[complete]
    name = getattr(session, "scheme", None) or f"custom{shapes.shape[1]}"
    path = getattr(session, "path", "the session")
    return fit_shape_model(shapes, scheme=str(name), num_modes=min(num_modes, len(shapes) - 1),
                           source=f"{len(shapes)} faces verified in {path}")  # fmt: skip


def shape_model_for_session(session: object) -> ShapeModel | None:
    """The shipped model of the session's scheme, else `session_shape_model`."""
    return shipped_shape_model(getattr(session, "scheme", None)) or session_shape_model(session)
