"""Hand landmarks -> which fingers are up and what the thumb touches, and what is wrong with a
hand shape for a given ASL digit, in words a learner can act on.

The practice mode prompts a digit; when the learner's hand is not that digit's shape, it says
why ("Your ring finger is up: for 7, touch it to your thumb."). This module is that reading:
plain geometry on MediaPipe's 21 landmarks (no model, no Qt, no MediaPipe), turned upright,
scaled and mirrored by `trainer.features.normalise_landmarks`, the same normalisation the
classifier's landmark input gets.

How often a reading agrees with the digit labels of the shared photos is measured by
`scripts/finger_agreement.py` (thresholds were chosen on the training split only); the app
reads the held-out figures from `handshape_agreement.json` through `hinted_digits` and gives
hints only for digits whose rules agree with the labels often enough.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

import numpy as np

from trainer.features import normalise_landmarks

Finger = Literal["thumb", "index", "middle", "ring", "pinky"]
FINGERS: tuple[Finger, ...] = ("thumb", "index", "middle", "ring", "pinky")
LONG_FINGERS: tuple[Finger, ...] = FINGERS[1:]

# MediaPipe hand topology: (knuckle MCP, PIP, DIP, tip) of each long finger; thumb below.
_JOINTS: dict[str, tuple[int, int, int, int]] = {
    "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16), "pinky": (17, 18, 19, 20),
}
_THUMB_TIP, _INDEX_MCP, _MIDDLE_MCP, _PINKY_MCP = 4, 5, 9, 17
TIPS: dict[str, int] = {"thumb": 4, "index": 8, "middle": 12, "ring": 16, "pinky": 20}

AGREEMENT_FILE = Path(__file__).with_name("handshape_agreement.json")

# -- thresholds (lengths in wrist-to-middle-knuckle units of the upright normalised hand) -----
# Chosen on the TRAINING split of both shared digit datasets (scripts/finger_agreement.py
# --split train; never the test split): each sits mid-way along the range of values that give
# the best training agreement (reach 1.10-1.225, thumb 0.95-1.025, touch 0.35-0.425), so a
# slightly different camera or signer does not tip it. Training agreement with these values:
# Kaggle 99.9%, 218 signers 98.6%.

EXTENDED_REACH = 1.15
"""Finger up when tip/middle-joint distance from the wrist exceeds this: straight ~1.3, curled 0.5-0.8, a 0's curve 0.85-1.1."""

CURLED_REACH = 0.76
"""Finger curled into the palm below this reach: tells a fist from the O of a 0 (0's index/middle >= 0.76 in 98.6-100% of training 0s)."""

THUMB_OUT = 1.0
"""Thumb out when its tip is farther than this from the pinky knuckle: out thumbs (3, 5) measure 1.1-1.6, tucked ones (1, 2, 4, 6-9) <= 1."""

TOUCH = 0.375
"""Thumb touches a fingertip closer than this: touches (6-9) measure 0.05-0.3 as seen in 2-D, untouched tips 0.6 or more."""

SPREAD = 1.3
"""Index and middle apart (a V) when tip gap / knuckle gap exceeds this: side by side ~1, training 2s >= 1.47 (about 2.3)."""


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandReading:
    """What the hand is doing, finger by finger.

    extended: finger -> up (for the thumb: held out to the side, away from the palm).
    curled: long finger -> tucked into the palm (neither up nor curved as in a 0).
    thumb_touches: the long finger whose tip the thumb tip touches, None if none.
    spread: index and middle tips apart (a V) rather than side by side.
    The remaining fields are the measurements behind those flags, kept for tuning and tests.
    """

    extended: dict[str, bool]
    curled: dict[str, bool]
    thumb_touches: str | None
    spread: bool
    reach: dict[str, float] = field(default_factory=dict)  # tip/PIP distance from the wrist, per long finger
    thumb_out: float = 0.0  # thumb tip's distance from the pinky knuckle
    touch_distance: float = math.inf  # thumb tip to the nearest long-finger tip
    spread_ratio: float = 0.0  # index-middle tip gap over their knuckle gap

    @property
    def up(self) -> tuple[str, ...]:
        """The extended fingers, in FINGERS order."""
        return tuple(f for f in FINGERS if self.extended[f])


def upright_points(landmarks: np.ndarray, handedness: str) -> np.ndarray:
    """(21, 2) points: wrist at the origin, wrist->middle knuckle of length 1 pointing up (-y),
    a left hand mirrored into a right one."""
    return normalise_landmarks(np.asarray(landmarks, dtype=np.float32), handedness, upright=True).reshape(21, 2)


def read_hand(landmarks: np.ndarray, handedness: str) -> HandReading:
    """Read finger states from MediaPipe's 21 landmarks (x, y in pixels; z unused) and its
    "Left"/"Right" label. The reading does not change with the hand's position, size, in-plane
    tilt or side. A long finger is up when it is straight (EXTENDED_REACH) and its tip is not
    at the thumb's (TOUCH)."""
    lm = np.asarray(landmarks, dtype=np.float32)
    if lm.shape[0] != 21 or lm.ndim != 2 or lm.shape[1] < 2:
        raise ValueError(f"expected (21, 2|3) landmarks, got {lm.shape}")
    p = upright_points(lm, handedness)
    reach: dict[str, float] = {}
    for name, (_, pip, _, tip) in _JOINTS.items():
        reach[name] = float(np.linalg.norm(p[tip]) / max(1e-6, float(np.linalg.norm(p[pip]))))
    thumb_out = float(np.linalg.norm(p[_THUMB_TIP] - p[_PINKY_MCP]))
    gaps = {f: float(np.linalg.norm(p[_THUMB_TIP] - p[TIPS[f]])) for f in LONG_FINGERS}
    nearest = min(gaps, key=gaps.__getitem__)
    # A fingertip at the thumb tip is brought to the thumb (6-9, the O of 0), not held up, however
    # straight the finger looks in the picture.
    extended = {"thumb": thumb_out > THUMB_OUT,
                **{f: reach[f] > EXTENDED_REACH and gaps[f] >= TOUCH for f in LONG_FINGERS}}
    knuckle_gap = max(1e-6, float(np.linalg.norm(p[_INDEX_MCP] - p[_MIDDLE_MCP])))
    spread_ratio = float(np.linalg.norm(p[TIPS["index"]] - p[TIPS["middle"]])) / knuckle_gap
    return HandReading(
        extended=extended,
        curled={f: reach[f] < CURLED_REACH for f in LONG_FINGERS},
        thumb_touches=nearest if gaps[nearest] < TOUCH else None,
        spread=spread_ratio > SPREAD,
        reach=reach,
        thumb_out=thumb_out,
        touch_distance=gaps[nearest],
        spread_ratio=spread_ratio,
    )


# -- digit definitions -----------------------------------------------------------------------

ANY_FINGER = "any"  # DigitShape.thumb_touches: the thumb must touch some fingertip


@dataclass(frozen=True)
class DigitShape:
    """What a digit asks of each finger. A finger in neither `up` nor `down` is free; one in
    `curved` must be down but not curled into the palm.

    thumb_touches: the finger whose tip the thumb must touch (ANY_FINGER: any), None: no demand.
    spread: True when index and middle must be apart.
    """

    up: frozenset[str]
    down: frozenset[str]
    curved: frozenset[str] = frozenset()
    thumb_touches: str | None = None
    spread: bool = False


def _shape(up: str = "", down: str = "", curved: str = "", touches: str | None = None,
           spread: bool = False) -> DigitShape:
    return DigitShape(frozenset(up.split()), frozenset(down.split()), frozenset(curved.split()), touches, spread)


DIGIT_SHAPES: dict[int, DigitShape] = {
    # Curved fingers meet the thumb. Only index and middle must not be curled: ring and pinky
    # are often tucked lower in an O, and the leading fingers already tell an O from a fist.
    0: _shape(down="index middle ring pinky", curved="index middle", touches=ANY_FINGER),
    1: _shape(up="index", down="thumb middle ring pinky"),
    2: _shape(up="index middle", down="thumb ring pinky", spread=True),
    3: _shape(up="thumb index middle", down="ring pinky"),
    4: _shape(up="index middle ring pinky", down="thumb"),
    5: _shape(up="thumb index middle ring pinky"),
    6: _shape(up="index middle ring", down="pinky", touches="pinky"),
    7: _shape(up="index middle pinky", down="ring", touches="ring"),
    8: _shape(up="index ring pinky", down="middle", touches="middle"),
    9: _shape(up="middle ring pinky", down="index", touches="index"),
}
"""ASL digits 0-9 as finger demands (the product owner's definitions)."""


def _name(finger: str) -> str:
    return "thumb" if finger == "thumb" else f"{finger} finger"


def problems(reading: HandReading, digit: int) -> list[str]:
    """What is wrong with the hand for `digit`, one short sentence per problem, most important
    first; empty when the hand matches."""
    shape = DIGIT_SHAPES[digit]
    out: list[str] = []
    target = shape.thumb_touches if shape.thumb_touches not in (None, ANY_FINGER) else None
    for f in FINGERS:
        up = reading.extended[f]
        if f in shape.up and not up:
            if f == "thumb":
                out.append(f"Your thumb is tucked in: for {digit}, hold it out to the side.")
            else:
                out.append(f"Your {_name(f)} is down: for {digit}, raise it.")
        elif f in shape.down and up:
            if f == target:
                out.append(f"Your {_name(f)} is up: for {digit}, touch it to your thumb.")
            elif f == "thumb":
                out.append(f"Your thumb is out: for {digit}, fold it across your palm.")
            elif digit == 0:
                out.append(f"Your {_name(f)} is straight: for 0, curve it round to meet your thumb.")
            else:
                out.append(f"Your {_name(f)} is up: for {digit}, fold it down.")
        elif f in shape.curved and reading.curled[f]:
            out.append(f"Your {_name(f)} is curled into your palm: for {digit}, curve it round to meet your thumb.")
    if shape.thumb_touches == ANY_FINGER and reading.thumb_touches is None:
        out.append("Bring your fingertips to your thumb to make an O for 0.")
    elif target is not None and reading.thumb_touches != target and not reading.extended[target]:
        if reading.thumb_touches is None:
            out.append(f"Touch your thumb to the tip of your {_name(target)} for {digit}.")
        else:
            out.append(f"Your thumb is touching your {_name(reading.thumb_touches)}: "
                       f"for {digit}, touch your {_name(target)} instead.")
    if shape.spread and not reading.spread:
        out.append(f"Spread your index and middle fingers apart for {digit}.")
    return out


def matches(reading: HandReading, digit: int) -> bool:
    """Whether the hand has `digit`'s shape."""
    shape = DIGIT_SHAPES[digit]
    if any(not reading.extended[f] for f in shape.up) or any(reading.extended[f] for f in shape.down):
        return False
    if any(reading.curled[f] for f in shape.curved):
        return False
    if shape.thumb_touches == ANY_FINGER and reading.thumb_touches is None:
        return False
    if shape.thumb_touches not in (None, ANY_FINGER) and reading.thumb_touches != shape.thumb_touches:
        return False
    return not (shape.spread and not reading.spread)


def matching_digits(reading: HandReading) -> list[int]:
    """Every digit whose shape the hand has (usually none or one)."""
    return [d for d in DIGIT_SHAPES if matches(reading, d)]


# -- which digits get hints ------------------------------------------------------------------

HINT_MIN_AGREEMENT = 0.90
"""Hints for a digit only when its rules agree with at least this share of its held-out photos
in every dataset: below that, a hint would too often tell a correct learner they are wrong."""


def hinted_digits(path: str | os.PathLike[str] = AGREEMENT_FILE) -> set[int]:
    """Digits whose agreement in `path` (written by scripts/finger_agreement.py) is at least
    HINT_MIN_AGREEMENT in every dataset; an unreadable or malformed file gives no hints."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        datasets: Mapping[str, Mapping] = data["datasets"]
        if not datasets:
            return set()
        ok = set(range(10))
        for figures in datasets.values():
            per = figures["per_digit"]
            ok &= {d for d in range(10) if isinstance(per.get(str(d)), (int, float))
                   and per[str(d)] >= HINT_MIN_AGREEMENT}
        return ok
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()
