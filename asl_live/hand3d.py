"""Hands in 3D for the Practice tab's drawings: the target digit's average hand and the
learner's own, turned to any view and cut into shapes a painter draws far to near.

Qt-free: `draw_items` gives palm, finger segments with width, and nails as plain numbers
(points in the view's units, a depth, which finger), so tests check what would be drawn and
the widget (asl_live.gui.hand_view) only paints them.

Points are MediaPipe's 21 landmarks with their depth (z, scaled like x: trainer.hands), moved
to the wrist, scaled by the wrist-to-middle-knuckle length, a left hand mirrored into a right
one and turned upright: the same normalisation as the classifier's landmark input, plus z.
In that frame the shared photos show the palm to the camera; a learner sees the back of their
own hand, so the default view (`View()`) is from behind: turned half round.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.hands import MIDDLE_MCP, WRIST

FINGER_POINTS: dict[str, tuple[int, ...]] = {
    "thumb": (1, 2, 3, 4), "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16),
    "pinky": (17, 18, 19, 20),
}
PALM: tuple[int, ...] = (0, 1, 5, 9, 13, 17)  # wrist, thumb base, the four knuckles
# Finger widths in wrist-to-knuckle lengths (an adult hand: palm ~9 cm, fingers 1.5-2 cm wide).
WIDTH: dict[str, float] = {"thumb": 0.22, "index": 0.19, "middle": 0.19, "ring": 0.18, "pinky": 0.16}
TAPER = 0.8  # a finger's last segment is this much as wide as its first


def upright_3d(landmarks: np.ndarray, handedness: str) -> np.ndarray:
    """(21, 3): wrist at the origin, wrist -> middle knuckle of length 1 pointing up (-y) in
    the picture, a left hand mirrored into a right one; z (away from the camera) scaled alike."""
    p = np.asarray(landmarks, dtype=np.float64)[:, :3].copy()
    if p.shape != (21, 3):
        raise ValueError(f"expected (21, 3) landmarks, got {np.shape(landmarks)}")
    p -= p[WRIST]
    p /= float(np.linalg.norm(p[MIDDLE_MCP, :2])) or 1.0
    if handedness == "Left":
        p[:, 0] = -p[:, 0]
    a = math.atan2(p[MIDDLE_MCP, 0], -p[MIDDLE_MCP, 1])
    c, s = math.cos(a), math.sin(a)
    p[:, :2] = p[:, :2] @ np.array([[c, -s], [s, c]])
    return p


@functools.lru_cache(maxsize=4)
def digit_shapes(bundle_dir: str) -> dict[int, np.ndarray]:
    """The average upright 3D hand of each digit among the bundle's training examples (its
    rehearsal set: trainer.examples); empty for a bundle that carries none."""
    from trainer.bundle_meta import REHEARSAL_FILE
    from trainer.examples import load_examples

    try:
        examples = load_examples(Path(bundle_dir) / REHEARSAL_FILE)
    except ValueError:
        return {}
    by_digit: dict[int, list[np.ndarray]] = {}
    for e in examples:
        if e.label in range(10):
            by_digit.setdefault(e.label, []).append(upright_3d(e.observation.landmarks, e.observation.handedness))
    return {d: np.mean(v, axis=0) for d, v in sorted(by_digit.items())}


@dataclass(frozen=True)
class View:
    """Where the drawing is seen from. yaw: degrees turned about the upright axis (180: from
    behind, as the learner sees their own hand; 0: from the front, as the camera and the person
    signed to see it). pitch: degrees tipped towards the viewer. mirrored: a left hand."""

    yaw: float = 180.0
    pitch: float = 0.0
    mirrored: bool = False

    def turned(self, yaw: float = 0.0, pitch: float = 0.0) -> View:
        return View((self.yaw + yaw) % 360.0, max(-80.0, min(80.0, self.pitch + pitch)), self.mirrored)


def in_view(points: np.ndarray, view: View) -> np.ndarray:
    """(21, 3) points in the view: x right, y down, z away from the viewer, turned about the
    palm's centre (the palm stays in place as the hand turns)."""
    p = np.asarray(points, dtype=np.float64) - np.asarray(points)[list(PALM)].mean(axis=0)
    yaw, pitch = math.radians(view.yaw), math.radians(view.pitch)
    cy, sy, cp, sp = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch)
    x, y, z = p[:, 0] * cy + p[:, 2] * sy, p[:, 1], -p[:, 0] * sy + p[:, 2] * cy
    y, z = y * cp - z * sp, y * sp + z * cp
    return np.stack([-x if view.mirrored else x, y, z], axis=1)


def palm_faces_viewer(points: np.ndarray, view: View) -> bool:
    """Whether the palm (not the back of the hand) is towards the viewer. The palm's normal is
    the cross product of wrist->index knuckle and wrist->pinky knuckle of the right hand the
    points describe; a mirrored view is a left hand, whose normal is the other way round."""
    q = in_view(points, view)
    n = np.cross(q[5] - q[0], q[17] - q[0])
    return bool((n[2] < 0) != view.mirrored)


@dataclass(frozen=True, eq=False)  # compared by identity: its points are an array
class DrawItem:
    kind: str  # "palm" (a polygon), "bone" (a thick segment), "nail" (a small segment on a tip)
    points: np.ndarray  # (k, 2) in the view's units
    depth: float  # larger: farther away, drawn first
    finger: str | None = None  # the finger a bone or nail belongs to
    width: float = 0.0  # bone and nail width, in the view's units


def draw_items(points: np.ndarray, view: View) -> list[DrawItem]:
    """What to paint for a hand, far to near: the palm, each finger's segments with their
    widths, and the nails where the back of the hand is seen."""
    q = in_view(points, view)
    items = [DrawItem("palm", q[list(PALM), :2], float(q[list(PALM), 2].mean()))]
    back = not palm_faces_viewer(points, view)
    for finger, chain in FINGER_POINTS.items():  # from the base in the palm's rim to the tip
        w = WIDTH[finger]
        for k, (a, b) in enumerate(zip(chain, chain[1:])):
            width = w * (1 - (1 - TAPER) * k / (len(chain) - 2))
            items.append(DrawItem("bone", q[[a, b], :2], float(q[[a, b], 2].mean()), finger, width))
        if back:
            dip, tip = q[chain[-2]], q[chain[-1]]
            nail = np.stack([dip + 0.45 * (tip - dip), dip + 0.9 * (tip - dip)])
            # just after the finger's last segment: over it, under anything nearer
            items.append(DrawItem("nail", nail[:, :2], float((dip[2] + tip[2]) / 2) - 1e-6, finger, w * TAPER * 0.6))
    return sorted(items, key=lambda i: -i.depth)
