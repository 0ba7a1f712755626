"""Colours and pens shared by the views: dark-friendly, high contrast, created once.

Pens and brushes are built once and reused (per-point brushes built per frame are what make
pyqtgraph scatter plots slow).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

BACKGROUND = "#1e1f22"

# Layer colours (colour-blind friendly pair for truth/prediction: green vs magenta).
COLORS: dict[str, str] = {
    "truth": "#3ddc84",
    "prediction": "#ff4fd8",
    "selected": "#ffd400",
    "edges_truth": "#2fa866aa",
    "edges_prediction": "#c23ca688",
    "text": "#f0f0f0",
    "crop": "#4aa3ff",
}

# Error vector colours, from small to large normalised error.
ERROR_BINS: tuple[float, ...] = (0.02, 0.05, 0.10)
ERROR_COLORS: tuple[str, ...] = ("#3ddc84", "#ffd400", "#ff8c1a", "#ff3b30")


def pen(name: str, width: float = 1.0) -> pg.QtGui.QPen:
    """A cosmetic pen of a named colour."""
    p = pg.mkPen(COLORS.get(name, name), width=width)
    p.setCosmetic(True)
    return p


def brush(name: str, alpha: int = 255) -> pg.QtGui.QBrush:
    """A brush of a named colour with optional alpha."""
    c = QColor(COLORS.get(name, name))
    c.setAlpha(alpha)
    return pg.mkBrush(c)


def colormap_lut(name: str, alpha_ramp: bool = False, opacity: float = 1.0) -> np.ndarray:
    """A (256, 4) uint8 lookup table of a pyqtgraph colour map.

    With ``alpha_ramp`` low values fade to transparent, so a heatmap can sit over an image.
    """
    lut = pg.colormap.get(name).getLookupTable(0.0, 1.0, 256, alpha=True).astype(np.float32)
    if alpha_ramp:
        ramp = np.clip((np.linspace(0.0, 1.0, 256) - 0.12) * 2.5, 0.0, 1.0)
        lut[:, 3] = 255.0 * ramp * opacity
    else:
        lut[:, 3] = 255.0 * opacity
    return lut.astype(np.uint8)


COLORMAPS: tuple[str, ...] = ("inferno", "viridis", "magma", "turbo", "CET-L1")


def apply_dark_palette(app: object) -> None:
    """Fusion style with a dark palette: easy on the eyes for hours, images stand out."""
    from PySide6.QtGui import QPalette

    app.setStyle("Fusion")  # type: ignore[attr-defined]
    p = QPalette()
    base, window, text = QColor("#232529"), QColor("#2b2d31"), QColor("#e6e6e6")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor("#2a2c31"),
        QPalette.ColorRole.ToolTipBase: QColor("#3a3d42"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#363940"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b5e"),
        QPalette.ColorRole.Highlight: QColor("#3d6fb6"),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#6cb2ff"),
        QPalette.ColorRole.PlaceholderText: QColor("#8a8f98"),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7d8188"))
    app.setPalette(p)  # type: ignore[attr-defined]
    # Fusion's check boxes nearly vanish on a dark base: give them a visible frame
    app.setStyleSheet(  # type: ignore[attr-defined]
        "QCheckBox::indicator { width: 12px; height: 12px; border: 1px solid #8a8f98;"
        " border-radius: 2px; background: #1c1d20; }"
        "QCheckBox::indicator:checked { background: #3d6fb6; border-color: #6cb2ff; }"
        "QCheckBox::indicator:disabled { border-color: #55585e; }"
    )
