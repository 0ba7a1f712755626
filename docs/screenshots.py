"""Screenshots of the main states of the window, into docs/images/*.png.

Run under a real (virtual) X server so fonts and styles are the user's:

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots.py

Uses synthetic faces and the tiny test heatmap model (tests/app/_gui_data.py), so it needs
no downloads. Preferences go to a temporary ini file, never the user's settings.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

HERE = Path(__file__).resolve().parent
OUT = HERE / "images"


def spin(app: QApplication, cond: object = None, seconds: float = 0.3) -> None:
    end = time.perf_counter() + (30.0 if cond else seconds)
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if cond is not None and cond():  # type: ignore[operator]
            app.processEvents()
            return
    if cond is not None:
        raise TimeoutError("screenshot step timed out")


def save(widget: object, name: str) -> None:
    path = OUT / name
    widget.grab().save(str(path))  # type: ignore[attr-defined]
    print(f"wrote {path}")


def main() -> int:
    sys.path.insert(0, str(HERE.parent / "tests" / "app"))
    import _gui_data

    from facealign_gui.app.main_window import MainWindow
    from facealign_gui.app.settings import Preferences
    from facealign_gui.app.style import apply_dark_palette

    app = QApplication.instance() or QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    apply_dark_palette(app)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        data = _gui_data.write_wflw_dataset(tmp / "wflw", n=60, seed=7, size=512)
        card = _gui_data.write_tiny_model(tmp / "model")
        prefs = Preferences(QSettings(str(tmp / "prefs.ini"), QSettings.Format.IniFormat))
        for p in ("~/data/300W/face_landmarks_300w_test.csv", str(card), str(data)):
            prefs.add_recent(p)
        w = MainWindow(prefs)
        w.resize(1560, 960)
        w.show()
        spin(app, seconds=0.5)
        save(w, "start_page.png")

        ins = w.inspector
        w.open_path(data)
        spin(app, lambda: ins.image is not None)
        ins.open_model(card)
        spin(app, lambda: ins.model_id == "tiny_heatmap")  # not the built-in model
        w.act_run.trigger()
        spin(app, lambda: not ins.hub.running() and ins.results)
        # the worst image first, as after sorting by NME
        w.dataset_dock.table.sortByColumn(3, pg.QtCore.Qt.SortOrder.DescendingOrder)
        w.dataset_dock.go_to_row(1)
        spin(app, lambda: ins._image_index == ins.current and w.heatmaps.heatmaps() is not None)
        ins.select_landmark(60)
        spin(app, seconds=0.5)
        save(w, "main_window.png")
        save(w.view, "dataset_view.png")
        w.heatmaps.set_mode("crop")
        spin(app, seconds=0.3)
        save(w.heatmap_dock, "heatmap_panel.png")
        w.heatmaps.set_mode("grid")
        spin(app, seconds=0.3)
        save(w.heatmap_dock, "heatmap_grid.png")
        w.heatmaps.set_mode("crop")
        if w.metrics_dock is not None:
            save(w.metrics_dock, "metrics_dock.png")
        w.close()
        spin(app, seconds=0.2)
    print(
        "mean NME of the tiny test model:", float(np.nanmean(next(iter(ins.results.values())).nme))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
