"""Hard negatives made from the digits themselves: a 0 opened into a C, a 1 hooked into an X,
a 1 or a 2 turned to point sideways or down (a G, an H, a P, a Q).

The letters that a learner's "not a digit" fails on are one detail away from a digit: a C is
a 0 whose thumb does not meet the fingertips, an X is a 1 whose index is hooked. Photos of C
and X teach that boundary for the people in them; these copies teach it from every training
0 and 1, so the model learns the detail (a gap, a bent joint) rather than the people.

Made in landmark space (upright normalised points, trainer.features), the tilt features kept.
"Not a digit" is decided by the landmark branch alone (trainer.model.ShapeGate), so the crop a
copy keeps (its digit's) does not teach the CNN that the digit's picture is no digit.
"""

from __future__ import annotations

import numpy as np

from .features import LANDMARK_FEATURES
from .finger_states import LONG_FINGERS, TIPS
from .hands import NUM_LANDMARKS

THUMB_BASE, THUMB = 1, (2, 3, 4)
THUMB_TIP = TIPS["thumb"]
LONG_TIPS = tuple(TIPS[f] for f in LONG_FINGERS)
INDEX_PIP, INDEX_DIP, INDEX_TIP = 6, 7, TIPS["index"]

# A 0's thumb tip is at most 0.31 wrist-to-knuckle lengths from the nearest fingertip (training
# split of both digit datasets, 99th percentile 0.26); the letters' C photos at least 0.41 for
# nine in ten. A made C opens the gap to between these.
C_GAP = (0.45, 1.1)
# A 1's index bends by at most 19 degrees (99th percentile, training split) between its first
# and last segments; the letters' X photos mostly 35-80 degrees in the picture.
X_BEND_DEG = (45.0, 110.0)


def _turn(points: np.ndarray, centre: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return (points - centre) @ np.array([[c, s], [-s, c]], dtype=np.float32) + centre


def _gap(p: np.ndarray) -> float:
    return float(np.min(np.linalg.norm(p[list(LONG_TIPS)] - p[THUMB_TIP], axis=1)))


def open_circle(points: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 0 -> a C: the thumb turned about its base away from the fingertips until the gap is
    in C_GAP (drawn), the curled fingers opened a little. None when no turn reaches it."""
    want = rng.uniform(*C_GAP)
    p = points.copy()
    for f in range(4):  # open each long finger's last two joints a little about its middle joint
        pip = 6 + 4 * f
        p[[pip + 1, pip + 2]] = _turn(p[[pip + 1, pip + 2]], p[pip], rng.uniform(-0.3, 0.3))
    base = p[THUMB_BASE]
    best = None
    for sign in (-1.0, 1.0):
        for deg in range(5, 95, 5):
            q = p.copy()
            q[list(THUMB)] = _turn(p[list(THUMB)], base, sign * np.radians(deg))
            if _gap(q) >= want:
                if best is None or deg < best[0]:
                    best = (deg, q)
                break
    return None if best is None else best[1]


def hook_index(points: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 1 -> an X: the index bent at its middle joint (and a little at the last), toward either
    side as a camera may see it, the bent part foreshortened a little."""
    p = points.copy()
    sign = rng.choice([-1.0, 1.0])
    bend = np.radians(rng.uniform(*X_BEND_DEG))
    pip = p[INDEX_PIP]
    shrink = rng.uniform(0.7, 1.0)
    p[[INDEX_DIP, INDEX_TIP]] = pip + (_turn(p[[INDEX_DIP, INDEX_TIP]], pip, sign * bend * 0.75) - pip) * shrink
    p[INDEX_TIP] = _turn(p[INDEX_TIP][None], p[INDEX_DIP], sign * bend * 0.25)[0]
    return p


# Digits lean at most 57 degrees in the shared photos; G, H point sideways (55-80 in the
# letters' photos), P, Q down. A turned copy points TURNED_MIN degrees or more from up, and
# with "G" copies in training the digits' own (jittered) tilt is kept within DIGIT_TILT_MAX, so
# that no tilt is taught as both.
TURNED_MIN, DIGIT_TILT_MAX = 85.0, 65.0


def turned(row: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 1 or a 2 -> the same hand pointing sideways or down: only its tilt (the row's sin, cos
    after the upright points) changes. None for rows without the tilt input."""
    if len(row) <= LANDMARK_FEATURES:
        return None
    a = np.radians(rng.uniform(TURNED_MIN, 180.0)) * rng.choice([-1.0, 1.0])
    return np.concatenate([row[:LANDMARK_FEATURES], [np.sin(a), np.cos(a)]])


def _on_points(maker):
    """A maker of new points as a maker of new rows (the tilt kept)."""
    def make(row: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
        new = maker(row[:LANDMARK_FEATURES].reshape(NUM_LANDMARKS, 2), rng)
        return None if new is None else np.concatenate([new.reshape(-1), row[LANDMARK_FEATURES:]])
    return make


MAKERS = {"C": ((0,), _on_points(open_circle)), "X": ((1,), _on_points(hook_index)), "G": ((1, 2), turned)}
"""Kind -> (the digits it is made from, the maker of one landmark row)."""


def make_hard_negatives(landmarks: np.ndarray, labels: np.ndarray, share: float, seed: int,
                        kinds: str = "CX") -> tuple[np.ndarray, np.ndarray]:
    """For `share` of the training rows of each digit a kind in `kinds` (MAKERS) is made from, a
    copy turned into that near-digit shape.

    landmarks: (n, 42 or 44) model landmark inputs (upright points, then the tilt's sin, cos).
    Returns (source row indices, their new landmark rows); the caller copies the rest of each
    source row (crop, mask) and labels the copies "not a digit"."""
    unknown = set(kinds) - set(MAKERS)
    if unknown:
        raise ValueError(f"unknown hard negative kinds {''.join(sorted(unknown))!r} (known: {''.join(MAKERS)})")
    rng = np.random.default_rng(seed)
    rows, made = [], []
    for kind in kinds:
        digits, maker = MAKERS[kind]
        idx = np.flatnonzero(np.isin(np.asarray(labels), digits))
        for i in rng.permutation(idx)[:int(round(share * len(idx)))]:
            new = maker(landmarks[i], rng)
            if new is not None:
                rows.append(int(i))
                made.append(new)
    if not rows:
        return np.zeros(0, int), np.zeros((0, landmarks.shape[1]), np.float32)
    return np.array(rows), np.stack(made).astype(np.float32)
