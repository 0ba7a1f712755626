"""Screenshots for docs/guide.md that docs/screenshots.py does not take: the labelling
session with its review queue, the live view on a video, and two error messages.

Run under a real (virtual) X server so fonts and styles are the user's:

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/guide_screenshots.py

The faces are the takeo fixture (``../shared/fixtures/takeo.ppm``, beside the project): a
folder of seven edited copies for the labelling session, and a 4-second video of it moving
for the live view. The model is the embedded default (MediaPipe Face Mesh in the 300W
68-point scheme). Preferences and sessions go to a temporary folder, never the user's.
Writes docs/images/guide_*.png.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "images"
TAKEO = HERE.parents[1] / "shared" / "fixtures" / "takeo.ppm"


# --------------------------------------------------------------------------- input data


def face_variants(takeo: np.ndarray) -> dict[str, np.ndarray]:
    """Seven edited copies of the fixture: what an unlabelled folder of faces looks like."""
    big = cv2.resize(takeo, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    h, w = big.shape[:2]
    canvas = np.full((h + 120, w + 120, 3), 40, np.uint8)
    canvas[60 : 60 + h, 60 : 60 + w] = big

    def rotate(img: np.ndarray, deg: float) -> np.ndarray:
        m = cv2.getRotationMatrix2D((img.shape[1] / 2, img.shape[0] / 2), deg, 1.0)
        return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderValue=(40, 40, 40))

    dark = np.clip(canvas.astype(np.float32) * 0.45, 0, 255).astype(np.uint8)
    covered = canvas.copy()
    cv2.rectangle(
        covered, (60 + w // 4, 60 + int(h * 0.62)), (60 + 3 * w // 4, 60 + h), (90,) * 3, -1
    )
    return {
        "face_01_upright.png": canvas,
        "face_02_mirrored.png": cv2.flip(canvas, 1),
        "face_03_tilted_left.png": rotate(canvas, 14),
        "face_04_tilted_right.png": rotate(canvas, -20),
        "face_05_dark.png": dark,
        "face_06_blurred.png": cv2.GaussianBlur(canvas, (0, 0), 4.0),
        "face_07_mouth_covered.png": covered,
    }


def write_video(takeo: np.ndarray, path: Path, frames: int = 48, fps: float = 12.0) -> Path:
    """A 640x480 MJPG clip of the fixture (scaled 2x) drifting and turning a little."""
    big = cv2.resize(takeo, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    h, w = big.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path}")
    for i in range(frames):
        t = i / frames * 2 * math.pi
        frame = np.full((480, 640, 3), 50, np.uint8)
        x0, y0 = (640 - w) // 2, (480 - h) // 2
        frame[y0 : y0 + h, x0 : x0 + w] = big
        m = cv2.getRotationMatrix2D((320, 240), 8 * math.sin(t), 1.0)
        m[0, 2] += 60 * math.sin(t)
        writer.write(cv2.warpAffine(frame, m, (640, 480), borderValue=(50, 50, 50)))
    writer.release()
    return path


# --------------------------------------------------------------------------- Qt helpers


def spin(app: object, until: Callable[[], object] | None = None, seconds: float = 0.3,
         timeout: float = 60.0, what: str = "") -> None:  # fmt: skip
    """Process events for ``seconds``, or until ``until()`` is true (error after timeout)."""
    from PySide6.QtCore import QEventLoop

    end = time.perf_counter() + (timeout if until else seconds)
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)  # type: ignore[attr-defined]
        if until is not None and until():
            app.processEvents()  # type: ignore[attr-defined]
            return
        time.sleep(0.005)
    if until is not None:
        raise TimeoutError(f"screenshot step timed out: {what}")


def save(widget: object, name: str) -> Path:
    path = OUT / name
    if not widget.grab().save(str(path)):  # type: ignore[attr-defined]
        raise RuntimeError(f"could not write {path}")
    print(f"wrote {path}")
    return path


# --------------------------------------------------------------------------- the states


def labelling(app: object, tmp: Path, faces: Path, prefs: object) -> None:
    """Image folder + default model + new session + Predict all + two accepted images."""
    from facealign_gui.app.main_window import DEFAULT_MODEL, MainWindow
    from facealign_gui.session.store import Session

    w = MainWindow(prefs)
    w.resize(1560, 960)
    w.show()
    ins = w.inspector
    ins.open_dataset(faces)
    spin(app, lambda: ins.ds is not None, what="open the image folder")
    ins.open_model(DEFAULT_MODEL)
    spin(app, lambda: ins.predictor is not None, what="load the default model")
    session_path = tmp / "faces.fagsession"
    ok = w.labelling.start(lambda: Session.create(session_path, ins.ds, scheme="300w68"))
    if not ok:
        raise RuntimeError("the labelling session did not start")
    dock = w.labelling.dock
    dock.predict_all()
    spin(app, lambda: dock._worker is None and not dock.session.unpredicted(),
         what="predict all")  # fmt: skip
    spin(app, seconds=0.5)
    # the default model reports no per-point confidence (1.00 everywhere): order the queue by
    # how much the prediction disagrees with the prediction on the mirrored image instead
    dock.order_box.setCurrentIndex(dock.order_box.findData("mirror"))
    spin(app, seconds=0.3)
    dock.controller.show(dock.controller.queue[0])
    for _ in range(2):
        dock.controller.accept_and_next()
        spin(app, seconds=0.3)
    dock.raise_()  # the "Labelling" tab, in front of "Dataset"
    spin(app, seconds=0.8)
    save(w, "guide_labelling.png")
    save(dock, "guide_review_queue.png")
    w.close()
    spin(app, seconds=0.3)


def live(app: object, video: Path, prefs: object) -> None:
    """The live view on the generated clip, heatmap overlay on, after a few frames."""
    from facealign_gui.app.main_window import MainWindow

    w = MainWindow(prefs)
    w.show()
    w.start_live(str(video))
    lv = w.live_window
    lv.resize(900, 720)
    lv.heatmap_box.setChecked(True)
    shown: list[object] = []
    lv.frameShown.connect(shown.append)
    spin(app, lambda: len(shown) >= 8, what="live frames")
    lv.pause_button.setChecked(True)
    spin(app, seconds=0.5)
    save(lv, "guide_live_view.png")
    w.close()
    spin(app, lambda: not lv.is_running(), what="live view stopped")


def error_messages(app: object, tmp: Path, prefs: object) -> None:
    """What a moved dataset and a camera that does not exist look like."""
    from PySide6.QtWidgets import QMessageBox

    from facealign_gui.app.main_window import MainWindow

    w = MainWindow(prefs)
    w.show()
    w.open_path(tmp / "moved" / "list_98pt_rect_attr_test.txt")
    spin(app, lambda: any(b.isVisible() for b in w.findChildren(QMessageBox)),
         what="dataset message")  # fmt: skip
    box = next(b for b in w.findChildren(QMessageBox) if b.isVisible())
    spin(app, seconds=0.3)
    save(box, "guide_error_dataset.png")
    box.close()
    w.start_live(97)
    lv = w.live_window
    lv.resize(760, 420)
    spin(app, lambda: lv.stack.currentWidget() is lv.message and not lv.is_running(),
         what="camera message")  # fmt: skip
    spin(app, seconds=0.3)
    save(lv, "guide_error_camera.png")
    w.close()
    spin(app, seconds=0.3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takeo", type=Path, default=TAKEO, help="the takeo fixture image")
    ns = parser.parse_args()
    takeo = cv2.imread(str(ns.takeo), cv2.IMREAD_COLOR)
    if takeo is None:
        print(f"{ns.takeo} not found or unreadable: pass --takeo FILE", file=sys.stderr)
        return 2

    import pyqtgraph as pg
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from facealign_gui.app.settings import Preferences
    from facealign_gui.app.style import apply_dark_palette

    app = QApplication.instance() or QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    apply_dark_palette(app)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        faces = tmp / "faces"
        faces.mkdir()
        for name, img in face_variants(takeo).items():
            cv2.imwrite(str(faces / name), img)
        video = write_video(takeo, tmp / "takeo_clip.avi")
        prefs = Preferences(QSettings(str(tmp / "prefs.ini"), QSettings.Format.IniFormat))
        labelling(app, tmp, faces, prefs)
        live(app, video, prefs)
        error_messages(app, tmp, prefs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
