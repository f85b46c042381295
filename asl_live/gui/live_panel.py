"""The Live tab: smoothing controls, "I am showing …" and this session's accuracy. Like every
panel it only displays what it is given and emits signals; the window decides what happens."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from asl_live.live_accuracy import LiveAccuracy
from asl_live.settings import RANGES
from asl_live.gui.widgets import ConfusionView, muted, no_focus, pct
from trainer.classes import DIGITS, NOT_DIGIT

NONE_ID = NOT_DIGIT + 1  # button id of "Nothing" (Qt reserves -1 for "assign an id")


class LivePanel(QWidget):
    smoothing_changed = Signal(int, float)  # window, threshold
    label_clicked = Signal(object)  # int digit, NOT_DIGIT, or None for "not saying"
    reset_clicked = Signal()
    editing_finished = Signal()  # the window size was typed in: keys may go back to the video

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QGroupBox("Smoothing")
        form = QFormLayout(box)
        self.window_spin = QSpinBox()
        self.window_spin.setRange(*map(int, RANGES["smoothing_window"]))
        self.window_spin.setSuffix(" frames")
        self.window_spin.setToolTip("How many frames are averaged: more is steadier but slower to follow.")
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(*(round(100 * v) for v in RANGES["smoothing_threshold"]))
        self.threshold_slider.setToolTip("Below this smoothed confidence the overlay shows '?'.")
        self.threshold_label = QLabel()
        self.threshold_label.setMinimumWidth(36)
        row = QHBoxLayout()
        row.addWidget(self.threshold_slider)
        row.addWidget(self.threshold_label)
        form.addRow("Window", self.window_spin)
        form.addRow("Threshold", row)
        self.window_spin.valueChanged.connect(self._emit_smoothing)
        self.window_spin.editingFinished.connect(self.editing_finished)
        self.threshold_slider.valueChanged.connect(self._emit_smoothing)

        showing = QGroupBox("I am showing")
        showing.setStyleSheet("QPushButton:checked { background: #2e9f5a; color: white; font-weight: bold; "
                              "border: 1px solid #23784a; border-radius: 3px; padding: 3px; }")
        grid = QGridLayout(showing)
        grid.setSpacing(4)
        self.digit_buttons = QButtonGroup(self)
        self.digit_buttons.setExclusive(True)
        for d in DIGITS:
            b = QPushButton(str(d))
            b.setCheckable(True)
            b.setMinimumWidth(30)
            no_focus(b)
            self.digit_buttons.addButton(b, d)
            grid.addWidget(b, d // 5, d % 5)
        self.not_digit_button = QPushButton("Not a digit (N)")
        self.none_button = QPushButton("Nothing (Esc)")
        for b, i, col in ((self.not_digit_button, NOT_DIGIT, 0), (self.none_button, NONE_ID, 3)):
            b.setCheckable(True)
            no_focus(b)
            self.digit_buttons.addButton(b, i)
            grid.addWidget(b, 2, col, 1, 3 if col == 0 else 2)
        self.none_button.setChecked(True)
        grid.addWidget(muted("Press 0–9 (or N for a hand shape that is no digit, or click) to say what you "
                             "show; the counts below score every frame with a decision. Hold the key to also "
                             "save samples."), 3, 0, 1, 5)
        self.digit_buttons.idClicked.connect(lambda i: self.label_clicked.emit(None if i == NONE_ID else i))

        acc = QGroupBox("Live accuracy (this session)")
        v = QVBoxLayout(acc)
        self.accuracy_label = QLabel("Not scored yet.")
        self.accuracy_label.setWordWrap(True)
        # Updated every frame: a fixed two-line box, so new text never relayouts the window.
        self.accuracy_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.accuracy_label.setFixedHeight(2 * self.accuracy_label.fontMetrics().lineSpacing() + 4)
        self.reset_button = QPushButton("Reset")
        no_focus(self.reset_button)
        self.reset_button.clicked.connect(self.reset_clicked)
        top = QHBoxLayout()
        top.addWidget(self.accuracy_label, 1)
        top.addWidget(self.reset_button)
        self.confusion = ConfusionView()
        v.addLayout(top)
        v.addWidget(self.confusion, 1)
        v.addWidget(muted("Rows: what you showed (✗: not a digit). Columns: what the app decided."))

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

    def show_label(self, label: int | None) -> None:
        self.digit_buttons.button(NONE_ID if label is None else label).setChecked(True)

    def shown_label(self) -> int | None:
        checked = self.digit_buttons.checkedId()
        return None if checked in (NONE_ID, -1) else checked

    def show_accuracy(self, acc: LiveAccuracy) -> None:
        undecided = int(acc.undecided.sum())
        if acc.decided == 0 and undecided == 0:
            text = "Not scored yet."
        elif acc.decided == 0:
            text = f"No decision yet ({undecided} frames showed nothing or “?”)."
        else:
            text = (f"<b>{pct(acc.accuracy)}</b> right: {acc.correct} of {acc.decided} frames with a decision;"
                    f" {undecided} showed nothing or “?”.")
        self.accuracy_label.setText(text)
        self.confusion.set_matrix(acc.confusion)
