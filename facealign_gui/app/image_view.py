"""The image with its landmarks: ground truth, prediction, error vectors, edges, heatmap.

Public editing API (used by the labelling dock):

- `set_editable`, `set_annotation`, `set_prediction`, `selected_points`, `set_selection`;
- signals `pointsMoved(indices, old_xy, new_xy, kind)` once per gesture, ``kind`` being
  "drag", "group" or "nudge" (decided where the gesture happens),
  `pointsDragging(indices, xy)` during a drag, `selectionChanged(indices)`,
  `pointClicked(int)`.

Coordinates are image pixels with the centre of the top-left pixel at (0, 0): the image
item sits at (-0.5, -0.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal

from facealign_gui.app import style
from facealign_gui.app.image_editing import PointEditing
from facealign_gui.app.landmark_viewbox import LandmarkViewBox
from facealign_gui.app.overlays import (
    ErrorVectors,
    PassiveScatter,
    PointLabelsItem,
    SegmentsItem,
    build_legend,
    edge_segments,
    fallback_error_norm,
)
from facealign_gui.viewmodel.overlay import HeatmapOverlay

LAYERS: tuple[str, ...] = ("truth", "prediction", "errors", "edges", "numbers", "heatmap", "legend")
EMPTY = np.zeros((0, 2))


class ImageView(PointEditing, pg.GraphicsLayoutWidget):
    """One image and its landmark layers in a zoomable, pannable view."""

    pointsMoved = Signal(object, object, object, str)
    pointsDragging = Signal(object, object)
    selectionChanged = Signal(object)
    pointClicked = Signal(int)

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground(style.BACKGROUND)
        self.ci.layout.setContentsMargins(0, 0, 0, 0)
        self.vb = LandmarkViewBox(self)
        self.addItem(self.vb)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setPos(-0.5, -0.5)
        self.heat_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item.setZValue(1)
        self.edges_truth = SegmentsItem(style.COLORS["edges_truth"], 1.0)
        self.edges_pred = SegmentsItem(style.COLORS["edges_prediction"], 1.0)
        self.errors = ErrorVectors()
        outline = pg.mkPen("#000000", width=0.8)
        self.truth_item = PassiveScatter(
            symbol="o", size=7, pen=outline, brush=style.brush("truth"), pxMode=True
        )
        self.pred_item = PassiveScatter(
            symbol="x", size=9, pen=None, brush=style.brush("prediction"), pxMode=True
        )
        # occluded points stay drawn, hollow and dimmed (as CVAT draws them), and selectable
        self.occluded_item = PassiveScatter(
            symbol="o", size=7, pen=style.pen("truth", 1.2), brush=None, pxMode=True
        )
        self.occluded_item.setOpacity(0.6)
        # the other faces of an image with several (the face selector picks "the" one)
        self.others_item = PassiveScatter(
            symbol="x", size=7, pen=None, brush=style.brush("prediction"), pxMode=True
        )
        self.others_item.setOpacity(0.45)
        self.sel_item = PassiveScatter(
            symbol="o", size=15, pen=style.pen("selected", 2), brush=None, pxMode=True
        )
        self.labels = PointLabelsItem()
        self.hover = pg.TextItem(
            color=style.COLORS["text"], fill=pg.mkBrush(20, 20, 24, 220), anchor=(0, 1)
        )
        z = 2
        for item in (
            self.edges_truth.item,
            self.edges_pred.item,
            *self.errors.items,
            self.occluded_item,
            self.truth_item,
            self.pred_item,
            self.others_item,
            self.sel_item,
            self.labels,
            self.hover,
        ):
            item.setZValue(z)
            z += 1
        for item in (
            self.image_item,
            self.heat_item,
            self.edges_truth.item,
            self.edges_pred.item,
            *self.errors.items,
            self.occluded_item,
            self.truth_item,
            self.pred_item,
            self.others_item,
            self.sel_item,
            self.labels,
            self.hover,
        ):
            self.vb.addItem(item, ignoreBounds=item is not self.image_item)
        for item in (
            self.heat_item,
            self.others_item,
            self.occluded_item,
            self.truth_item,
            self.pred_item,
            self.sel_item,
            self.labels,
            self.hover,
            *self.errors.items,
            self.edges_truth.item,
            self.edges_pred.item,
        ):
            # the ViewBox interprets every click and drag; items must not swallow them
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            item.setAcceptHoverEvents(False)
        self.hover.hide()
        self.legend = build_legend(self.vb)
        self.legend.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

        self._truth: np.ndarray | None = None
        self._visible: np.ndarray | None = None
        self._pred: np.ndarray | None = None
        self._conf: np.ndarray | None = None
        self._edges = np.zeros((0, 2), dtype=np.int64)
        self._names: list[str] = []
        self._pred_names: list[str] | None = None
        self._selection = np.zeros(0, dtype=np.int64)
        self._editable = False
        self._error_norm: float | None = None
        self._layers = dict.fromkeys(LAYERS, True)
        self._layers["numbers"] = False
        self._image_shape: tuple[int, ...] | None = None
        self._batch_depth = 0
        self._dirty = False
        self.auto_fit = True
        self.nudge_step = 1.0
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._apply_layer_visibility()

    # -- content ---------------------------------------------------------------------------
    def set_image(self, image: np.ndarray | None) -> None:
        """Show an RGB (H, W, 3) or grey (H, W) image with fixed levels (no flicker)."""
        if image is None:
            self.image_item.clear()
            self._image_shape = None
            return
        new_shape = image.shape[:2] != (self._image_shape or (None, None))[:2]
        # uint8 is drawn as is (pyqtgraph's zero-copy QImage path, no rescaling); other
        # types get the fixed levels of their range. Never auto-levels: no flicker.
        if image.dtype == np.uint8:
            levels = None
        elif image.dtype.kind in "ui":
            levels = (0, np.iinfo(image.dtype).max)
        else:
            levels = (0.0, 1.0)
        self.image_item.setImage(image, autoLevels=False, levels=levels)
        self._image_shape = image.shape
        if self.auto_fit or new_shape:
            self.fit()

    def set_scheme(self, edges: np.ndarray | None, names: list[str] | None) -> None:
        """The scheme's edges (E, 2) and point names, used for lines and hover text."""
        self._edges = np.zeros((0, 2), np.int64) if edges is None else np.asarray(edges)
        self._names = list(names or [])
        self._refresh_points()

    def set_prediction_names(self, names: list[str] | None) -> None:
        """Point names of the model's scheme (None: the same as the annotation's)."""
        self._pred_names = None if names is None else list(names)

    def set_annotation(self, points: np.ndarray | None, visible: np.ndarray | None = None) -> None:
        """Ground truth / the annotation being edited: (K, 2) float, ``visible`` (K,) bool."""
        if points is None:
            self._truth, self._visible = None, None
        else:
            self._truth = np.array(points, dtype=float, copy=True)
            self._visible = (
                np.ones(len(points), bool) if visible is None else np.asarray(visible, bool)
            )
        keep = self._selection[self._selection < self._count()]
        if len(keep) != len(self._selection):
            self.set_selection(keep)
        self._refresh_points()

    def set_prediction(
        self, points: np.ndarray | None, confidence: np.ndarray | None = None
    ) -> None:
        """A model's points (K, 2) and per-point confidence (K,), or None to clear."""
        self._pred = None if points is None else np.asarray(points, dtype=float)
        self._conf = None if confidence is None else np.asarray(confidence, dtype=float)
        self._refresh_points()

    def set_other_faces(self, points: list[np.ndarray]) -> None:
        """Predictions of the image's other faces, drawn dimmed (not editable, not scored)."""
        pts = [np.asarray(p, float).reshape(-1, 2) for p in points]
        self._set_scatter(self.others_item, np.concatenate(pts) if pts else None)

    def set_error_normaliser(self, distance: float | None) -> None:
        """The NME normaliser of this image (pixels); colours the error vectors."""
        self._error_norm = distance
        self._refresh_points()

    def set_heatmap(
        self,
        image: np.ndarray | None,
        x0: float = 0.0,
        y0: float = 0.0,
        lut: np.ndarray | None = None,
    ) -> None:
        """A heatmap already warped into image space, values in [0, 1], top-left at (x0, y0)."""
        if image is None:
            self.heat_item.clear()
            return
        self.heat_item.setImage(image, autoLevels=False, levels=(0.0, 1.0), lut=lut)
        self.heat_item.setPos(x0 - 0.5, y0 - 0.5)

    def show_overlay(self, overlay: HeatmapOverlay | None) -> None:
        """Draw a `HeatmapOverlay` (None clears it)."""
        if overlay is None:
            self.set_heatmap(None)
        else:
            self.set_heatmap(overlay.image, overlay.x0, overlay.y0, overlay.lut)

    def clear_all(self) -> None:
        """Remove image, points and heatmap.

        (Not ``clear``: `GraphicsLayoutWidget` binds ``self.clear`` to its layout's clear.)
        """
        self.set_image(None)
        self.set_heatmap(None)
        self._truth = self._visible = self._pred = self._conf = None
        self.set_selection(np.zeros(0, np.int64))
        self._refresh_points()

    def set_colors(
        self, truth: str, prediction: str, error_colors: tuple[str, ...], point_size: float = 4.0
    ) -> None:
        """Layer colours and point radius (from the preferences); one legend rebuild."""
        size = max(3.0, 2.0 * point_size - 1.0)
        outline = pg.mkPen("#000000", width=0.8)
        self.truth_item.setBrush(pg.mkBrush(truth))
        self.truth_item.setPen(outline)
        self.truth_item.setSize(size)
        self.occluded_item.setPen(pg.mkPen(truth, width=1.2))
        self.occluded_item.setSize(size)
        self.pred_item.setBrush(pg.mkBrush(prediction))
        self.pred_item.setSize(size + 2)
        self.sel_item.setSize(2 * size + 1)
        for layer, color in zip(self.errors.layers, error_colors, strict=True):
            layer.item.setPen(style.pen(color, 1.5))
        visible = self.legend.isVisible()
        if self.legend.scene() is not None:
            self.legend.scene().removeItem(self.legend)
        self.legend = build_legend(self.vb, truth, prediction, tuple(error_colors))
        self.legend.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.legend.setVisible(visible)

    # -- layers ----------------------------------------------------------------------------
    def set_layer_visible(self, name: str, visible: bool) -> None:
        """Show or hide one of `LAYERS`."""
        self._layers[name] = bool(visible)
        self._apply_layer_visibility()

    def layer_visible(self, name: str) -> bool:
        return self._layers[name]

    def _apply_layer_visibility(self) -> None:
        L = self._layers
        self.truth_item.setVisible(L["truth"])
        self.occluded_item.setVisible(L["truth"])
        self.pred_item.setVisible(L["prediction"])
        self.others_item.setVisible(L["prediction"])
        self.edges_truth.item.setVisible(L["edges"] and L["truth"])
        self.edges_pred.item.setVisible(L["edges"] and L["prediction"])
        for item in self.errors.items:
            item.setVisible(L["errors"])
        self.labels.setVisible(L["numbers"])
        self.heat_item.setVisible(L["heatmap"])
        if hasattr(self, "legend"):
            self.legend.setVisible(L["legend"])

    def fit(self) -> None:
        """Fit the whole image (or the points, without an image) into the view."""
        if self._image_shape is not None:
            h, w = self._image_shape[:2]
            self.vb.setRange(QRectF(-0.5, -0.5, w, h), padding=0.02)
        else:
            self.vb.autoRange()

    ZOOM_STEP = 1.25

    def zoom(self, steps: float) -> None:
        """Zoom in (``steps`` > 0) or out by `ZOOM_STEP` per step, about the view's centre."""
        f = self.ZOOM_STEP ** (-float(steps))
        self.vb.scaleBy((f, f))

    # -- drawing ---------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Redraw the point layers once, at the end, for several ``set_*`` calls."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._dirty:
                self._refresh_points()

    def _count(self) -> int:
        return 0 if self._truth is None else len(self._truth)

    def _shown_truth(self) -> np.ndarray | None:
        if self._truth is None:
            return None
        pts = self._truth.copy()
        if self._visible is not None:
            pts[~self._visible] = np.nan
        return pts

    def _refresh_points(self, prediction: bool = True) -> None:
        """Redraw the point layers; ``prediction=False`` (a drag) leaves the model's alone."""
        if self._batch_depth:
            self._dirty = True
            return
        self._dirty = False
        truth = self._shown_truth()
        self._set_scatter(self.truth_item, truth)
        self._set_scatter(self.occluded_item, self._occluded_points())
        self.edges_truth.set_segments(*edge_segments(truth, self._edges))
        if prediction:
            self._set_scatter(self.pred_item, self._pred)
            self.edges_pred.set_segments(*edge_segments(self._pred, self._edges))
        norm = self._error_norm or fallback_error_norm(truth)
        self.errors.set_vectors(truth, self._pred, norm)
        self.labels.set_points(truth if truth is not None else self._pred)
        self._refresh_selection()

    def occluded(self) -> np.ndarray:
        """Indices of the annotation points marked occluded."""
        if self._truth is None or self._visible is None:
            return np.zeros(0, np.int64)
        return np.flatnonzero(~self._visible)

    def _occluded_points(self) -> np.ndarray | None:
        if self._truth is None or self._visible is None or self._visible.all():
            return None
        return self._truth[~self._visible]

    @staticmethod
    def _set_scatter(item: pg.ScatterPlotItem, pts: np.ndarray | None) -> None:
        if pts is None:
            item.setData(pos=EMPTY)
            return
        ok = np.isfinite(pts).all(axis=1)
        item.setData(pos=pts[ok] if not ok.all() else pts)

    def _refresh_selection(self) -> None:
        base = self._truth if self._truth is not None else self._pred
        if base is None or not len(self._selection):
            self.sel_item.setData(pos=EMPTY)
            return
        sel = self._selection[self._selection < len(base)]
        pts = base[sel]
        self.sel_item.setData(pos=pts[np.isfinite(pts).all(axis=1)])

    # -- hover -----------------------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos: object) -> None:
        if not self.vb.sceneBoundingRect().contains(scene_pos):
            self.hover.hide()
            return
        p = self.vb.mapSceneToView(scene_pos)
        xy = np.array([p.x(), p.y()])
        hit = self.vb.nearest(xy, self._truth)
        base = self._truth
        if hit is None:
            hit, base = self.vb.nearest(xy, self._pred), self._pred
        if hit is None:
            self.hover.hide()
            return
        self.hover.setText(self.describe_point(hit, predicted=base is self._pred))
        self.hover.setPos(float(base[hit, 0]), float(base[hit, 1]))
        self.hover.show()

    def describe_point(self, i: int, predicted: bool = False) -> str:
        """Hover text: index, name, and the error / confidence when known. A predicted point
        is named from the model's scheme."""
        names = self._pred_names if predicted and self._pred_names is not None else self._names
        name = names[i] if i < len(names) else ""
        text = f"{i} · {name}" if name else f"point {i}"
        if self._visible is not None and i < len(self._visible) and not self._visible[i]:
            text += " (occluded)"
        t, p = self._truth, self._pred
        if t is not None and p is not None and len(t) == len(p) and i < len(p):
            err = float(np.linalg.norm(p[i] - t[i]))
            if np.isfinite(err):
                text += f"\nerror {err:.1f} px"
        if self._conf is not None and i < len(self._conf):
            text += f"\nconfidence {self._conf[i]:.2f}"
        return text
