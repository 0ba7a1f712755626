"""The heatmap panel: one landmark's heatmap over its crop or the image, all K as a grid,
or their sum / max, with the heatmap peak and the decoded point marked.

The panel also prepares the overlay the image view draws (the same heatmap warped into the
image with ``cv2.warpAffine``) and announces it with `overlayChanged`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from facealign_gui.app import heatmap_math as hmm
from facealign_gui.app import style
from facealign_gui.core.annotation import Prediction
from facealign_gui.viewmodel.overlay import HeatmapOverlay

MODES: tuple[tuple[str, str], ...] = (
    ("crop", "Selected landmark · crop"),
    ("image", "Selected landmark · over image"),
    ("grid", "All landmarks · grid"),
    ("sum", "Sum of all"),
    ("max", "Max of all"),
)
CROP_UPSCALE = 4  # at least 4 crop pixels per heatmap pixel
CROP_PIXELS = 256  # ... and about this many across, so a 16x16 map gets a sharp crop


class HeatmapPanel(QWidget):
    """Heatmaps of the prediction shown in the image view."""

    landmarkSelected = Signal(int)
    overlayChanged = Signal(object)  # HeatmapOverlay or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = QComboBox()
        for key, text in MODES:
            self.mode.addItem(text, key)
        self.cmap = QComboBox()
        self.cmap.addItems(list(style.COLORMAPS))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(70)
        self.opacity.setToolTip("Heatmap opacity")
        self.info = QLabel("No heatmaps: run a heatmap model on this image.")
        self.info.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(style.BACKGROUND)
        self.vb = self.graphics.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.bg_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item.setZValue(1)
        self.peak_item = pg.ScatterPlotItem(
            symbol="+", size=13, pen=None, brush=pg.mkBrush("#ffffff"), pxMode=True
        )
        self.decoded_item = pg.ScatterPlotItem(
            symbol="x", size=11, pen=None, brush=style.brush("prediction"), pxMode=True
        )
        for z, item in enumerate((self.bg_item, self.heat_item, self.peak_item, self.decoded_item)):
            item.setZValue(z)
            self.vb.addItem(item)
        self.vb.scene().sigMouseClicked.connect(self._on_click)

        row = QHBoxLayout()
        row.addWidget(self.mode, 1)
        row.addWidget(self.cmap)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("opacity"))
        row2.addWidget(self.opacity, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(row)
        lay.addLayout(row2)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.info)

        self._image: np.ndarray | None = None
        self._pred: Prediction | None = None
        self._names: list[str] = []
        self._landmark = 0
        self._grid_cols = 1
        self._lut = style.colormap_lut("inferno", alpha_ramp=True, opacity=0.7)
        self._lut_opaque = style.colormap_lut("inferno")
        self.mode.currentIndexChanged.connect(self._redraw)
        self.cmap.currentTextChanged.connect(self._on_style)
        self.opacity.valueChanged.connect(self._on_style)

    # -- inputs ----------------------------------------------------------------------------
    def set_names(self, names: list[str] | None) -> None:
        self._names = list(names or [])

    def set_data(self, image: np.ndarray | None, prediction: Prediction | None) -> None:
        """The shown image (RGB) and its prediction (with or without heatmaps)."""
        self._image = image
        self._pred = prediction
        self._redraw()

    @Slot(int)
    def set_landmark(self, k: int) -> None:
        """Show landmark ``k`` (clamped to the prediction's range)."""
        k = int(k)
        if k == self._landmark:
            return
        self._landmark = k
        self._redraw()

    def landmark(self) -> int:
        return self._landmark

    def current_mode(self) -> str:
        return str(self.mode.currentData())

    def set_mode(self, key: str) -> None:
        self.mode.setCurrentIndex([k for k, _ in MODES].index(key))

    def heatmaps(self) -> np.ndarray | None:
        p = self._pred
        return None if p is None or p.heatmaps is None else p.heatmaps

    # -- drawing ---------------------------------------------------------------------------
    @Slot()
    def _on_style(self, *_: object) -> None:
        name, a = self.cmap.currentText(), self.opacity.value() / 100.0
        self._lut = style.colormap_lut(name, alpha_ramp=True, opacity=a)
        self._lut_opaque = style.colormap_lut(name)
        self._redraw()

    def _clear(self, message: str) -> None:
        for item in (self.bg_item, self.heat_item):
            item.clear()
        self.peak_item.setData(pos=np.zeros((0, 2)))
        self.decoded_item.setData(pos=np.zeros((0, 2)))
        self.info.setText(message)
        self.overlayChanged.emit(None)

    @Slot()
    def _redraw(self, *_: object) -> None:
        hms = self.heatmaps()
        if hms is None or not len(hms):
            self._clear("No heatmaps: run a heatmap model on this image.")
            return
        k = min(max(self._landmark, 0), len(hms) - 1)
        mode = self.current_mode()
        if mode == "grid":
            self._draw_grid(hms)
        elif mode in ("sum", "max"):
            self._draw_crop(hmm.reduce_heatmaps(hms, mode), None)
            self.info.setText(f"{mode} of {len(hms)} heatmaps")
        elif mode == "image":
            self._draw_over_image(hms, k)
        else:
            self._draw_crop(hmm.normalise(hms[k]), k)
        self._emit_overlay(hms, k, mode)

    def _describe(self, k: int, peak_xy: tuple[float, float]) -> str:
        name = self._names[k] if k < len(self._names) else ""
        conf = self._pred.confidence[k] if self._pred is not None else float("nan")
        raw = float(np.asarray(self._pred.heatmaps[k], np.float32).max())
        return (
            f"landmark {k}{' · ' + name if name else ''} · confidence {conf:.2f}"
            f" · peak {raw:.2f} at ({peak_xy[0]:.0f}, {peak_xy[1]:.0f})"
        )

    def _draw_crop(self, hm: np.ndarray, k: int | None) -> None:
        h, w = hm.shape
        m = self._pred.crop_to_image if self._pred is not None else None
        if self._image is not None and m is not None:
            up = max(CROP_UPSCALE, CROP_PIXELS // max(h, w, 1))
            crop = hmm.crop_from_image(self._image, m, (h, w), up)
            self.bg_item.setImage(crop, autoLevels=False, levels=(0, 255))
            self.bg_item.setRect(-0.5, -0.5, w, h)
            lut = self._lut
        else:
            self.bg_item.clear()
            lut = self._lut_opaque
        self.heat_item.setImage(hm, autoLevels=False, levels=(0.0, 1.0), lut=lut)
        self.heat_item.setRect(-0.5, -0.5, w, h)
        pk = hmm.peak(hm)
        self.peak_item.setData(pos=np.array([pk]))
        if k is not None and m is not None:
            dec = hmm.apply_affine(hmm.invert_affine(m), self._pred.points[k])
            self.decoded_item.setData(pos=dec)
            self.info.setText(self._describe(k, pk))
        else:
            self.decoded_item.setData(pos=np.zeros((0, 2)))
        self.vb.setRange(xRange=(-0.5, w - 0.5), yRange=(-0.5, h - 0.5), padding=0.02)

    def _draw_over_image(self, hms: np.ndarray, k: int) -> None:
        m = self._pred.crop_to_image
        if self._image is None or m is None:
            self._draw_crop(hmm.normalise(hms[k]), k)
            return
        warped, x0, y0 = hmm.warp_to_image(hmm.normalise(hms[k]), m, self._image.shape)
        self.bg_item.setImage(self._image, autoLevels=False, levels=(0, 255))
        self.bg_item.setRect(-0.5, -0.5, self._image.shape[1], self._image.shape[0])
        self.heat_item.setImage(warped, autoLevels=False, levels=(0.0, 1.0), lut=self._lut)
        self.heat_item.setRect(x0 - 0.5, y0 - 0.5, warped.shape[1], warped.shape[0])
        pk = hmm.peak(hms[k])
        self.peak_item.setData(pos=hmm.apply_affine(m, pk))
        self.decoded_item.setData(pos=self._pred.points[k : k + 1])
        self.info.setText(self._describe(k, pk))
        if warped.size:
            pad = 0.15 * max(warped.shape)
            self.vb.setRange(
                xRange=(x0 - pad, x0 + warped.shape[1] + pad),
                yRange=(y0 - pad, y0 + warped.shape[0] + pad),
                padding=0,
            )

    def _draw_grid(self, hms: np.ndarray) -> None:
        grid, cols = hmm.mosaic(hms)
        self._grid_cols = cols
        k, h, w = hms.shape
        self.bg_item.clear()
        self.heat_item.setImage(grid, autoLevels=False, levels=(0.0, 1.0), lut=self._lut_opaque)
        self.heat_item.setRect(-0.5, -0.5, grid.shape[1], grid.shape[0])
        j = min(max(self._landmark, 0), k - 1)
        r, c = divmod(j, cols)
        pk = np.array(hmm.peak(hms[j])) + np.array([c * (w + 1), r * (h + 1)])
        self.peak_item.setData(pos=pk[None])
        self.decoded_item.setData(pos=np.zeros((0, 2)))
        self.info.setText(f"{k} heatmaps; click a tile to select its landmark")
        self.vb.setRange(
            xRange=(-0.5, grid.shape[1] - 0.5), yRange=(-0.5, grid.shape[0] - 0.5), padding=0.01
        )

    def _emit_overlay(self, hms: np.ndarray, k: int, mode: str) -> None:
        m = self._pred.crop_to_image
        if self._image is None or m is None:
            self.overlayChanged.emit(None)
            return
        hm = hmm.reduce_heatmaps(hms, mode) if mode in ("sum", "max") else hmm.normalise(hms[k])
        warped, x0, y0 = hmm.warp_to_image(hm, m, self._image.shape)
        self.overlayChanged.emit(HeatmapOverlay(warped, x0, y0, self._lut))

    def _on_click(self, ev: object) -> None:
        hms = self.heatmaps()
        if hms is None or self.current_mode() != "grid":
            return
        p = self.vb.mapSceneToView(ev.scenePos())
        _, h, w = hms.shape
        c, r = int((p.x() + 0.5) // (w + 1)), int((p.y() + 0.5) // (h + 1))
        if c < 0 or r < 0 or c >= self._grid_cols:
            return
        k = r * self._grid_cols + c
        if k < len(hms):
            self.set_landmark(k)
            self.landmarkSelected.emit(k)
