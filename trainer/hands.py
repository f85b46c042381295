"""RGB image -> hand crop, with MediaPipe's HandLandmarker (Tasks API).

This is the one cropping path: the trainer builds its data with it and the live app crops
webcam frames with it, so what the model sees in training is what it sees live.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

# Landmark indices used for geometry (MediaPipe hand topology).
WRIST, MIDDLE_MCP = 0, 9
NUM_LANDMARKS = 21


@dataclass(frozen=True)
class CropSettings:
    """How a crop is cut from the frame. Part of the crop-cache key and of the model bundle."""

    size: int = 64  # side of the square crop fed to the model, pixels
    margin: float = 0.25  # extra border around the landmark box, as a fraction of its side
    # Hands that fill the frame (100 px photos of a hand on a wall) are found far more often
    # once padded with a replicated border and upscaled; tried only when the plain image fails.
    retry_pads: tuple[float, ...] = (0.3, 0.6)
    retry_side: int = 256
    # Then, for grey or dark photos only: skin tint and/or brightening before the padded retries.
    enhance: bool = True
    min_detection_confidence: float = 0.5

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "CropSettings":
        d = dict(d)
        d["retry_pads"] = tuple(d.get("retry_pads", ()))
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class HandObservation:
    """What the landmarker saw of one hand: everything downstream consumes this.

    landmarks: (21, 3) float32, x and y in pixels of the source frame, z in MediaPipe's units
    scaled like x. box: (x0, y0, side) of the square crop in frame pixels.
    """

    crop: np.ndarray  # (size, size, 3) uint8 RGB
    landmarks: np.ndarray
    box: tuple[float, float, float]
    handedness: Literal["Left", "Right"]
    score: float


def square_box(landmarks_xy: np.ndarray, margin: float) -> tuple[float, float, float]:
    """Square around the landmarks, grown by `margin` on each side."""
    lo, hi = landmarks_xy.min(axis=0), landmarks_xy.max(axis=0)
    centre = (lo + hi) / 2
    side = float(max(hi - lo)) * (1 + 2 * margin)
    side = max(side, 8.0)
    return float(centre[0] - side / 2), float(centre[1] - side / 2), side


def crop_box(rgb: np.ndarray, box: tuple[float, float, float], size: int) -> np.ndarray:
    """Cut and resize the square `box` in one warp; outside the frame the border is replicated."""
    x0, y0, side = box
    s = size / side
    m = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], dtype=np.float32)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(rgb, m, (size, size), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def _pad_and_scale(rgb: np.ndarray, pad: float, side: int) -> tuple[np.ndarray, float, int, int]:
    """Replicate-pad by `pad` of the larger side, then resize so the larger side is `side`.

    Returns the new image and (scale, pad_x, pad_y) to map points back to the source.
    """
    h, w = rgb.shape[:2]
    p = int(round(pad * max(h, w)))
    padded = cv2.copyMakeBorder(rgb, p, p, p, p, cv2.BORDER_REPLICATE)
    scale = side / max(padded.shape[:2])
    resized = cv2.resize(padded, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    return resized, scale, p, p


def _gamma(rgb: np.ndarray, g: float) -> np.ndarray:
    lut = np.clip(255 * (np.arange(256) / 255) ** g, 0, 255).astype(np.uint8)
    return cv2.LUT(rgb, lut)


def is_grey(rgb: np.ndarray) -> bool:
    small = rgb[::4, ::4].astype(np.int16)
    return bool(np.abs(small - small.mean(axis=2, keepdims=True)).mean() < 2.0)


def enhanced_versions(rgb: np.ndarray) -> list[np.ndarray]:
    """Versions of a hard photo that the palm detector finds hands in more often.

    The detector leans on skin colour: a grey photo tinted towards skin and brightened is found
    about four times as often (Kaggle hands in grey: 25% -> 95%); a dark one, once brightened.
    """
    out = []
    if is_grey(rgb):
        tinted = np.clip(_gamma(rgb, 0.6).astype(np.float32) * (1.0, 0.78, 0.62), 0, 255).astype(np.uint8)
        out.append(tinted)
    elif cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).mean() < 70:
        out.append(_gamma(rgb, 0.5))
    return out


class HandCropper:
    """Finds the most confident hand in RGB frames and crops it.

    mode="image" treats every call independently (training data, with padding retries);
    mode="video" uses MediaPipe's tracking between consecutive frames (the live app).
    Close it explicitly (or use `with`): MediaPipe complains if left to the GC at exit.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        settings: CropSettings = CropSettings(),
        mode: Literal["image", "video"] = "image",
    ) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        self.settings = settings
        self.mode = mode
        self.model_path = Path(model_path)
        running = vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
        opts = vision.HandLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=running,
            num_hands=1,
            min_hand_detection_confidence=settings.min_detection_confidence,
        )
        self._landmarker = vision.HandLandmarker.create_from_options(opts)
        self._last_ts = -1

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> "HandCropper":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- detection -------------------------------------------------------------------------
    def _detect(self, rgb: np.ndarray, timestamp_ms: int | None = None):
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self.mode == "video":
            ts = int(timestamp_ms) if timestamp_ms is not None else self._last_ts + 33
            ts = max(ts, self._last_ts + 1)  # MediaPipe needs strictly increasing stamps
            self._last_ts = ts
            result = self._landmarker.detect_for_video(image, ts)
        else:
            result = self._landmarker.detect(image)
        if not result.hand_landmarks:
            return None
        lm = result.hand_landmarks[0]
        h, w = rgb.shape[:2]
        pts = np.array([[p.x * w, p.y * h, p.z * w] for p in lm], dtype=np.float32)
        cat = result.handedness[0][0]
        return pts, cat.category_name, float(cat.score)

    def landmarks(self, rgb: np.ndarray, timestamp_ms: int | None = None):
        """(landmarks in source pixels, handedness, score) or None when no hand is found."""
        found = self._detect(rgb, timestamp_ms)
        if found is not None or self.mode == "video":
            return found
        candidates = [rgb, *(enhanced_versions(rgb) if self.settings.enhance else [])]
        for i, image in enumerate(candidates):
            if i > 0 and (found := self._detect(image)) is not None:
                return found
            for pad in self.settings.retry_pads:
                big, scale, px, py = _pad_and_scale(image, pad, self.settings.retry_side)
                found = self._detect(big)
                if found is not None:
                    pts, hand, score = found
                    pts = pts / scale
                    pts[:, 0] -= px
                    pts[:, 1] -= py
                    return pts, hand, score
        return None

    def observe(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> HandObservation | None:
        """The hand observation for one RGB frame, or None for "no hand"."""
        found = self.landmarks(rgb, timestamp_ms)
        if found is None:
            return None
        pts, hand, score = found
        return observation_from_landmarks(rgb, pts, hand, score, self.settings)


def observation_from_landmarks(
    rgb: np.ndarray, pts: np.ndarray, handedness: str, score: float, settings: CropSettings
) -> HandObservation:
    box = square_box(pts[:, :2], settings.margin)
    crop = crop_box(rgb, box, settings.size)
    return HandObservation(crop=crop, landmarks=pts, box=box, handedness=handedness, score=score)  # type: ignore[arg-type]


def read_rgb(path: str | os.PathLike[str]) -> np.ndarray | None:
    """Decode an image file to RGB uint8, or None if it is not a readable image."""
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        return None
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
