"""A second look for hands MediaPipe's palm detector misses: the landmark network as a detector.

MediaPipe's hand landmarker finds a hand in two steps: a palm detector on the whole frame, then
the landmark network (`hand_landmarks_detector.tflite` in the same `.task` bundle) on a window
around the palm, which also says how sure it is that a hand is there ("presence"). Then it
tracks: each frame's landmarks give the next frame's window. On a pink or skin-toned wall, a
hand held low with the wrist cut off, or a hand seen from the thumb side, the first step can
miss a hand a person sees plainly, while the second still finds it in a window around it.

So when MediaPipe finds nothing, this module runs the landmark network itself: on a bounded
set of fixed windows (`search_windows`), and a window that finds a hand is checked twice
(`Finder.confirm`): the network is run again on the window its own landmarks give (as
MediaPipe's tracking would place it) and must agree with itself, and the landmarks must make a
plausible hand. Then the hand is tracked window to window like MediaPipe does
(`window_from_landmarks`). The figures behind the thresholds are in docs/second_look.md.
"""

from __future__ import annotations

import functools
import math
import os
import threading
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from .images import OTHER_HAND, mirror_points, mirrored
from .quiet import native_stderr_silenced

NET_SIDE = 224  # the landmark network's input side
LANDMARK_MEMBER = "hand_landmarks_detector.tflite"
WRIST, INDEX_MCP, MIDDLE_MCP, RING_MCP, PINKY_MCP = 0, 5, 9, 13, 17
# Landmarks MediaPipe frames the next window on (wrist, thumb base, the finger bases and their
# next joints): fingertips move most between frames and are left out.
ROI_POINTS = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)


@dataclass(frozen=True)
class Window:
    """A square window on the frame: centre, side (frame pixels) and rotation (radians, the
    angle the hand is turned by from pointing up; MediaPipe's convention)."""

    cx: float
    cy: float
    side: float
    rotation: float = 0.0

    def to_frame(self) -> np.ndarray:
        """2x3 affine map from network input pixels (0..NET_SIDE) to frame pixels."""
        s = self.side / NET_SIDE
        c, n = math.cos(self.rotation) * s, math.sin(self.rotation) * s
        h = NET_SIDE / 2
        # net (u, v) -> frame: centre + R(rotation) @ ((u, v) - h) * s
        return np.array([[c, -n, self.cx - c * h + n * h], [n, c, self.cy - n * h - c * h]], dtype=np.float64)


@dataclass(frozen=True)
class Look:
    """What the landmark network says about one window."""

    window: Window
    landmarks: np.ndarray  # (21, 3) float32: x, y in frame pixels, z scaled like x
    presence: float  # 0..1, how sure the network is that a hand fills the window
    right: float  # 0..1, the network's handedness score for "Right" (as MediaPipe reports it)

    @property
    def handedness(self) -> str:
        return "Right" if self.right >= 0.5 else "Left"


@dataclass(frozen=True)
class SecondLookSettings:
    """How hard the second look searches and how sure it must be. Chosen on validation
    material (scripts/hard_frames.py; docs/second_look.md)."""

    # Window sides as fractions of the frame's shorter side, and how far apart the windows of
    # one side are (a fraction of that side).
    scales: tuple[float, ...] = (0.35, 0.5, 0.7)
    stride: float = 0.5
    # A row of the smallest windows hanging this share of their side below the bottom edge:
    # a hand held low, its wrist cut off, sits in them as the network expects a hand to sit.
    low_row: float = 0.25
    search_presence: float = 0.5  # a search window must reach this to be looked at again
    confirm_presence: float = 0.9  # the refined window of a search must reach this
    track_presence: float = 0.7  # a tracked hand is lost below this
    # The refined look must land where the search look did: mean landmark distance as a
    # fraction of the hand's size.
    max_disagreement: float = 0.25
    # Live, while no hand is found: each frame, the window where the picture moved most since
    # the last frame (a hand is rarely still, a wall is), and every `sweep_every` frames the
    # next window of a sweep over the whole frame, so that a still hand is found too.
    moving_windows: int = 1
    sweep_every: int = 3
    recent_frames: int = 4  # a moving window looked at this recently is passed over


def load_landmark_net(task_path: str | os.PathLike[str]) -> bytes:
    """The landmark network's bytes from a `hand_landmarker.task` bundle (a zip)."""
    with zipfile.ZipFile(task_path) as z:
        return z.read(LANDMARK_MEMBER)


class LandmarkNet:
    """MediaPipe's hand landmark network under LiteRT, run on any window of a frame."""

    def __init__(self, task_path: str | os.PathLike[str], threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(task_path)
        with native_stderr_silenced():
            self._it = Interpreter(model_content=load_landmark_net(self.path), num_threads=threads)
            self._it.allocate_tensors()
        self._input = self._it.get_input_details()[0]["index"]
        out = {d["name"]: d["index"] for d in self._it.get_output_details()}
        # Identity: screen landmarks (63), Identity_1: presence, Identity_2: handedness,
        # Identity_3: world landmarks (MediaPipe's hand_landmark_full outputs, in this order).
        self._lm, self._presence, self._hand = out["Identity"], out["Identity_1"], out["Identity_2"]
        self._lock = threading.Lock()

    def look(self, rgb: np.ndarray, window: Window) -> Look:
        to_frame = window.to_frame()
        to_net = cv2.invertAffineTransform(to_frame)
        patch = cv2.warpAffine(rgb, to_net, (NET_SIDE, NET_SIDE), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT)
        x = (patch.astype(np.float32) / 255.0)[None]
        with self._lock:
            self._it.set_tensor(self._input, x)
            self._it.invoke()
            lm = self._it.get_tensor(self._lm).reshape(21, 3).copy()
            presence = float(self._it.get_tensor(self._presence).reshape(-1)[0])
            hand = float(self._it.get_tensor(self._hand).reshape(-1)[0])
        xy = lm[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
        z = lm[:, 2] * (window.side / NET_SIDE)
        pts = np.concatenate([xy, z[:, None]], axis=1).astype(np.float32)
        return Look(window, pts, presence, hand)


def window_from_landmarks(pts: np.ndarray, scale: float = 2.0, shift_y: float = -0.1) -> Window:
    """The next frame's window from this frame's landmarks, as MediaPipe's tracking makes it:
    rotation from the wrist to the middle of the finger bases, a box around the palm and finger
    bases in that rotated frame, scaled by 2 and shifted towards the fingers."""
    x0, y0 = pts[WRIST, 0], pts[WRIST, 1]
    x1 = ((pts[INDEX_MCP, 0] + pts[RING_MCP, 0]) / 2 + pts[MIDDLE_MCP, 0]) / 2
    y1 = ((pts[INDEX_MCP, 1] + pts[RING_MCP, 1]) / 2 + pts[MIDDLE_MCP, 1]) / 2
    rotation = _normalise(math.pi / 2 - math.atan2(-(y1 - y0), x1 - x0))
    sub = pts[list(ROI_POINTS), :2].astype(np.float64)
    c, s = math.cos(rotation), math.sin(rotation)
    centre = (sub.max(axis=0) + sub.min(axis=0)) / 2
    # Into the hand's own frame (turned back by `rotation`), box, centre back to the frame.
    d = sub - centre
    rx, ry = d[:, 0] * c + d[:, 1] * s, -d[:, 0] * s + d[:, 1] * c
    w, h = rx.max() - rx.min(), ry.max() - ry.min()
    mid = np.array([(rx.max() + rx.min()) / 2, (ry.max() + ry.min()) / 2])
    cx = centre[0] + mid[0] * c - mid[1] * s
    cy = centre[1] + mid[0] * s + mid[1] * c
    side = max(w, h) * scale
    # shifted along the hand's own y axis by a share of its height (towards the fingers)
    cx -= s * shift_y * h
    cy += c * shift_y * h
    return Window(float(cx), float(cy), float(max(side, 8.0)), float(rotation))


def _normalise(a: float) -> float:
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


@functools.lru_cache(maxsize=8)
def search_windows(width: int, height: int, settings: SecondLookSettings = SecondLookSettings()) -> tuple[Window, ...]:
    """Upright square windows covering the frame at each scale, larger (fewer) first, then the
    row below the bottom edge."""
    short = min(width, height)
    out: list[Window] = []
    for frac in sorted(settings.scales, reverse=True):
        side = frac * short
        out += [Window(x, y, side) for y in _centres(height, side, settings.stride)
                for x in _centres(width, side, settings.stride)]
    if settings.low_row:
        side = min(settings.scales) * short
        y = height - side / 2 + settings.low_row * side
        out += [Window(x, y, side) for x in _centres(width, side, settings.stride)]
    return tuple(out)


def _centres(length: int, side: float, stride: float) -> list[float]:
    """Centres of windows `side` long along `length`, at most `stride` of a side apart, the
    first and last touching the ends (one in the middle if a window covers it all)."""
    n = max(1, math.ceil((length - side) / max(1.0, stride * side)) + 1)
    return [float(c) for c in np.linspace(side / 2, length - side / 2, n)] if n > 1 else [length / 2]


class MotionRank:
    """Orders search windows by how much the picture moved inside them since the last frame,
    on a small grey copy (about a millisecond): where a hand came in or waves is looked at
    first, instead of waiting for a sweep over the whole frame to get there."""

    SMALL = 80  # width of the grey copy
    NOISE = 2.0  # grey levels of change that noise makes anyway on the small copy (averaged over 8x8 pixels)

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None  # the last frame's small grey copy
        self._change: np.ndarray | None = None  # the last change above noise, on that copy
        self._scale = 1.0  # small copy pixels per frame pixel
        self._key: tuple | None = None  # the windows whose corners `_corners` holds
        self._corners: tuple[np.ndarray, ...] = ()

    def energies(self, rgb: np.ndarray, windows: tuple[Window, ...]) -> np.ndarray:
        """Mean change above noise inside each window (0 where nothing moved)."""
        h, w = rgb.shape[:2]
        f = self.SMALL / w
        small = cv2.resize(rgb, (self.SMALL, max(1, int(round(h * f)))), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
        previous, self._previous = self._previous, grey
        if previous is None or previous.shape != grey.shape:
            self._change = None
            return np.zeros(len(windows))
        self._change, self._scale = np.maximum(np.abs(grey - previous) - self.NOISE, 0), f
        table = cv2.integral(self._change)
        x0, y0, x1, y1 = self._boxes(windows, f, grey.shape)
        total = table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]
        return total / np.maximum(1, (x1 - x0) * (y1 - y0))

    def _boxes(self, windows: tuple[Window, ...], f: float, shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        """The windows' corners on the small copy, worked out once per set of windows."""
        key = (id(windows), len(windows), f, shape)
        if self._key != key:
            c = np.array([(w.cx, w.cy, w.side) for w in windows], dtype=np.float64)
            half = c[:, 2] / 2
            x0 = np.clip(((c[:, 0] - half) * f).astype(int), 0, shape[1])
            x1 = np.clip(np.ceil((c[:, 0] + half) * f).astype(int), 0, shape[1])
            y0 = np.clip(((c[:, 1] - half) * f).astype(int), 0, shape[0])
            y1 = np.clip(np.ceil((c[:, 1] + half) * f).astype(int), 0, shape[0])
            self._key, self._corners = key, (x0, y0, x1, y1)
        return self._corners

    def moving_window(self) -> Window | None:
        """A window fitted to the largest patch that moved in the last `energies` call (a hand
        waving or coming in), sized as MediaPipe sizes a window to a hand; None when nothing
        moved or everything did (a cut, the camera itself moving)."""
        change = self._change
        if change is None:
            return None
        mask = cv2.dilate((change > 0).astype(np.uint8), np.ones((3, 3), np.uint8))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        if n < 2:
            return None
        sums = np.bincount(labels.ravel(), weights=change.ravel(), minlength=n)[1:]
        best = 1 + int(np.argmax(sums))
        x, y, w, h = (int(v) for v in stats[best, :4])
        if w * h > 0.5 * mask.size or sums[best - 1] <= 0:
            return None
        f = self._scale
        side = max(w, h) / f * 1.6
        short = min(mask.shape) / f
        side = float(np.clip(side, 0.2 * short, short))
        return Window((x + w / 2) / f, (y + h / 2) / f, side)

    def reset(self) -> None:
        self._previous = None
        self._change = None


def hand_size(pts: np.ndarray) -> float:
    """Wrist to middle-finger base: a hand's size that does not change with its shape."""
    return float(np.linalg.norm(pts[MIDDLE_MCP, :2] - pts[WRIST, :2]))


def plausible(look: Look) -> bool:
    """Landmarks that make a hand of a size the window can hold: a palm neither a speck nor
    larger than the window, finger bases spread apart in 3D (a hand seen from the thumb side
    has them in a line on screen, not in depth)."""
    pts = look.landmarks
    palm = hand_size(pts)
    if not (0.08 * look.window.side <= palm <= 0.6 * look.window.side):
        return False
    palm3 = float(np.linalg.norm(pts[MIDDLE_MCP] - pts[WRIST]))
    spread3 = float(np.linalg.norm(pts[INDEX_MCP] - pts[PINKY_MCP]))
    return 0.2 * palm3 <= spread3 <= 1.6 * palm3


Found = tuple[np.ndarray, str, float]  # (landmarks in frame pixels, handedness, score), as HandCropper gives


@dataclass
class Finder:
    """The second look over one frame at a time: search, confirm, then track."""

    net: LandmarkNet
    settings: SecondLookSettings = field(default_factory=SecondLookSettings)

    def confirm(self, rgb: np.ndarray, first: Look) -> Look | None:
        """A search window's hand, kept only if the network finds it again, sure enough and in
        the same place, in the window its own landmarks give."""
        st = self.settings
        if first.presence < st.search_presence or not plausible(first):
            return None
        again = self.net.look(rgb, window_from_landmarks(first.landmarks))
        if again.presence < st.confirm_presence or not plausible(again):
            return None
        gap = float(np.linalg.norm(again.landmarks[:, :2] - first.landmarks[:, :2], axis=1).mean())
        if gap > st.max_disagreement * max(hand_size(again.landmarks), 1.0):
            return None
        return again

    def track(self, rgb: np.ndarray, previous: Look) -> Look | None:
        """This frame's hand in the window of the previous frame's landmarks, or None if lost."""
        look = self.net.look(rgb, window_from_landmarks(previous.landmarks))
        if look.presence < self.settings.track_presence or not plausible(look):
            return None
        return look

    def search(self, rgb: np.ndarray, windows: tuple[Window, ...] | None = None) -> Look | None:
        """The most present confirmed hand over `windows` (default: every search window)."""
        h, w = rgb.shape[:2]
        best: Look | None = None
        for win in windows if windows is not None else search_windows(w, h, self.settings):
            first = self.net.look(rgb, win)
            if first.presence < self.settings.search_presence:
                continue
            found = self.confirm(rgb, first)
            if found is not None and (best is None or found.presence > best.presence):
                best = found
        return best

    def canonical(self, image: np.ndarray, look: Look) -> tuple[Look, bool]:
        """A hand the network calls "Left", looked at again in the mirrored frame, where it is
        a right hand (MediaPipe's path does the same: trainer.hands, `canonical_hand`); True
        with the look from the mirrored frame, False (and the look as it was) if the mirror
        does not agree."""
        if look.handedness != "Left":
            return look, False
        again = self.track(mirrored(image), replace(look, landmarks=mirror_points(look.landmarks, image.shape[1])))
        if again is None or again.handedness != "Right":
            return look, False
        return again, True

    def in_photo(self, image: np.ndarray, canonical_hand: bool = True) -> Found | None:
        """Image mode: every search window, the most present confirmed hand."""
        look = self.search(image)
        if look is None:
            return None
        look, flipped = self.canonical(image, look) if canonical_hand else (look, False)
        return as_found(look, flipped, image.shape[1])


def as_found(look: Look, flipped: bool, width: int) -> Found:
    """A look in frame terms; one made in the mirrored frame is mirrored back."""
    if flipped:
        return mirror_points(look.landmarks, width), OTHER_HAND[look.handedness], look.presence
    return look.landmarks, look.handedness, look.presence


class LiveLook:
    """The second look over a video stream, one frame after another, beside MediaPipe's
    video-mode landmarker: told each hand MediaPipe finds (`mediapipe_found`), asked for a
    hand on each frame it misses (`frame`).

    It follows the hand found last frame (by itself, or by MediaPipe: a single frame MediaPipe
    misses is left to the smoothing at no cost, unless the stream had just been mirrored for
    a left hand); else it looks at a window fitted to what moved since the last frame and,
    every `sweep_every` frames, at the next window of a sweep over the frame. `stage` says
    which look found the last frame's hand: "second_look" (the search), "tracked" or "none".
    """

    def __init__(self, finder: Finder, canonical_hand: bool = True) -> None:
        self.finder, self.canonical_hand = finder, canonical_hand
        self.stage = "none"
        self._look: Look | Found | None = None  # the hand followed (MediaPipe's kept as it came)
        self._flipped = False  # ... in the mirrored frame (a left hand, turned once when found)
        self._by_mediapipe = False
        self._turned = False  # MediaPipe's last hand was a left one: its stream is now mirrored
        self._misses = 0  # frames since MediaPipe last found the hand
        self._motion = MotionRank()
        self._tried: dict[int, int] = {}  # sweep window -> frame it was last looked at
        self._frames = 0
        self._cursor = 0  # the next window of the sweep

    def mediapipe_found(self, found: Found, flipped: bool, turned: bool) -> None:
        """MediaPipe found the hand (in the mirrored frame if `flipped`; `turned`: a left hand,
        so its next frame is looked at mirrored): kept, to be followed if MediaPipe loses it."""
        self._motion.reset()
        self._look, self._flipped, self._by_mediapipe, self._turned, self._misses = found, flipped, True, turned, 0

    def frame(self, image: np.ndarray) -> Found | None:
        """The hand in a frame MediaPipe found none in, or None."""
        self.stage = "none"
        self._misses += 1
        width = image.shape[1]
        windows = search_windows(width, image.shape[0], self.finder.settings)
        if self._by_mediapipe and self._misses == 1 and not self._turned:
            self._motion.energies(image, windows)  # no look yet, but the next frame knows what moved
            return None
        if self._look is not None:
            found = self._follow(image)
            if found is not None:
                return found
        for window in self._next_windows(image, windows):
            look = self.finder.confirm(image, self.finder.net.look(image, window))
            if look is not None:
                self._look, self._flipped = self.finder.canonical(image, look) if self.canonical_hand else (look, False)
                self._by_mediapipe = False
                self.stage = "second_look"
                return as_found(self._look, self._flipped, width)
        return None

    def _follow(self, image: np.ndarray) -> Found | None:
        if not isinstance(self._look, Look):
            pts, hand, score = self._look
            self._look = Look(window_from_landmarks(pts), pts, score, float(hand == "Right"))
        look = self.finder.track(mirrored(image) if self._flipped else image, self._look)
        if look is None:
            self._look = None
            return None
        self._look = replace(look, right=self._look.right)  # the way round, and the hand, it was found as
        self._by_mediapipe = False
        self._motion.reset()
        self.stage = "tracked"
        return as_found(self._look, self._flipped, image.shape[1])

    def _next_windows(self, image: np.ndarray, windows: tuple[Window, ...]) -> list[Window]:
        """One window fitted to what moved since the last frame (else the fixed window where
        most moved, unless it was just looked at), then every `sweep_every` frames the next
        window of the sweep."""
        st = self.finder.settings
        moved = self._motion.energies(image, windows)
        frame = self._frames = self._frames + 1
        picked: list[Window] = []
        fitted = self._motion.moving_window() if st.moving_windows else None
        if fitted is not None:
            picked.append(fitted)
        else:
            for index in (int(i) for i in np.argsort(-moved, kind="stable")[:st.moving_windows + st.recent_frames]):
                if len(picked) >= st.moving_windows or moved[index] <= 0:
                    break
                if frame - self._tried.get(index, -st.recent_frames - 1) > st.recent_frames:
                    picked.append(windows[index])
                    self._tried[index] = frame
        if frame % st.sweep_every == 0:
            index = self._cursor % len(windows)
            self._cursor += 1
            picked.append(windows[index])
            self._tried[index] = frame
        return picked
