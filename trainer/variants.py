"""Image variants for robustness figures: what a different camera or person does to a photo.

Applied to the decoded RGB image before cropping, so the landmarker sees them too.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from .images import gamma, mirrored


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)


def _low64(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = 64 / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "plain": lambda rgb: rgb,
    "mirror": mirrored,  # a left hand
    "gray": _gray,
    "low64": _low64,  # a 64 px photo: far from the camera or a cheap sensor
    "gray64": lambda rgb: _gray(_low64(rgb)),  # both: a cheap grey sensor
    "dark": lambda rgb: gamma(rgb, 2.2),  # a dim room
    "bright": lambda rgb: gamma(rgb, 0.45),  # a window behind the camera
}

# The default recipe also trains on the landmarker's view of these copies of the training
# images: its landmarks on a mirrored, grey or tiny photo are not those on the original, and
# pixel augmentation alone cannot teach that (measured per variant in the README's table).
# gray64 is a second, independent grey fit of each photo: more of the landmarker's grey
# mistakes, labelled, where grey photos were the weakest variant.
TRAIN_VARIANTS: tuple[str, ...] = ("mirror", "gray", "low64", "gray64")
