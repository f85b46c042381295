"""Per-frame probabilities -> a steady decision to show.

Single frames disagree with each other (motion blur, a finger half way), so the display is
driven by probabilities averaged over the last few frames, and it changes only when another
class clearly wins. "Not a digit" (models with that class) is shown the same way as a digit,
so a hand shape that is no digit is said so as steadily as a digit is named. Pure
Python/NumPy: no Qt, no MediaPipe, cheap enough per frame.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from trainer.classes import NOT_DIGIT, NUM_DIGITS, SHOW_THRESHOLD

State = Literal["none", "unsure", "digit", "not_digit"]
STATES: tuple[State, ...] = ("none", "unsure", "digit", "not_digit")


@dataclass(frozen=True)
class SmoothingSettings:
    """How eagerly the display follows the classifier."""

    window: int = 8  # frames averaged
    threshold: float = SHOW_THRESHOLD  # smoothed probability below which "?" is shown
    hysteresis: float = 0.15  # a different class must beat the shown one's probability by this
    absent_frames: int = 3  # consecutive no-hand frames before the display clears
    # A class already on display stays until its smoothed probability falls this far below
    # `threshold`; without it a probability hovering at the threshold makes "3"/"?" flicker.
    # 0 gives the plain rule "? whenever the top probability is below threshold".
    release_margin: float = 0.05

    def validated(self) -> "SmoothingSettings":
        """The same settings clamped to what the smoother can use (the app's settings keep
        narrower, user-facing ranges: asl_live.settings)."""
        return replace(
            self,
            window=max(1, int(self.window)),
            threshold=float(min(1.0, max(0.0, self.threshold))),
            hysteresis=float(min(1.0, max(0.0, self.hysteresis))),
            absent_frames=max(1, int(self.absent_frames)),
            release_margin=float(min(1.0, max(0.0, self.release_margin))),
        )


@dataclass
class Decision:
    """What the overlay shows for one frame.

    digit is set only when state == "digit"; confidence is the smoothed probability of the
    shown class ("digit", "not_digit"), of the best class ("unsure"), or 0 ("none").
    """

    state: State
    digit: int | None = None
    confidence: float = 0.0
    probs: np.ndarray | None = None  # smoothed probabilities (10, or 11 with "not a digit"), None: no hand

    @property
    def label(self) -> str:
        """Text for the display: the digit, "?", "not a digit" or "" (no hand)."""
        return {"digit": str(self.digit), "unsure": "?", "not_digit": "not a digit"}.get(self.state, "")


class Smoother:
    """Moving average over `window` frames with hysteresis; see SmoothingSettings.

    Short no-hand gaps (fewer than `absent_frames`) keep the previous decision, so a single
    missed detection does not blank the display.
    """

    def __init__(self, settings: SmoothingSettings = SmoothingSettings()) -> None:
        self._settings = settings.validated()
        self._history: deque[np.ndarray] = deque(maxlen=self._settings.window)
        self._shown: int | None = None  # class on display, kept through "?" for hysteresis
        self._absent = 0
        self._last = Decision("none")

    @property
    def settings(self) -> SmoothingSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: SmoothingSettings) -> None:
        """Change settings keeping the recent history (a slider move must not blank the display)."""
        self._settings = settings.validated()
        self._history = deque(self._history, maxlen=self._settings.window)

    def reset(self) -> None:
        self._history.clear()
        self._shown = None
        self._absent = 0
        self._last = Decision("none")

    @property
    def last(self) -> Decision:
        return self._last

    def update(self, probs: np.ndarray | None) -> Decision:
        """Feed one frame's probabilities (None: no hand in this frame); get the decision."""
        s = self._settings
        if probs is None:
            self._absent += 1
            if self._absent >= s.absent_frames or not self._history:
                self._history.clear()
                self._shown = None
                self._last = Decision("none")
            return self._last
        self._absent = 0
        p = np.asarray(probs, dtype=np.float64).reshape(-1)
        if p.shape not in ((NUM_DIGITS,), (NUM_DIGITS + 1,)) or not np.all(np.isfinite(p)):
            raise ValueError(f"expected {NUM_DIGITS} or {NUM_DIGITS + 1} finite probabilities, got shape {p.shape}")
        if self._history and self._history[-1].shape != p.shape:
            self._history.clear()  # another model: its probabilities are not comparable
            self._shown = None
        self._history.append(p)
        mean = np.mean(self._history, axis=0)
        self._last = self._decide(mean)
        return self._last

    def _decide(self, mean: np.ndarray) -> Decision:
        s = self._settings
        top = int(np.argmax(mean))
        shown = self._shown  # remembered class; on display only if the last decision showed it
        showing = shown is not None and self._last.state in ("digit", "not_digit")
        confident = bool(mean[top] >= s.threshold)
        smoothed = mean.astype(np.float32)
        if confident and (shown is None or (top != shown and mean[top] - mean[shown] >= s.hysteresis)):
            shown = top  # first class, or a rival that clearly beats the remembered one
        elif shown is not None and not (top == shown and confident):
            # Stay on the shown class while it is nearly confident, or while a confident
            # rival has not beaten it by the hysteresis margin yet.
            stays = showing and (mean[shown] >= s.threshold - s.release_margin or confident)
            if not stays:
                self._shown = shown  # remembered through "?": a different class must still beat it
                return Decision("unsure", None, float(mean[top]), smoothed)
        elif shown is None:
            return Decision("unsure", None, float(mean[top]), smoothed)
        self._shown = shown
        if shown == NOT_DIGIT:
            return Decision("not_digit", None, float(mean[shown]), smoothed)
        return Decision("digit", shown, float(mean[shown]), smoothed)
