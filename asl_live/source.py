"""Frames from a webcam or a video file, as RGB, with timestamps MediaPipe can use.

Cameras get unplugged and drivers hiccup: a camera that stops delivering is re-opened with
exponential backoff while `.status` says so, instead of ending the app. Video files stand in
for a webcam (tests, demos, machines without one); their timestamps come from the frame
index, so a file gives the same results on every run and on every machine.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import cv2
import numpy as np

from trainer.quiet import native_stderr_silenced

from .streams import STREAMS_UNSUPPORTED, is_stream

DEFAULT_FPS = 30.0
BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 5.0


@dataclass
class Frame:
    rgb: np.ndarray  # (h, w, 3) uint8
    timestamp_ms: int  # strictly increasing within one FrameSource
    index: int  # frames delivered so far (keeps counting across file loops)


class SourceError(RuntimeError):
    """A source that cannot be opened; the message says what exists and how to choose."""


@contextmanager
def _quiet_opencv() -> Iterator[None]:
    """OpenCV logs a warning for every camera index it cannot open; probing expects that."""
    log = cv2.utils.logging
    old = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        log.setLogLevel(old)


def list_cameras(max_index: int = 4) -> list[int]:
    """Indices 0..max_index-1 of cameras that open and deliver a frame."""
    found = []
    with _quiet_opencv():
        for i in range(max_index):
            cap = cv2.VideoCapture(i)
            try:
                if cap.isOpened() and cap.read()[0]:
                    found.append(i)
            finally:
                cap.release()
    return found


def camera_help(max_index: int = 4) -> str:
    """The sentence every camera error ends with: what exists and how to pick."""
    cams = list_cameras(max_index)
    found = (f"cameras found: {', '.join(map(str, cams))}" if cams
             else f"no cameras found (checked indices 0-{max_index - 1})")
    return f"{found.capitalize()}. Use --camera N to choose a camera, or --source FILE to play a video file."


def parse_spec(spec: int | str | os.PathLike[str]) -> int | Path:
    """Camera index (an int, or a string of digits) or a file path."""
    if isinstance(spec, bool):
        raise TypeError("source spec must be a camera index or a path")
    if isinstance(spec, int):
        return spec
    if isinstance(spec, str) and spec.strip().isdigit():
        return int(spec.strip())
    return Path(spec)


CaptureFactory = Callable[[int | str], Any]  # returns something shaped like cv2.VideoCapture


class FrameSource:
    """Camera index or video file -> `Frame`s via cv2.VideoCapture.

    read() returns None when there is no frame *now*: at the end of a file played with
    loop=False (then `.finished` is True), after close(), or while a camera is failing (then
    `.status` says so and the next read() waits out the backoff and re-opens the camera).
    """

    def __init__(
        self,
        spec: int | str | os.PathLike[str],
        loop: bool = True,
        *,
        capture_factory: CaptureFactory | None = None,
        max_camera_index: int = 4,
    ) -> None:
        self.spec = parse_spec(spec)
        self.loop = loop
        self.status = ""  # human-readable problem, "" when frames flow
        self.finished = False
        self.fps = DEFAULT_FPS
        self.frame_count = 0  # frames in the file (0 for cameras / unknown)
        self._factory: CaptureFactory = capture_factory or cv2.VideoCapture
        self._max_camera_index = max_camera_index
        self._cap: Any = None
        self._pending: np.ndarray | None = None  # first frame, read by open() to validate
        self._index = 0
        self._t0 = 0.0
        self._last_ts = -1
        self._backoff = BACKOFF_START_S
        self._retry_at: float | None = None
        self._closed = threading.Event()
        self._cap_lock = threading.RLock()  # close() may come from another thread mid-read

    @property
    def is_camera(self) -> bool:
        return isinstance(self.spec, int)

    @property
    def description(self) -> str:
        return f"camera {self.spec}" if self.is_camera else str(self.spec)

    # -- lifecycle -------------------------------------------------------------------------
    def open(self) -> "FrameSource":
        """Open and read one frame to prove the source works; raises SourceError otherwise."""
        self._closed.clear()
        self.finished = False
        if self.is_camera:
            if not self._open_capture() or (frame := self._grab()) is None:
                self._release()
                raise SourceError(f"Could not open camera {self.spec}. {camera_help(self._max_camera_index)}")
        else:
            path = Path(self.spec)
            if is_stream(str(self.spec)):
                raise SourceError(f"{self.spec}: {STREAMS_UNSUPPORTED}.")
            if not path.is_file():
                raise SourceError(f"Video file not found: {path}. Check the path (or choose a camera instead).")
            with native_stderr_silenced():  # FFmpeg's own complaints about a broken file
                opened = self._open_capture() and (frame := self._grab()) is not None
            if not opened:
                self._release()
                raise SourceError(f"{path} is not a readable video (corrupt or unsupported format): "
                                  "try another file.")
            fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0)
            self.fps = fps if 1 <= fps <= 1000 else DEFAULT_FPS
            self.frame_count = max(0, int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        self._pending = frame
        self._t0 = time.monotonic()
        self.status = ""
        return self

    def close(self) -> None:
        """Release the device; safe from another thread (wakes a read() waiting to retry)."""
        self._closed.set()
        self.finished = True
        self._release()

    def __enter__(self) -> "FrameSource":
        return self.open() if self._cap is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        """Frames until the source finishes (a looping file never does)."""
        while not self.finished:
            frame = self.read()
            if frame is not None:
                yield frame

    # -- reading ---------------------------------------------------------------------------
    def read(self) -> Frame | None:
        if self._closed.is_set() or self.finished:
            return None
        if self._pending is not None:
            bgr, self._pending = self._pending, None
        elif self.is_camera:
            bgr = self._read_camera()
        else:
            bgr = self._read_file()
        if bgr is None:
            return None
        return self._frame(bgr)

    def _frame(self, bgr: np.ndarray) -> Frame:
        if self.is_camera:
            ts = int((time.monotonic() - self._t0) * 1000)
        else:
            ts = int(round(self._index * 1000.0 / self.fps))
        ts = max(ts, self._last_ts + 1)
        self._last_ts = ts
        frame = Frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), ts, self._index)
        self._index += 1
        return frame

    def _read_file(self) -> np.ndarray | None:
        bgr = self._grab()
        if bgr is not None:
            return bgr
        if not self.loop:
            self.finished = True
            return None
        # Seek back to the start; some backends cannot seek, so re-open if that fails.
        if self._rewind():
            bgr = self._grab()
        if bgr is None and self._open_capture():
            bgr = self._grab()
        if bgr is None:
            self.finished = True
            self.status = f"{self.spec} could not be read again from the start."
        return bgr

    def _read_camera(self) -> np.ndarray | None:
        if self._retry_at is not None:
            wait = self._retry_at - time.monotonic()
            if wait > 0 and self._wait(wait):
                return None
            self._retry_at = None
            if not self._open_capture():
                return self._schedule_retry()
        bgr = self._grab()
        if bgr is None:
            return self._schedule_retry()
        self._backoff = BACKOFF_START_S
        self.status = ""
        return bgr

    def _wait(self, seconds: float) -> bool:
        """Sleep out a backoff; True if close() interrupted it."""
        return self._closed.wait(seconds)

    def _schedule_retry(self) -> None:  # returns None so callers can `return self._schedule_retry()`
        """Camera gave nothing: release it and retry after 0.5 s, 1 s, 2 s ... at most 5 s."""
        self._release()
        delay = self._backoff
        self._backoff = min(BACKOFF_MAX_S, self._backoff * 2)
        self._retry_at = time.monotonic() + delay
        self.status = f"Camera stopped delivering frames; retrying in {delay:g}s"
        return None

    # -- cv2 plumbing ----------------------------------------------------------------------
    def _open_capture(self) -> bool:
        with self._cap_lock:
            self._release()
            if self._closed.is_set():
                return False
            target = self.spec if self.is_camera else str(self.spec)
            with _quiet_opencv():
                cap = self._factory(target)
            if cap is None or not cap.isOpened():
                if cap is not None:
                    cap.release()
                return False
            self._cap = cap
            return True

    def _rewind(self) -> bool:
        with self._cap_lock:
            return self._cap is not None and bool(self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0))

    def _grab(self) -> np.ndarray | None:
        with self._cap_lock:
            if self._cap is None:
                return None
            try:
                ok, bgr = self._cap.read()
            except cv2.error:
                return None
        if not ok or bgr is None or bgr.size == 0:
            return None
        if bgr.ndim == 2:
            bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
        return bgr

    def _release(self) -> None:
        with self._cap_lock:
            cap, self._cap = self._cap, None
            if cap is not None:
                cap.release()
