"""The live session: the one owner of what the live chain uses, free of Qt.

The state (source, classifier, hand model, smoothing, what the user says they show, capture)
is one frozen `LiveState`. Whoever changes it calls `update`; subscribers hear of every
change (the window, the panels, the settings); the frame worker reads `state` once per frame,
so a change applies from the next frame on and there is nothing to lock or forward.

Frame observers (`add_frame_observer`) see every processed frame, in order, on the worker's
thread: live accuracy, sample capture and the practice judge are such observers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from trainer.classifier import Classifier

from .live import FrameResult
from .smoothing import SmoothingSettings

Source = int | Path  # a camera index or a video file


@dataclass(frozen=True)
class LiveState:
    source: Source | None = None
    loop: bool = True  # play a video file again from the start when it ends
    source_serial: int = 0  # bumped to open the same source again (replay a file, retry a camera)
    classifier: Classifier | None = None
    hand_model: Path | None = None
    smoothing: SmoothingSettings = field(default_factory=SmoothingSettings)
    label: int | None = None  # what the user says they show: a digit, trainer.classes.NOT_DIGIT, or None
    capture: bool = False  # save the crops of `label` as training samples
    show_landmarks: bool = True

    @property
    def ready(self) -> bool:
        """Both models are there: frames can be recognised (else the video plays as it is)."""
        return self.classifier is not None and self.hand_model is not None


StateListener = Callable[[LiveState, LiveState], None]  # (old, new)
FrameObserver = Callable[[FrameResult, LiveState], None]


class LiveSession:
    """Thread-safe holder of the current LiveState, with change listeners and frame observers."""

    def __init__(self, state: LiveState = LiveState()) -> None:
        self._state = state
        self._lock = threading.Lock()
        self._listeners: list[StateListener] = []
        self._observers: list[FrameObserver] = []

    @property
    def state(self) -> LiveState:
        return self._state  # one reference read: a consistent snapshot without a lock

    def update(self, **changes: Any) -> LiveState:
        """Replace some fields; listeners are told (old, new) when anything changed."""
        with self._lock:
            old = self._state
            new = replace(old, **changes)
            if new == old:
                return old
            self._state = new
            listeners = list(self._listeners)
        for listener in listeners:
            listener(old, new)
        return new

    def open_source(self, source: Source, loop: bool = True) -> LiveState:
        """Switch to `source`, or open it again from the start if it is the current one."""
        return self.update(source=source, loop=loop, source_serial=self._state.source_serial + 1)

    def subscribe(self, listener: StateListener) -> Callable[[], None]:
        """Call `listener(old, new)` after every change; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._remove(self._listeners, listener)

    def add_frame_observer(self, observer: FrameObserver) -> Callable[[], None]:
        """Call `observer(result, state)` for every processed frame (on the frame worker's
        thread, so keep it quick); returns the function that removes it."""
        with self._lock:
            self._observers.append(observer)
        return lambda: self._remove(self._observers, observer)

    def frame_processed(self, result: FrameResult, state: LiveState) -> list[Exception]:
        """The frame worker reports a frame; every observer runs even if one fails, and the
        failures are returned for the worker to report."""
        with self._lock:
            observers = list(self._observers)
        errors = []
        for observer in observers:
            try:
                observer(result, state)
            except Exception as e:  # one broken observer must not stop recognition
                errors.append(e)
        return errors

    def _remove(self, items: list, item: Any) -> None:
        with self._lock:
            if item in items:
                items.remove(item)
