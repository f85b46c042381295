"""Real room backgrounds from photos of hands: the hand (and the forearm below it) painted
out, then square patches cut at about a hand crop's size.

The Kaggle digits are hands on black and the 218 signers' are hands on a light wall, while
the photos of hands that are no digit were taken in people's homes. A crop CNN trained on
them could learn "a room behind the hand means not a digit", which a webcam user in their own
room would see as their digits called "not a digit". Training puts these patches behind the
black-background digits (`trainer.train`, TrainSettings.room_backgrounds), and
`scripts/digits_in_rooms.py` pastes held-out digits into held-out rooms to measure it.
"""

from __future__ import annotations

import cv2
import numpy as np

from .hands import MIDDLE_MCP, WRIST

WORK_SIDE = 256  # photos are painted at about this size (inpainting cost grows with area)


def hand_mask(shape: tuple[int, int], landmarks: np.ndarray, grow: float = 0.5, arm: float = 8.0) -> np.ndarray:
    """uint8 mask (1 = hand) of the image `shape` (h, w): the landmarks' convex hull grown by
    `grow` of the hand's size (landmarks are joint centres, fingers are wider), plus the
    forearm: a band from the wrist away from the knuckles, `arm` wrist-to-knuckle lengths long."""
    h, w = shape
    pts = np.asarray(landmarks, dtype=np.float32)[:, :2]
    size = float(max(np.ptp(pts[:, 0]), np.ptp(pts[:, 1]), 1.0))
    mask = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(pts.astype(np.int32)), 1)
    wrist, knuckle = pts[WRIST], pts[MIDDLE_MCP]
    elbow = wrist + arm * (wrist - knuckle)
    cv2.line(mask, tuple(int(v) for v in wrist), tuple(int(v) for v in elbow), 1, max(1, int(0.7 * size)))
    k = max(3, int(grow * size) | 1)
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))


def remove_hand(rgb: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the photo with the hand painted out, the mask that was painted), both at the photo's
    size. Painted at about WORK_SIDE px and scaled back, so the filled region is smooth: a
    patch should come mostly from outside it (`room_patches` checks)."""
    h, w = rgb.shape[:2]
    mask = hand_mask((h, w), landmarks)
    s = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    small_mask = cv2.resize(mask, small.shape[1::-1], interpolation=cv2.INTER_NEAREST)
    painted = cv2.inpaint(small, small_mask, 5, cv2.INPAINT_TELEA)
    painted = cv2.resize(painted, (w, h), interpolation=cv2.INTER_LINEAR)
    out = np.where(mask[..., None] > 0, painted, rgb)
    return out, mask


def room_patches(rgb: np.ndarray, landmarks: np.ndarray, box_side: float, count: int, size: int,
                 rng: np.random.Generator, max_painted: float = 0.5, tries: int = 40) -> list[np.ndarray]:
    """Up to `count` square patches (size x size RGB) of the photo with its hand removed, each
    0.7-1.3 times `box_side` (the hand crop's side in the photo) and at most `max_painted` of
    it painted over."""
    room, mask = remove_hand(rgb, landmarks)
    h, w = rgb.shape[:2]
    out = []
    for _ in range(tries):
        if len(out) >= count:
            break
        side = int(min(h, w, box_side * rng.uniform(0.7, 1.3)))
        if side < 8:
            break
        x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        if mask[y:y + side, x:x + side].mean() > max_painted:
            continue
        out.append(cv2.resize(room[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_AREA))
    return out


def background_bank(items, size: int, per_photo: int = 4, seed: int = 0) -> np.ndarray:
    """(n, size, size, 3) uint8 room patches from `items`: (rgb photo, HandObservation) pairs."""
    rng = np.random.default_rng(seed)
    patches: list[np.ndarray] = []
    for rgb, obs in items:
        patches += room_patches(rgb, obs.landmarks, obs.box[2], per_photo, size, rng)
    return np.stack(patches) if patches else np.zeros((0, size, size, 3), np.uint8)


def crop_hand_mask(obs, size: int) -> np.ndarray:
    """(size, size, 1) uint8 mask (1 = hand, forearm included) of an observation's crop, made
    from its landmarks: where a new background may go behind any hand, not only a black one."""
    x0, y0, side = obs.box
    pts = (np.asarray(obs.landmarks, dtype=np.float32)[:, :2] - (x0, y0)) * (size / side)
    return hand_mask((size, size), pts, grow=0.22)[..., None]
