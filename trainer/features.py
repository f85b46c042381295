"""Hand observation -> model inputs. The single preprocessing path for training and live use."""

from __future__ import annotations

import numpy as np

from .hands import MIDDLE_MCP, NUM_LANDMARKS, WRIST, HandObservation

LANDMARK_FEATURES = 2 * NUM_LANDMARKS  # (x, y) per point
TILT_FEATURES = 2  # (sin, cos) of the hand's tilt, after the landmarks when a bundle asks for them


def landmark_feature_count(tilt: bool = False) -> int:
    """Width of the model's landmark input: 42 points' coordinates, plus the tilt's 2."""
    return LANDMARK_FEATURES + (TILT_FEATURES if tilt else 0)


def hand_tilt(landmarks: np.ndarray, handedness: str) -> float:
    """Which way the hand points, in radians: the wrist-to-middle-knuckle line's angle from
    "up" (0), positive when it leans to the image's right; a left hand is mirrored into a
    right one first, as `normalise_landmarks` does. Digits are signed with the hand up (Kaggle within
    about +-57 deg, the 218 signers +-30 deg); letters such as G, H, P, Q point sideways or down."""
    v = np.asarray(landmarks, dtype=np.float32)[MIDDLE_MCP, :2] - np.asarray(landmarks, dtype=np.float32)[WRIST, :2]
    x = -v[0] if handedness == "Left" else v[0]
    return float(np.arctan2(x, -v[1]))  # image y points down


def normalise_landmarks(landmarks: np.ndarray, handedness: str, upright: bool = False) -> np.ndarray:
    """21 landmarks -> 42 numbers that ignore where the hand is, how big, and which hand.

    Translated to the wrist, scaled by the wrist-to-middle-knuckle length, and mirrored so a
    left hand looks like a right one (MediaPipe's "Left"/"Right" labels the hand as seen).
    `upright` also turns the hand so the wrist-to-middle-knuckle line points up: a digit
    does not change with the hand's tilt, and one dataset's tilts are not another's (landmark
    logistic regression, 218 signers -> Kaggle: 89.7% as is, 99.3% upright).
    """
    xy = np.asarray(landmarks, dtype=np.float32)[:, :2] - landmarks[WRIST, :2]
    scale = float(np.linalg.norm(xy[MIDDLE_MCP])) or 1.0
    xy = xy / scale
    if handedness == "Left":
        xy[:, 0] = -xy[:, 0]
    if upright:
        angle = np.arctan2(xy[MIDDLE_MCP, 0], -xy[MIDDLE_MCP, 1])  # from "up" (image y points down)
        c, s = np.cos(angle), np.sin(angle)
        xy = xy @ np.array([[c, -s], [s, c]], dtype=np.float32)
    return xy.reshape(-1).astype(np.float32)


def handshape_distance(a: tuple, b: tuple) -> float:
    """How far apart two fits (landmarks, handedness, ...) put the hand's shape: mean distance
    of the upright normalised points, in wrist-to-knuckle lengths (over 0.15: a different fit)."""
    d = normalise_landmarks(a[0], a[1], True) - normalise_landmarks(b[0], b[1], True)
    return float(np.linalg.norm(d.reshape(NUM_LANDMARKS, 2), axis=1).mean())


def model_inputs(obs: HandObservation, upright: bool = False, tilt: bool = False) -> dict[str, np.ndarray]:
    """One observation as the model's named inputs (no batch axis). `tilt` appends (sin, cos)
    of `hand_tilt`: turning the hand upright throws away which way it points, and a hand
    pointing sideways or down is no digit."""
    lm = normalise_landmarks(obs.landmarks, obs.handedness, upright)
    if tilt:
        a = hand_tilt(obs.landmarks, obs.handedness)
        lm = np.concatenate([lm, np.array([np.sin(a), np.cos(a)], dtype=np.float32)])
    return {"crop": obs.crop, "landmarks": lm}


def batch_inputs(observations: list[HandObservation], upright: bool = False, tilt: bool = False) -> dict[str, np.ndarray]:
    """Stack many observations into the model's batched inputs (`upright`, `tilt`: see above;
    a bundle records which form its model was trained on)."""
    if not observations:
        raise ValueError("no observations")
    ins = [model_inputs(o, upright, tilt) for o in observations]
    return {k: np.stack([i[k] for i in ins]) for k in ins[0]}
