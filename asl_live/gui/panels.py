"""The side panels. They only display and emit signals; MainWindow decides what happens."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from asl_live.gui.live_accuracy import LiveAccuracy
from asl_live.gui.widgets import ConfusionView, fill_table, make_table


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


def _no_focus(*buttons: QPushButton) -> None:
    """Buttons must not swallow digit keys meant for the window."""
    for b in buttons:
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)


NONE_ID = 10  # button id of "Nothing" (Qt reserves -1 for "assign an id")


class LivePanel(QWidget):
    """Smoothing controls, "I am showing digit …" buttons, and this session's accuracy."""

    smoothing_changed = Signal(int, float)  # window, threshold
    label_clicked = Signal(object)  # int digit, or None for "not saying"
    reset_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QGroupBox("Smoothing")
        form = QFormLayout(box)
        self.window_spin = QSpinBox()
        self.window_spin.setRange(1, 30)
        self.window_spin.setSuffix(" frames")
        self.window_spin.setToolTip("How many frames are averaged: more is steadier but slower to follow.")
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(5, 99)
        self.threshold_slider.setToolTip("Below this smoothed confidence the overlay shows '?'.")
        self.threshold_label = QLabel()
        self.threshold_label.setMinimumWidth(36)
        row = QHBoxLayout()
        row.addWidget(self.threshold_slider)
        row.addWidget(self.threshold_label)
        form.addRow("Window", self.window_spin)
        form.addRow("Threshold", row)
        self.window_spin.valueChanged.connect(self._emit_smoothing)
        self.threshold_slider.valueChanged.connect(self._emit_smoothing)

        showing = QGroupBox("I am showing")
        showing.setStyleSheet("QPushButton:checked { background: #2e9f5a; color: white; font-weight: bold; "
                              "border: 1px solid #23784a; border-radius: 3px; padding: 3px; }")
        grid = QGridLayout(showing)
        grid.setSpacing(4)
        self.digit_buttons = QButtonGroup(self)
        self.digit_buttons.setExclusive(True)
        for d in range(10):
            b = QPushButton(str(d))
            b.setCheckable(True)
            b.setMinimumWidth(30)
            _no_focus(b)
            self.digit_buttons.addButton(b, d)
            grid.addWidget(b, d // 5, d % 5)
        self.none_button = QPushButton("Nothing (Esc)")
        self.none_button.setCheckable(True)
        self.none_button.setChecked(True)
        _no_focus(self.none_button)
        self.digit_buttons.addButton(self.none_button, NONE_ID)
        grid.addWidget(self.none_button, 2, 0, 1, 5)
        grid.addWidget(_muted("Press 0–9 (or click) to say which digit you show; the counts below "
                              "score every frame with a decision. Hold the key to also save samples."), 3, 0, 1, 5)
        self.digit_buttons.idClicked.connect(lambda i: self.label_clicked.emit(None if i == NONE_ID else i))

        acc = QGroupBox("Live accuracy (this session)")
        v = QVBoxLayout(acc)
        self.accuracy_label = QLabel("Not scored yet.")
        self.accuracy_label.setWordWrap(True)
        # Updated every frame: a fixed two-line box, so new text never relayouts the window.
        self.accuracy_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.accuracy_label.setFixedHeight(2 * self.accuracy_label.fontMetrics().lineSpacing() + 4)
        self.reset_button = QPushButton("Reset")
        _no_focus(self.reset_button)
        self.reset_button.clicked.connect(self.reset_clicked)
        top = QHBoxLayout()
        top.addWidget(self.accuracy_label, 1)
        top.addWidget(self.reset_button)
        self.confusion = ConfusionView()
        v.addLayout(top)
        v.addWidget(self.confusion, 1)
        v.addWidget(_muted("Rows: the digit you showed. Columns: the digit the app decided."))

        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(showing)
        layout.addWidget(acc, 1)

    def set_smoothing(self, window: int, threshold: float) -> None:
        """Show settings without echoing them back as a change."""
        for w in (self.window_spin, self.threshold_slider):
            w.blockSignals(True)
        self.window_spin.setValue(window)
        self.threshold_slider.setValue(round(threshold * 100))
        self.threshold_label.setText(f"{threshold:.2f}")
        for w in (self.window_spin, self.threshold_slider):
            w.blockSignals(False)

    def _emit_smoothing(self) -> None:
        threshold = self.threshold_slider.value() / 100
        self.threshold_label.setText(f"{threshold:.2f}")
        self.smoothing_changed.emit(self.window_spin.value(), threshold)

    def show_label(self, digit: int | None) -> None:
        self.digit_buttons.button(NONE_ID if digit is None else digit).setChecked(True)

    def show_accuracy(self, acc: LiveAccuracy) -> None:
        undecided = int(acc.undecided.sum())
        if acc.decided == 0 and undecided == 0:
            text = "Not scored yet."
        elif acc.decided == 0:
            text = f"No decision yet ({undecided} frames showed nothing or “?”)."
        else:
            text = (f"<b>{_pct(acc.accuracy)}</b> right: {acc.correct} of {acc.decided} frames with a decision;"
                    f" {undecided} showed nothing or “?”.")
        self.accuracy_label.setText(text)
        self.confusion.set_matrix(acc.confusion)


class ModelPanel(QWidget):
    """The loaded model's held-out test figures, per dataset, as recorded at training time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._metrics: dict = {}
        self._path: Path | None = None
        self.path_label = _muted("No model loaded.")
        self.dataset_combo = QComboBox()
        self.dataset_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.dataset_combo.currentTextChanged.connect(self._show_dataset)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = make_table()
        self.table.setFixedHeight(11 * 20 + 8)  # header + ten digits, no scrolling
        self.confusion = ConfusionView()
        row = QHBoxLayout()
        row.addWidget(QLabel("Test split:"))
        row.addWidget(self.dataset_combo, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.confusion, 1)
        layout.addWidget(_muted("Rows: true digit. Columns: predicted digit. Figures are from the held-out "
                                "test split recorded when the model was trained."))

    def set_model(self, path: Path | None, metrics: dict | None) -> None:
        self._metrics, self._path = metrics or {}, path
        self.path_label.setText(f"Model: {path}" if path else "No model loaded.")
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        names = list(self._metrics)
        self.dataset_combo.addItems(names)
        if "all" in names:
            self.dataset_combo.setCurrentText("all")
        self.dataset_combo.blockSignals(False)
        self._show_dataset(self.dataset_combo.currentText())

    def _show_dataset(self, name: str) -> None:
        rep = self._metrics.get(name)
        if not rep:
            self.summary.setText("This model has no recorded test figures." if self._path else "")
            fill_table(self.table, [], [])
            self.confusion.set_matrix(None)
            return
        nh = rep.get("no_hand", {})
        self.summary.setText(
            f"Test accuracy <b>{_pct(rep.get('accuracy'))}</b> on {rep.get('images', '?')} held-out images"
            f" (no hand found in {nh.get('count', 0)}, {_pct(nh.get('rate'))}); macro F1 {rep.get('macro_f1', 0):.3f}")
        rows = [[d, c["precision"], c["recall"], c["f1"], c["support"], c["no_hand"]]
                for d, c in sorted(rep.get("per_class", {}).items(), key=lambda kv: int(kv[0]))]
        fill_table(self.table, ["digit", "precision", "recall", "F1", "images", "no hand"], rows)
        self.confusion.set_matrix(rep.get("confusion"))


class TrainPanel(QWidget):
    """Captured samples, training data, the Kaggle download and the Retrain button."""

    capture_toggled = Signal(bool)
    add_folder_clicked = Signal()
    remove_folder_clicked = Signal()
    download_clicked = Signal()
    retrain_clicked = Signal()
    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        samples = QGroupBox("Your samples")
        g = QGridLayout(samples)
        g.setSpacing(4)
        self.count_labels: list[QLabel] = []
        for d in range(10):
            label = QLabel(f"{d}: 0")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("QLabel { border: 1px solid palette(mid); border-radius: 3px; padding: 2px; }")
            self.count_labels.append(label)
            g.addWidget(label, d // 5, d % 5)
        self.capture_box = QCheckBox("Keep saving samples of the selected digit")
        self.capture_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.capture_box.setToolTip("While on, every frame with a hand is saved as a sample of the digit "
                                    "selected on the Live tab (as when holding its key).")
        self.capture_box.toggled.connect(self.capture_toggled)
        self.samples_path = _muted()
        g.addWidget(self.capture_box, 2, 0, 1, 5)
        g.addWidget(self.samples_path, 3, 0, 1, 5)

        data = QGroupBox("Other training data")
        v = QVBoxLayout(data)
        self.roots_list = QListWidget()
        self.roots_list.setMaximumHeight(80)
        self.roots_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.roots_list.setWordWrap(True)
        self.roots_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.download_button = QPushButton("Download Kaggle dataset")
        _no_focus(self.add_button, self.remove_button, self.download_button)
        self.add_button.clicked.connect(self.add_folder_clicked)
        self.remove_button.clicked.connect(self.remove_folder_clicked)
        self.download_button.clicked.connect(self.download_clicked)
        self.download_bar = QProgressBar()
        self.download_bar.hide()
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.download_button):
            buttons.addWidget(b)
        v.addWidget(self.roots_list)
        v.addLayout(buttons)
        v.addWidget(self.download_bar)

        train = QGroupBox("Retrain")
        t = QVBoxLayout(train)
        self.plan_label = _muted()
        self.retrain_button = QPushButton("Retrain")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        _no_focus(self.retrain_button, self.cancel_button)
        self.retrain_button.clicked.connect(self.retrain_clicked)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.progress = QProgressBar()
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.status = QLabel("Idle.")
        self.status.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        self.log.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.log.setMinimumHeight(60)
        self.compare = make_table()
        self.compare.setMinimumHeight(90)
        self.compare.hide()
        row = QHBoxLayout()
        row.addWidget(self.retrain_button)
        row.addWidget(self.cancel_button)
        t.addWidget(self.plan_label)
        t.addLayout(row)
        t.addWidget(self.progress)
        t.addWidget(self.status)
        t.addWidget(self.compare)
        t.addWidget(self.log, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(samples)
        layout.addWidget(data)
        layout.addWidget(train, 1)

    def show_counts(self, counts: dict[int, int]) -> None:
        for d, label in enumerate(self.count_labels):
            label.setText(f"{d}: {counts.get(d, 0)}")

    def show_roots(self, roots: list[Path]) -> None:
        self.roots_list.clear()
        self.roots_list.addItems([str(p) for p in roots])
        if not roots:
            item = QListWidgetItem("None yet: download the Kaggle dataset or add a folder of digit images.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.roots_list.addItem(item)

    def set_training(self, running: bool) -> None:
        self.retrain_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setRange(0, 0)
            self.compare.hide()

    def show_progress(self, stage: str, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"{stage} {done}/{total}")
        else:
            self.progress.setRange(0, 0)
        self.status.setText(f"{stage}: {message}" if message else f"{stage}…")
        if message:
            self.log.appendPlainText(message)

    def show_download(self, done: int, total: int) -> None:
        """Bytes so far; Kaggle does not say the size up front, so the bar is busy until done."""
        mb = f"{done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total > 0 else "")
        if total > 0:
            self.download_bar.setRange(0, total)
            self.download_bar.setValue(min(done, total))
        else:
            self.download_bar.setRange(0, 0)
        self.download_bar.setFormat(mb)
        self.status.setText(f"Downloading the Kaggle dataset: {mb}")

    def show_comparison(self, before: dict, after: dict) -> None:
        """Old and new held-out figures side by side (the new test split includes new data)."""
        rows = []
        for name in dict.fromkeys([*before, *after]):
            b, a = before.get(name, {}), after.get(name, {})
            rows.append([name, _pct(b.get("accuracy")), _pct(a.get("accuracy")),
                         b.get("macro_f1"), a.get("macro_f1")])
        fill_table(self.compare, ["test split", "accuracy before", "after", "F1 before", "after"], rows)
        self.compare.setVisible(bool(rows))
