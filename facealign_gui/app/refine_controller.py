"""Click-to-refine in the window: after a person's drag or nudge, the points they have not
placed re-adjust (`app.refine_hook.RefineHook`: shape-model fit + the prediction weighted by
its confidence, heatmaps re-read when the live prediction has them), as part of the same
undo step (`EditController.refine_hook` -> `MovePoints.extras`).

The toggle is a checkable action (`TOGGLE_KEY`) whose state is kept in the preferences; the
time of the last refinement is in `last_ms` and in the dock's message line.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

from facealign_gui.app.refine_hook import RefineHook
from facealign_gui.core.annotation import Prediction
from facealign_gui.session.journal import Edit
from facealign_gui.session.provenance import IMPORTED, MOVED, point_provenance

__all__ = ["LIVE_KEEP", "SETTING", "TOGGLE_KEY", "RefineController", "SessionRefiner"]

TOGGLE_KEY = "Ctrl+Shift+R"
SETTING = "labelling/refine_after_drag"
LIVE_KEEP = 48  # predictions with heatmaps kept for the heatmap re-read (about 0.8 MB each)


class SessionRefiner(RefineHook):
    """`RefineHook` reading only the edited image's journal, with the newest predictions'
    heatmaps at hand (`remember`), timing each call (`last_ms`). Points imported from an
    annotation file count as placed (they are a person's labels too)."""

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(enabled=enabled)
        self.live: OrderedDict[int, Prediction] = OrderedDict()
        self.last_ms: float | None = None
        self._placed: tuple[int, np.ndarray] | None = None

    def remember(self, image: int, prediction: Prediction) -> None:
        self.live[image] = prediction
        self.live.move_to_end(image)
        while len(self.live) > LIVE_KEEP:
            self.live.popitem(last=False)

    def warm(self, session: object) -> None:
        """Load the shape model and run one fit on its mean shape, so the person's first
        drag does not pay for the imports, the model file and the prior (~150 ms cold)."""
        pdm = self.shape_model(session)
        if pdm is None:
            return
        from facealign_gui.inference.refine import refine

        fixed = np.zeros(pdm.num_points, bool)
        fixed[0] = True
        pts = pdm.mean * 100.0
        refine(pts, None, fixed, pdm, settings=self.settings, predicted=pts)

    def live_prediction(self, session: object, image: int) -> Prediction | None:
        """The kept prediction of ``image`` when it is still the session's current one."""
        p = self.live.get(image)
        stored = session.prediction(image)  # type: ignore[attr-defined]
        if p is None or stored is None or not np.allclose(p.points, stored.points, equal_nan=True):
            return None  # replaced since (or corrected by the pre-labeller): no heatmaps
        return p

    def placed_mask(self, session: object, image: int) -> np.ndarray:
        if self._placed is not None and self._placed[0] == image:  # within one call
            return self._placed[1]
        k = int(session.num_points)  # type: ignore[attr-defined]
        edits = [_as_image0(e) for e in session.image_journal(image)]  # type: ignore[attr-defined]
        codes, _ = point_provenance(edits, 1, k)
        # a person's points: placed here, or read from the annotation file the session was
        # made from; the model's own (accepted, refined) points are free to move
        return (codes[0] == MOVED) | (codes[0] == IMPORTED)

    def __call__(self, session: object, image: int) -> Edit | None:
        t0 = time.perf_counter()
        try:
            self._placed = None
            self._placed = (image, self.placed_mask(session, image))  # once per call
            edit = self.after_edit(session, image, self.live_prediction(session, image))
        finally:
            self._placed = None
        self.last_ms = (time.perf_counter() - t0) * 1000.0
        return edit


def _as_image0(edit: Edit) -> Edit:
    from dataclasses import replace

    return replace(edit, image=0)


class RefineController(QObject):
    """Owns the toggle action and plugs a `SessionRefiner` into an `EditController`."""

    refined = Signal(str)  # "refined 12 points in 3.1 ms"

    def __init__(self, controller: object, settings: object | None,
                 parent: QObject | None = None,
                 status: Callable[[str], None] | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.controller = controller
        self.settings = settings  # a QSettings (the preferences'), or None
        on = True
        if settings is not None:
            on = str(settings.value(SETTING, "true")).lower() in ("true", "1")  # type: ignore[attr-defined]
        self.refiner = SessionRefiner(enabled=on)
        self._status = status
        self.action = QAction("&Refine other points after a drag", self)
        self.action.setCheckable(True)
        self.action.setChecked(on)
        self.action.setShortcut(QKeySequence(TOGGLE_KEY))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.setToolTip(f"Click-to-refine on/off ({TOGGLE_KEY})")
        self.action.toggled.connect(self.set_enabled)
        controller.refine_hook = self._hook  # type: ignore[attr-defined]
        self.refiner.warm(controller.session)  # type: ignore[attr-defined]

    @property
    def enabled(self) -> bool:
        return self.refiner.enabled

    def set_enabled(self, on: bool) -> None:
        self.refiner.enabled = bool(on)
        if self.action.isChecked() != bool(on):
            self.action.setChecked(bool(on))
        if self.settings is not None:
            self.settings.setValue(SETTING, "true" if on else "false")  # type: ignore[attr-defined]
        self._say("Click-to-refine on." if on else "Click-to-refine off.")

    def _hook(self, image: int) -> Edit | None:
        edit = self.refiner(self.controller.session, image)  # type: ignore[attr-defined]
        if edit is not None and self.refiner.last_ms is not None:
            n = int(edit.indices.size)
            self._say(f"Refined {n} point{'s' * (n != 1)} in {self.refiner.last_ms:.1f} ms.")
        return edit

    def _say(self, text: str) -> None:
        self.refined.emit(text)
        if self._status is not None:
            self._status(text)

    def detach(self) -> None:
        if getattr(self.controller, "refine_hook", None) == self._hook:
            self.controller.refine_hook = None  # type: ignore[attr-defined]
