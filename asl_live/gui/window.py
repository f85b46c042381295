"""The main window: wires the panels to the live worker and the background tasks.

Nothing here waits on a camera, a model or training: those run on worker threads and report
back through queued signals, so the event loop only ever copies results into widgets. (It
waits only when the user switches source or closes the window, for the worker to finish its
frame and release the camera.)
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from asl_live.gui import qtfix
from asl_live.gui.options import LaunchOptions, shipped_model_dir
from asl_live.gui.panels import LivePanel, ModelPanel, TrainPanel
from asl_live.gui.retrain import (
    RetrainResult,
    dataset_roots,
    download_datasets,
    load_classifier,
    plan,
    retrain,
)
from asl_live.gui.widgets import MessageArea, ProbabilityBars, VideoView
from asl_live.gui.workers import LiveConfig, LiveUpdate, LiveWorker, Task

qtfix.apply()  # before any window exists: see qtfix for the PySide6 bug it works around

DIGIT_KEYS = {getattr(Qt.Key, f"Key_{d}"): d for d in range(10)}


def describe_source(source: int | Path) -> str:
    return f"camera {source}" if isinstance(source, int) else Path(source).name


def _say(message: str) -> None:
    """Problems also go to stderr: the window may be hidden or the user may be in a terminal."""
    print(f"asl-live: {message}", file=sys.stderr, flush=True)


class MainWindow(QMainWindow):
    model_changed = Signal(object)  # the Classifier now in use

    def __init__(self, options: LaunchOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options = options
        self.settings = options.settings
        self.classifier = None
        self.hand_model: Path | None = None  # resolved (validated, maybe downloaded) path
        self.last_update: LiveUpdate | None = None
        self._worker: LiveWorker | None = None
        self._source: int | Path = options.source
        self._source_ok = False
        self._tasks: dict[str, Task] = {}
        self._label: int | None = None  # the digit the user says they show
        self._held: int | None = None  # digit key held down: capture while held
        self._capture_on = False
        self._have_samples = False
        self._extra_roots: list[Path] = list(options.retrain.extra_roots)
        self._build_ui()
        self._restore_geometry()
        for i, note in enumerate(options.notes):
            self.messages.set(f"note{i}", note, "info")
        self.start_source(options.source, options.loop)
        self._resolve_hand_model()
        self.load_model(options.model, remember=False)
        self._refresh_roots()

    # -- layout ------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setWindowTitle("ASL Live — sign language digits")
        self.messages = MessageArea()
        self.video = VideoView()
        self.readout = QLabel("–")
        # Per-frame text must not resize the window (a relayout per frame, and flicker).
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bars = ProbabilityBars()
        left = QWidget()
        v = QVBoxLayout(left)
        v.setContentsMargins(6, 6, 6, 6)
        v.addWidget(self.messages)
        v.addWidget(self.video, 1)
        v.addWidget(self.readout)
        v.addWidget(self.bars)

        self.live_panel = LivePanel()
        self.model_panel = ModelPanel()
        self.train_panel = TrainPanel()
        self.tabs = QTabWidget()
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.live_panel, "Live")
        self.tabs.addTab(self.model_panel, "Model accuracy")
        self.tabs.addTab(self.train_panel, "Samples && retrain")
        self.tabs.setMinimumWidth(380)
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
        self.live_panel.window_spin.editingFinished.connect(self.video.setFocus)
        self.live_panel.label_clicked.connect(self.set_label)
        self.live_panel.reset_clicked.connect(self._reset_accuracy)
        self.train_panel.samples_path.setText(f"Saved in {self.options.retrain.samples_dir}")
        self.train_panel.capture_toggled.connect(self._set_capture)
        self.train_panel.add_folder_clicked.connect(self._add_folder)
        self.train_panel.remove_folder_clicked.connect(self._remove_folder)
        self.train_panel.download_clicked.connect(self.download_kaggle)
        self.train_panel.retrain_clicked.connect(self.start_retrain)
        self.train_panel.cancel_clicked.connect(self.cancel_retrain)
        self.tabs.currentChanged.connect(lambda _: self._refresh_roots())
        self._build_menus()
        self.video.setFocus()

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
        action(model, "Use the &shipped model", lambda: self.load_model(shipped_model_dir(), remember=True))
        view = self.menuBar().addMenu("&View")
        self.landmarks_action = action(view, "Show hand &landmarks", self._set_landmarks)
        self.landmarks_action.setCheckable(True)
        self.landmarks_action.setChecked(self.settings.show_landmarks)

    def _restore_geometry(self) -> None:
        if self.settings.geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.geometry.encode()))
        if self.settings.window_state:
            self.splitter.restoreState(QByteArray.fromBase64(self.settings.window_state.encode()))

    # -- live source ------------------------------------------------------------------------
    def start_source(self, source: int | Path, loop: bool = True) -> None:
        """(Re)start capture + inference on `source`; the current model carries over."""
        self._stop_worker()
        self._source, self._source_ok = source, False
        for key in ("source", "status", "live"):
            self.messages.clear(key)
        self.video.clear(f"Opening {describe_source(source)}…")
        self.statusBar().showMessage(f"Source: {describe_source(source)}")
        config = LiveConfig(source=source, loop=loop, smoothing=self.settings.smoothing(),
                            samples_dir=self.options.retrain.samples_dir, realtime=self.options.realtime,
                            show_landmarks=self.settings.show_landmarks)
        worker = LiveWorker(config)

        def current(slot):
            """Ignore a replaced worker: its queued signals may still arrive after a restart."""
            return lambda *args: slot(*args) if worker is self._worker else None

        worker.updated.connect(current(self._on_update))
        worker.source_failed.connect(current(self._on_source_failed))
        worker.source_status.connect(current(lambda msg: self._show("status", msg, "warning")))
        worker.source_ended.connect(current(lambda: self._show("status", "End of the video.", "info")))
        worker.problem.connect(current(lambda msg: self._show("live", msg, "error", echo=True)))
        if self.classifier is not None:
            worker.set_classifier(self.classifier)
        if self.hand_model is not None:
            worker.set_hand_model(self.hand_model)
        self._worker = worker
        self._push_label()
        worker.start()

    @property
    def worker(self) -> LiveWorker | None:
        return self._worker

    def _stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()
            worker.wait(10_000)
            worker.deleteLater()

    def _on_update(self) -> None:
        update = self._worker.take_update() if self._worker is not None else None
        if update is None:
            return
        if not self._source_ok:
            self._source_ok = True
            if isinstance(self._source, int):
                self.settings.camera = self._source
        self.last_update = update
        self.video.set_image(update.image)
        result = update.result
        text = f"{update.fps:4.1f} fps · latency {update.latency_ms:3.0f} ms"
        if result is not None:
            d = result.decision
            self.bars.set_values(d.probs, d.digit, self.settings.smoothing_threshold)
            t = result.timings
            text += f" (hand {t.get('landmarks', 0):.0f} ms, model {t.get('classify', 0):.0f} ms)"
        else:
            self.bars.set_values(None, None, self.settings.smoothing_threshold)
        self.readout.setText(f"{text} · frames skipped: {update.dropped}")
        self.live_panel.show_accuracy(update.accuracy)
        self.train_panel.show_counts(update.sample_counts)
        if bool(sum(update.sample_counts.values())) != self._have_samples:
            self._have_samples = not self._have_samples
            self._refresh_roots()  # the first samples change what Retrain would do

    def _on_source_failed(self, message: str) -> None:
        self.video.clear(message)
        self._show("source", message, "error", echo=True)

    def _show(self, key: str, message: str, kind: str, echo: bool = False) -> None:
        if message:
            self.messages.set(key, message, kind)
            if echo:
                _say(message)
        else:
            self.messages.clear(key)

    def _choose_camera(self) -> None:
        index, ok = QInputDialog.getInt(self, "Camera", "Camera index (0 is the default webcam):",
                                        self.settings.camera, 0, 63)
        if ok:
            self.settings.source = None
            self.start_source(index)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Play a video file", "",
                                              "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All files (*)")
        if path:
            self.start_source(Path(path), loop=True)

    def _set_landmarks(self, show: bool) -> None:
        self.settings.show_landmarks = show
        if self._worker is not None:
            self._worker.set_show_landmarks(show)

    def _set_smoothing(self, window: int, threshold: float) -> None:
        self.settings.smoothing_window, self.settings.smoothing_threshold = window, threshold
        if self._worker is not None:
            self._worker.set_smoothing(self.settings.smoothing())

    # -- "I am showing digit d": live accuracy and sample capture ------------------------------
    def set_label(self, digit: int | None) -> None:
        self._label = digit
        self.live_panel.show_label(digit)
        self._push_label()

    def _set_capture(self, on: bool) -> None:
        self._capture_on = on
        self._push_label()

    def _push_label(self) -> None:
        if self._worker is not None:
            self._worker.set_label(self._label, capture=self._held is not None or self._capture_on)

    def _reset_accuracy(self) -> None:
        if self._worker is not None:
            self._worker.reset_accuracy()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in DIGIT_KEYS:
            if not event.isAutoRepeat():
                self._held = DIGIT_KEYS[key]
                self.set_label(self._held)
        elif key == Qt.Key.Key_Escape:
            self._held = None
            self.set_label(None)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in DIGIT_KEYS and not event.isAutoRepeat():
            if self._held == DIGIT_KEYS[key]:
                self._held = None
                self._push_label()
        else:
            super().keyReleaseEvent(event)

    # -- models -----------------------------------------------------------------------------
    def _resolve_hand_model(self) -> None:
        """Find (or download once, with progress shown) the MediaPipe hand model on a Task."""
        from trainer.handmodel import resolve_hand_model

        explicit = self.options.hand_model

        def job(task: Task) -> Path:
            return resolve_hand_model(explicit, progress=lambda done, total: task.progress("hand model", done, total))

        task = Task(job, "hand-model")
        task.progressed.connect(lambda _s, done, total, _m: self._show(
            "hand", f"Downloading the hand model (once): {done / 1e6:.1f}"
                    + (f" of {total / 1e6:.1f} MB" if total > 0 else " MB"), "info"))
        task.succeeded.connect(self._use_hand_model)
        task.failed.connect(lambda msg: self._show("hand", f"No hand detection: {msg}", "error", echo=True))
        self._run_task("hand-model", task)

    def _use_hand_model(self, path: Path) -> None:
        self.hand_model = path
        self.messages.clear("hand")
        if self._worker is not None:
            self._worker.set_hand_model(path)

    def load_model(self, path: Path, remember: bool = True) -> None:
        """Load a bundle on a Task thread; the current model stays until the new one works."""
        self._show("model", f"Loading model {path}…", "info")
        task = Task(lambda _t: load_classifier(path), "load-model")
        task.succeeded.connect(lambda c: self._use_classifier(c, remember))
        task.failed.connect(lambda msg: self._show(
            "model", f"No usable model: {msg} Choose one with Model → Open model folder, or retrain.",
            "error", echo=True))
        self._run_task(f"load-model:{path}", task)

    def _use_classifier(self, classifier, remember: bool) -> None:
        self.classifier = classifier
        if self._worker is not None:
            self._worker.set_classifier(classifier)
        self.model_panel.set_model(classifier.path, classifier.test_metrics)
        self.messages.clear("model")
        if remember:
            shipped = Path(classifier.path).resolve() == shipped_model_dir().resolve()
            self.settings.model = None if shipped else str(classifier.path)
        self.statusBar().showMessage(f"Source: {describe_source(self._source)} · model: {classifier.path}")
        self.model_changed.emit(classifier)
        self._refresh_roots()

    def _choose_model(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Model bundle folder (with bundle.json)")
        if path:
            self.load_model(Path(path))

    # -- background tasks -------------------------------------------------------------------
    def _run_task(self, name: str, task: Task) -> Task:
        self._tasks[name] = task

        def done() -> None:
            if self._tasks.get(name) is task:
                del self._tasks[name]
            task.deleteLater()

        task.finished.connect(done)
        task.start()
        return task

    def task(self, name: str) -> Task | None:
        return self._tasks.get(name)

    # -- training data and retraining ------------------------------------------------------------
    def _retrain_config(self):
        return replace(self.options.retrain, extra_roots=list(self._extra_roots))

    def _refresh_roots(self) -> None:
        """List what Retrain would use and say what it would do."""
        config = self._retrain_config()
        self.train_panel.show_roots([*dataset_roots(config.datasets_dir), *self._extra_roots])
        try:
            self.train_panel.plan_label.setText(plan(config, self._current_model_path()).describe())
        except ValueError as e:
            self.train_panel.plan_label.setText(str(e))

    def _current_model_path(self) -> Path | None:
        return Path(self.classifier.path) if self.classifier is not None and self.classifier.path else None

    def _add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of digit images (0/…9/ or the Kaggle layout)")
        if path:
            self.add_training_folder(Path(path))

    def add_training_folder(self, path: Path) -> None:
        if path not in self._extra_roots:
            self._extra_roots.append(path)
        self._refresh_roots()

    def _remove_folder(self) -> None:
        item = self.train_panel.roots_list.currentItem()
        if item is not None and Path(item.text()) in self._extra_roots:
            self._extra_roots.remove(Path(item.text()))
        self._refresh_roots()

    def download_kaggle(self) -> None:
        if "download" in self._tasks:
            return
        dest = self.options.retrain.datasets_dir
        panel = self.train_panel
        panel.download_button.setEnabled(False)
        panel.download_bar.show()
        task = Task(lambda t: download_datasets(dest, t.progress), "download")
        task.progressed.connect(lambda _s, done, total, _m: panel.show_download(done, total))
        task.succeeded.connect(lambda root: self._download_ended(f"Kaggle dataset ready in {root}."))
        task.failed.connect(lambda msg: self._download_ended(f"Download failed: {msg}"))
        self._run_task("download", task)

    def _download_ended(self, message: str) -> None:
        self.train_panel.download_button.setEnabled(True)
        self.train_panel.download_bar.hide()
        self.train_panel.status.setText(message)
        self._refresh_roots()

    def start_retrain(self) -> None:
        """Retrain on a Task thread; the live model is swapped only when training finished."""
        if "retrain" in self._tasks:
            return
        config = self._retrain_config()
        try:
            the_plan = plan(config, self._current_model_path())
        except ValueError as e:
            self.train_panel.status.setText(str(e))
            return
        before = self.classifier.test_metrics if self.classifier is not None else {}
        hand_model = self.hand_model or self.options.hand_model

        def job(task: Task) -> RetrainResult:
            from trainer.handmodel import resolve_hand_model

            return retrain(config, the_plan, resolve_hand_model(hand_model), task.progress, task.should_stop, task.log)

        panel = self.train_panel
        panel.set_training(True)
        panel.log.appendPlainText(the_plan.describe())
        panel.status.setText("Starting…")
        task = Task(job, "retrain")
        task.progressed.connect(panel.show_progress)
        task.logged.connect(panel.log.appendPlainText)
        task.succeeded.connect(lambda result: self._retrained(result, before))
        task.failed.connect(lambda msg: self._retrain_ended(
            f"Retraining failed: {msg} The current model is still in use.", ok=False))
        task.cancelled.connect(lambda _m: self._retrain_ended(
            "Retraining cancelled; the current model is still in use.", ok=False))
        self._run_task("retrain", task)

    def cancel_retrain(self) -> None:
        task = self._tasks.get("retrain")
        if task is not None:
            task.cancel()
            self.train_panel.status.setText("Cancelling after the current step…")

    def _retrained(self, result: RetrainResult, before: dict) -> None:
        after = result.meta.get("metrics", {}).get("test", {})
        self.train_panel.show_comparison(before, after)
        note = "" if after else (" It has no held-out test figures: too little data, or too few separate "
                                 "capture sessions, to hold some out.")
        self._retrain_ended(f"Retrained model in use (saved in {result.path}).{note}", ok=True)
        self._use_classifier(result.classifier, remember=True)
        self.settings.save(self.options.settings_file)  # the next launch starts with the new model

    def _retrain_ended(self, message: str, ok: bool) -> None:
        panel = self.train_panel
        panel.set_training(False)
        panel.progress.setRange(0, 1)
        panel.progress.setValue(1 if ok else 0)
        panel.progress.setFormat("done" if ok else "stopped")
        panel.status.setText(message)
        panel.log.appendPlainText(message)
        self._refresh_roots()

    # -- shutdown -----------------------------------------------------------------------------
    def save_settings(self) -> None:
        self.settings.geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        self.settings.window_state = bytes(self.splitter.saveState().toBase64().data()).decode()
        try:
            self.settings.save(self.options.settings_file)
        except OSError as e:
            _say(f"could not save settings: {e}")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self._stop_worker()
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            task.wait(60_000)  # training stops at the next batch; a download may need longer
        super().closeEvent(event)
