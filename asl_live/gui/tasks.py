"""One-off background jobs (loading a model, retraining, downloading) on their own threads.

A job is a plain function `fn(task)`; `task.progress` and `task.should_stop` follow the
trainer's Progress/should_stop protocol, so the same core code serves the CLI and the GUI.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal


class Task(QThread):
    """Runs `fn(task)` on its own thread and reports through signals.

    Progress is throttled to ~10 signals/s (plus every message and the last step) so a fast
    loop cannot flood the GUI's event queue.
    """

    progressed = Signal(str, int, int, str)  # stage, done, total (-1 = unknown), message
    logged = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)

    def __init__(self, fn: Callable[["Task"], Any], name: str = "task", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._fn = fn
        self._stop = threading.Event()
        self._last_emit = 0.0

    def cancel(self) -> None:
        self._stop.set()

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def log(self, text: str) -> None:
        self.logged.emit(text)

    def progress(self, stage: str, done: int, total: int | None, message: str = "") -> None:
        now = time.monotonic()
        last = total is not None and done >= total
        if message or last or now - self._last_emit >= 0.1:
            self._last_emit = now
            self.progressed.emit(stage, int(done), -1 if total is None else int(total), message)

    def run(self) -> None:
        from trainer.progress import Cancelled

        try:
            result = self._fn(self)
        except Cancelled as e:
            self.cancelled.emit(str(e) or "cancelled")
        except Exception as e:  # reported to the user, who keeps working with what they had
            self.failed.emit(str(e) or type(e).__name__)
        else:
            self.succeeded.emit(result)


class TaskRunner(QObject):
    """The window's running tasks by name: one of each at a time, all stopped on close.

    A task leaves the by-name registry as soon as it ends (before its succeeded, failed or
    cancelled slot runs), so what that slot enables can start the next task of that name at
    once; its thread is still waited for on close until it has really finished.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: dict[str, Task] = {}
        self._threads: set[Task] = set()

    def start(self, name: str, fn: Callable[[Task], Any], *, succeeded: Callable | None = None,
              failed: Callable | None = None, cancelled: Callable | None = None,
              progressed: Callable | None = None, logged: Callable | None = None) -> Task:
        """Run `fn` as task `name`, its signals connected to the given slots first."""
        task = Task(fn, name, self)

        def ended(*_: object) -> None:
            if self._tasks.get(name) is task:
                del self._tasks[name]

        for signal in (task.succeeded, task.failed, task.cancelled):
            signal.connect(ended)  # connected first, so it runs before the caller's slot
        for signal, slot in ((task.succeeded, succeeded), (task.failed, failed), (task.cancelled, cancelled),
                             (task.progressed, progressed), (task.logged, logged)):
            if slot is not None:
                signal.connect(slot)
        self._tasks[name] = task
        self._threads.add(task)

        def finished() -> None:
            ended()
            self._threads.discard(task)
            task.deleteLater()

        task.finished.connect(finished)
        task.start()
        return task

    def get(self, name: str) -> Task | None:
        return self._tasks.get(name)

    def stop_all(self, timeout_ms: int = 60_000) -> None:
        """Cancel every task and wait for each (training stops at its next batch)."""
        tasks = list(self._threads)
        for task in tasks:
            task.cancel()
        for task in tasks:
            task.wait(timeout_ms)
