"""User settings of the app, kept as JSON in the user's data folder.

A settings file must never stop the app from starting: a missing, corrupt or foreign file,
or a value of the wrong type, gives the default for whatever could not be read.
"""

from __future__ import annotations

import json
import math
import os
import types
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from trainer import atomicio, paths

from .smoothing import SmoothingSettings

SETTINGS_FILE = "settings.json"
_SMOOTHING_DEFAULTS = SmoothingSettings()


def settings_path() -> Path:
    return paths.data_dir() / SETTINGS_FILE


@dataclass
class AppSettings:
    camera: int = 0
    source: str | None = None  # video file played instead of the camera
    loop: bool = True
    model: str | None = None  # model bundle folder; None = the bundled default
    hand_model: str | None = None
    smoothing_window: int = _SMOOTHING_DEFAULTS.window
    smoothing_threshold: float = _SMOOTHING_DEFAULTS.threshold
    smoothing_hysteresis: float = _SMOOTHING_DEFAULTS.hysteresis
    absent_frames: int = _SMOOTHING_DEFAULTS.absent_frames
    show_landmarks: bool = True
    capture_dir: str | None = None  # where captured samples go; None = data_dir()/samples
    geometry: str = ""  # window geometry as the GUI encodes it (e.g. base64 of saveGeometry)
    window_state: str = ""

    # -- smoothing ---------------------------------------------------------------------------
    def smoothing(self) -> SmoothingSettings:
        return SmoothingSettings(window=self.smoothing_window, threshold=self.smoothing_threshold,
                                 hysteresis=self.smoothing_hysteresis, absent_frames=self.absent_frames).validated()

    def set_smoothing(self, s: SmoothingSettings) -> None:
        s = s.validated()
        self.smoothing_window, self.smoothing_threshold = s.window, s.threshold
        self.smoothing_hysteresis, self.absent_frames = s.hysteresis, s.absent_frames

    # -- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "AppSettings":
        """Known keys whose values have the right type; everything else keeps its default."""
        out = cls()
        if not isinstance(data, dict):
            return out
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            if f.name in data:
                ok, value = _coerce(data[f.name], hints[f.name])
                if ok:
                    setattr(out, f.name, value)
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "AppSettings":
        """Settings from `path` (default: data_dir()/settings.json); defaults if unreadable."""
        path = Path(path) if path is not None else settings_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
            return cls()
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically, so a crash mid-save keeps the previous file."""
        return atomicio.write_json(Path(path) if path is not None else settings_path(), self.to_dict())


def load(path: str | os.PathLike[str] | None = None) -> AppSettings:
    return AppSettings.load(path)


def save(settings: AppSettings, path: str | os.PathLike[str] | None = None) -> Path:
    return settings.save(path)


def _coerce(value: Any, hint: Any) -> tuple[bool, Any]:
    """(True, value) if `value` fits the annotation `hint` (ints accepted for floats)."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for t in options:
        if t is type(None) and value is None:
            return True, None
        if t is bool and isinstance(value, bool):
            return True, value
        if t is int and isinstance(value, int) and not isinstance(value, bool):
            return True, value
        if t is float and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return True, float(value)
        if t is str and isinstance(value, str):
            return True, value
    return False, None
