"""Issue 13's tools, attached to one labelling dock: click-to-refine, the contour keys, the
pre-labeller panel, uncertainty orders (a second model's disagreement among them) with the
worst landmark ringed and its heatmap shown.

`EffortTools(dock, view, settings, heatmaps, menu)` is made by `LabellingMode.start` right
after the dock and `detach`ed before the dock goes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from facealign_gui.app import style
from facealign_gui.app import uncertainty_signals as sig
from facealign_gui.app.contour_tools import CONTOUR_SHORTCUTS, ContourTools
from facealign_gui.app.prelabel_panel import PreLabelController, PreLabelPanel
from facealign_gui.app.refine_controller import TOGGLE_KEY, RefineController
from facealign_gui.app.second_model import SIGNAL as SECOND_SIGNAL
from facealign_gui.app.second_model import SecondModel
from facealign_gui.app.shown_heatmaps import ShownHeatmaps
from facealign_gui.core.schemes import SCHEMES
from facealign_gui.session.review import get_signal

__all__ = ["EFFORT_SHORTCUTS", "EffortTools"]

EFFORT_SHORTCUTS: list[tuple[str, str]] = [
    (TOGGLE_KEY, "Click-to-refine on / off: after a drag or nudge the other points follow"),
    *CONTOUR_SHORTCUTS,
]


class EffortTools(QObject):
    """See the module docstring."""

    def __init__(self, dock: object, view: object, settings: object | None = None,
                 heatmaps: object | None = None, menu: object | None = None) -> None:  # fmt: skip
        super().__init__(dock)  # type: ignore[arg-type]
        self.dock, self.view, self.heatmaps, self.menu = dock, view, heatmaps, menu
        c = dock.controller  # type: ignore[attr-defined]
        self.session = dock.session  # type: ignore[attr-defined]
        say = dock.message.setText  # type: ignore[attr-defined]
        sig.register()
        # 1. click-to-refine
        self.refine = RefineController(c, settings, self, status=say)
        dock.addAction(self.refine.action)  # type: ignore[attr-defined]
        if menu is not None:
            menu.addSeparator()  # type: ignore[attr-defined]
            menu.addAction(self.refine.action)  # type: ignore[attr-defined]
        dock.livePrediction.connect(self._on_live)  # type: ignore[attr-defined]
        # 2. contour tools
        self.contours = ContourTools(c, view, dock, say=say)  # type: ignore[arg-type]
        # 3. pre-labeller
        self.prelabel = PreLabelController(self.session, self)
        self.prelabel.message.connect(say)
        self.panel = PreLabelPanel(self.prelabel, dock.widget())  # type: ignore[attr-defined]
        lay = dock.widget().layout()  # type: ignore[attr-defined]
        lay.insertWidget(lay.count() - 1, self.panel)  # above the message line
        dock.prediction_filter = self.prelabel.filter  # type: ignore[attr-defined]
        c.changed.connect(self.prelabel.on_image_changed)
        # 4. uncertainty orders, the worst landmark
        dock.scorer = sig.score_prediction  # type: ignore[attr-defined]
        box = dock.order_box  # type: ignore[attr-defined]
        known = {box.itemData(j) for j in range(box.count())}
        for s in (*sig.EFFORT_SIGNALS, SECOND_SIGNAL):
            if s.name not in known:
                box.addItem(s.label, s.name)
        self.second = SecondModel(dock, menu, say)  # the "Two models disagree most" order
        self.second.scored.connect(self._on_scored)
        self.worst_label = QLabel(dock.widget())  # type: ignore[attr-defined]
        self.worst_label.setObjectName("worst")
        self.worst_label.setWordWrap(True)
        lay.insertWidget(lay.count() - 1, self.worst_label)
        # blue, wider than the yellow selection ring: the two can be told apart
        self.ring = pg.ScatterPlotItem(size=28, symbol="o", pen=style.pen("crop", 2.5),
                                       brush=None, pxMode=True)  # fmt: skip
        self.ring.setZValue(60)
        view.vb.addItem(self.ring, ignoreBounds=True)  # type: ignore[attr-defined]
        self._image: tuple[int, object] | None = None
        self.worst: int | None = None
        self.shown = ShownHeatmaps(self.session, self)
        self.shown.ready.connect(self._on_live)
        dock.loader.loaded.connect(self._on_image)  # type: ignore[attr-defined]
        c.currentChanged.connect(self._ask_heatmaps)
        c.currentChanged.connect(self.show_worst)
        c.changed.connect(self._on_changed)
        box.currentIndexChanged.connect(lambda _j: self.show_worst(c.current))
        if c.current >= 0:
            self._ask_heatmaps(c.current)
            self.show_worst(c.current)

    # -- live predictions, the shown image ------------------------------------------------------
    def _on_live(self, i: int, prediction: object) -> None:
        self.refine.refiner.remember(i, prediction)  # type: ignore[arg-type]
        if i == self.dock.controller.current:  # type: ignore[attr-defined]
            self.show_worst(i)

    def _ask_heatmaps(self, i: int) -> None:
        """The shown image's heatmaps, when "predict all" did not leave them."""
        if self.heatmaps is None or i in self.refine.refiner.live:
            return
        if self.session.closed or self.session.prediction(i) is None:
            return
        self.shown.request(i, getattr(self.dock, "predictor", None))

    def _on_image(self, i: int, image: object) -> None:
        self._image = (i, image)
        self._show_heatmap(i)

    def _on_scored(self, images: list) -> None:
        if self.dock.controller.current in images:  # type: ignore[attr-defined]
            self.show_worst(self.dock.controller.current)  # type: ignore[attr-defined]

    def _on_changed(self, i: int) -> None:
        if i == self.dock.controller.current:  # type: ignore[attr-defined]
            self._place_ring()

    # -- worst landmark ---------------------------------------------------------------------
    def order(self) -> str:
        return str(self.dock.order_box.currentData())  # type: ignore[attr-defined]

    def worst_of(self, i: int, signal: str) -> tuple[int, float] | None:
        """(landmark, score) the ``signal`` ranks worst on image ``i`` (None: no scores)."""
        try:
            s = get_signal(signal)
        except ValueError:
            return None
        if s.column is not None:  # the confidence orders: the least confident point
            pred = self.session.prediction(i)
            if pred is None or s.name == "mirror":
                return None
            k = sig.least_confident(pred.confidence)
            return None if k is None else (k, float(pred.confidence[k]))
        per = self.session.scores(signal).per_point[i]
        k = sig.worst_landmark(per, signal)
        return None if k is None else (k, float(per[k]))

    def show_worst(self, i: int) -> None:
        if i < 0 or self.session.closed:
            return
        found = self.worst_of(i, self.order())
        self.worst = None if found is None else found[0]
        if found is None:
            self.worst_label.setText("")
        else:
            k, v = found
            scheme = SCHEMES.get(self.session.scheme or "")
            name = scheme.point_names[k] if scheme is not None else f"point {k}"
            what = get_signal(self.order()).label.lower()
            self.worst_label.setText(f"Worst point: <b>{k} {name}</b> ({what}: {v:.3g})")
        self._place_ring()
        self._show_heatmap(i)

    def _place_ring(self) -> None:
        c = self.dock.controller  # type: ignore[attr-defined]
        if self.worst is None or c.current < 0:
            self.ring.setData([], [])
            return
        ann = self.session.annotation(c.current)
        pred = self.session.prediction(c.current)
        pts = ann.points if ann is not None else None if pred is None else pred.points
        if pts is None or not np.isfinite(pts[self.worst]).all():
            self.ring.setData([], [])
            return
        x, y = pts[self.worst]
        self.ring.setData([x], [y])

    def _show_heatmap(self, i: int) -> None:
        if self.heatmaps is None or self._image is None or self._image[0] != i:
            return
        live = self.refine.refiner.live.get(i)
        if live is None or getattr(live, "heatmaps", None) is None:
            return
        self.heatmaps.set_data(self._image[1], live)  # type: ignore[attr-defined]
        if self.worst is not None:
            self.heatmaps.set_landmark(self.worst)  # type: ignore[attr-defined]

    def detach(self) -> None:
        """Undo every hook this made (before the dock is removed)."""
        self.shown.shutdown()
        self.second.detach()
        self.refine.detach()
        self.contours.detach()
        if self.menu is not None:
            self.menu.removeAction(self.refine.action)  # type: ignore[attr-defined]
        self.view.vb.removeItem(self.ring)  # type: ignore[attr-defined]
