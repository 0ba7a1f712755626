"""``run_app``: the QApplication, the main window, and what the command line asked to open.

``FACEALIGN_GUI_QUIT_AFTER_MS=<n>`` quits ``n`` ms after the window is first shown, with exit
code 0 (the packaging smoke test launches the frozen app this way).
"""

from __future__ import annotations

import argparse
import os
import sys

QUIT_ENV = "FACEALIGN_GUI_QUIT_AFTER_MS"


def run_app(ns: argparse.Namespace) -> int:
    """Show the main window, open ``ns.dataset`` / ``ns.model`` / ``ns.camera`` / ``ns.video``,
    and run the event loop; returns the exit code."""
    from facealign_gui.syslibs import install_hint, missing_xcb_libraries, uses_xcb

    missing = missing_xcb_libraries() if uses_xcb() else {}
    if missing:  # Qt would abort and name the wrong library
        print(install_hint(missing), file=sys.stderr)
        return 1
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from facealign_gui.app.main_window import MainWindow
    from facealign_gui.app.style import apply_dark_palette

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("facealign-gui")
    app.setOrganizationName("facealign-gui")
    app.setDesktopFileName("facealign-gui")  # matches packaging/linux/facealign-gui.desktop
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    apply_dark_palette(app)
    window = MainWindow()
    window.show()
    if getattr(ns, "model", None):
        window.open_model(ns.model, ask=False)
    if getattr(ns, "dataset", None):
        window.open_path(ns.dataset)
    if getattr(ns, "camera", None) is not None:
        window.start_live(int(ns.camera))
    elif getattr(ns, "video", None):
        window.start_live(str(ns.video))
    quit_after = os.environ.get(QUIT_ENV, "").strip()
    if quit_after:
        try:
            ms = max(0, int(quit_after))
        except ValueError:
            print(f"{QUIT_ENV}={quit_after!r} is not a number of milliseconds", file=sys.stderr)
            return 2
        QTimer.singleShot(ms, window.close)
    code = app.exec()
    window.close()
    return int(code)
