"""The left side of the window: the annotated video, what the app decided in words, the class
probabilities and the live figures (FPS, latency)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from asl_live.gui.live_worker import LiveUpdate
from asl_live.gui.widgets import ProbabilityBars, VideoView, coach_label, show_coach
from trainer.classes import NOT_DIGIT

# Text colour per decision state, as in the overlay (asl_live.drawing).
STATE_STYLE = {"digit": "#1f8f4e", "unsure": "#b7791f", "not_digit": "#c53030", "none": "palette(placeholder-text)"}


def decision_words(state: str, label: str, confidence: float) -> str:
    """The decision as a sentence for the line under the video."""
    if state == "digit":
        return f"Digit {label} ({100 * confidence:.0f}%)"
    if state == "not_digit":
        return f"Not a digit ({100 * confidence:.0f}%): this hand shape is no ASL digit"
    if state == "unsure":
        return "? Unsure: hold the sign steady"
    return "No hand"


class LiveView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.video = VideoView()
        self.decision = QLabel("No hand")
        font = self.decision.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.decision.setFont(font)
        self.coach = coach_label()
        self.readout = QLabel("–")
        # Per-frame text must not resize the window (a relayout per frame, and flicker).
        for label in (self.decision, self.readout):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bars = ProbabilityBars()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video, 1)
        layout.addWidget(self.decision)
        layout.addWidget(self.coach)
        layout.addWidget(self.readout)
        layout.addWidget(self.bars)
        self._state = "none"
        self._threshold = 0.6

    def show_update(self, update: LiveUpdate, threshold: float) -> None:
        self.video.set_image(update.image)
        self._threshold = threshold
        result = update.result
        text = f"{update.fps:4.1f} fps · latency {update.latency_ms:3.0f} ms"
        # what to change: the framing first; else, while "not a digit" shows for a hand the model
        # read as a digit it plainly is not, what would make it that digit
        show_coach(self.coach, None if result is None else result.coach or (
            result.near_miss if result.decision.state == "not_digit" else None))
        if result is None:
            self.bars.set_values(None, None, threshold)
            self._show_decision("none", "", 0.0)
        else:
            d = result.decision
            chosen = d.digit if d.state == "digit" else NOT_DIGIT if d.state == "not_digit" else None
            self.bars.set_values(d.probs, chosen, threshold, len(result.probs) if result.probs is not None else None)
            self._show_decision(d.state, d.label, d.confidence)
            t = result.timings
            text += f" (hand {t.get('landmarks', 0):.0f} ms, model {t.get('classify', 0):.0f} ms)"
        self.readout.setText(f"{text} · frames skipped: {update.dropped}")

    def _show_decision(self, state: str, label: str, confidence: float) -> None:
        if state != self._state:
            self._state = state
            self.decision.setStyleSheet(f"color: {STATE_STYLE[state]};")
        self.decision.setText(decision_words(state, label, confidence))

    @property
    def state(self) -> str:
        """The decision state on display: "none", "unsure", "digit" or "not_digit"."""
        return self._state

    def take_keys(self) -> None:
        """Give the keyboard focus to the video, where digit keys reach the window."""
        self.video.setFocus()

    def clear(self, message: str) -> None:
        self.video.clear(message)
        show_coach(self.coach, None)
        self.bars.set_values(None, None, self._threshold)
        self._show_decision("none", "", 0.0)
