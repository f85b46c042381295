"""The main window: composition and wiring, nothing slow.

The live session (asl_live.session) holds what recognition uses; the frame worker reads it,
the panels show it, the controllers (models, retrainer) change it from task threads' results.
The event loop only ever copies results into widgets.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from asl_live.capture import SampleCapture, SampleWriter
from asl_live.gui import qtfix
from asl_live.gui.live_panel import LivePanel
from asl_live.gui.live_view import LiveView
from asl_live.gui.live_worker import LiveWorker
from asl_live.gui.model_panel import ModelPanel
from asl_live.gui.models import ModelLoader
from asl_live.gui.practice import PracticeController
from asl_live.gui.practice_panel import PracticePanel
from asl_live.gui.retrainer import Retrainer
from asl_live.gui.tasks import TaskRunner
from asl_live.gui.train_panel import TrainPanel
from asl_live.gui.widgets import MessageArea
from asl_live.live_accuracy import AccuracyRecorder
from asl_live.options import LaunchOptions, model_name, shipped_model_dir
from asl_live.retrain import clean_stale
from asl_live.session import LiveSession, LiveState
from asl_live.smoothing import SmoothingSettings
from trainer.classes import NOT_DIGIT

qtfix.apply()  # before any window exists: see qtfix for the PySide6 bug it works around

LABEL_KEYS = {**{getattr(Qt.Key, f"Key_{d}"): d for d in range(10)}, Qt.Key.Key_N: NOT_DIGIT}


def _say_stderr(message: str) -> None:
    """Problems also go to stderr: the window may be hidden or the user may be in a terminal."""
    print(f"asl-live: {message}", file=sys.stderr, flush=True)


class _Changes(QObject):
    """Session changes as a Qt signal, so listeners run on the GUI thread whoever changed it."""

    changed = Signal(object, object)


class MainWindow(QMainWindow):
    def __init__(self, options: LaunchOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options, self.settings = options, options.settings
        self.session = LiveSession(LiveState(source=options.source, loop=options.loop,
                                             smoothing=self.settings.smoothing(),
                                             show_landmarks=self.settings.show_landmarks))
        self.accuracy = AccuracyRecorder()
        self.capture = SampleCapture(SampleWriter(options.retrain.samples_dir))
        self.session.add_frame_observer(self.accuracy)
        self.session.add_frame_observer(self.capture)
        self.tasks = TaskRunner(self)
        self._held: int | None = None  # label key held down: capture while held
        self._capture_on = False  # the "keep saving samples" switch
        self._had_samples = any(self.capture.counts().values())
        self._heap_settled = False
        self._build_ui()
        self._restore_geometry()
        for i, note in enumerate(options.notes):
            self.say(f"note{i}", note)
        for stale in clean_stale(options.retrain):
            _say_stderr(f"removed {stale}, left by a retrain that was killed")

        self.models = ModelLoader(self.session, self.tasks, self.say, self)
        self.retrainer = Retrainer(options.retrain, self.session, self.tasks, self.train_panel,
                                   lambda: self.session.state.hand_model or options.hand_model, self)
        self.retrainer.model_taken.connect(self._retrained)
        self.practice = PracticeController(self.session, self.practice_panel, self.say, self,
                                           first_run=not self.settings.walkthrough_done,
                                           first_run_done=self._first_run_done)
        self._changes = _Changes(self)
        self._changes.changed.connect(self._state_changed)
        self.session.subscribe(self._changes.changed.emit)

        self.worker = LiveWorker(self.session, self)
        self.worker.updated.connect(self._show_update)
        self.worker.source_opened.connect(self._source_opened)
        self.worker.source_failed.connect(self._source_failed)
        self.worker.source_status.connect(lambda msg: self.say("status", msg, "warning"))
        self.worker.source_ended.connect(lambda: self.say("status", "End of the video."))
        self.worker.problem.connect(lambda msg: self.say("live", msg, "error", echo=True))
        self.live_view.clear(f"Opening {_describe(options.source)}…")
        self.worker.start()
        self.models.resolve_hand_model(options.hand_model)
        self.models.load(options.model)

    # -- layout ----------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setWindowTitle("ASL Live — sign language digits")
        self.messages = MessageArea()
        self.live_view = LiveView()
        left = QWidget()
        v = QVBoxLayout(left)
        v.setContentsMargins(6, 6, 6, 6)
        v.addWidget(self.messages)
        v.addWidget(self.live_view, 1)

        self.live_panel = LivePanel()
        self.model_panel = ModelPanel()
        self.train_panel = TrainPanel()
        self.practice_panel = PracticePanel()
        self.practice_panel.set_left_handed(self.settings.left_handed)
        self.practice_panel.left_handed_changed.connect(lambda on: setattr(self.settings, "left_handed", on))
        self.tabs = QTabWidget()
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.practice_panel, "Practice")
        self.tabs.addTab(self.live_panel, "Live")
        self.tabs.addTab(self.model_panel, "Model accuracy")
        self.tabs.addTab(self.train_panel, "Samples && retrain")
        self.tabs.setMinimumWidth(380)
        # files added to or deleted from the samples folder outside the app count once it is looked at
        self.tabs.currentChanged.connect(
            lambda _i: self.tabs.currentWidget() is self.train_panel and self.capture.recount())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.splitter)
        screen = self.screen().availableGeometry()
        self.resize(min(1360, int(screen.width() * 0.95)), min(860, int(screen.height() * 0.9)))

        s = self.settings
        self.live_panel.set_smoothing(s.smoothing_window, s.smoothing_threshold)
        self.live_panel.smoothing_changed.connect(self._set_smoothing)
        self.live_panel.editing_finished.connect(self.live_view.take_keys)
        self.live_panel.label_clicked.connect(self.set_label)
        self.live_panel.reset_clicked.connect(self.accuracy.reset)
        self.train_panel.capture_toggled.connect(self._set_capture)
        self._build_menus()
        self.live_view.take_keys()

    def _build_menus(self) -> None:
        def action(menu, text: str, slot, shortcut: str | None = None) -> QAction:
            a = QAction(text, self)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(slot)
            menu.addAction(a)
            return a

        action(self.menuBar().addMenu("&File"), "&Quit", self.close, "Ctrl+Q")
        source = self.menuBar().addMenu("&Source")
        action(source, "Use &camera…", self._choose_camera)
        action(source, "Play video &file…", self._choose_file, "Ctrl+O")
        model = self.menuBar().addMenu("&Model")
        action(model, "Open model &folder…", self._choose_model)
        action(model, "Use the &shipped model", lambda: self.load_model(shipped_model_dir()))
        view = self.menuBar().addMenu("&View")
        self.landmarks_action = action(view, "Show hand &landmarks",
                                       lambda on: self.session.update(show_landmarks=on))
        self.landmarks_action.setCheckable(True)
        self.landmarks_action.setChecked(self.settings.show_landmarks)

    def _restore_geometry(self) -> None:
        if self.settings.geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.geometry.encode()))
        if self.settings.window_state:
            self.splitter.restoreState(QByteArray.fromBase64(self.settings.window_state.encode()))

    # -- messages --------------------------------------------------------------------------------
    def say(self, topic: str, text: str, kind: str = "info", echo: bool = False) -> None:
        """A banner per topic above the video ("" clears it); `echo` also prints to stderr."""
        if not text:
            self.messages.clear(topic)
            return
        self.messages.set(topic, text, kind)
        if echo:
            _say_stderr(text)

    # -- the session -----------------------------------------------------------------------------
    def _state_changed(self, old: LiveState, new: LiveState) -> None:
        if new.classifier is not old.classifier and new.classifier is not None:
            c = new.classifier
            self.model_panel.set_model(c.path, c.test_metrics, c.meta.metrics.get("negatives"))
            self.retrainer.refresh()
        if (new.source, new.source_serial) != (old.source, old.source_serial):
            for topic in ("source", "status", "live"):
                self.messages.clear(topic)
            self.live_view.clear(f"Opening {_describe(new.source)}…")
        self.settings.set_smoothing(new.smoothing)
        self.settings.show_landmarks = new.show_landmarks
        self.statusBar().showMessage(f"Source: {_describe(new.source)}"
                                     + (f" · model: {model_name(new.classifier.path)}" if new.classifier else ""))
        self.statusBar().setToolTip(str(new.classifier.path) if new.classifier else "")

    def _show_update(self) -> None:
        update = self.worker.take_update()
        if update is None:
            return
        if update.result is not None and not self._heap_settled:
            settle_heap()
            self._heap_settled = True
        self.live_view.show_update(update, self.session.state.smoothing.threshold)
        self.practice_panel.show_coach(None if update.result is None else update.result.coach)
        self.live_panel.show_accuracy(self.accuracy.snapshot())
        self.practice.refresh(update.result)
        counts = self.capture.counts()
        self.train_panel.show_counts(counts)
        if any(counts.values()) != self._had_samples:
            self._had_samples = not self._had_samples
            self.retrainer.refresh()  # the first samples change what Retrain would do

    def _source_opened(self, description: str) -> None:
        source = self.session.state.source
        if isinstance(source, int):
            self.settings.camera, self.settings.source = source, None
        elif source is not None:
            self.settings.source, self.settings.loop = str(source), self.session.state.loop

    def _source_failed(self, message: str) -> None:
        self.live_view.clear(message)
        self.say("source", message, "error", echo=True)

    def _choose_camera(self) -> None:
        index, ok = QInputDialog.getInt(self, "Camera", "Camera index (0 is the default webcam):",
                                        self.settings.camera, 0, 63)
        if ok:
            self.session.open_source(index)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Play a video file", "",
                                              "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All files (*)")
        if path:
            self.session.open_source(Path(path), loop=True)

    def _set_smoothing(self, window: int, threshold: float) -> None:
        smoothing = self.session.state.smoothing
        self.session.update(smoothing=SmoothingSettings(window, threshold, smoothing.hysteresis,
                                                        smoothing.absent_frames, smoothing.release_margin))

    # -- "I am showing …": live accuracy and sample capture -----------------------------------------
    def set_label(self, label: int | None) -> None:
        self.live_panel.show_label(label)
        self.session.update(label=label)
        self._update_capture()

    def _set_capture(self, on: bool) -> None:
        self._capture_on = on
        self._update_capture()

    def _update_capture(self) -> None:
        self.session.update(capture=self._held is not None or self._capture_on)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in LABEL_KEYS:
            if not event.isAutoRepeat():
                self._held = LABEL_KEYS[key]
                self.set_label(self._held)
        elif key == Qt.Key.Key_Escape:
            self._held = None
            self.set_label(None)
        elif key == Qt.Key.Key_Backspace:
            self.practice.undo()  # a wrongly entered digit of a number
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in LABEL_KEYS and not event.isAutoRepeat():
            if self._held == LABEL_KEYS[key]:
                self._held = None
                self._update_capture()
        else:
            super().keyReleaseEvent(event)

    # -- models ----------------------------------------------------------------------------------
    def load_model(self, path: Path) -> None:
        """Load a bundle the user chose; remembered for the next launch once it works."""
        self.models.load(path, loaded=lambda c: self._remember_model(c.path))

    def _remember_model(self, path: Path) -> None:
        shipped = Path(path).resolve() == shipped_model_dir().resolve()
        self.settings.model = None if shipped else str(path)

    def _choose_model(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Model bundle folder (with bundle.json)")
        if path:
            self.load_model(Path(path))

    def _retrained(self, result) -> None:
        self._remember_model(result.path)
        self.save_settings()  # the next launch starts with the new model

    # -- shutdown --------------------------------------------------------------------------------
    def save_settings(self) -> None:
        self.settings.geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        self.settings.window_state = bytes(self.splitter.saveState().toBase64().data()).decode()
        try:
            self.settings.save(self.options.settings_file)
        except OSError as e:
            _say_stderr(f"could not save settings: {e}")

    def _first_run_done(self) -> None:
        """The first-run guide was done or skipped: kept at once, so it never comes back."""
        self.settings.walkthrough_done = True
        self.save_settings()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.worker.stop()
        self.worker.wait(10_000)
        self.tasks.stop_all()
        self.practice.close()
        super().closeEvent(event)


def settle_heap() -> None:
    """Once the first frame is recognised: set every object made while starting (modules, Qt
    wrappers, the model, MediaPipe) aside from the garbage collector (gc.freeze, which only
    moves them to a list the collector skips). A full collection then looks only at what came
    after: measured, it took 62 ms before (a stall of the window, whenever Python chose to run
    one) and no longer shows. (No collection first: in a process with a big heap that one
    collection would itself stall the window.)"""
    gc.freeze()


def _describe(source: int | Path | None) -> str:
    return "no source" if source is None else f"camera {source}" if isinstance(source, int) else Path(source).name
