"""Hand observation -> model inputs. The single preprocessing path for training and live use."""

from __future__ import annotations

import numpy as np

from .hands import MIDDLE_MCP, WRIST, HandObservation

LANDMARK_FEATURES = 42  # 21 points x (x, y)


def normalise_landmarks(landmarks: np.ndarray, handedness: str) -> np.ndarray:
    """21 landmarks -> 42 numbers that ignore where the hand is, how big, and which hand.

    Translated to the wrist, scaled by the wrist-to-middle-knuckle length, and mirrored so a
    left hand looks like a right one (MediaPipe's "Left"/"Right" labels the hand as seen).
    """
    xy = np.asarray(landmarks, dtype=np.float32)[:, :2] - landmarks[WRIST, :2]
    scale = float(np.linalg.norm(xy[MIDDLE_MCP])) or 1.0
    xy = xy / scale
    if handedness == "Left":
        xy[:, 0] = -xy[:, 0]
    return xy.reshape(-1).astype(np.float32)


def model_inputs(obs: HandObservation) -> dict[str, np.ndarray]:
    """One observation as the model's named inputs (no batch axis)."""
    return {"crop": obs.crop, "landmarks": normalise_landmarks(obs.landmarks, obs.handedness)}


def batch_inputs(observations: list[HandObservation]) -> dict[str, np.ndarray]:
    """Stack many observations into the model's batched inputs."""
    if not observations:
        raise ValueError("no observations")
    ins = [model_inputs(o) for o in observations]
    return {k: np.stack([i[k] for i in ins]) for k in ins[0]}
