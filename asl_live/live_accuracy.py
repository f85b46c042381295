"""Running accuracy for this session, from digits the user says they are showing.

Pure Python (no Qt) so the counting rule is unit-tested on its own: every processed frame on
which the app decided while a label is active is one trial; frames where it showed nothing
or "?" are counted apart, as undecided, because they are neither right nor wrong. "Not a
digit" is a class like the digits: shown for a digit it is an error, and the user can say they
show a hand that is no digit (row 10) to check that the app says so.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from trainer.classes import NOT_DIGIT, NUM_DIGITS

if TYPE_CHECKING:
    from asl_live.live import FrameResult
    from asl_live.session import LiveState
    from asl_live.smoothing import Decision

SIZE = NUM_DIGITS + 1  # the digits and "not a digit"


@dataclass
class LiveAccuracy:
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((SIZE, SIZE), dtype=int))  # [shown, decided]
    undecided: np.ndarray = field(default_factory=lambda: np.zeros(SIZE, dtype=int))  # per shown class

    def record(self, label: int, decision: Decision) -> None:
        """Count one frame on which the user showed `label` (a digit or NOT_DIGIT)."""
        if decision.state == "digit" and decision.digit is not None:
            self.confusion[label, decision.digit] += 1
        elif decision.state == "not_digit":
            self.confusion[label, NOT_DIGIT] += 1
        else:
            self.undecided[label] += 1

    def reset(self) -> None:
        self.confusion[:] = 0
        self.undecided[:] = 0

    def copy(self) -> LiveAccuracy:
        return LiveAccuracy(self.confusion.copy(), self.undecided.copy())

    @property
    def decided(self) -> int:
        return int(self.confusion.sum())

    @property
    def correct(self) -> int:
        return int(np.trace(self.confusion))

    @property
    def accuracy(self) -> float | None:
        """Share of decided frames that showed the right class; None before the first one."""
        return self.correct / self.decided if self.decided else None

    def recall(self, label: int) -> float | None:
        row = int(self.confusion[label].sum())
        return int(self.confusion[label, label]) / row if row else None


class AccuracyRecorder:
    """A frame observer (asl_live.session) that scores decisions against the user's label."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accuracy = LiveAccuracy()

    def __call__(self, result: FrameResult, state: LiveState) -> None:
        if state.label is not None:
            with self._lock:
                self._accuracy.record(state.label, result.decision)

    def snapshot(self) -> LiveAccuracy:
        with self._lock:
            return self._accuracy.copy()

    def reset(self) -> None:
        with self._lock:
            self._accuracy.reset()
