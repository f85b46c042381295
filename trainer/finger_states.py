"""Hand landmarks -> finger states: which fingers are up, bent or curled, what the thumb
touches, which way the hand points; and the ASL digits 0-9 as demands on those states.

A second judge beside the model. The model learned digits from photos and can be one detail
wrong on a hand it never saw (a C read as 0, a G or an X read as 1); these rules are the
digits' definitions in plain geometry on MediaPipe's 21 landmarks (no model, no MediaPipe),
turned upright, scaled and mirrored by `trainer.features.normalise_landmarks`, the same
normalisation the classifier's landmark input gets. Practice accepts a digit only when both
judges say it (asl_live.practice); `asl-train evaluate` reports both on the letter photos.

How often a reading agrees with the digit labels of the shared photos is measured by
`scripts/finger_agreement.py`; thresholds were chosen on the training split only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .features import hand_tilt, normalise_landmarks

Finger = Literal["thumb", "index", "middle", "ring", "pinky"]
FINGERS: tuple[Finger, ...] = ("thumb", "index", "middle", "ring", "pinky")
LONG_FINGERS: tuple[Finger, ...] = FINGERS[1:]

# MediaPipe hand topology: (knuckle MCP, PIP, DIP, tip) of each long finger; thumb below.
_JOINTS: dict[str, tuple[int, int, int, int]] = {
    "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16), "pinky": (17, 18, 19, 20),
}
_THUMB_TIP, _INDEX_MCP, _MIDDLE_MCP, _PINKY_MCP = 4, 5, 9, 17
TIPS: dict[str, int] = {"thumb": 4, "index": 8, "middle": 12, "ring": 16, "pinky": 20}

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

STRAIGHT_BEND = 30.0
"""Degrees between a long finger's first and last segments above which it is bent, not up: the
raised fingers of training digits bend at most 26 (99.5th percentile 19), the letters' hooked X
index and curved C fingers mostly 35-110. An X is a 1 with this one joint bent."""

INDEX_UP = 62.5
"""Degrees from straight up within which a 1's index points: training 1s at most 61, the
letters' G photos that otherwise read as a 1 (index straight, others folded) 64-81. A G is a 1
pointing sideways; the hand's tilt (MAX_TILT) catches most, this the rest."""

INDEX_CLOSES = 0.5
"""A 0's circle closes at the index: its tip within this of the thumb tip. Training 0s at most
0.42 (Kaggle 0.29; 1 of 438 above 0.4); the letters that otherwise read as a 0 with the thumb at
another fingertip and the index away (an X's hooked index, a C, E, M or N) 0.51-0.82."""

MAX_TILT = 60.0
"""Degrees the hand may point away from straight up (trainer.features.hand_tilt): digits are
signed with the hand up (18 of 4,756 training digits lean further, none beyond 70); a G or an H
points sideways (letters' training photos: 55-80) and a P or a Q down."""


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandReading:
    """What the hand is doing, finger by finger.

    extended: finger -> up (for the thumb: held out to the side, away from the palm).
    curled: long finger -> tucked into the palm (neither up nor curved as in a 0).
    bent: long finger -> bent at its joints but not curled into the palm nor at the thumb (the
    hook of an X, the curve of a C).
    thumb_touches: the long finger whose tip the thumb tip touches, None if none.
    spread: index and middle tips apart (a V) rather than side by side.
    upright: the hand points up (within MAX_TILT), as digits are signed.
    The remaining fields are the measurements behind those flags, kept for tuning and tests.
    """

    extended: dict[str, bool]
    curled: dict[str, bool]
    thumb_touches: str | None
    spread: bool
    bent: dict[str, bool] = field(default_factory=dict)
    upright: bool = True
    reach: dict[str, float] = field(default_factory=dict)  # tip/PIP distance from the wrist, per long finger
    bend: dict[str, float] = field(default_factory=dict)  # degrees between first and last segment, per long finger
    direction: dict[str, float] = field(default_factory=dict)  # degrees from straight up, knuckle to tip, per long finger
    tilt: float = 0.0  # degrees from straight up, positive leaning to the picture's right (left hands mirrored)
    thumb_out: float = 0.0  # thumb tip's distance from the pinky knuckle
    touch_distance: float = math.inf  # thumb tip to the nearest long-finger tip
    gaps: dict[str, float] = field(default_factory=dict)  # thumb tip to each long-finger tip
    spread_ratio: float = 0.0  # index-middle tip gap over their knuckle gap

    @property
    def index_points_up(self) -> bool:
        return abs(self.direction.get("index", 0.0)) <= INDEX_UP

    @property
    def index_closes(self) -> bool:
        """The index fingertip is at the thumb's (INDEX_CLOSES), where a 0's circle closes."""
        return self.gaps.get("index", math.inf) < INDEX_CLOSES

    @property
    def up(self) -> tuple[str, ...]:
        """The extended fingers, in FINGERS order."""
        return tuple(f for f in FINGERS if self.extended[f])


def upright_points(landmarks: np.ndarray, handedness: str) -> np.ndarray:
    """(21, 2) points: wrist at the origin, wrist->middle knuckle of length 1 pointing up (-y),
    a left hand mirrored into a right one."""
    return normalise_landmarks(np.asarray(landmarks, dtype=np.float32), handedness, upright=True).reshape(21, 2)


def _angle(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Degrees between two 2-D vectors."""
    cos = (a[0] * b[0] + a[1] * b[1]) / max(1e-9, math.hypot(*a) * math.hypot(*b))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _sub(a: list[float], b: list[float]) -> tuple[float, float]:
    return a[0] - b[0], a[1] - b[1]


def _gap(a: list[float], b: list[float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def read_hand(landmarks: np.ndarray, handedness: str) -> HandReading:
    """Read finger states from MediaPipe's 21 landmarks (x, y in pixels; z unused) and its
    "Left"/"Right" label. The reading does not change with the hand's position, size, in-plane
    tilt or side (which way it points is kept apart, in `tilt`). A long finger is up when it
    reaches out (EXTENDED_REACH), is straight (STRAIGHT_BEND) and its tip is not at the
    thumb's (TOUCH)."""
    lm = np.asarray(landmarks, dtype=np.float32)
    if lm.shape[0] != 21 or lm.ndim != 2 or lm.shape[1] < 2:
        raise ValueError(f"expected (21, 2|3) landmarks, got {lm.shape}")
    # plain floats: a reading is a few dozen 2-D distances and angles, read every frame
    p = upright_points(lm, handedness).tolist()
    reach: dict[str, float] = {}
    bend: dict[str, float] = {}
    direction: dict[str, float] = {}
    seen = lm[:, :2].astype(np.float64) * ((-1.0, 1.0) if handedness == "Left" else (1.0, 1.0))  # as a right hand
    for name, (mcp, pip, dip, tip) in _JOINTS.items():
        v = seen[tip] - seen[mcp]
        direction[name] = math.degrees(math.atan2(v[0], -v[1]))  # image y points down
        reach[name] = math.hypot(*p[tip]) / max(1e-6, math.hypot(*p[pip]))
        bend[name] = _angle(_sub(p[pip], p[mcp]), _sub(p[tip], p[dip]))
    thumb_out = _gap(p[_THUMB_TIP], p[_PINKY_MCP])
    gaps = {f: _gap(p[_THUMB_TIP], p[TIPS[f]]) for f in LONG_FINGERS}
    nearest = min(gaps, key=gaps.__getitem__)
    # A fingertip at the thumb tip is brought to the thumb (6-9, the O of 0), not held up, however
    # straight the finger looks in the picture.
    reaching = {f: reach[f] > EXTENDED_REACH and gaps[f] >= TOUCH for f in LONG_FINGERS}
    extended = {"thumb": thumb_out > THUMB_OUT, **{f: reaching[f] and bend[f] <= STRAIGHT_BEND for f in LONG_FINGERS}}
    tilt = math.degrees(hand_tilt(lm, handedness))
    knuckle_gap = max(1e-6, _gap(p[_INDEX_MCP], p[_MIDDLE_MCP]))
    spread_ratio = _gap(p[TIPS["index"]], p[TIPS["middle"]]) / knuckle_gap
    return HandReading(
        extended=extended,
        curled={f: reach[f] < CURLED_REACH for f in LONG_FINGERS},
        thumb_touches=nearest if gaps[nearest] < TOUCH else None,
        spread=spread_ratio > SPREAD,
        bent={f: bend[f] > STRAIGHT_BEND and reach[f] >= CURLED_REACH and gaps[f] >= TOUCH for f in LONG_FINGERS},
        upright=abs(tilt) <= MAX_TILT,
        reach=reach,
        bend=bend,
        direction=direction,
        tilt=tilt,
        thumb_out=thumb_out,
        touch_distance=gaps[nearest],
        gaps=gaps,
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
    index_up: bool = False  # the index must point up (within INDEX_UP), not sideways
    index_closes: bool = False  # the index tip must be at the thumb's (INDEX_CLOSES)


def _shape(up: str = "", down: str = "", curved: str = "", touches: str | None = None,
           spread: bool = False, index_up: bool = False, index_closes: bool = False) -> DigitShape:
    return DigitShape(frozenset(up.split()), frozenset(down.split()), frozenset(curved.split()), touches, spread,
                      index_up, index_closes)


DIGIT_SHAPES: dict[int, DigitShape] = {
    # Curved fingers meet the thumb, the index among them (an X's hooked index does not). Only
    # index and middle must not be curled: ring and pinky are often tucked lower in an O, and the
    # leading fingers already tell an O from a fist.
    0: _shape(down="index middle ring pinky", curved="index middle", touches=ANY_FINGER, index_closes=True),
    1: _shape(up="index", down="thumb middle ring pinky", index_up=True),
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


def matches(reading: HandReading, digit: int) -> bool:
    """Whether the hand has `digit`'s shape."""
    shape = DIGIT_SHAPES[digit]
    if not reading.upright:
        return False
    if any(not reading.extended[f] for f in shape.up) or any(reading.extended[f] for f in shape.down):
        return False
    if any(reading.curled[f] for f in shape.curved):
        return False
    if shape.thumb_touches == ANY_FINGER and reading.thumb_touches is None:
        return False
    if shape.thumb_touches not in (None, ANY_FINGER) and reading.thumb_touches != shape.thumb_touches:
        return False
    if shape.index_up and not reading.index_points_up:
        return False
    if shape.index_closes and not reading.index_closes:
        return False
    return not (shape.spread and not reading.spread)


def matching_digits(reading: HandReading) -> list[int]:
    """Every digit whose shape the hand has (usually none or one)."""
    return [d for d in DIGIT_SHAPES if matches(reading, d)]


# -- plainly not that digit ------------------------------------------------------------------
# The finger rules above are strict (a learner's hand must be right to be accepted); these are
# loose: what EVERY training digit has, with a margin of about half again, so no real digit is
# turned away. A hand the model calls a digit but that lacks it is "not a digit" wherever the
# model's answer is used (trainer.classifier): an X, C or G one detail from a digit a model
# never trained on. Maxima over the training split of both shared digit datasets (4,756 hands).

PLAIN_TILT = 75.0
"""Degrees from upright beyond which a hand signs no digit (training digits at most 69)."""

PLAIN_OPEN_0 = 0.5
"""A 0 whose thumb tip is farther than this from every fingertip is open, a C (training 0s at most 0.31)."""

PLAIN_INDEX_0 = 0.65
"""A 0 whose index tip is farther than this from the thumb tip is not a 0 (training 0s at most 0.42)."""

PLAIN_SIDEWAYS_1 = 75.0
"""Degrees from straight up beyond which an index is no 1's, a G (training 1s at most 61)."""

PLAIN_NO_TOUCH = 0.85
"""A 6-9 whose thumb tip is farther than this from every fingertip touches none (training at most 0.71)."""

PLAIN_BENT = 45.0
"""Degrees a finger a digit raises may bend before it is hooked or curved, an X or a C (training
2-9 at most 26; 1s 21 in 99.5%)."""

_TOUCHING_DIGITS = (6, 7, 8, 9)


def plainly_not(reading: HandReading, digit: int) -> str | None:
    """Why the hand is plainly not `digit` (a short reason, for tests and studies), or None
    when nothing every sign of that digit has is missing."""
    if abs(reading.tilt) > PLAIN_TILT:
        return "sideways"
    if digit == 0 and (reading.touch_distance > PLAIN_OPEN_0 or reading.gaps.get("index", 0.0) > PLAIN_INDEX_0):
        return "open"
    if digit == 1 and abs(reading.direction.get("index", 0.0)) > PLAIN_SIDEWAYS_1:
        return "index sideways"
    if digit in _TOUCHING_DIGITS and reading.touch_distance > PLAIN_NO_TOUCH:
        return "thumb touches nothing"
    if any(reading.bend.get(f, 0.0) > PLAIN_BENT for f in DIGIT_SHAPES[digit].up if f != "thumb"):
        return "raised finger bent"
    return None

