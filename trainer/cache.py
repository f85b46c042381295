"""Crop cache: the landmarker is the slow part of building a training set, so its output is
kept per image, keyed by the image's content, the crop settings and the hand model file.
A second run on the same data reads these instead of running MediaPipe again."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np

from . import atomicio
from .checksum import file_sha256
from .hands import CROPPER_VERSION, CropSettings, HandObservation

NO_HAND = "no-hand"


class CropCache:
    def __init__(self, root: str | os.PathLike[str], settings: CropSettings, hand_model: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        salt = json.dumps(settings.photo_key(), sort_keys=True) + file_sha256(hand_model) + f"v{CROPPER_VERSION}"
        self._salt = hashlib.sha256(salt.encode()).hexdigest()[:16]

    def _path(self, digest: str) -> Path:
        key = hashlib.sha256(f"{self._salt}:{digest}".encode()).hexdigest()
        return self.root / key[:2] / f"{key}.npz"

    def get(self, digest: str) -> HandObservation | str | None:
        """The cached observation, NO_HAND if the landmarker found none, None if not cached."""
        path = self._path(digest)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                if "no_hand" in z:
                    return NO_HAND
                box = tuple(float(v) for v in z["box"])
                return HandObservation(
                    crop=z["crop"], landmarks=z["landmarks"], box=box,  # type: ignore[arg-type]
                    handedness=str(z["handedness"]), score=float(z["score"]),  # type: ignore[arg-type]
                )
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # corrupt entry: recompute
            return None

    def put(self, digest: str, obs: HandObservation | None) -> None:
        buf = io.BytesIO()
        if obs is None:
            np.savez(buf, no_hand=np.array(1))
        else:
            np.savez(buf, crop=obs.crop, landmarks=obs.landmarks, box=np.array(obs.box),
                     handedness=np.array(obs.handedness), score=np.array(obs.score))
        atomicio.write_bytes(self._path(digest), buf.getvalue())
