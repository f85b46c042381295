"""Capture and recognition off the GUI thread, for the window's whole life.

The worker reads the live session's state once per frame: a new source is opened, a new
classifier or smoothing setting applies from the next frame. Frames never queue up: a reader
thread keeps only the newest frame (LatestSlot), the worker processes whatever is newest
when it is free, and a finished result waits in a one-place mailbox that the GUI empties; a
new result replaces an unread one. So a slow model or a busy GUI costs frames, never memory
or delay.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage

from asl_live.capture import CaptureError
from asl_live.live import FrameResult, LivePipeline
from asl_live.session import LiveSession, LiveState
from asl_live.source import FrameSource, SourceError

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

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item (emptying the slot), waiting up to `timeout` s; None if none came."""
        with self._cond:
            if self._item is None and timeout:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item


def to_qimage(rgb: np.ndarray) -> QImage:
    """An owned QImage copy of an RGB uint8 array (safe to hand to another thread)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


@dataclass
class LiveUpdate:
    """One processed frame as the GUI needs it; built entirely on the worker thread."""

    image: QImage  # frame with box, landmarks and decision drawn
    result: FrameResult | None  # None while a model is missing: the plain video
    fps: float
    latency_ms: float  # frame read -> overlay drawn
    dropped: int  # frames skipped so far because recognition was busy


class _Stream:
    """An open source and the thread that keeps its newest frame in a slot."""

    def __init__(self, source: FrameSource, worker: "LiveWorker") -> None:
        self.source = source
        self.frames: LatestSlot = LatestSlot()
        self.stop = threading.Event()
        self.ended_reported = False
        self._worker = worker
        self.thread = threading.Thread(target=self._read, name="frame-reader", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.source.close()  # also wakes a reader waiting out a camera's retry backoff
        self.thread.join(timeout=5)

    def _read(self) -> None:
        """Keep the newest frame in the slot; report status changes. A file is paced to its
        own frame rate, as if it were a camera, skipping frames when recognition falls behind."""
        source, status = self.source, None
        start: tuple[float, int] | None = None  # (monotonic, timestamp_ms) of the first frame
        while not self.stop.is_set():
            frame = source.read()
            if source.status != status:
                status = source.status
                self._worker.source_status.emit(status or "")
            if frame is None:
                if source.finished:
                    return
                continue
            if not source.is_camera:
                start = start or (time.monotonic(), frame.timestamp_ms)
                due = start[0] + (frame.timestamp_ms - start[1]) / 1000.0
                late = time.monotonic() - due
                if late > 1.0 / source.fps:  # behind the clock: skip, as a camera would
                    self.frames.count_drop()
                    continue
                if self.stop.wait(max(0.0, -late)):
                    return
            self.frames.put((frame, time.monotonic()))


class LiveWorker(QThread):
    """Owns the open source and the LivePipeline; talks to the GUI through the session (in)
    and signals plus `take_update()` (out)."""

    updated = Signal()  # a LiveUpdate waits in the mailbox
    source_opened = Signal(str)  # the source's description
    source_failed = Signal(str)  # could not open the source; waiting for another one
    source_status = Signal(str)  # FrameSource.status changed ("" = all well)
    source_ended = Signal()  # a file played once reached its end
    problem = Signal(str)  # something broke (e.g. saving a sample); the video goes on

    def __init__(self, session: LiveSession, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("live-worker")
        self.session = session
        self._stop = threading.Event()
        self._mailbox: LatestSlot[LiveUpdate] = LatestSlot()

    def take_update(self) -> LiveUpdate | None:
        return self._mailbox.take()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        stream: _Stream | None = None
        pipeline: LivePipeline | None = None
        opened: tuple | None = None  # (source, loop, serial) of the stream, or of the failed attempt
        fps, last_t = 0.0, None
        try:
            while not self._stop.is_set():
                state = self.session.state
                want = (state.source, state.loop, state.source_serial)
                if want != opened:
                    if stream is not None:
                        stream.close()
                    stream, opened, fps, last_t = self._open(state), want, 0.0, None
                    if pipeline is not None:
                        pipeline.close()  # a new stream: MediaPipe's tracking starts afresh
                        pipeline = None
                if stream is None:
                    self._stop.wait(0.05)
                    continue
                item = stream.frames.take(timeout=0.1)
                if item is None:
                    if not stream.thread.is_alive() and not stream.ended_reported:
                        stream.ended_reported = True
                        self.source_ended.emit()
                    continue
                frame, t_read = item
                if pipeline is not None and pipeline.hand_model != state.hand_model:
                    pipeline.close()
                    pipeline = None
                if pipeline is None and state.ready:
                    pipeline = LivePipeline(state.hand_model)
                result = (pipeline.process(frame.rgb, frame.timestamp_ms, state.classifier, state.smoothing, frame.index)
                          if pipeline is not None and state.ready else None)
                if result is not None:
                    for error in self.session.frame_processed(result, state):
                        self.problem.emit(str(error) if isinstance(error, CaptureError)
                                          else f"{type(error).__name__}: {error}")
                drawn = _draw(frame.rgb, result, state)
                now = time.monotonic()
                if last_t is not None:
                    inst = 1.0 / max(1e-6, now - last_t)
                    fps = inst if fps == 0 else 0.9 * fps + 0.1 * inst
                last_t = now
                update = LiveUpdate(to_qimage(drawn), result, fps, (now - t_read) * 1000.0, stream.frames.dropped)
                if self._mailbox.put(update):
                    self.updated.emit()
        except Exception as e:  # keep the window alive; say what broke
            self.problem.emit(f"Live processing stopped: {type(e).__name__}: {e}")
        finally:
            if stream is not None:
                stream.close()
            if pipeline is not None:
                pipeline.close()

    def _open(self, state: LiveState) -> _Stream | None:
        if state.source is None:
            return None
        source = FrameSource(state.source, loop=state.loop)
        try:
            source.open()
        except SourceError as e:
            self.source_failed.emit(str(e))
            return None
        self.source_opened.emit(source.description)
        return _Stream(source, self)


def _draw(rgb: np.ndarray, result: FrameResult | None, state: LiveState) -> np.ndarray:
    if result is None:
        return rgb
    from asl_live.drawing import draw_overlay

    return draw_overlay(rgb, result, landmarks=state.show_landmarks)
