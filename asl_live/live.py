"""One camera frame -> hand landmarks -> crop -> classifier -> smoothed decision, timed per stage.

A pipeline belongs to one stream and one thread (MediaPipe tracks the hand across frames;
the smoother remembers recent frames). The classifier and the smoothing settings come with
every frame, so whoever owns them (asl_live.session) can change them at any time: a new
classifier restarts the smoothing history, new settings keep it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trainer.classifier import Classifier
from trainer.finger_states import read_hand
from trainer.hands import HandCropper, HandObservation, observation_from_landmarks

from .framing import FramingCoach
from .handshape import near_miss
from .smoothing import Decision, Smoother, SmoothingSettings

STAGES = ("landmarks", "crop", "classify", "smooth", "coach", "total")


@dataclass
class FrameResult:
    index: int  # the source's frame index (frames skipped while busy leave gaps)
    timestamp_ms: int
    observation: HandObservation | None
    probs: np.ndarray | None  # raw classifier output (one per class), None when no hand
    decision: Decision
    timings: dict[str, float] = field(default_factory=dict)  # ms per stage, keys = STAGES
    # which look found the hand: "mediapipe", "second_look", "tracked" or "none" (HandCropper.stage)
    stage: str = "none"
    coach: str | None = None  # what the learner should change so the hand is found (asl_live.framing)
    # the digit the model saw that the hand plainly is not (trainer.classifier's shape check,
    # the frame answered "not a digit"), and what would make it that digit (asl_live.handshape)
    turned_away: int | None = None
    near_miss: str | None = None


class LivePipeline:
    """Feed frames of one stream in order, from one thread. Close it when done."""

    def __init__(self, hand_model: str | os.PathLike[str]) -> None:
        self.hand_model = Path(hand_model)
        self._smoother = Smoother()
        self._coach = FramingCoach()
        self._classifier: Classifier | None = None
        self._cropper: HandCropper | None = None
        self._index = 0
        self._t0 = time.monotonic()
        self._closed = False

    def process(self, rgb: np.ndarray, timestamp_ms: int | None, classifier: Classifier,
                smoothing: SmoothingSettings = SmoothingSettings(), index: int | None = None) -> FrameResult:
        """Run the whole chain on one RGB frame. `timestamp_ms` None means the monotonic
        clock; pass the file's own times for reproducible results on video files. `index`
        is the source's frame index (default: frames processed so far)."""
        if self._closed:
            raise RuntimeError("LivePipeline is closed")
        t_start = time.perf_counter()
        if classifier is not self._classifier:
            self._smoother.reset()  # probabilities of two models are not comparable
            self._classifier = classifier
        if smoothing != self._smoother.settings:
            self._smoother.settings = smoothing
        cropper = self._cropper_for(classifier)
        if timestamp_ms is None:
            timestamp_ms = int((time.monotonic() - self._t0) * 1000)
        timings = dict.fromkeys(STAGES, 0.0)

        t = time.perf_counter()
        found = cropper.landmarks(rgb, timestamp_ms)
        timings["landmarks"] = _ms(t)
        obs: HandObservation | None = None
        probs: np.ndarray | None = None
        turned: int | None = None
        if found is not None:
            pts, hand, score = found
            t = time.perf_counter()
            obs = observation_from_landmarks(rgb, pts, hand, score, classifier.crop_settings)
            timings["crop"] = _ms(t)
            t = time.perf_counter()
            probs, turned = classifier.predict_explained(obs)
            timings["classify"] = _ms(t)
        t = time.perf_counter()
        decision = self._smoother.update(probs)
        timings["smooth"] = _ms(t)
        t = time.perf_counter()
        coach = self._coach.update(rgb, obs, int(timestamp_ms))
        timings["coach"] = _ms(t)
        timings["total"] = _ms(t_start)
        near = None if turned is None or obs is None else near_miss(read_hand(obs.landmarks, obs.handedness), turned)
        result = FrameResult(self._index if index is None else index, int(timestamp_ms), obs, probs, decision,
                             timings, cropper.stage, coach, turned, near)
        self._index += 1
        return result

    def _cropper_for(self, classifier: Classifier) -> HandCropper:
        """The landmarker depends on the model only through its crop settings; rebuild it
        (losing the tracking state, once) only when a new model asks for other ones."""
        want = classifier.crop_settings
        if self._cropper is None or want != self._cropper.settings:
            if self._cropper is not None:
                self._cropper.close()
            self._cropper = HandCropper(self.hand_model, want, mode="video")
        return self._cropper

    def reset(self) -> None:
        """Forget the smoothing history (e.g. when the source changes)."""
        self._smoother.reset()
        self._coach.reset()

    def close(self) -> None:
        self._closed = True
        if self._cropper is not None:
            self._cropper.close()
            self._cropper = None

    def __enter__(self) -> "LivePipeline":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0
