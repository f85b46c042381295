"""Everything slow runs here, off the GUI thread: capture + inference (LiveWorker) and one-off
jobs such as loading a model, retraining or downloading (Task).

Frames never queue up. A reader thread keeps only the newest frame (LatestSlot), the worker
processes whatever is newest when it is free, and a finished result waits in a one-place
mailbox that the GUI empties; a new result replaces an unread one. So a slow model or a busy
GUI costs frames, never memory or delay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage

from asl_live.gui.live_accuracy import LiveAccuracy

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """One-place buffer where put() overwrites: the consumer always gets the newest item."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self.dropped = 0

    def put(self, item: T) -> bool:
        """Store `item`; True when the slot was empty (the consumer needs a nudge)."""
        with self._cond:
            was_empty = self._item is None
            self.dropped += 0 if was_empty else 1
            self._item = item
            self._cond.notify_all()
            return was_empty

    def count_drop(self) -> None:
        """An item the producer skipped itself (it came too late to be worth handing over)."""
        with self._cond:
            self.dropped += 1

    def put_when_empty(self, item: T, stop: threading.Event) -> None:
        """Store `item` once the consumer took the previous one (every-frame mode)."""
        with self._cond:
            while self._item is not None and not stop.is_set():
                self._cond.wait(0.05)
            self._item = item
            self._cond.notify_all()

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item (emptying the slot), waiting up to `timeout` s; None if none came."""
        with self._cond:
            if self._item is None and timeout:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            self._cond.notify_all()
            return item


def to_qimage(rgb: np.ndarray) -> QImage:
    """An owned QImage copy of an RGB uint8 array (safe to hand to another thread)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


# -- one-off background jobs ---------------------------------------------------------------------

class Task(QThread):
    """Runs `fn(task)` on its own thread and reports through signals.

    `fn` gets the task itself: `task.progress` and `task.should_stop` follow the trainer's
    Progress/should_stop protocol (so the same core code serves the CLI and the GUI), and
    `task.log` sends a line of text. Progress is throttled to ~10 signals/s (plus every
    message and the last step) so a fast loop cannot flood the GUI's event queue.
    """

    progressed = Signal(str, int, int, str)  # stage, done, total (-1 = unknown), message
    logged = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)

    def __init__(self, fn: Callable[[Task], Any], name: str = "task", parent=None) -> None:
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


# -- live capture and inference --------------------------------------------------------------------

@dataclass
class LiveUpdate:
    """One processed frame as the GUI needs it; built entirely on the worker thread."""

    image: QImage  # frame with box, landmarks and decision drawn
    result: Any  # asl_live.live.FrameResult, or None while no model is loaded
    fps: float
    latency_ms: float  # frame read -> overlay drawn
    dropped: int  # frames skipped so far because inference was busy
    accuracy: LiveAccuracy  # snapshot for this session
    sample_counts: dict[int, int] = field(default_factory=dict)


@dataclass
class LiveConfig:
    source: int | str | Path
    loop: bool
    smoothing: Any  # asl_live.smoothing.SmoothingSettings
    samples_dir: Path
    realtime: bool = True  # files play at their own frame rate, dropping frames inference misses;
    # False processes every frame of a file in order (reproducible checks and tests)
    show_landmarks: bool = True


class LiveWorker(QThread):
    """Owns the FrameSource and the LivePipeline; the GUI only talks to it through the
    thread-safe setters below and reads results from `take_update()`."""

    updated = Signal()  # a LiveUpdate waits in the mailbox
    # Every FrameResult, in order, on the worker thread: for observers that must see each
    # frame rather than the latest (tests, logging). Connect with Qt.DirectConnection.
    processed = Signal(object)
    source_failed = Signal(str)  # could not open the source; the worker has stopped
    source_status = Signal(str)  # FrameSource.status changed ("" = all well)
    source_ended = Signal()  # a file without --loop reached its end
    problem = Signal(str)  # something broke on the worker (e.g. saving a sample); video goes on

    def __init__(self, config: LiveConfig, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("live-worker")
        self.config = config
        self._stop = threading.Event()
        self._frames: LatestSlot = LatestSlot()
        self._mailbox: LatestSlot[LiveUpdate] = LatestSlot()
        self._lock = threading.Lock()
        self._classifier = None
        self._hand_model: Path | None = None
        self._smoothing = config.smoothing
        self._pipeline = None
        self._label: int | None = None
        self._capture = False
        self._accuracy = LiveAccuracy()
        self._counts: dict[int, int] = {}

    # -- thread-safe controls (GUI thread) -------------------------------------------------
    # Both models arrive from the GUI once loaded (or downloaded); until both are there the
    # worker shows the plain video.
    def set_hand_model(self, path: Path) -> None:
        with self._lock:
            self._hand_model = path

    def set_classifier(self, classifier) -> None:
        with self._lock:
            self._classifier = classifier
            if self._pipeline is not None:
                self._pipeline.set_classifier(classifier)

    def set_smoothing(self, settings) -> None:
        with self._lock:
            self._smoothing = settings
            if self._pipeline is not None:
                self._pipeline.set_smoothing(settings)

    def set_label(self, digit: int | None, capture: bool) -> None:
        """The digit the user says they show (None: not saying), and whether to save crops."""
        with self._lock:
            self._label, self._capture = digit, capture and digit is not None

    def set_show_landmarks(self, show: bool) -> None:
        self.config.show_landmarks = show

    def reset_accuracy(self) -> None:
        with self._lock:
            self._accuracy.reset()

    def take_update(self) -> LiveUpdate | None:
        return self._mailbox.take()

    def stop(self) -> None:
        self._stop.set()

    # -- worker thread ---------------------------------------------------------------------
    def run(self) -> None:
        from asl_live.capture import SampleWriter
        from asl_live.source import FrameSource, SourceError

        source = FrameSource(self.config.source, loop=self.config.loop)
        try:
            source.open()
        except SourceError as e:
            self.source_failed.emit(str(e))
            return
        writer = SampleWriter(self.config.samples_dir)
        self._counts = dict(writer.counts())
        reader = threading.Thread(target=self._read_frames, args=(source,), name="frame-reader", daemon=True)
        reader.start()
        fps, last_t = 0.0, None
        try:
            while not self._stop.is_set():
                item = self._frames.take(timeout=0.1)
                if item is None:
                    if not reader.is_alive():
                        if not self._stop.is_set():
                            self.source_ended.emit()
                        break
                    continue
                frame, t_read = item
                pipeline = self._pipeline_for()
                result = pipeline.process(frame.rgb, frame.timestamp_ms) if pipeline is not None else None
                drawn = self._draw(frame.rgb, result, self.config.show_landmarks)
                self._record(result, writer)
                if result is not None:
                    self.processed.emit(result)
                now = time.monotonic()
                if last_t is not None:
                    inst = 1.0 / max(1e-6, now - last_t)
                    fps = inst if fps == 0 else 0.9 * fps + 0.1 * inst
                last_t = now
                with self._lock:
                    accuracy, counts = self._accuracy.copy(), dict(self._counts)
                update = LiveUpdate(to_qimage(drawn), result, fps, (now - t_read) * 1000.0,
                                    self._frames.dropped, accuracy, counts)
                if self._mailbox.put(update):
                    self.updated.emit()
        except Exception as e:  # keep the window alive; say what broke
            self.problem.emit(f"Live processing stopped: {type(e).__name__}: {e}")
        finally:
            self._stop.set()
            source.close()  # also wakes a reader waiting out a camera's retry backoff
            reader.join(timeout=5)
            with self._lock:
                pipeline, self._pipeline = self._pipeline, None
            if pipeline is not None:
                pipeline.close()

    def _pipeline_for(self):
        """The pipeline, built on this thread once both models are there."""
        if self._pipeline is not None:
            return self._pipeline
        with self._lock:
            classifier, hand_model, smoothing = self._classifier, self._hand_model, self._smoothing
        if classifier is None or hand_model is None:
            return None
        from asl_live.live import LivePipeline

        pipeline = LivePipeline(hand_model, classifier, smoothing)
        with self._lock:
            self._pipeline = pipeline
            # A swap that raced with the build must still win.
            if self._classifier is not classifier:
                pipeline.set_classifier(self._classifier)
            if self._smoothing is not smoothing:
                pipeline.set_smoothing(self._smoothing)
        return pipeline

    @staticmethod
    def _draw(rgb: np.ndarray, result, landmarks: bool) -> np.ndarray:
        if result is None:
            return rgb
        from asl_live.drawing import draw_overlay

        return draw_overlay(rgb, result, landmarks=landmarks)

    def _record(self, result, writer) -> None:
        """Live accuracy and sample capture for the digit the user says they show."""
        if result is None:
            return
        with self._lock:
            label, capture = self._label, self._capture
            if label is not None:
                self._accuracy.record(label, result.decision)
        if capture and label is not None and result.observation is not None:
            try:
                writer.save(label, result.observation.crop)
            except OSError as e:  # disk full, folder removed: say so, keep recognising
                self.problem.emit(f"Could not save a sample: {e}")
                return
            with self._lock:
                self._counts[label] = self._counts.get(label, 0) + 1

    def _read_frames(self, source) -> None:
        """Reader thread: keep the newest frame in the slot; report status changes. A file
        is paced to its own frame rate, as if it were a camera (unless every frame is wanted)."""
        status = None
        start: tuple[float, int] | None = None  # (monotonic, timestamp_ms) of the first frame
        while not self._stop.is_set():
            frame = source.read()
            if source.status != status:
                status = source.status
                self.source_status.emit(status or "")
            if frame is None:
                if source.finished:
                    return
                continue
            if not self.config.realtime:
                self._frames.put_when_empty((frame, time.monotonic()), self._stop)
                continue
            if not source.is_camera:
                start = start or (time.monotonic(), frame.timestamp_ms)
                due = start[0] + (frame.timestamp_ms - start[1]) / 1000.0
                late = time.monotonic() - due
                if late > 1.0 / source.fps:  # behind the clock: skip, as a camera would
                    self._frames.count_drop()
                    continue
                if self._stop.wait(max(0.0, -late)):
                    return
            self._frames.put((frame, time.monotonic()))
