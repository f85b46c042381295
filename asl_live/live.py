"""One camera frame -> hand landmarks -> crop -> classifier -> smoothed decision, timed per stage.

The GUI runs `process` on a worker thread and swaps the model or the smoothing settings from
the GUI thread, so those swaps are guarded by a lock and take effect on the next frame.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trainer.bundle import Classifier
from trainer.hands import HandCropper, HandObservation, observation_from_landmarks

from .smoothing import Decision, Smoother, SmoothingSettings

STAGES = ("landmarks", "crop", "classify", "smooth", "total")


@dataclass
class FrameResult:
    index: int
    timestamp_ms: int
    observation: HandObservation | None
    probs: np.ndarray | None  # raw classifier output (10), None when no hand
    decision: Decision
    timings: dict[str, float] = field(default_factory=dict)  # ms per stage, keys = STAGES


class LivePipeline:
    """Stateful (MediaPipe tracks the hand across frames; the smoother remembers recent
    frames): feed frames of one stream in order. Close it when done."""

    def __init__(
        self,
        hand_model: str | os.PathLike[str],
        classifier: Classifier,
        smoothing: SmoothingSettings = SmoothingSettings(),
    ) -> None:
        self.hand_model = Path(hand_model)
        self._lock = threading.Lock()  # guards the fields swapped from other threads
        self._run_lock = threading.Lock()  # one frame at a time; close() waits for it
        self._classifier = classifier
        self._smoother = Smoother(smoothing)
        self._pending_smoothing: SmoothingSettings | None = None
        self._reset_smoother = False
        self._cropper: HandCropper | None = HandCropper(self.hand_model, classifier.crop_settings, mode="video")
        self._index = 0
        self._t0 = time.monotonic()

    # -- swaps from other threads ----------------------------------------------------------
    @property
    def classifier(self) -> Classifier:
        with self._lock:
            return self._classifier

    @property
    def smoothing(self) -> SmoothingSettings:
        with self._lock:
            return self._pending_smoothing or self._smoother.settings

    def set_classifier(self, classifier: Classifier) -> None:
        """Use another model from the next frame on; the smoothing history restarts because
        probabilities of two models are not comparable."""
        with self._lock:
            self._classifier = classifier
            self._reset_smoother = True

    def set_smoothing(self, settings: SmoothingSettings) -> None:
        with self._lock:
            self._pending_smoothing = settings

    # -- per frame -------------------------------------------------------------------------
    def process(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> FrameResult:
        """Run the whole chain on one RGB frame. `timestamp_ms` defaults to the monotonic clock;
        pass the file's own times for reproducible results on video files."""
        with self._run_lock:
            if self._cropper is None:
                raise RuntimeError("LivePipeline is closed")
            t_start = time.perf_counter()
            classifier = self._take_updates()
            cropper = self._cropper_for(classifier)
            if timestamp_ms is None:
                timestamp_ms = int((time.monotonic() - self._t0) * 1000)
            timings = dict.fromkeys(STAGES, 0.0)

            t = time.perf_counter()
            found = cropper.landmarks(rgb, timestamp_ms)
            timings["landmarks"] = _ms(t)
            obs: HandObservation | None = None
            probs: np.ndarray | None = None
            if found is not None:
                pts, hand, score = found
                t = time.perf_counter()
                obs = observation_from_landmarks(rgb, pts, hand, score, classifier.crop_settings)
                timings["crop"] = _ms(t)
                t = time.perf_counter()
                probs = classifier.predict(obs)
                timings["classify"] = _ms(t)
            t = time.perf_counter()
            decision = self._smoother.update(probs)
            timings["smooth"] = _ms(t)
            timings["total"] = _ms(t_start)
            result = FrameResult(self._index, int(timestamp_ms), obs, probs, decision, timings)
            self._index += 1
            return result

    def _take_updates(self) -> Classifier:
        with self._lock:
            if self._pending_smoothing is not None:
                self._smoother.settings = self._pending_smoothing
                self._pending_smoothing = None
            if self._reset_smoother:
                self._smoother.reset()
                self._reset_smoother = False
            return self._classifier

    def _cropper_for(self, classifier: Classifier) -> HandCropper:
        """The landmarker only depends on the model's detection confidence; rebuild it (losing
        the tracking state, once) only when a new model asks for another one."""
        assert self._cropper is not None
        want = classifier.crop_settings
        if want.min_detection_confidence != self._cropper.settings.min_detection_confidence:
            self._cropper.close()
            self._cropper = HandCropper(self.hand_model, want, mode="video")
        return self._cropper

    def reset(self) -> None:
        """Forget the smoothing history (e.g. when the source changes)."""
        with self._lock:
            self._reset_smoother = True

    def close(self) -> None:
        with self._run_lock:
            if self._cropper is not None:
                self._cropper.close()
                self._cropper = None

    def __enter__(self) -> "LivePipeline":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0
