"""Per-frame probabilities -> a steady decision to show.

Single frames disagree with each other (motion blur, a finger half way), so the display is
driven by probabilities averaged over the last few frames, and it changes digit only when
another digit clearly wins. Pure Python/NumPy: no Qt, no MediaPipe, cheap enough per frame.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

NUM_CLASSES = 10
State = Literal["none", "unsure", "digit"]


@dataclass(frozen=True)
class SmoothingSettings:
    """How eagerly the display follows the classifier."""

    window: int = 8  # frames averaged
    threshold: float = 0.6  # smoothed probability below which "?" is shown
    hysteresis: float = 0.15  # a different digit must beat the shown one's probability by this
    absent_frames: int = 3  # consecutive no-hand frames before the display clears
    # A digit already on display stays until its smoothed probability falls this far below
    # `threshold`; without it a probability hovering at the threshold makes "3"/"?" flicker.
    # 0 gives the plain rule "? whenever the top probability is below threshold".
    release_margin: float = 0.05

    def validated(self) -> "SmoothingSettings":
        """The same settings clamped to usable ranges (they come from sliders and JSON)."""
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
    shown digit ("digit"), of the best digit ("unsure"), or 0 ("none").
    """

    state: State
    digit: int | None = None
    confidence: float = 0.0
    probs: np.ndarray | None = None  # smoothed probabilities (10), None when no hand

    @property
    def label(self) -> str:
        """Text for the display: the digit, "?" or "" (no hand)."""
        if self.state == "digit":
            return str(self.digit)
        return "?" if self.state == "unsure" else ""


class Smoother:
    """Moving average over `window` frames with hysteresis; see SmoothingSettings.

    Short no-hand gaps (fewer than `absent_frames`) keep the previous decision, so a single
    missed detection does not blank the display.
    """

    def __init__(self, settings: SmoothingSettings = SmoothingSettings()) -> None:
        self._settings = settings.validated()
        self._history: deque[np.ndarray] = deque(maxlen=self._settings.window)
        self._shown: int | None = None  # digit on display, kept through "?" for hysteresis
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
        if p.shape != (NUM_CLASSES,) or not np.all(np.isfinite(p)):
            raise ValueError(f"expected {NUM_CLASSES} finite probabilities, got shape {p.shape}")
        self._history.append(p)
        mean = np.mean(self._history, axis=0)
        self._last = self._decide(mean)
        return self._last

    def _decide(self, mean: np.ndarray) -> Decision:
        s = self._settings
        top = int(np.argmax(mean))
        shown = self._shown  # remembered digit; on display only if the last decision was "digit"
        showing = shown is not None and self._last.state == "digit"
        confident = bool(mean[top] >= s.threshold)
        if confident and (shown is None or (top != shown and mean[top] - mean[shown] >= s.hysteresis)):
            shown = top  # first digit, or a rival that clearly beats the remembered one
        elif shown is not None and not (top == shown and confident):
            # Stay on the shown digit while it is nearly confident, or while a confident
            # rival has not beaten it by the hysteresis margin yet.
            stays = showing and (mean[shown] >= s.threshold - s.release_margin or confident)
            if not stays:
                self._shown = shown  # remembered through "?": a different digit must still beat it
                return Decision("unsure", None, float(mean[top]), mean.astype(np.float32))
        elif shown is None:
            return Decision("unsure", None, float(mean[top]), mean.astype(np.float32))
        self._shown = shown
        return Decision("digit", shown, float(mean[shown]), mean.astype(np.float32))
