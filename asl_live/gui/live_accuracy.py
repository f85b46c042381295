"""Running accuracy for this session, from digits the user says they are showing.

Pure Python (no Qt) so the counting rule is unit-tested on its own: every processed frame on
which the app decided on a digit while a label is active is one trial; frames where it showed
nothing or "?" are counted apart, as undecided, because they are neither right nor wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from asl_live.smoothing import Decision


@dataclass
class LiveAccuracy:
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((10, 10), dtype=int))  # [shown, decided]
    undecided: np.ndarray = field(default_factory=lambda: np.zeros(10, dtype=int))  # per shown digit

    def record(self, label: int, decision: Decision) -> None:
        """Count one frame on which the user showed `label`."""
        if decision.state == "digit" and decision.digit is not None:
            self.confusion[label, decision.digit] += 1
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
        """Share of decided frames that showed the right digit; None before the first one."""
        return self.correct / self.decided if self.decided else None

    def recall(self, digit: int) -> float | None:
        row = int(self.confusion[digit].sum())
        return int(self.confusion[digit, digit]) / row if row else None
