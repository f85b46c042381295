"""The Practice tab: a digit (or a number) to sign, a drawing of its hand shape, how far the
sign is from counting, what is wrong with the hand, and the round's results."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from asl_live.gui.hand_view import HandDrawing
from asl_live.gui.widgets import coach_label, fill_table, make_table, muted, no_focus, show_coach
from asl_live.hand3d import View
from asl_live.handshape import PAIRS, letter_note
from asl_live.practice import RoundView
from asl_live.walkthrough import GuideView


def _drill_name(digits: tuple[int, ...]) -> str:
    *first, last = map(str, digits)
    return f"Pairs: {', '.join(first)} and {last}"


DRILLS: dict[str, tuple[int, ...]] = {_drill_name(d): d for d in sorted(tuple(sorted(p)) for p in PAIRS)}
"""Practise modes that drill digits learners confuse (asl_live.handshape.PAIRS), in turn."""
MODES = ("Digits", *DRILLS, "Numbers")


class PracticePanel(QWidget):
    start_clicked = Signal(str, str)  # learner, mode
    stop_clicked = Signal()
    skip_clicked = Signal()
    undo_clicked = Signal()
    progress_clicked = Signal(str)  # learner
    export_clicked = Signal(str)  # learner
    left_handed_changed = Signal(bool)
    guide_next = Signal()
    guide_skip = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.learner = QComboBox()
        self.learner.setEditable(True)
        self.learner.setToolTip("Who is practising: each learner's history is kept apart (type a new name to add one).")
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.mode.setToolTip("Digits: one digit at a time. Pairs: the digits of a pair learners mix up, in turn, "
                             "with the difference spelled out. Numbers: a whole number (a year, a phone number) "
                             "signed digit by digit.")
        self.start_button, self.stop_button = QPushButton("Start"), QPushButton("Stop")
        self.skip_button, self.undo_button = QPushButton("Skip"), QPushButton("Undo (⌫)")
        self.progress_button, self.export_button = QPushButton("Progress…"), QPushButton("Export CSV…")
        no_focus(self.mode, self.start_button, self.stop_button, self.skip_button, self.undo_button,
                 self.progress_button, self.export_button)
        self.start_button.clicked.connect(lambda: self.start_clicked.emit(self.learner_name(), self.mode.currentText()))
        self.stop_button.clicked.connect(self.stop_clicked)
        self.skip_button.clicked.connect(self.skip_clicked)
        self.undo_button.clicked.connect(self.undo_clicked)
        self.progress_button.clicked.connect(lambda: self.progress_clicked.emit(self.learner_name()))
        self.export_button.clicked.connect(lambda: self.export_clicked.emit(self.learner_name()))
        # the first run's guide (asl_live.walkthrough), above everything else until done or skipped
        self.guide = QGroupBox()
        self.guide_text = QLabel()
        self.guide_text.setWordWrap(True)
        self.guide_next_button, self.guide_skip_button = QPushButton("Next"), QPushButton("Skip")
        no_focus(self.guide_next_button, self.guide_skip_button)
        self.guide_next_button.clicked.connect(self.guide_next)
        self.guide_skip_button.clicked.connect(self.guide_skip)
        gl = QGridLayout(self.guide)
        gl.addWidget(self.guide_text, 0, 0, 1, 3)
        gl.addWidget(self.guide_skip_button, 1, 0)
        gl.addWidget(self.guide_next_button, 1, 2)
        gl.setColumnStretch(1, 1)
        self.guide.hide()

        top = QGridLayout()
        top.addWidget(QLabel("Learner"), 0, 0)
        top.addWidget(self.learner, 0, 1)
        top.addWidget(QLabel("Practise"), 0, 2)
        top.addWidget(self.mode, 0, 3)
        for i, b in enumerate((self.start_button, self.skip_button, self.undo_button, self.stop_button)):
            top.addWidget(b, 1, i)

        self.target = QLabel("–")
        font = self.target.font()
        font.setPointSizeF(font.pointSizeF() * 4)
        font.setBold(True)
        self.target.setFont(font)
        self.target.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.target.setTextFormat(Qt.TextFormat.RichText)
        self.instruction = muted("Press Start to be asked for digits.")
        self.instruction.setWordWrap(True)
        # the target's shape and the learner's own hand, side by side, seen from the same view
        self.view = View()
        self.picture, self.mine = HandDrawing(), HandDrawing()
        for drawing in (self.picture, self.mine):
            drawing.turned.connect(self.turn)
        self.turn_left, self.turn_right = QPushButton("◀"), QPushButton("▶")
        self.own_view, self.front_view = QPushButton("Your view"), QPushButton("Front")
        self.left_handed = QCheckBox("Left hand")
        for b in (self.turn_left, self.turn_right):
            b.setMaximumWidth(36)
        self.turn_left.setToolTip("Turn the hands to see them from the side (or drag a drawing).")
        self.turn_right.setToolTip(self.turn_left.toolTip())
        self.own_view.setToolTip("The hands as you see your own: from behind, the back of the hand towards you.")
        self.front_view.setToolTip("The hands as the camera and the person you sign to see them: palm first.")
        self.left_handed.setToolTip("Draw left hands: for learners who sign with their left hand.")
        no_focus(self.turn_left, self.turn_right, self.own_view, self.front_view, self.left_handed)
        self.turn_left.clicked.connect(lambda: self.turn(-30.0, 0.0))
        self.turn_right.clicked.connect(lambda: self.turn(30.0, 0.0))
        self.own_view.clicked.connect(lambda: self.set_view(View(mirrored=self.view.mirrored)))
        self.front_view.clicked.connect(lambda: self.set_view(View(yaw=0.0, mirrored=self.view.mirrored)))
        self.left_handed.toggled.connect(self._left_handed)
        self.hold = QProgressBar()
        self.hold.setRange(0, 100)
        self.hold.setFormat("hold it…")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("QLabel { background: #fff3cd; color: #664d03; border: 1px solid #ffe69c; "
                                "border-radius: 4px; padding: 6px; }")
        self.hint.hide()
        self.coach = coach_label()
        self.status = QLabel()
        self.status.setWordWrap(True)
        prompt = QGroupBox("Sign")
        g = QGridLayout(prompt)
        g.addWidget(self.target, 0, 0)
        g.addWidget(self.instruction, 0, 1)
        g.setColumnStretch(1, 1)
        hands = QGridLayout()
        hands.addWidget(muted("Make this shape"), 0, 0, Qt.AlignmentFlag.AlignHCenter)
        hands.addWidget(muted("Your hand"), 0, 1, Qt.AlignmentFlag.AlignHCenter)
        hands.addWidget(self.picture, 1, 0)
        hands.addWidget(self.mine, 1, 1)
        g.addLayout(hands, 1, 0, 1, 2)
        g.setRowStretch(1, 1)
        turning = QHBoxLayout()
        for w in (self.turn_left, self.turn_right, self.own_view, self.front_view):
            turning.addWidget(w)
        turning.addStretch(1)
        turning.addWidget(self.left_handed)
        g.addLayout(turning, 2, 0, 1, 2)
        g.addWidget(self.hold, 3, 0, 1, 2)
        g.addWidget(self.hint, 4, 0, 1, 2)
        g.addWidget(self.coach, 5, 0, 1, 2)
        g.addWidget(self.status, 6, 0, 1, 2)

        self.summary = make_table()
        self.summary.setMinimumHeight(120)
        self.summary.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress_button)
        bottom.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.guide)
        layout.addLayout(top)
        layout.addWidget(prompt, 1)
        layout.addWidget(self.summary)
        layout.addLayout(bottom)
        self.set_running(None)

    # -- what the controller tells it ---------------------------------------------------------------
    def learner_name(self) -> str:
        return self.learner.currentText().strip() or "me"

    def show_learners(self, names: list[str], current: str) -> None:
        self.learner.blockSignals(True)
        self.learner.clear()
        self.learner.addItems(sorted(set(names) | {current}))
        self.learner.setCurrentText(current)
        self.learner.blockSignals(False)

    def set_running(self, mode: str | None) -> None:
        """None: idle; "Digits" or "Numbers": a round of that kind is on."""
        self.start_button.setEnabled(mode is None)
        self.stop_button.setEnabled(mode is not None)
        self.skip_button.setVisible(mode != "Numbers")
        self.skip_button.setEnabled(mode not in (None, "Numbers"))
        self.undo_button.setVisible(mode == "Numbers")
        self.mode.setEnabled(mode is None)
        self.learner.setEnabled(mode is None)
        if mode is not None:
            self.summary.hide()

    def show_guide(self, view: GuideView | None) -> None:
        """The first run's guide box (None: hidden for good)."""
        if view is None or not view.title:
            self.guide.hide()
            return
        if self.guide.title() != view.title or self.guide_text.text() != view.text:
            self.guide.setTitle(view.title)
            self.guide_text.setText(view.text)
        self.guide_next_button.setText(view.next_label)
        self.guide_next_button.setEnabled(view.can_next)
        self.guide.show()

    # -- the drawings' view ------------------------------------------------------------------------
    def set_view(self, view: View) -> None:
        self.view = view
        self.picture.set_view(view)
        self.mine.set_view(view)

    def turn(self, yaw: float, pitch: float) -> None:
        self.set_view(self.view.turned(yaw, pitch))

    def set_left_handed(self, on: bool) -> None:
        self.left_handed.setChecked(on)
        self._left_handed(on)

    def _left_handed(self, on: bool) -> None:
        self.set_view(View(self.view.yaw, self.view.pitch, on))
        self.left_handed_changed.emit(on)

    def show_idle_hand(self, points: np.ndarray | None) -> None:
        """Between rounds: the learner's hand as it is drawn during one, nothing marked."""
        self.mine.set_hand(points, "Show your hand to the camera.")

    def show_prompt(self, view: RoundView, template: np.ndarray | None, hint_allowed: bool) -> None:
        target = view.target
        self.target.setText("✓" if target is None else str(target))
        self.picture.set_hand(template if target is not None else None,
                              "" if template is not None or target is None else
                              "No hand drawing: this model carries no training examples to average.")
        self.mine.set_hand(view.hand if target is not None else None,
                           "" if target is None else "Show your hand to the camera.", view.wrong)
        note = letter_note(target) if target is not None else None
        self.instruction.setText("Round done." if target is None else f"Sign {target} and hold it."
                                 + (f"\n{note}" if note else ""))
        self.hold.setValue(round(100 * view.hold))
        self.hint.setVisible(bool(view.hint) and hint_allowed)
        self.hint.setText(view.hint or "")
        last = next((r for r in reversed(view.results) if r.closed), None)
        done = sum(r.closed for r in view.results)
        said = "" if last is None else (f"✓ {last.digit} in {last.time_ms / 1000:.1f} s" if last.accepted
                                        else f"{last.digit} skipped")
        self.status.setText(f"{said}{' · ' if said else ''}streak {view.streak} · prompt "
                            f"{min(done + 1, len(view.prompts))} of {len(view.prompts)}")

    def show_coach(self, text: str | None) -> None:
        """The framing coach's line, also here: a learner watching the prompt sees why no hand is found."""
        show_coach(self.coach, text)

    def show_number(self, target: str, entered: list[int]) -> None:
        shown = "".join(f"<span style='color:{'#1f8f4e' if str(d) == t else '#c53030'}'>{d}</span>"
                        for d, t in zip(entered, target))
        shown += "<span style='color:#999'>" + "·" * (len(target) - len(entered)) + "</span>"
        self.target.setText(shown)
        self.picture.set_hand(None, f"Sign {target}, one digit at a time: hold each digit until it appears; "
                                    "to sign the same digit twice, lower your hand in between.")
        self.mine.set_hand(None)
        complete = len(entered) >= len(target)
        right = sum(str(d) == t for d, t in zip(entered, target))
        self.instruction.setText(f"{target}: " + (f"done, {right} of {len(target)} right." if complete
                                                  else f"{len(entered)} of {len(target)} digits signed."))
        self.hint.hide()
        self.hold.setValue(0)

    def show_summary(self, view: RoundView) -> None:
        rows = [[r.digit, "yes" if r.accepted else "no", "" if r.time_ms is None else f"{r.time_ms / 1000:.1f} s",
                 r.seen_most] for r in view.results if r.closed]
        fill_table(self.summary, ["digit", "signed", "time", "seen most"], rows)
        self.summary.show()
        signed = [r for r in view.results if r.accepted]
        mean = sum(r.time_ms for r in signed) / len(signed) / 1000 if signed else 0
        self.status.setText(f"Round done: {len(signed)} of {len(view.prompts)} signed"
                            + (f", {mean:.1f} s on average." if signed else "."))
