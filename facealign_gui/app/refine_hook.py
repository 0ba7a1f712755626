"""Click-to-refine for the labelling editor: what to do after a person's drag.

Qt-free on purpose (the editor calls it and pushes the result as an undo step). After a
drag on image ``i``, `RefineHook.after_edit` re-places every point the person has not placed
themselves (points whose provenance, rebuilt from the journal, is not ``"moved"``) with
`inference.refine.refine`, and applies that as one session edit of kind ``"refine"``; the
editor pushes the drag's edit and this one inside one undo macro, so one drag plus its
refinement is one undo step (undo applies both inverses, provenance follows).

Wiring (in the editor, after ``session.move_points(i, idx, xy)`` of a drag):

    stack.beginMacro("move 1 point")
    stack.push(MovePoints(session, drag_edit, notify))
    refined = hook.after_edit(session, i, prediction=live_prediction_or_None)
    if refined is not None:
        stack.push(EditCommand(session, refined, "refine", notify))
    stack.endMacro()
"""

from __future__ import annotations

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.refine import RefineSettings
from facealign_gui.core.shape_model import ShapeModel
from facealign_gui.inference.refine import refine
from facealign_gui.session.journal import Edit
from facealign_gui.session.provenance import MOVED, point_provenance
from facealign_gui.session.shape import shape_model_for_session

__all__ = ["RefineHook"]

MOVE_EPS = 1e-6  # px: a refined point that moves less than this is not rewritten


class RefineHook:
    """Click-to-refine, switchable (``enabled``), with the shape model chosen once per
    session (shipped for the scheme, else fitted on the verified faces)."""

    def __init__(self, settings: RefineSettings | None = None, enabled: bool = True) -> None:
        self.settings = settings or RefineSettings()
        self.enabled = enabled
        self._pdm: ShapeModel | None = None
        self._pdm_for: int | None = None

    def shape_model(self, session: object) -> ShapeModel | None:
        if self._pdm_for != id(session) or self._pdm is None:
            self._pdm = shape_model_for_session(session)
            self._pdm_for = id(session)
        return self._pdm

    def placed_mask(self, session: object, image: int) -> np.ndarray:
        """(K,) True where the person placed the point (journal provenance ``"moved"``)."""
        k = int(session.num_points)  # type: ignore[attr-defined]
        edits = [e for e in session.journal() if e.image == image]  # type: ignore[attr-defined]
        codes, _ = point_provenance((_as_image0(e) for e in edits), 1, k)
        return codes[0] == MOVED

    def refined_points(
        self, session: object, image: int, prediction: Prediction | None = None
    ) -> np.ndarray | None:
        """The refined points of ``image`` (K, 2), or None when off / nothing to do."""
        if not self.enabled:
            return None
        pdm = self.shape_model(session)
        ann = session.annotation(image)  # type: ignore[attr-defined]
        pred = prediction or session.prediction(image)  # type: ignore[attr-defined]
        if pdm is None or ann is None or pred is None or pred.num_points != pdm.num_points:
            return None
        fixed = self.placed_mask(session, image) & np.isfinite(ann.points).all(axis=1)
        if not fixed.any():
            return None
        pts = np.where(fixed[:, None], ann.points, pred.points)
        return refine(pts, pred.confidence, fixed, pdm, pred.heatmaps, pred.crop_to_image,
                      self.settings, predicted=pred.points)  # fmt: skip

    def after_edit(
        self, session: object, image: int, prediction: Prediction | None = None
    ) -> Edit | None:
        """Apply the refinement as one ``"refine"`` edit (None when nothing moves)."""
        new = self.refined_points(session, image, prediction)
        if new is None:
            return None
        ann = session.annotation(image)  # type: ignore[attr-defined]
        fixed = self.placed_mask(session, image)
        delta = np.linalg.norm(np.nan_to_num(new - ann.points, nan=1e9), axis=1)
        idx = np.flatnonzero(~fixed & (delta > MOVE_EPS) & np.isfinite(new).all(axis=1))
        if idx.size == 0:
            return None
        return session.move_points(image, idx, new[idx], kind="refine")  # type: ignore[attr-defined]


def _as_image0(edit: Edit) -> Edit:
    from dataclasses import replace

    return replace(edit, image=0)
