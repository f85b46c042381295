"""Saving the user's own hand crops as training samples.

Files land in `<root>/<digit>/<timestamp>_<n>.png`, the plain class-folder layout that
`trainer.data.scan` reads, so "capture, then retrain" needs no conversion step. Each file is
written under a temporary name and renamed, so a crash never leaves a broken PNG that would
later be counted as a sample.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from trainer.atomicio import atomic_path
from trainer.data import DIGITS


class SampleWriter:
    """Writes RGB crops into per-digit folders under `root` (created on demand)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._counter = itertools.count()
        self._lock = threading.Lock()  # the GUI may save from more than one thread

    def save(self, digit: int, crop: np.ndarray) -> Path:
        """Write one crop; returns the final path."""
        if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= int(digit) <= 9:
            raise ValueError(f"digit must be 0-9, got {digit!r}")
        crop = np.asarray(crop)
        if crop.dtype != np.uint8 or crop.ndim != 3 or crop.shape[2] != 3 or crop.size == 0:
            raise ValueError(f"crop must be an RGB uint8 image (h, w, 3), got {crop.dtype} {crop.shape}")
        folder = self.root / str(int(digit))
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
        """Saved samples per digit (all ten digits, zeros included)."""
        out = {}
        for d in DIGITS:
            folder = self.root / d
            out[int(d)] = sum(1 for p in folder.glob("*.png") if not p.name.startswith(".")) if folder.is_dir() else 0
        return out

    def total(self) -> int:
        return sum(self.counts().values())
