"""What the landmarker is shown: image adjustments for light, tone and side.

MediaPipe's palm detector leans on skin colour and on contrast, and was trained on people's
right and left hands as a camera sees them; these are the adjustments `trainer.hands` makes
before it looks (grey photos in skin tones, dark ones brightened, dim webcam frames denoised,
left hands mirrored), kept apart so each choice and its figures sit in one place.
"""

from __future__ import annotations

import os

import cv2
import numpy as np


def gamma(rgb: np.ndarray, g: float) -> np.ndarray:
    """Gamma-adjust an image: g > 1 darkens, g < 1 brightens."""
    lut = np.clip(255 * (np.arange(256) / 255) ** g, 0, 255).astype(np.uint8)
    return cv2.LUT(rgb, lut)


def is_grey(rgb: np.ndarray) -> bool:
    small = rgb[::4, ::4].astype(np.int16)
    return bool(np.abs(small - small.mean(axis=2, keepdims=True)).mean() < 2.0)


def skin_lut(anchors: list[tuple[float, tuple[int, int, int]]]) -> np.ndarray:
    grey = np.arange(256) / 255
    xs = [a for a, _ in anchors]
    return np.stack([np.interp(grey, xs, [c[i] for _, c in anchors]) for i in range(3)], axis=1).astype(np.uint8)


# Grey level -> a skin-like colour: dark greys become brown, mid greys skin, light greys
# white (so a light wall is not tinted like the hand). Chosen on training images among five
# tables and a flat tint by `python scripts/fit_agreement.py tones`: how often a hand is
# found, and how often its landmarks land far from those on the colour photo (photos framed:
# Kaggle flat tint 93.0% found, 1.1% far off -> 97.8%, 1.3%; 218 signers 97.8%, 16.9% ->
# 100%, 2.2%).
SKIN = skin_lut([(0.0, (30, 15, 10)), (0.2, (110, 65, 45)), (0.45, (215, 150, 115)),
                   (0.7, (240, 200, 175)), (0.85, (245, 235, 228)), (1.0, (255, 255, 255))])


def skin_toned(rgb: np.ndarray) -> np.ndarray:
    """A grey photo in skin colours: MediaPipe's palm detector leans on skin colour and finds
    few hands in grey frames (Kaggle hands in grey: 24% found as they are)."""
    return SKIN[rgb[..., 0]]


def luma(rgb: np.ndarray) -> float:
    return float(cv2.cvtColor(np.ascontiguousarray(rgb[::4, ::4]), cv2.COLOR_RGB2GRAY).mean())


def is_dark(rgb: np.ndarray) -> bool:
    return luma(rgb) < 70


# Webcam frames of a dim room (mean brightness below DIM_LUMA, as a camera gives in a room lit
# by one lamp) are noisy once brightened, and the palm detector misses hands a person sees
# plainly. When the live path finds no hand in such a frame it looks again at a denoised,
# brightened copy with a lower detection threshold. On the bench video dimmed as
# `scripts/synthvideo.py --dim 1|2` makes it (`python scripts/dim_rooms.py`), hands found went
# from 82.4% to 99.8% (mean brightness about 52) and from 74.2% to 89.9% (about 33), with no
# hand found in the empty stretch either way; brightening without denoising gained 2 points.
DIM_LUMA = 90
DIM_RETRY_CONFIDENCE = 0.3


def dim_room_copy(rgb: np.ndarray) -> np.ndarray:
    """What the detector is shown on its second look at a dim frame: median-filtered (the
    sensor noise is what hides the hand), then brightened."""
    return gamma(cv2.medianBlur(np.ascontiguousarray(rgb), 5), 0.5)


def mirrored(rgb: np.ndarray) -> np.ndarray:
    """The frame flipped left to right: a right hand becomes a left one."""
    return np.ascontiguousarray(rgb[:, ::-1])


def mirror_points(pts: np.ndarray, width: int) -> np.ndarray:
    """Points (x first) of a frame `width` px wide, as they lie in the mirrored frame."""
    out = pts.copy()
    out[:, 0] = width - out[:, 0]
    return out


OTHER_HAND = {"Left": "Right", "Right": "Left"}


def read_rgb(path: str | os.PathLike[str]) -> np.ndarray | None:
    """Decode an image file to RGB uint8, or None if it is not a readable image."""
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        return None
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
