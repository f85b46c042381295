"""Finding the hand model and loading classifier bundles, on task threads, into the session.

Nothing here waits on the GUI thread: a download or a model load runs as a Task and the
session is updated when it succeeded; until then the current model stays in use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject

from asl_live.gui.tasks import TaskRunner
from asl_live.retrain import load_classifier
from asl_live.session import LiveSession

Say = Callable[..., None]  # say(topic, text, kind="info", echo=False); empty text clears the topic


class ModelLoader(QObject):
    def __init__(self, session: LiveSession, tasks: TaskRunner, say: Say, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.tasks, self.say = session, tasks, say

    def resolve_hand_model(self, explicit: Path | None) -> None:
        """Find (or download once, with progress shown) the MediaPipe hand model."""
        from trainer.handmodel import resolve_hand_model

        def job(task) -> Path:
            return resolve_hand_model(explicit, progress=lambda done, total: task.progress("hand model", done, total))

        def progressed(_stage: str, done: int, total: int, _msg: str) -> None:
            size = f"{done / 1e6:.1f}" + (f" of {total / 1e6:.1f} MB" if total > 0 else " MB")
            self.say("hand", f"Downloading the hand model (once): {size}")

        def found(path: Path) -> None:
            self.say("hand", "")
            self.session.update(hand_model=path)

        self.tasks.start("hand-model", job, succeeded=found, progressed=progressed,
                         failed=lambda msg: self.say("hand", f"No hand detection: {msg}", "error", echo=True))

    def load(self, path: Path, loaded: Callable[[object], None] | None = None) -> None:
        """Load a bundle; the session switches to it once it works (`loaded(classifier)` then)."""
        self.say("model", f"Loading model {path}…")

        def done(classifier) -> None:
            self.say("model", "")
            self.session.update(classifier=classifier)
            if loaded is not None:
                loaded(classifier)

        self.tasks.start(f"load-model:{path}", lambda _t: load_classifier(path), succeeded=done,
                         failed=lambda msg: self.say(
                             "model", f"No usable model: {msg} Choose one with Model → Open model folder, or retrain.",
                             "error", echo=True))
