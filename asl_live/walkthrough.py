"""The first run: how to stand, a check that the camera finds the hand, then 0, 1 and 2 signed
once, before a learner's first round. Skippable; never shown again once done or skipped.

Qt-free: the Practice tab feeds it whether each frame shows a hand and its Next / Skip
clicks, and shows `view()`; the signs step is an ordinary practice round the tab runs.
"""

from __future__ import annotations

from dataclasses import dataclass

STEPS = ("stand", "find", "signs")
FIRST_SIGNS = (0, 1, 2)
FOUND_MS = 600  # a hand found this long in a row counts as found (not one lucky frame)


@dataclass(frozen=True)
class GuideView:
    title: str
    text: str
    can_next: bool
    next_label: str


class Walkthrough:
    def __init__(self) -> None:
        self.step = STEPS[0]
        self.found = False
        self._since: int | None = None

    @property
    def done(self) -> bool:
        return self.step == "done"

    def see(self, hand: bool, now_ms: int) -> None:
        """One frame: whether a hand was found in it, and when."""
        if self.step != "find" or self.found:
            return
        if not hand:
            self._since = None
            return
        self._since = now_ms if self._since is None else self._since
        self.found = now_ms - self._since >= FOUND_MS

    def next(self) -> str:
        """Go on, where the step allows it; returns the step now open."""
        if self.step == "stand":
            self.step = "find"
        elif self.step == "find" and self.found:
            self.step = "signs"
        return self.step

    def round_finished(self) -> None:
        if self.step == "signs":
            self.step = "done"

    def skip(self) -> None:
        self.step = "done"

    def view(self, coach: str | None = None) -> GuideView:
        """What the guide box says now; `coach` is the framing coach's line, if any."""
        n = f"Getting started: step {STEPS.index(self.step) + 1} of {len(STEPS)}" if not self.done else ""
        if self.step == "stand":
            return GuideView(n, "Sit or stand about an arm's length from the camera, with a light in front of you "
                                "(not behind you), and hold your hand up beside your face, fingers up, palm towards "
                                "the camera.", True, "Next")
        if self.step == "find":
            if self.found:
                return GuideView(n, "Found your hand. ✓ Keep it about there while you sign.", True, "Next")
            return GuideView(n, "Looking for your hand… " + (coach or "Hold it up beside your face, in the picture."),
                             False, "Next")
        if self.step == "signs":
            return GuideView(n, "Now sign 0, 1 and 2, one at a time, as the drawings show: hold each still until "
                                "it counts.", False, "Next")
        return GuideView("", "", False, "")
