"""Live view: a camera or a video file with detection + landmarks per frame.

``LiveView().start(0)`` opens camera 0, ``start("clip.mp4")`` a video file. Frames the model
cannot keep up with are dropped (see `live_worker`), so the picture is always the newest
frame. A source that does not open shows a message in the window saying what to try next.
Closing the widget stops and waits for both threads.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from facealign_gui.app import errors, style
from facealign_gui.app.image_view import ImageView
from facealign_gui.app.live_worker import (
    CaptureWorker,
    Detector,
    InferenceWorker,
    LatestFrameSlot,
    LiveFrame,
)
from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.types import Predictor
from facealign_gui.tasks.images import bgr_to_rgb

LIVE_SHORTCUTS: list[tuple[str, str]] = [
    ("Space", "Pause / resume (when the live view has focus)"),
    ("Ctrl+Return", "Add the shown frame to the labelling session (live view focused)"),
]

#: Longest wait for a thread on stop, in ms (a model mid-inference finishes its frame).
STOP_TIMEOUT_MS = 5000
_STRAGGLERS: list[QThread] = []


def _largest(frame: LiveFrame) -> Prediction | None:
    """The prediction of the largest detected face (None without faces)."""
    if not frame.predictions:
        return None

    def area(i: int) -> float:
        box = frame.faces[i].box if i < len(frame.faces) else None
        if box is not None:
            return (box[2] - box[0]) * (box[3] - box[1])
        pts = frame.predictions[i].points
        return float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1]))

    return frame.predictions[max(range(len(frame.predictions)), key=area)]


class LiveView(QWidget):
    """The live-view widget (use it as a window or inside a dock).

    Signals
    -------
    frameCaptured(object image_bgr, object prediction) : "Add to session" was pressed;
        the shown frame and the prediction of its largest face (or None).
    frameShown(object) : a `LiveFrame` was drawn (for tests and status bars).
    sourceFailed(object) : the `errors.UserError` shown in the window.
    """

    frameCaptured = Signal(object, object)
    frameShown = Signal(object)
    sourceFailed = Signal(object)

    def __init__(
        self,
        predictor: Predictor | None = None,
        detector: Detector | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Live view")
        self.predictor = predictor
        self.detector = detector
        self.capture: CaptureWorker | None = None
        self.inference: InferenceWorker | None = None
        self.slot: LatestFrameSlot | None = None
        self.current: LiveFrame | None = None
        self.nominal_fps = 0.0
        self.source: int | str | None = None

        self.view = ImageView()
        self.view.auto_fit = False
        legend = getattr(self.view, "legend", None)
        if legend is not None:  # ground truth / error colours mean nothing live
            legend.hide()
        self.message = QLabel()
        self.message.setObjectName("LiveMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setStyleSheet(
            f"#LiveMessage {{ background: {style.BACKGROUND}; color: {style.COLORS['text']};"
            " font-size: 14px; padding: 24px; }"
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.message)

        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_paused)
        self.heatmap_box = QCheckBox("Heatmap")
        self.heatmap_box.toggled.connect(self.set_heatmaps)
        self.add_button = QPushButton("Add frame to session")
        self.add_button.setToolTip("Add the shown frame and its landmarks to the labelling session")
        self.add_button.setEnabled(False)
        self.add_button.clicked.connect(self.add_current_frame)
        self.fps_label = QLabel("not running")
        self.fps_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        bar = QHBoxLayout()
        bar.addWidget(self.pause_button)
        bar.addWidget(self.heatmap_box)
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        self.fps_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.fps_label)

        # Only while the live view has focus: Space also accepts an image when labelling.
        for keys, slot in (
            ("Space", self.pause_button.toggle),
            ("Ctrl+Return", self.add_current_frame),
        ):
            shortcut = QShortcut(QKeySequence(keys), self, activated=slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.resize(800, 640)

    # ------------------------------------------------------------------ running

    def start(self, source: int | str, pace: bool = True) -> None:
        """Open ``source`` (camera index or video path) and start both threads."""
        self.stop()
        self.source = source
        self.current = None
        self.stack.setCurrentWidget(self.view)
        self.fps_label.setText("opening…")
        self.slot = LatestFrameSlot()
        self.capture = CaptureWorker(source, self.slot, pace=pace)
        capture = self.capture
        self.inference = InferenceWorker(
            self.slot, self.predictor, self.detector, source_fps=lambda: capture.source_fps
        )
        self.inference.heatmaps = self.heatmap_box.isChecked()
        self.capture.opened.connect(self.on_opened)
        self.capture.failed.connect(self.show_failure)
        self.capture.ended.connect(self.on_ended)
        self.inference.failed.connect(self.show_failure)
        self.inference.processed.connect(self.on_processed)
        self.capture.set_paused(self.pause_button.isChecked())
        self.inference.start()
        self.capture.start()

    def stop(self) -> None:
        """Stop both threads and wait for them (a frame in the model finishes first)."""
        for thread in (self.capture, self.inference):
            if thread is not None:
                thread.stop()
        if self.slot is not None:
            self.slot.close()
        for thread in (self.capture, self.inference):
            if thread is not None and not thread.wait(STOP_TIMEOUT_MS):
                # still loading a model or inside one slow call: keep it referenced (it ends
                # on its own, its stop flag is set) so Qt never destroys a running thread
                _STRAGGLERS.append(thread)
        if self.inference is not None and self.inference.predictor is not None:
            self.predictor = self.inference.predictor  # keep the loaded model for a restart
            self.detector = self.inference.detector
        self.capture = self.inference = None

    def is_running(self) -> bool:
        return any(t is not None and t.isRunning() for t in (self.capture, self.inference))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        super().closeEvent(event)

    # ------------------------------------------------------------------ controls

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if self.capture is not None:
            self.capture.set_paused(paused)

    @Slot(bool)
    def set_heatmaps(self, on: bool) -> None:
        if self.inference is not None:
            self.inference.heatmaps = on
        if not on:
            self.view.set_heatmap(None)

    @Slot()
    def add_current_frame(self) -> None:
        if self.current is None:
            return
        self.frameCaptured.emit(self.current.image.copy(), _largest(self.current))

    # ------------------------------------------------------------------ thread results

    @Slot(float)
    def on_opened(self, fps: float) -> None:
        self.nominal_fps = fps
        self.fps_label.setText("waiting for the first frame…")

    @Slot()
    def on_ended(self) -> None:
        self.fps_label.setText(self.fps_label.text() + " · end of video")

    @Slot(object)
    def show_failure(self, error: errors.UserError) -> None:
        self.message.setText(
            f"<h3>{error.title}</h3><p>{error.what}</p><p><b>What to do next:</b> "
            f"{error.next_step}</p>"
        )
        self.stack.setCurrentWidget(self.message)
        self.fps_label.setText("stopped")
        self.add_button.setEnabled(False)
        self.sourceFailed.emit(error)

    @Slot(object)
    def on_processed(self, frame: LiveFrame) -> None:
        if self.capture is None:  # a result that arrived after stop()
            return
        self.current = frame
        rgb = bgr_to_rgb(frame.image)
        first = self.view._image_shape is None or self.view._image_shape[:2] != rgb.shape[:2]
        self.view.set_image(rgb)
        if first:
            self.view.fit()
        if frame.predictions:
            pts = np.concatenate([p.points for p in frame.predictions])
            conf = np.concatenate([p.confidence for p in frame.predictions])
            self.view.set_prediction(pts, conf)
        else:
            self.view.set_prediction(None)
        if frame.heatmap is not None and self.heatmap_box.isChecked():
            warped, x0, y0 = frame.heatmap
            self.view.set_heatmap(warped, x0, y0, lut=style.colormap_lut("inferno", True, 0.7))
        else:
            self.view.set_heatmap(None)
        self.add_button.setEnabled(True)
        text = self.stats_text(frame)
        if self.heatmap_box.isChecked() and frame.predictions and frame.heatmap is None:
            text += " · this model gives no heatmaps"
        self.fps_label.setText(text)
        self.frameShown.emit(frame)

    def stats_text(self, frame: LiveFrame) -> str:
        nominal = f" (file {self.nominal_fps:.0f})" if self.nominal_fps > 0 else ""
        faces = len(frame.predictions)
        return (
            f"source {frame.source_fps:.1f} fps{nominal} · processed "
            f"{frame.processed_fps:.1f} fps · {frame.seconds * 1000:.0f} ms/frame · "
            f"dropped {frame.dropped} · {faces} face{'s' if faces != 1 else ''}"
        )
