"""User settings of the app, kept as JSON in the user's data folder.

A settings file must never stop the app from starting, and never be lost: a corrupt or
foreign file is moved aside (`settings.json.corrupt-<time>`) and defaults are used; a value of
the wrong type gives that setting's default, and a value out of its range is clamped into it,
each with a note the window shows.
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

# What a user may set (the window's controls offer the same ranges). A window of 1 frame is
# no smoothing at all; a threshold under 0.3 shows a digit for nearly any hand, over 0.95
# hardly ever.
RANGES: dict[str, tuple[float, float]] = {
    "camera": (0, 63),
    "smoothing_window": (2, 30),
    "smoothing_threshold": (0.3, 0.95),
    "smoothing_hysteresis": (0.0, 0.5),
    "absent_frames": (1, 30),
}


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
    left_handed: bool = False  # practice draws left hands
    walkthrough_done: bool = False  # the first-run guide was done or skipped
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
    def from_dict(cls, data: Any, notes: list[str] | None = None) -> "AppSettings":
        """Known keys whose values have the right type; everything else keeps its default.
        Values out of RANGES are clamped into them, and `notes` says so."""
        out = cls()
        if not isinstance(data, dict):
            return out
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            if f.name in data:
                ok, value = _coerce(data[f.name], hints[f.name])
                if ok:
                    setattr(out, f.name, value)
                elif notes is not None:
                    notes.append(f"Setting {f.name} = {json.dumps(data[f.name])[:40]} is not a valid value; "
                                 f"using {getattr(out, f.name)!r}.")
        for name, (lo, hi) in RANGES.items():
            value = getattr(out, name)
            clamped = type(value)(min(hi, max(lo, value)))
            if clamped != value:
                setattr(out, name, clamped)
                if notes is not None:
                    notes.append(f"Setting {name} = {value} is outside {lo:g}-{hi:g}; using {clamped:g}.")
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "AppSettings":
        """Settings from `path` (default: data_dir()/settings.json); defaults if unreadable."""
        return cls.load_with_notes(path)[0]

    @classmethod
    def load_with_notes(cls, path: str | os.PathLike[str] | None = None) -> tuple["AppSettings", list[str]]:
        """The settings and notes for the user about values that could not be used as saved."""
        path = Path(path) if path is not None else settings_path()
        notes: list[str] = []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(), notes
        except OSError as e:  # a folder, no permission: left where it is
            return cls(), [f"The settings file {path} could not be read ({e.strerror or type(e).__name__}); "
                           "using defaults."]
        except ValueError as e:  # not UTF-8, not JSON (one stray comma)
            return cls(), [_kept_aside(path, f"could not be read ({type(e).__name__})")]
        if not isinstance(data, dict):
            return cls(), [_kept_aside(path, "holds no settings")]
        return cls.from_dict(data, notes), notes

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically, so a crash mid-save keeps the previous file."""
        return atomicio.write_json(Path(path) if path is not None else settings_path(), self.to_dict())


def _kept_aside(path: Path, why: str) -> str:
    """Move an unusable settings file aside before defaults are saved over it; the note says where."""
    try:
        aside = atomicio.keep_aside(path)
    except OSError as e:
        return f"The settings file {path} {why} and could not be kept aside ({e.strerror}); using defaults."
    return f"The settings file {path} {why}; it was kept as {aside.name} beside it, and defaults are used."


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
