"""Progress and cancellation, shared by the CLI (text on stderr) and the GUI (Qt signals).

Long work takes a `Progress` callback and a `should_stop` predicate rather than knowing who
is watching; that keeps the core free of Qt and the CLI free of threads.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, Protocol


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int | None, message: str = "") -> None: ...


ShouldStop = Callable[[], bool]


def no_progress(stage: str, done: int, total: int | None, message: str = "") -> None:
    pass


def never_stop() -> bool:
    return False


class Cancelled(Exception):
    """Raised inside long work when `should_stop()` said so; callers keep what they had."""


class TextProgress:
    """One updating line per stage on stderr; a newline when the stage ends or changes."""

    def __init__(self, stream=None, min_interval: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self._stage = None
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int | None, message: str = "") -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if stage == self._stage and not finished and not message and now - self._last < self.min_interval:
            return
        if stage != self._stage and self._stage is not None:
            self.stream.write("\n")
        self._stage, self._last = stage, now
        count = f"{done}/{total}" if total else f"{done}"
        pct = f" {100 * done / total:3.0f}%" if total else ""
        self.stream.write(f"\r{stage}: {count}{pct} {message}".rstrip() + "\x1b[K" * self.stream.isatty())
        if finished or message:
            self.stream.write("\n")
            self._stage = None
        self.stream.flush()
