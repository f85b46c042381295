"""The framing coach: one short line that tells a learner what to change so the hand is found.

"No hand" alone leaves a learner holding up a hand and guessing. The coach looks at the frame
and at the hand (or the lack of one) and, once a condition has held for a moment, says what to
do: move up when the wrist is below the picture, come closer when the hand is small, turn on a
light when it is too dark, hold still when the hand is blurred, point the fingers up when the
hand is on its side (no digit is signed that way: the classifier answers "not a digit",
trainer.finger_states.PLAIN_TILT, and the learner should know why). It says nothing once the
hand is found and framed well. Pure and Qt-free: the live pipeline feeds it every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trainer.features import hand_tilt
from trainer.finger_states import PLAIN_TILT
from trainer.hands import HandObservation
from trainer.images import luma

WRIST = 0
FINGERTIPS = (4, 8, 12, 16, 20)

NO_HAND = "No hand found: hold your hand up beside your face, palm to the camera, about arm's length away."
TOO_DARK = "Too dark: turn on a light facing you."
COME_CLOSER = "Come closer: your hand is small in the picture."
BLURRED = "Hold your hand still: the picture of it is blurred."
MOVE_UP = "Move your hand up: your wrist is below the picture."
MOVE_DOWN = "Move your hand down: your fingertips are above the picture."
MOVE_IN = "Move your hand toward the middle: it is cut off at the side of the picture."
SIDEWAYS = "Point your fingers up: digits are signed with the hand upright, not on its side."


@dataclass(frozen=True)
class FramingSettings:
    """When the coach speaks. The figures behind each value are in docs/second_look.md."""

    no_hand_s: float = 1.0  # no hand for this long: say why or what to do
    hold_s: float = 0.5  # a condition of a found hand must last this long before it is said
    clear_s: float = 0.3  # ... and be gone this long before the line goes
    # The frame's mean brightness (0-255) below which it is too dark: of the bench video made
    # dim (scripts/synthvideo.py --dim), the dimmer one (mean 33) loses a tenth of its hands,
    # the dim one (52) almost none (scripts/dim_rooms.py; README).
    dark_luma: float = 40.0
    # The hand's landmark box below this share of the frame's height: smaller than the
    # hands (80-120 px of 480) the second look was measured on.
    small_share: float = 0.15
    # Sharpness of the 64 px hand crop (variance of its Laplacian) below which it is blurred:
    # the bench video's crops are all above 260, a 25 px motion smear leaves a median of 140.
    blur_variance: float = 100.0
    edge_px: float = 2.0  # a landmark this close to the edge (or beyond it) is cut off


def brightness(rgb: np.ndarray) -> float:
    """The frame's mean brightness from every 16th pixel each way (a few microseconds: the
    coach runs on every frame)."""
    return luma(rgb[::4, ::4])


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of the grey crop: low for a blurred (or featureless) picture."""
    grey = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def edge_message(landmarks: np.ndarray, width: int, height: int, edge_px: float) -> str | None:
    """Which way to move a hand the frame's edge cuts off, or None if it is all in view."""
    xy = landmarks[:, :2]
    if xy[WRIST, 1] >= height - edge_px:
        return MOVE_UP
    if (xy[list(FINGERTIPS), 1] <= edge_px).any():
        return MOVE_DOWN
    if (xy[:, 0] <= edge_px).any() or (xy[:, 0] >= width - edge_px).any():
        return MOVE_IN
    if (xy[:, 1] >= height - edge_px).any():
        return MOVE_UP
    return None


def frame_problem(rgb: np.ndarray, obs: HandObservation | None, settings: FramingSettings) -> str | None:
    """What is wrong with this one frame's view of the hand (None: nothing, or no hand)."""
    if obs is None:
        return None
    h, w = rgb.shape[:2]
    cut = edge_message(obs.landmarks, w, h, settings.edge_px)
    if cut is not None:
        return cut
    if brightness(rgb) < settings.dark_luma:
        return TOO_DARK
    extent = float((obs.landmarks[:, :2].max(axis=0) - obs.landmarks[:, :2].min(axis=0)).max())
    if extent < settings.small_share * h:
        return COME_CLOSER
    if sharpness(obs.crop) < settings.blur_variance:
        return BLURRED
    if abs(np.degrees(hand_tilt(obs.landmarks, obs.handedness))) > PLAIN_TILT:
        return SIDEWAYS
    return None


class FramingCoach:
    """Feed every frame in order; `update` returns the line to show (or None)."""

    def __init__(self, settings: FramingSettings = FramingSettings()) -> None:
        self.settings = settings
        self.reset()

    def reset(self) -> None:
        self._candidate: str | None = None  # the problem seen now, and since when
        self._since_ms = 0
        self._shown: str | None = None
        self._clear_since_ms: int | None = None
        self._last_hand_ms: int | None = None
        self._last_cut: str | None = None  # the edge the hand was cut by when last seen

    def update(self, rgb: np.ndarray, obs: HandObservation | None, timestamp_ms: int) -> str | None:
        st = self.settings
        if obs is not None:
            problem = frame_problem(rgb, obs, st)
            self._last_hand_ms = timestamp_ms
            self._last_cut = problem if problem in (MOVE_UP, MOVE_DOWN, MOVE_IN) else None
            wait = st.hold_s
            if self._shown == NO_HAND:
                self._shown = None  # the hand is found: that advice is done with at once
        else:
            if self._last_hand_ms is None:
                self._last_hand_ms = timestamp_ms  # the clock starts with the first frame
            if (timestamp_ms - self._last_hand_ms) / 1000 >= st.no_hand_s:
                # A hand that left across an edge is told the way back; a dark room is told
                # to switch on a light; else the general advice.
                problem = self._last_cut or (TOO_DARK if brightness(rgb) < st.dark_luma else NO_HAND)
            else:
                problem = self._shown  # a moment without the hand changes nothing yet
            wait = 0.0
        if problem != self._candidate:
            self._candidate, self._since_ms = problem, timestamp_ms
        if problem is None:
            if self._shown is not None:
                if self._clear_since_ms is None:
                    self._clear_since_ms = timestamp_ms
                if (timestamp_ms - self._clear_since_ms) / 1000 >= st.clear_s:
                    self._shown = None
            return self._shown
        self._clear_since_ms = None
        if problem == self._shown or (timestamp_ms - self._since_ms) / 1000 >= wait:
            self._shown = problem
        return self._shown
