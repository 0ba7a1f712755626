"""The heatmap panel in a dock."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QWidget

from facealign_gui.app.heatmap_panel import HeatmapPanel


class HeatmapDock(QDockWidget):
    """Holds a `HeatmapPanel` (``dock.panel``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Heatmaps", parent)
        self.setObjectName("HeatmapDock")
        self.panel = HeatmapPanel()
        self.setWidget(self.panel)
