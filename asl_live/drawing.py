"""The overlay on the live frame: hand box, landmarks, and the decision in big type.

Drawn with OpenCV on the frame itself (one copy, a handful of primitives) so it costs well
under a millisecond and looks the same in the GUI, in the benchmark and in saved frames.
"""

from __future__ import annotations

import cv2
import numpy as np

from .live import FrameResult

# MediaPipe hand topology: thumb, index, middle, ring, pinky, and the palm.
HAND_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 4),
    (0, 5), (5, 6), (6, 7), (7, 8),
    (9, 10), (10, 11), (11, 12),
    (13, 14), (14, 15), (15, 16),
    (0, 17), (17, 18), (18, 19), (19, 20),
    (5, 9), (9, 13), (13, 17),
)

# RGB colours: green for a digit, amber for "?", red for "not a digit" (a hand shape that is
# no digit must never look like a confirmation).
DIGIT_COLOUR = (40, 220, 90)
UNSURE_COLOUR = (255, 190, 40)
NOT_DIGIT_COLOUR = (240, 60, 70)
STATE_COLOURS = {"digit": DIGIT_COLOUR, "unsure": UNSURE_COLOUR, "not_digit": NOT_DIGIT_COLOUR, "none": UNSURE_COLOUR}
BONE_COLOUR = (255, 255, 255)
JOINT_COLOUR = (230, 40, 60)
FONT = cv2.FONT_HERSHEY_DUPLEX


def draw_overlay(rgb: np.ndarray, result: FrameResult, landmarks: bool = True) -> np.ndarray:
    """A copy of `rgb` with the overlay for `result`; the input frame is left untouched."""
    out = rgb.copy()
    h, w = out.shape[:2]
    unit = max(1, round(min(h, w) / 240))  # line width that reads the same at any resolution
    decision = result.decision
    colour = STATE_COLOURS[decision.state]
    obs = result.observation
    if obs is not None:
        x0, y0, side = obs.box
        cv2.rectangle(out, (int(x0), int(y0)), (int(x0 + side), int(y0 + side)), colour, unit, cv2.LINE_AA)
        if landmarks:
            pts = np.round(obs.landmarks[:, :2]).astype(np.int32)
            lines = [np.stack([pts[a], pts[b]]) for a, b in HAND_CONNECTIONS]
            cv2.polylines(out, lines, False, BONE_COLOUR, unit, cv2.LINE_AA)
            for x, y in pts:
                cv2.circle(out, (int(x), int(y)), unit + 1, JOINT_COLOUR, -1, cv2.LINE_AA)
    if decision.state != "none":
        _decision_text(out, decision.label, f"{100 * decision.confidence:.0f}%", colour, unit)
    return out


def _decision_text(out: np.ndarray, label: str, conf: str, colour: tuple[int, int, int], unit: int) -> None:
    """The digit (or "?") about a fifth of the frame high in the top-left corner, confidence
    beside it, on a darkened panel so both read on any background; words ("not a digit") are
    set smaller so they fit in about half the frame's width."""
    h, w = out.shape[:2]
    big, big_thick = h / 110, max(2, round(h / 60))
    small, small_thick = h / 320, max(1, round(h / 240))
    (tw, th), _ = cv2.getTextSize(label, FONT, big, big_thick)
    if tw > w / 2:
        big, big_thick = big * w / 2 / tw, max(2, round(big_thick * w / 2 / tw))
        (tw, th), _ = cv2.getTextSize(label, FONT, big, big_thick)
    (cw, _), _ = cv2.getTextSize(conf, FONT, small, small_thick)
    pad = 4 * unit
    x, y = 2 * pad, 2 * pad + th
    x1, y1 = min(w, x + tw + pad + cw + pad), min(h, y + 2 * pad)
    panel = out[pad:y1, pad:x1]
    panel >>= 2  # in place: darken what is behind the text to a quarter
    cv2.putText(out, label, (x, y), FONT, big, colour, big_thick, cv2.LINE_AA)
    cv2.putText(out, conf, (x + tw + pad, y), FONT, small, colour, small_thick, cv2.LINE_AA)
