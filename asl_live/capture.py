"""Saving the user's own hand crops as training samples.

Files land in `<root>/<digit>/<timestamp>_<n>.png` (and `<root>/not_digit/` for hand shapes
that are no digit), the class-folder layout that `trainer.data.scan` reads, so "capture,
then retrain" needs no conversion step. Each file is written under a temporary name and
renamed, so a crash never leaves a broken PNG that would later be counted as a sample.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from trainer.atomicio import atomic_path
from trainer.classes import DIGITS, NOT_DIGIT, NOT_DIGIT_NAME

if TYPE_CHECKING:
    from asl_live.live import FrameResult
    from asl_live.session import LiveState

LABELS = (*DIGITS, NOT_DIGIT)


def folder_name(label: int) -> str:
    return NOT_DIGIT_NAME if label == NOT_DIGIT else str(label)


class SampleWriter:
    """Writes RGB crops into per-class folders under `root` (created on demand)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._counter = itertools.count()
        self._lock = threading.Lock()  # the GUI may save from more than one thread

    def save(self, label: int, crop: np.ndarray) -> Path:
        """Write one crop of `label` (a digit, or NOT_DIGIT); returns the final path."""
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or int(label) not in LABELS:
            raise ValueError(f"label must be a digit 0-9 or {NOT_DIGIT} (not a digit), got {label!r}")
        crop = np.asarray(crop)
        if crop.dtype != np.uint8 or crop.ndim != 3 or crop.shape[2] != 3 or crop.size == 0:
            raise ValueError(f"crop must be an RGB uint8 image (h, w, 3), got {crop.dtype} {crop.shape}")
        folder = self.root / folder_name(int(label))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        with self._lock:
            while True:
                target = folder / f"{stamp}_{next(self._counter)}.png"
                if not target.exists():
                    break
            with atomic_path(target, suffix=".png") as tmp:
                if not cv2.imwrite(str(tmp), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)):
                    raise OSError(f"could not write {target}")
        return target

    def counts(self) -> dict[int, int]:
        """Saved samples per label (all labels, zeros included)."""
        out = {}
        for label in LABELS:
            folder = self.root / folder_name(label)
            out[label] = sum(1 for p in folder.glob("*.png") if not p.name.startswith(".")) if folder.is_dir() else 0
        return out

    def total(self) -> int:
        return sum(self.counts().values())


class CaptureError(OSError):
    """Samples cannot be saved where the settings say; the message says where and what to do."""


class SampleCapture:
    """A frame observer (asl_live.session): while capture is on, every frame with a hand is
    saved as a sample of the label the user gave.

    A folder that cannot be written fails on every frame: the first failure is raised (the
    window shows it once), the same failure again is only counted (`failed_frames`) until
    capture is switched off or a save works."""

    def __init__(self, writer: SampleWriter) -> None:
        self.writer = writer
        self._lock = threading.Lock()
        self._counts = writer.counts()
        self._failing: str | None = None
        self.failed_frames = 0

    def __call__(self, result: FrameResult, state: LiveState) -> None:
        if not state.capture:
            self._failing = None
            return
        if state.label is None or result.observation is None:
            return
        try:
            self.writer.save(state.label, result.observation.crop)
        except OSError as e:
            self.failed_frames += 1
            reason = e.strerror or str(e)
            if reason == self._failing:
                return
            self._failing = reason
            raise CaptureError(f"Samples cannot be saved in {self.writer.root} ({reason}): choose another capture "
                               "folder or make this one writable; nothing is being saved.") from None
        self._failing = None
        with self._lock:
            self._counts[state.label] = self._counts.get(state.label, 0) + 1

    def counts(self) -> dict[int, int]:
        with self._lock:
            return dict(self._counts)

    def recount(self) -> dict[int, int]:
        """Count the folder again (the user may have added or deleted files since the start)."""
        counts = self.writer.counts()
        with self._lock:
            self._counts = counts
        return dict(counts)
