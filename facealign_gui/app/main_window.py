"""The main window: start page or image view in the middle, dataset / heatmap / metrics docks
around it, layer toggles in a tool bar, progress and cancel in the status bar.

The window only arranges widgets and binds actions; `Inspector` does the work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from facealign_gui.app import errors, export
from facealign_gui.app.card_dialog import CardFlow
from facealign_gui.app.dataset_dock import DatasetDock
from facealign_gui.app.heatmap_dock import HeatmapDock
from facealign_gui.app.help import HelpMenu, app_icon
from facealign_gui.app.image_view import ImageView
from facealign_gui.app.inspector import Inspector
from facealign_gui.app.labelling_mode import SESSION_SUFFIX, LabellingMode, WindowParts
from facealign_gui.app.metrics_dock import MetricsDock
from facealign_gui.app.presenter import Presenter
from facealign_gui.app.settings import Preferences
from facealign_gui.app.start_page import StartPage

MODEL_SUFFIXES = {".toml", ".onnx"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "mediapipe_face_landmark.toml"


LAYER_KEYS = (
    ("truth", "Ground truth", "1"),
    ("prediction", "Prediction", "2"),
    ("errors", "Error vectors", "3"),
    ("edges", "Edges", "4"),
    ("numbers", "Point numbers", "5"),
    ("heatmap", "Heatmap overlay", "H"),
    ("legend", "Legend", "L"),
)


class MainWindow(QMainWindow):
    """See the module docstring."""

    def __init__(
        self, prefs: Preferences | None = None, default_model: str | Path | None = DEFAULT_MODEL
    ) -> None:
        """``default_model``: loaded at once, so a fresh window has a model selected (the
        embedded MediaPipe card by default; None starts without one)."""
        super().__init__()
        self.setWindowTitle("facealign-gui")
        self.setWindowIcon(app_icon())  # the same SVG as the .desktop entry and About box
        self.setAcceptDrops(True)
        self.resize(1500, 920)
        self.prefs = prefs if prefs is not None else Preferences(parent=self)
        self.view = ImageView()
        self.start_page = StartPage()
        self.banner = errors.ErrorBanner()
        centre = QWidget()
        lay = QVBoxLayout(centre)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(self.view, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(centre)
        self.setCentralWidget(self.stack)

        self.dataset_dock = DatasetDock(self)
        self.heatmap_dock = HeatmapDock(self)
        self.heatmaps = self.heatmap_dock.panel
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dataset_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.heatmap_dock)
        self.metrics_dock = self._make_metrics_dock()
        self.presenter = Presenter(self.view, self)
        self.inspector = Inspector(
            self.dataset_dock, self.presenter.port("inspect"), self.heatmaps, self
        )
        self.presenter.register("inspect", self.inspector)
        self.inspector.images_folder_for = self.prefs.images_folder  # "Locate images…" memory
        self.inspector.orientation = "displayed" if self.prefs.images_as_displayed else "stored"
        self.card_flow = CardFlow(self.inspector, self)
        self.live_window: QWidget | None = None
        self.labelling = LabellingMode(
            WindowParts(
                window=self,
                presenter=self.presenter,
                inspector=self.inspector,
                prefs=self.prefs,
                dataset_dock=self.dataset_dock,
                show_view=self._show_view,
                status=lambda text: self.status_label.setText(text),
                heatmaps=self.heatmaps,
            )
        )
        self._title_parts = ["", ""]  # dataset name, session name + saved state

        self._build_status_bar()
        self._build_actions()
        self._connect()
        self.resizeDocks(
            [self.dataset_dock, self.heatmap_dock], [430, 440], Qt.Orientation.Horizontal
        )
        self.start_page.set_recent(self.prefs.recent_items())
        self.apply_preferences()
        self.prefs.changed.connect(self._on_pref_changed)
        self.prefs.restore_window(self)
        self._docks = [self.dataset_dock, self.heatmap_dock, self.metrics_dock]
        for d in self._docks:  # the start page gets the whole window
            d.hide()
        if default_model is not None:
            self.inspector.open_model(default_model)

    def show_docks(self) -> None:
        if self.stack.currentIndex() == 1 and not any(d.isVisible() for d in self._docks):
            for d in self._docks:
                d.show()

    # -- construction ----------------------------------------------------------------------
    def _make_metrics_dock(self) -> MetricsDock:
        dock = MetricsDock(self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.splitDockWidget(self.heatmap_dock, dock, Qt.Orientation.Vertical)
        self.resizeDocks([self.heatmap_dock, dock], [480, 420], Qt.Orientation.Vertical)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_label = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setFormat("%v / %m")
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the run (Esc)")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.inspector.cancel_run)
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)

    def _action(
        self, text: str, keys: str | list[str] | None, slot: object, checkable: bool = False
    ) -> QAction:
        a = QAction(text, self)
        if keys:
            seqs = [QKeySequence(k) for k in ([keys] if isinstance(keys, str) else keys)]
            a.setShortcuts(seqs)
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setCheckable(checkable)
        (a.toggled if checkable else a.triggered).connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        ins, dock = self.inspector, self.dataset_dock
        A = self._action
        self.act_open = A("Open &dataset…", "Ctrl+O", self.ask_dataset)
        self.act_folder = A("Open image &folder…", "Ctrl+Shift+O", self.ask_folder)
        self.act_model = A("Open &model…", "Ctrl+M", self.ask_model)
        self.act_locate = A("&Locate images folder…", None, self.ask_images_folder)
        self.act_default_model = A(
            "Use the built-in model", None, lambda: ins.open_model(DEFAULT_MODEL)
        )
        self.act_camera = A("Start &camera", None, lambda: self.start_live(0))
        self.act_video = A("Open &video…", None, self.ask_video)
        self.act_quit = A("&Quit", "Ctrl+Q", self.close)
        self.act_run = A("&Run on dataset", "Ctrl+R", ins.run_dataset)
        self.act_cancel = A("&Cancel run", "Esc", ins.cancel_run)
        self.act_next = A("Next image", ["J", "PgDown"], lambda: dock.step(1))
        self.act_prev = A("Previous image", ["K", "PgUp"], lambda: dock.step(-1))
        self.act_first = A("First image", "Home", lambda: dock.go_to_row(0))
        self.act_last = A("Last image", "End", lambda: dock.go_to_row(-1))
        self.act_fit = A("&Fit image", "F", self.view.fit)
        self.act_zoom_in = A("Zoom &in", ["+", "=", "Ctrl++"], lambda: self.view.zoom(1))
        self.act_zoom_out = A("Zoom &out", ["-", "Ctrl+-"], lambda: self.view.zoom(-1))
        self.act_next_lm = A("Next landmark", "]", lambda: self._step_landmark(1))
        self.act_prev_lm = A("Previous landmark", "[", lambda: self._step_landmark(-1))
        self.act_filter = A("Filter samples", "Ctrl+F", self._focus_filter)
        self.layer_actions: dict[str, QAction] = {}
        for name, text, key in LAYER_KEYS:
            act = A(text, key, lambda on, n=name: self.view.set_layer_visible(n, on), True)
            act.setChecked(self.view.layer_visible(name))
            self.layer_actions[name] = act

        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (self.act_open, self.act_folder, self.act_model, self.act_default_model):
            m.addAction(a)
        m.addAction(self.act_locate)
        m.addSeparator()
        m.addAction(self.act_camera)
        m.addAction(self.act_video)
        self._add_export_actions(m)
        m.addAction(A("&Preferences…", "Ctrl+,", self.show_preferences))
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&View")
        for a in (
            self.act_fit,
            self.act_zoom_in,
            self.act_zoom_out,
            self.act_next,
            self.act_prev,
            self.act_first,
            self.act_last,
            self.act_next_lm,
            self.act_prev_lm,
            self.act_filter,
        ):
            m.addAction(a)
        m.addSeparator()
        for a in self.layer_actions.values():
            m.addAction(a)
        m.addSeparator()
        self.act_as_displayed = A(
            "Images as &displayed (apply EXIF rotation)",
            None,
            self._toggle_as_displayed,
            checkable=True,
        )
        self.act_as_displayed.setChecked(self.prefs.images_as_displayed)
        self.act_as_displayed.setToolTip(
            "Off (the default): images are read in stored-pixel order, as HRNet's loader and "
            "MATLAB read them, so annotations made on those pixels line up"
        )
        m.addAction(self.act_as_displayed)
        m.addSeparator()
        for d in (self.dataset_dock, self.heatmap_dock, self.metrics_dock):
            m.addAction(d.toggleViewAction())
        m = mb.addMenu("&Model")
        m.addAction(self.act_run)
        m.addAction(self.act_cancel)
        m = mb.addMenu("&Label")
        m.addAction(A("&New labelling session…", None, self.labelling.ask_new))
        m.addAction(A("&Open labelling session…", None, self.labelling.ask_open))
        self.act_close_session = A("&Close labelling session", None, self.labelling.close)
        self.act_close_session.setEnabled(False)
        m.addAction(self.act_close_session)
        self.labelling.parts.menu = m  # the labelling tools add their toggles here
        self._add_help_menu(mb.addMenu("&Help"))

        tb = self.addToolBar("Main")
        tb.setObjectName("MainToolBar")
        tb.setMovable(False)
        for a in (self.act_open, self.act_model, self.act_run, self.act_cancel):
            tb.addAction(a)
        tb.addSeparator()
        for a in self.layer_actions.values():
            tb.addAction(a)
        tb.addAction(self.act_fit)
        self.model_label = QLabel("  no model  ")
        tb.addSeparator()
        tb.addWidget(self.model_label)
        self.face_box = QComboBox()  # several faces in the shown image: which one is shown
        self.face_box.setToolTip("Several faces were found in this image: choose one")
        self.face_box.currentIndexChanged.connect(
            lambda k: self.inspector.select_face(k) if k >= 0 else None
        )
        self.act_face_box = tb.addWidget(self.face_box)
        self.act_face_box.setVisible(False)
        self.act_cancel.setEnabled(False)

    def _add_export_actions(self, menu: object) -> None:
        menu.addSeparator()  # type: ignore[attr-defined]
        png = QAction("Export view as PNG…", self)
        png.triggered.connect(lambda: export.export_view_png(self, self.view))
        menu.addAction(png)  # type: ignore[attr-defined]
        self._export = export

    def _add_help_menu(self, menu: object) -> None:
        self.help_menu = HelpMenu(menu, self)  # type: ignore[arg-type]

    def _connect(self) -> None:
        ins = self.inspector
        ins.message.connect(self.status_label.setText)
        ins.problem.connect(lambda e: errors.show_error(self, e))
        ins.problemResolved.connect(self._on_problem_resolved)
        ins.facesChanged.connect(self._on_faces)
        ins.progress.connect(self._on_progress)
        ins.runStateChanged.connect(self._on_run_state)
        ins.datasetOpened.connect(self._on_dataset)
        ins.datasetReplacing.connect(self.labelling.close)
        self.labelling.sessionChanged.connect(self._on_session)
        self.labelling.titleChanged.connect(lambda t: self._set_title(session=t))
        ins.modelLoaded.connect(self._on_model)
        self.start_page.actionRequested.connect(self._on_start_action)
        self.start_page.recentRequested.connect(self.open_path)
        md = self.metrics_dock
        ins.resultsReady.connect(self._on_results)
        md.landmarkSelected.connect(ins.select_landmark)
        md.nmeRangeSelected.connect(self.dataset_dock.set_nme_range)
        self.view.pointClicked.connect(md.select_landmark)
        md.subsetSelected.connect(self.dataset_dock.set_subset)
        md.compareSortRequested.connect(self._sort_by_difference)

    # -- opening ---------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        """Open a dataset, image folder, model or video, whichever ``path`` is."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix in MODEL_SUFFIXES:
            self.open_model(p)
        elif suffix == SESSION_SUFFIX:
            self.labelling.open(p)
        elif suffix in VIDEO_SUFFIXES:
            self.start_live(str(p))
        else:
            self.inspector.open_dataset(p)

    @Slot(str)
    def _on_start_action(self, key: str) -> None:
        {
            "dataset": self.ask_dataset,
            "folder": self.ask_folder,
            "model": self.ask_model,
            "camera": lambda: self.start_live(0),
            "video": self.ask_video,
        }[key]()

    def ask_dataset(self) -> None:
        from facealign_gui.datasets.formats import open_file_filter

        path, _ = QFileDialog.getOpenFileName(self, "Open dataset", "", open_file_filter())
        if path:
            self.open_path(path)

    def ask_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open image or .pts folder")
        if path:
            self.inspector.open_dataset(path)

    def ask_images_folder(self) -> None:
        ins = self.inspector
        if ins.ds is None:
            self.status_label.setText("Open a dataset first.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Locate images folder", str(ins.ds.root))
        if folder:
            self.locate_images(folder)

    def locate_images(self, folder: str | Path) -> None:
        """Read the open dataset's images from ``folder``, remembered for this dataset."""
        ins = self.inspector
        ins.locate_images(folder)
        if ins.dataset_path:
            self.prefs.set_images_folder(ins.dataset_path, str(folder))

    def ask_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open model", "", "Model card or ONNX (*.toml *.onnx);;All files (*)"
        )
        if path:
            self.open_model(path)

    def open_model(self, path: str | Path, ask: bool = True) -> None:
        """Load a card; a bare .onnx first gets the card dialog (``ask=False``: only when
        the proposed card lacks something the model cannot run without)."""
        if Path(path).suffix.lower() == ".onnx":
            self.card_flow.open_onnx(path, ask)
        else:
            self.inspector.open_model(path)

    def ask_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open video", "", "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All files (*)"
        )
        if path:
            self.start_live(path)

    def start_live(self, source: int | str) -> None:
        """Open the live view (camera index or video file) in its own window."""
        from facealign_gui.app.live_view import LiveView  # lazy: cv2's video I/O

        if self.live_window is None:
            self.live_window = LiveView(self.inspector.predictor)
            self.live_window.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
            self.live_window.frameCaptured.connect(self.add_live_frame)
        self.live_window.show()
        self.live_window.start(source)

    @Slot(object, object)
    def add_live_frame(self, image: object, prediction: object) -> None:
        """The live view's "add this frame to the labelling session"."""
        dock = self.labelling.dock
        if dock is None:
            errors.show_error(self, errors.UserError(
                title="No labelling session",
                what="The frame was not added: no labelling session is open.",
                next_step="Create or open one (Label ▸ New labelling session…), then add "
                "the frame again.",
                fatal=False))  # fmt: skip
            return
        try:
            dock.add_frame(image, prediction)  # type: ignore[attr-defined]
        except Exception as exc:  # SessionError, OSError: named file, shown, nothing lost
            errors.show_error(self, errors.UserError(
                title="Frame not added", what=str(exc),
                next_step="Check the session folder is writable and the model's scheme "
                "matches the session's.",
                fatal=False))  # fmt: skip

    def set_mode(self, mode: str) -> None:
        """Give the image view to ``"inspect"`` (the dataset) or ``"label"`` (the open
        session; use `labelling` to open one). Leaving labelling closes the session."""
        if mode == "inspect":
            self.labelling.close()
        elif self.labelling.dock is None:
            raise ValueError("no labelling session is open: open or create one first")
        else:
            self.presenter.set_mode(mode)

    @Slot(int)
    def _on_faces(self, n: int) -> None:
        box = self.face_box
        box.blockSignals(True)
        box.clear()
        for k in range(n):
            box.addItem(f"Face {k + 1} of {n}" + (" (best)" if k == 0 else ""))
        box.blockSignals(False)
        self.act_face_box.setVisible(n > 1)

    @Slot(str)
    def _on_problem_resolved(self, title: str) -> None:
        b = self.banner
        if b.isVisible() and b.error is not None and b.error.title == title:
            b.on_dismiss()

    def _show_view(self) -> None:
        self.stack.setCurrentIndex(1)
        self.show_docks()

    @Slot(object)
    def _on_session(self, session: object) -> None:
        self.act_close_session.setEnabled(session is not None)
        if session is not None:
            self.start_page.set_recent(self.prefs.recent_items())

    def _set_title(self, dataset: str | None = None, session: str | None = None) -> None:
        """ "work.fagsession — saved · faces.txt — facealign-gui": what is open, and saved."""
        if dataset is not None:
            self._title_parts[0] = dataset
        if session is not None:
            self._title_parts[1] = session
        parts = [t for t in (self._title_parts[1], self._title_parts[0]) if t]
        self.setWindowTitle(" · ".join([*parts, "facealign-gui"]) if parts else "facealign-gui")

    # -- reacting --------------------------------------------------------------------------
    @Slot(object)
    def _on_dataset(self, ds: object) -> None:
        self.stack.setCurrentIndex(1)
        self.show_docks()
        if self.inspector.dataset_path:
            self.start_page.set_recent(self.prefs.add_recent(self.inspector.dataset_path))
            self._set_title(dataset=Path(self.inspector.dataset_path).name)
        self.metrics_dock.clear_results()

    @Slot(object)
    def _on_model(self, predictor: object) -> None:
        self.model_label.setText(f"  model: {predictor.model_id}  ")  # type: ignore[attr-defined]
        path = self.inspector.model_path
        if path and Path(path).exists():  # not the id of a built-in card
            self.start_page.set_recent(self.prefs.add_recent(path))
        self.labelling.set_predictor(predictor, path)

    @Slot(object)
    def _on_results(self, result: object) -> None:
        others = [
            r
            for m, r in self.inspector.results.items()
            if r is not result and len(r) == len(result)
        ]  # type: ignore[arg-type]
        self.metrics_dock.set_results(result, others[-1] if others else None)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    @Slot(bool)
    def _on_run_state(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.act_cancel.setEnabled(running)
        self.act_run.setEnabled(not running)
        if running:
            self.progress.setValue(0)

    def apply_preferences(self) -> None:
        """Colours and point size from the preferences, into the image view."""
        from facealign_gui.app.overlays import error_bin_colors

        p = self.prefs
        ramp = [c.name() for c in p.error_ramp()]
        self.view.set_colors(
            p.colour("gt").name(),
            p.colour("prediction").name(),
            error_bin_colors(*ramp),
            p.point_size,
        )

    @Slot(str)
    def _on_pref_changed(self, key: str) -> None:
        if key.startswith("colour/") or key == "point_size":
            self.apply_preferences()

    def _toggle_as_displayed(self, on: bool) -> None:
        """Read dataset images as displayed (EXIF rotation applied) or as stored."""
        self.prefs.images_as_displayed = on
        self.inspector.set_orientation("displayed" if on else "stored")

    def show_preferences(self) -> None:
        from facealign_gui.app.settings import PreferencesDialog

        PreferencesDialog(self.prefs, self).open()

    def _sort_by_difference(self) -> None:
        d = self.metrics_dock.difference()
        if d is not None:
            self.dataset_dock.model.sort_by_key(d, descending=True)
            self.dataset_dock.go_to_row(0)

    def _step_landmark(self, delta: int) -> None:
        k = self.heatmaps.landmark() + delta
        n = self.dataset_dock.model._ds.num_points if self.dataset_dock.model._ds else None
        if n:
            self.inspector.select_landmark(k % n)

    def _focus_filter(self) -> None:
        self.dataset_dock.show()
        self.dataset_dock.text.setFocus()
        self.dataset_dock.text.selectAll()

    # -- drag and drop, closing --------------------------------------------------------------
    def dragEnterEvent(self, ev: QDragEnterEvent) -> None:
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev: QDropEvent) -> None:
        for url in ev.mimeData().urls():
            if url.isLocalFile():
                self.open_path(url.toLocalFile())
        ev.acceptProposedAction()

    def closeEvent(self, ev: QCloseEvent) -> None:
        self.labelling.close()
        self.inspector.shutdown()
        if self.live_window is not None:
            self.live_window.close()
        self.prefs.save_window(self)
        super().closeEvent(ev)
