"""RGB image -> hand crop, with MediaPipe's HandLandmarker (Tasks API).

This is the one cropping path: the trainer builds its data with it and the live app crops
webcam frames with it, so what the model sees in training is what it sees live.
"""

from __future__ import annotations

import os
import sys
import types
import zipfile
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from . import second_look as sl
from .images import (DIM_LUMA, DIM_RETRY_CONFIDENCE, OTHER_HAND, dim_room_copy, gamma, is_dark, is_grey, luma,
                     mirror_points, mirrored, skin_toned)
from .quiet import native_stderr_silenced


def import_mediapipe():
    """The `mediapipe` module, imported without TensorFlow.

    `mediapipe.tasks.python` imports its `core.optional_dependencies`, which imports
    TensorFlow whenever it is installed (only for the API docs' decorators): 3-4 s at start-up
    in a process that never needs it. A stand-in module with the same no-op decorator is put
    in its place first, unless TensorFlow or the real module is already loaded.
    """
    name = "mediapipe.tasks.python.core.optional_dependencies"
    if name not in sys.modules and "tensorflow" not in sys.modules:
        stub = types.ModuleType(name, "Stand-in without TensorFlow (trainer.hands.import_mediapipe).")
        stub.doc_controls = types.SimpleNamespace(do_not_generate_docs=lambda obj: obj)  # type: ignore[attr-defined]
        sys.modules[name] = stub
    import mediapipe

    return mediapipe


# Landmark indices used for geometry (MediaPipe hand topology).
WRIST, MIDDLE_MCP = 0, 9
NUM_LANDMARKS = 21
# Bump when HandCropper finds or fits hands differently for the same settings (the grey-photo
# colouring, say): cached crops made the old way are then not reused.
CROPPER_VERSION = 4
# A photo at least this large on its shorter side is a full webcam frame, not a hand filling a
# photo: the landmarker sees it as it is first, since framing it (padding, then shrinking to
# `photo_side`) would shrink its hand below what the palm detector finds.
WEBCAM_FRAME_SIDE = 480


VIDEO_ONLY_SETTINGS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CropSettings:
    """How a crop is cut from the frame. Part of the crop-cache key and of the model bundle."""

    size: int = 64  # side of the square crop fed to the model, pixels
    margin: float = 0.25  # extra border around the landmark box, as a fraction of its side
    # Image mode frames a photo like a webcam frame before the landmarker looks: padded with a
    # replicated border by each of `photo_pads` in turn, at `photo_side` px, and only then as
    # is. Dataset photos and captured crops are hands that fill the frame; framed, the fits of
    # a grey, tiny or mirrored copy land where the colour photo's do (`python
    # scripts/fit_agreement.py framing`, training images: far-off fits of 64 px copies of the
    # 218-signer photos 8.5% as is -> 0.8% framed, grey 4.1% -> 2.2%).
    photo_pads: tuple[float, ...] = (0.3, 0.6)
    # Framing for a grey photo of a lit scene (not dark, so not a hand cut out onto black);
    # None frames it like any photo, with `photo_pads`. Wider first, chosen on validation
    # photos: the shipped model of the time went from 288 to 293 of 296 grey 218-signer
    # validation photos (`asl-train evaluate --split val --variant gray`; Kaggle 650 of 657
    # either way). Trained on crops framed so, a fused model leans on its crop more, hence
    # TrainSettings.crop_drop.
    grey_photo_pads: tuple[float, ...] | None = (0.6, 0.3)
    photo_side: int = 256
    # Grey photos are given skin tones before detection, dark ones are brightened on a retry.
    enhance: bool = True
    # A hand MediaPipe calls "Left" is looked at again in the mirrored frame, where it is a
    # right hand: the landmarker's left-hand fits are not mirror images of its right-hand ones,
    # and both datasets are right hands, so a left hand gets the landmarks its mirror image gets.
    canonical_hand: bool = True
    min_detection_confidence: float = 0.5
    # When MediaPipe finds no hand, the landmark network looks again as a detector
    # (trainer.second_look), in photos and in video, and tracks what it finds.
    second_look: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    def photo_key(self) -> dict:
        """The settings that change what image mode makes of a photo: the crop-cache key.
        Settings only the live (video) path uses are left out, so adding one keeps the cache."""
        return {k: v for k, v in self.to_dict().items() if k not in VIDEO_ONLY_SETTINGS}

    @classmethod
    def from_dict(cls, d: dict) -> "CropSettings":
        """From bundle.json. JSON turns the pad tuples into lists; keys of newer bundles are
        ignored. Older bundles have no grey_photo_pads: they framed grey photos like any photo.
        A value of the wrong type raises TypeError naming the key."""
        d = {"grey_photo_pads": None, **d}
        out = {}
        for name, f in cls.__dataclass_fields__.items():
            if name not in d:
                continue
            value = tuple(d[name]) if isinstance(d[name], list) else d[name]
            if not _fits(value, f.default) or (value is None and name != "grey_photo_pads"):
                raise TypeError(f"crop_settings.{name} must be like {f.default!r}, not {d[name]!r}")
            out[name] = float(value) if isinstance(f.default, float) else value
        return cls(**out)


def _fits(value: object, default: object) -> bool:
    """A JSON value that can stand where a setting's default stands (ints for floats too)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and (isinstance(value, int) or isinstance(default, float))
    if isinstance(default, tuple):
        return value is None or (isinstance(value, tuple) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
    return isinstance(value, type(default))


@dataclass
class HandObservation:
    """What the landmarker saw of one hand: everything downstream consumes this.

    landmarks: (21, 3) float32, x and y in pixels of the source frame, z in MediaPipe's units
    scaled like x. box: (x0, y0, side) of the square crop in frame pixels.
    """

    crop: np.ndarray  # (size, size, 3) uint8 RGB
    landmarks: np.ndarray
    box: tuple[float, float, float]
    handedness: Literal["Left", "Right"]
    score: float


def square_box(landmarks_xy: np.ndarray, margin: float) -> tuple[float, float, float]:
    """Square around the landmarks, grown by `margin` on each side."""
    lo, hi = landmarks_xy.min(axis=0), landmarks_xy.max(axis=0)
    centre = (lo + hi) / 2
    side = float(max(hi - lo)) * (1 + 2 * margin)
    side = max(side, 8.0)
    return float(centre[0] - side / 2), float(centre[1] - side / 2), side


def crop_box(rgb: np.ndarray, box: tuple[float, float, float], size: int) -> np.ndarray:
    """Cut and resize the square `box` in one warp; outside the frame the border is replicated."""
    x0, y0, side = box
    s = size / side
    m = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], dtype=np.float32)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(rgb, m, (size, size), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def _pad_and_scale(rgb: np.ndarray, pad: float, side: int) -> tuple[np.ndarray, float, int, int]:
    """Replicate-pad by `pad` of the larger side, then resize so the larger side is `side`.

    Returns the new image and (scale, pad_x, pad_y) to map points back to the source.
    """
    h, w = rgb.shape[:2]
    p = int(round(pad * max(h, w)))
    padded = cv2.copyMakeBorder(rgb, p, p, p, p, cv2.BORDER_REPLICATE)
    scale = side / max(padded.shape[:2])
    resized = cv2.resize(padded, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    return resized, scale, p, p


def detection_image(rgb: np.ndarray, settings: "CropSettings") -> np.ndarray:
    """What the landmarker is shown for a frame: the frame, or its skin-toned version if grey."""
    return skin_toned(rgb) if settings.enhance and is_grey(rgb) else rgb


class HandCropper:
    """Finds the most confident hand in RGB frames and crops it.

    mode="image" treats every call independently (training data, with padding retries);
    mode="video" uses MediaPipe's tracking between consecutive frames (the live app).
    Close it explicitly (or use `with`): MediaPipe complains if left to the GC at exit.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        settings: CropSettings = CropSettings(),
        mode: Literal["image", "video"] = "image",
    ) -> None:
        mp = import_mediapipe()
        vision = mp.tasks.vision
        self.settings = settings
        self.mode = mode
        self.model_path = Path(model_path)
        running = vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
        opts = vision.HandLandmarkerOptions(
            base_options=mp.tasks.BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=running,
            num_hands=1,
            min_hand_detection_confidence=settings.min_detection_confidence,
        )
        self._landmarker = None
        self._first = True  # the first detection also prints set-up chatter
        try:
            with native_stderr_silenced():
                self._landmarker = vision.HandLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as e:
            from .handmodel import HandModelError

            raise HandModelError(f"{self.model_path} could not be loaded by MediaPipe ({e}). The file may be "
                                 "corrupt: download the hand model again or pass another --hand-model.") from None
        self._last_ts = -1
        self._flipped = False  # video mode: tracking a left hand in the mirrored stream
        self._retry: HandCropper | None = None  # video mode: the dim-room second look
        self._finder: sl.Finder | None = None  # the landmark network as a detector, made on first need
        finder = self._second_finder() if mode == "video" else None  # made now (25 ms), not mid-stream
        self._live = None if finder is None else sl.LiveLook(finder, settings.canonical_hand)
        # Which look found the last frame's hand: "mediapipe", "second_look" (found by the
        # search), "tracked" (followed by the second look from the frame before) or "none".
        self.stage = "none"

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        if self._landmarker is not None:
            with native_stderr_silenced():
                self._landmarker.close()
            self._landmarker = None
        if getattr(self, "_retry", None) is not None:
            self._retry.close()
            self._retry = None

    def __enter__(self) -> "HandCropper":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- detection -------------------------------------------------------------------------
    def _detect(self, rgb: np.ndarray, timestamp_ms: int | None = None):
        mp = import_mediapipe()
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with native_stderr_silenced() if self._first else nullcontext():
            self._first = False
            if self.mode == "video":
                ts = int(timestamp_ms) if timestamp_ms is not None else self._last_ts + 33
                ts = max(ts, self._last_ts + 1)  # MediaPipe needs strictly increasing stamps
                self._last_ts = ts
                result = self._landmarker.detect_for_video(image, ts)
            else:
                result = self._landmarker.detect(image)
        if not result.hand_landmarks:
            return None
        lm = result.hand_landmarks[0]
        h, w = rgb.shape[:2]
        pts = np.array([[p.x * w, p.y * h, p.z * w] for p in lm], dtype=np.float32)
        cat = result.handedness[0][0]
        return pts, cat.category_name, float(cat.score)

    def _find(self, rgb: np.ndarray, timestamp_ms: int | None = None, grey: bool = False):
        """One look at one orientation. Video mode: the frame as is (MediaPipe tracks). Image
        mode: the photo framed at each pad (`grey_photo_pads` for a skin-toned grey photo that
        is not dark), then as is; all again brightened if it is dark."""
        if self.mode == "video":
            return self._detect(rgb, timestamp_ms)
        dark = self.settings.enhance and is_dark(rgb)
        pads = self.settings.photo_pads
        if grey and not dark and self.settings.grey_photo_pads is not None:
            pads = self.settings.grey_photo_pads
        as_is_first = min(rgb.shape[:2]) >= WEBCAM_FRAME_SIDE
        for image in [rgb, *([gamma(rgb, 0.5)] if dark else [])]:
            if as_is_first and (found := self._detect(image)) is not None:
                return found
            for pad in pads:
                big, scale, px, py = _pad_and_scale(image, pad, self.settings.photo_side)
                found = self._detect(big)
                if found is not None:
                    pts, hand, score = found
                    pts = pts / scale
                    pts[:, 0] -= px
                    pts[:, 1] -= py
                    return pts, hand, score
            if not as_is_first and (found := self._detect(image)) is not None:
                return found
        return None

    def landmarks(self, rgb: np.ndarray, timestamp_ms: int | None = None):
        """(landmarks in source pixels, handedness, score) or None when no hand is found.

        With `canonical_hand`, a left hand's landmarks come from the mirrored frame. Image
        mode looks again at once; video mode keeps tracking in the mirrored stream from the
        next frame on (and back again when a right hand shows up there).
        """
        image = detection_image(rgb, self.settings)
        grey = image is not rgb  # skin-toned: image mode frames it as a grey photo
        width = rgb.shape[1]
        if self.mode == "video":
            flipped = self._flipped
            found = self._find(mirrored(image) if flipped else image, timestamp_ms)
            if found is None:
                found = self._dim_room_retry(image)
                if found is not None:
                    self._keep(found, False)
                    return found
                return self._second_look_video(image)
            pts, hand, score = found
            turned = self.settings.canonical_hand and hand == "Left"
            self._keep(found, flipped, turned)
            if turned:
                self._flipped = not flipped  # look at this hand the other way round next frame
            if flipped:
                return mirror_points(pts, width), OTHER_HAND[hand], score
            return found
        found = self._find(image, grey=grey)
        self.stage = "none" if found is None else "mediapipe"
        if found is None:
            return self._second_look_photo(image)
        if not self.settings.canonical_hand or found[1] != "Left":
            return found
        again = self._find(mirrored(image), grey=grey)
        if again is None or again[1] != "Right":
            return found
        return mirror_points(again[0], width), "Left", again[2]

    def _dim_room_retry(self, image: np.ndarray):
        """Video mode: a second look at a dim frame in which tracking and detection found no
        hand (see DIM_LUMA), by an image-mode landmarker made on first need."""
        if not self.settings.enhance or luma(image) >= DIM_LUMA:
            return None
        if self._retry is None:
            settings = replace(self.settings, photo_pads=(), grey_photo_pads=(), enhance=False,
                               min_detection_confidence=DIM_RETRY_CONFIDENCE, second_look=False)
            self._retry = HandCropper(self.model_path, settings, mode="image")
        return self._retry.landmarks(dim_room_copy(image))

    # -- the second look (trainer.second_look) ----------------------------------------------
    def _keep(self, found, flipped: bool, turned: bool = False) -> None:
        """MediaPipe found the hand: the second look follows it from here if MediaPipe loses it."""
        self.stage = "mediapipe"
        if self._live is not None:
            self._live.mediapipe_found(found, flipped, turned)

    def _second_finder(self) -> sl.Finder | None:
        if not self.settings.second_look:
            return None
        if self._finder is None:
            try:
                self._finder = sl.Finder(sl.LandmarkNet(self.model_path))
            except (KeyError, OSError, zipfile.BadZipFile, ValueError, RuntimeError) as e:
                from .handmodel import HandModelError

                raise HandModelError(f"{self.model_path} holds no usable hand landmark network ({e}): download the "
                                     "hand model again or pass another --hand-model.") from None
        return self._finder

    def _second_look_photo(self, image: np.ndarray):
        finder = self._second_finder()
        found = None if finder is None else finder.in_photo(image, self.settings.canonical_hand)
        self.stage = "none" if found is None else "second_look"
        return found

    def _second_look_video(self, image: np.ndarray):
        if self._live is None:
            self.stage = "none"
            return None
        found = self._live.frame(image)
        self.stage = self._live.stage
        return found

    def observe(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> HandObservation | None:
        """The hand observation for one RGB frame, or None for "no hand"."""
        found = self.landmarks(rgb, timestamp_ms)
        if found is None:
            return None
        pts, hand, score = found
        return observation_from_landmarks(rgb, pts, hand, score, self.settings)


def observation_from_landmarks(
    rgb: np.ndarray, pts: np.ndarray, handedness: str, score: float, settings: CropSettings
) -> HandObservation:
    box = square_box(pts[:, :2], settings.margin)
    crop = crop_box(rgb, box, settings.size)
    return HandObservation(crop=crop, landmarks=pts, box=box, handedness=handedness, score=score)  # type: ignore[arg-type]
