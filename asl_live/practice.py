"""Practice: prompt a digit, judge the learner's sign, say what is wrong with the hand.

Qt-free and fed one recognised frame at a time (asl_live.live.FrameResult), in order, with
the frames' own timestamps, so the Practice tab (live, as a session frame observer) and
`asl-live practice` (over a video file) judge alike.

- A prompt is accepted when two judges say the TARGET digit for `hold_ms`: the model (its
  smoothed probability at or above the threshold, and on top; "not a digit" or another digit
  never counts) and the hand's finger states (trainer.finger_states: which fingers are up,
  what the thumb touches, which way the hand points). The model alone confirmed a C as a 0
  and a G or an X as a 1; the finger rules alone read a P as a 1. Where they disagree the
  learner gets the hint that says why.
- A hint says what is wrong with the hand (asl_live.handshape), only while the hand is held
  still and only for digits whose finger rules agree with the labelled photos often enough.
- Numbers: a multi-digit number signed digit by digit; a digit is entered once shown for
  `hold_ms`; the same digit twice needs the hand to change or drop in between.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from trainer.classes import SHOW_THRESHOLD
from trainer.evaluate import shown_as_digit
from trainer.features import normalise_landmarks
from trainer.finger_states import HandReading, matches, read_hand

from .hand3d import upright_3d
from .handshape import hint, hinted_digits, wrong_fingers

if TYPE_CHECKING:
    from .live import FrameResult
    from .session import LiveState


@dataclass(frozen=True)
class JudgeSettings:
    hold_ms: int = 500  # how long the target must stay above the threshold to count
    still_ms: int = 600  # how long the hand must be held still before a hint is shown
    # Mean movement of the 21 upright landmarks between two frames, in wrist-to-knuckle
    # lengths, below which the hand counts as held still (a held sign jitters 0.01-0.03).
    still_motion: float = 0.06
    # The second judge: the finger states must also say the target (for digits whose rules
    # agree with the labelled photos, handshape.hinted_digits), on at least `finger_share` of
    # the frames of the last `finger_window_ms`, so one frame's borderline reading does not
    # restart a hold.
    fingers: bool = True
    finger_window_ms: int = 300
    finger_share: float = 0.6


def shown(result: FrameResult) -> str:
    """What the app showed for a frame, in words: "3", "?", "not a digit" or "no hand"."""
    return result.decision.label or "no hand"


@dataclass
class PromptResult:
    digit: int
    started_ms: int  # timestamp of the first frame of this prompt
    accepted: bool = False
    closed: bool = False  # accepted, or skipped: the next prompt is open
    frame: int | None = None  # index of the frame that accepted it
    accepted_ms: int | None = None
    seen: Counter = field(default_factory=Counter)  # what the app showed while it was open
    # frames where one judge said the target and the other did not: {"model": n, "fingers": n}
    # names the judge that held the prompt back
    held_back: Counter = field(default_factory=Counter)
    hints: list[str] = field(default_factory=list)  # the hints shown while it was open, in order, each once

    @property
    def time_ms(self) -> int | None:
        """From the prompt's first frame to its acceptance."""
        return None if self.accepted_ms is None else self.accepted_ms - self.started_ms

    @property
    def seen_most(self) -> str:
        return self.seen.most_common(1)[0][0] if self.seen else "no hand"

    def to_dict(self) -> dict:
        return {"digit": self.digit, "accepted": self.accepted, "frame": self.frame, "time_ms": self.time_ms,
                "seen": self.seen_most,
                "held_back_by": {"model": self.held_back["model"], "fingers": self.held_back["fingers"]},
                "hints": list(self.hints)}


class Stillness:
    """Is the hand being held still? (A hint about a hand in motion would be about a shape the
    learner is not making.)"""

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings
        self._last: np.ndarray | None = None
        self._since: int | None = None

    def update(self, result: FrameResult) -> bool:
        obs = result.observation
        if obs is None:
            self._last = self._since = None
            return False
        points = normalise_landmarks(obs.landmarks, obs.handedness, upright=True).reshape(-1, 2)
        moving = self._last is None or float(np.linalg.norm(points - self._last, axis=1).mean()) > \
            self.settings.still_motion
        self._last = points
        if moving or self._since is None:
            self._since = result.timestamp_ms
        return result.timestamp_ms - self._since >= self.settings.still_ms


class FingerVote:
    """Do the finger states say the target? A vote over the frames of the last `finger_window_ms`,
    so one frame's borderline reading neither makes nor breaks a hold."""

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings
        self._frames: deque[tuple[int, bool]] = deque()  # (timestamp, the frame's reading matched)

    def reset(self) -> None:
        self._frames.clear()

    def update(self, reading: HandReading | None, now: int, target: int) -> bool:
        """`reading`: this frame's finger states (None: no hand), `now` its timestamp."""
        yes = reading is not None and matches(reading, target)
        self._frames.append((now, yes))
        while now - self._frames[0][0] >= self.settings.finger_window_ms:
            self._frames.popleft()
        return sum(y for _, y in self._frames) >= self.settings.finger_share * len(self._frames)


@dataclass
class RoundView:
    """A snapshot of a round for the window."""

    prompts: list[int]
    index: int  # the open prompt (== len(prompts) when done)
    hold: float  # 0..1: how far the open prompt is towards acceptance
    hint: str | None
    results: list[PromptResult]
    streak: int  # prompts accepted in a row
    hand: np.ndarray | None = None  # the learner's hand of the last frame (hand3d.upright_3d), None: no hand
    wrong: frozenset[str] = frozenset()  # its fingers that differ from the target's shape (handshape.wrong_fingers)

    @property
    def target(self) -> int | None:
        return self.prompts[self.index] if self.index < len(self.prompts) else None

    @property
    def done(self) -> bool:
        return self.index >= len(self.prompts)


class PracticeRound:
    """Prompts in order; each stays open until accepted (or skipped), then the next opens."""

    def __init__(self, prompts: list[int], settings: JudgeSettings = JudgeSettings(),
                 hints: set[int] | None = None) -> None:
        if not prompts or any(d not in range(10) for d in prompts):
            raise ValueError(f"prompts must be digits 0-9, got {prompts!r}")
        self.prompts = list(prompts)
        self.settings = settings
        self.hints = hinted_digits() if hints is None else hints
        self.results: list[PromptResult] = []
        self.streak = 0
        self._above_since: int | None = None
        self._hold = 0.0
        self._hint: str | None = None
        self._still = Stillness(settings)
        self._fingers = FingerVote(settings)
        self._hand: np.ndarray | None = None
        self._wrong: frozenset[str] = frozenset()

    @property
    def index(self) -> int:
        return sum(r.closed for r in self.results)

    @property
    def done(self) -> bool:
        return self.index >= len(self.prompts)

    def update(self, result: FrameResult, threshold: float = SHOW_THRESHOLD) -> PromptResult | None:
        """Judge one frame; returns the prompt it accepted, if it did."""
        if self.done:
            return None
        target = self.prompts[self.index]
        if len(self.results) == self.index:
            self.results.append(PromptResult(target, result.timestamp_ms))
        current = self.results[self.index]
        current.seen[shown(result)] += 1
        probs = result.decision.probs
        top = None if probs is None else int(np.argmax(probs))
        # the digit the model says (on top, at or above the threshold), None for "not a digit" or "?"
        model_digit = (top if top is not None and result.decision.state != "not_digit"
                       and shown_as_digit(top, probs[top], threshold) else None)
        model_says = model_digit == target
        obs = result.observation
        # read once a frame, for the vote and the hint
        reading = read_hand(obs.landmarks, obs.handedness) if obs is not None and target in self.hints else None
        self._hand = None if obs is None else upright_3d(obs.landmarks, obs.handedness)
        self._wrong = frozenset() if reading is None else frozenset(wrong_fingers(reading, target))
        fingers_say = (self._fingers.update(reading, result.timestamp_ms, target) if self.judged_by_fingers(target)
                       else model_says)
        if model_says != fingers_say:
            current.held_back["fingers" if model_says else "model"] += 1
        on_target = model_says and fingers_say
        if not on_target:
            self._above_since = None
        elif self._above_since is None:
            self._above_since = result.timestamp_ms
        held = 0 if self._above_since is None else result.timestamp_ms - self._above_since
        self._hold = min(1.0, held / self.settings.hold_ms) if self.settings.hold_ms else float(on_target)
        still = self._still.update(result)
        self._hint = self._hint_for(reading, model_digit) if still and not on_target else None
        if self._hint is not None and self._hint not in current.hints:
            current.hints.append(self._hint)
        if on_target and held >= self.settings.hold_ms:
            current.accepted = current.closed = True
            current.frame, current.accepted_ms = result.index, result.timestamp_ms
            self.streak += 1
            self._above_since, self._hold, self._hint = None, 0.0, None
            self._fingers.reset()
            return current
        return None

    def judged_by_fingers(self, target: int) -> bool:
        """Whether the finger states are a judge for this digit: its rules agree with the
        labelled photos often enough (the same digits that get hints)."""
        return self.settings.fingers and target in self.hints

    def _hint_for(self, reading: HandReading | None, model_digit: int | None) -> str | None:
        """What to say about the hand for the open prompt (handshape.hint: the pair it was
        confused with, else the first thing wrong); None without a reading (no hand, or a
        digit whose rules get no hints)."""
        return None if reading is None else hint(reading, self.prompts[self.index], model_digit)

    def skip(self, now_ms: int) -> None:
        """Give up on the open prompt (counted as not accepted) and open the next."""
        if self.done:
            return
        if len(self.results) == self.index:
            self.results.append(PromptResult(self.prompts[self.index], now_ms))
        self.results[self.index].closed = True
        self.streak = 0
        self._above_since, self._hold, self._hint = None, 0.0, None
        self._fingers.reset()

    def view(self) -> RoundView:
        results = [replace(r, seen=Counter(r.seen), held_back=Counter(r.held_back), hints=list(r.hints))
                   for r in self.results]
        return RoundView(list(self.prompts), self.index, self._hold, self._hint, results, self.streak, self._hand,
                         self._wrong)


class NumberEntry:
    """A number signed digit by digit. A digit is entered once the app has shown it for
    `hold_ms`; entering the same digit again needs the display to change (another digit, "?",
    "not a digit" or no hand) in between, so one long hold is one digit."""

    def __init__(self, target: str, hold_ms: int = JudgeSettings.hold_ms) -> None:
        if not target or not target.isdigit():
            raise ValueError(f"a number is digits only, got {target!r}")
        self.target = target
        self.hold_ms = hold_ms
        self.entered: list[int] = []
        self.entered_ms: list[int] = []  # when each digit was entered
        self.started_ms: int | None = None  # the first frame judged
        self._candidate: tuple[int | None, int] = (None, 0)  # (digit shown, since when)
        self._armed = True

    @property
    def complete(self) -> bool:
        return len(self.entered) >= len(self.target)

    @property
    def correct(self) -> list[bool]:
        return [str(d) == t for d, t in zip(self.entered, self.target)]

    def update(self, result: FrameResult) -> int | None:
        """Judge one frame; returns the digit it entered, if it did."""
        d = result.decision
        digit = d.digit if d.state == "digit" else None
        if self.started_ms is None:
            self.started_ms = result.timestamp_ms
        if digit != self._candidate[0]:
            self._candidate = (digit, result.timestamp_ms)
            self._armed = True  # the display changed: the next hold counts, even of the same digit
        if self.complete or digit is None or not self._armed:
            return None
        if result.timestamp_ms - self._candidate[1] >= self.hold_ms:
            self.entered.append(digit)
            self.entered_ms.append(result.timestamp_ms)
            self._armed = False
            return digit
        return None

    def undo(self) -> None:
        """Take back the last digit entered."""
        if self.entered:
            self.entered.pop()
            self.entered_ms.pop()

    def times_ms(self) -> list[int]:
        """How long each entered digit took: from the previous entry (or the start)."""
        marks = [self.started_ms or 0, *self.entered_ms]
        return [b - a for a, b in zip(marks, marks[1:])]


class PracticeObserver:
    """The Practice tab's judge as a session frame observer: the round (or number) runs on the
    frame worker's thread, the window reads snapshots."""

    def __init__(self, settings: JudgeSettings = JudgeSettings()) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._round: PracticeRound | None = None
        self._number: NumberEntry | None = None
        self._last_ms = 0

    def __call__(self, result: FrameResult, state: LiveState) -> None:
        with self._lock:
            self._last_ms = result.timestamp_ms
            if self._round is not None:
                self._round.update(result, state.smoothing.threshold)
            if self._number is not None:
                self._number.update(result)

    def start_round(self, prompts: list[int]) -> None:
        with self._lock:
            self._round, self._number = PracticeRound(prompts, self.settings), None

    def start_number(self, target: str) -> None:
        with self._lock:
            self._round, self._number = None, NumberEntry(target, self.settings.hold_ms)

    def stop(self) -> None:
        with self._lock:
            self._round = self._number = None

    def skip(self) -> None:
        with self._lock:
            if self._round is not None:
                self._round.skip(self._last_ms)

    def undo(self) -> None:
        with self._lock:
            if self._number is not None:
                self._number.undo()

    def round_view(self) -> RoundView | None:
        with self._lock:
            return None if self._round is None else self._round.view()

    def number_view(self) -> NumberEntry | None:
        """A copy of the number being entered."""
        with self._lock:
            return None if self._number is None else copy.deepcopy(self._number)



def make_number(rng: np.random.Generator) -> str:
    """A number worth signing: a year, a phone number or a short count."""
    kind = int(rng.integers(3))
    if kind == 0:
        return str(int(rng.integers(1950, 2031)))
    if kind == 1:
        return "".join(str(d) for d in rng.integers(0, 10, 7))
    return str(int(rng.integers(10, 1000)))
