"""Command line + saved settings -> what the window opens with. Qt-free, so `asl-live bench`
and tests use the same rules without starting a GUI.

Precedence: a command-line flag, then the saved setting, then the default. A saved model
folder that has gone missing falls back to the shipped model (with a note); a model the
user named on the command line is used as given, so its problem is shown, not hidden.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from asl_live.gui.retrain import RetrainConfig
from asl_live.settings import AppSettings
from trainer import paths

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def shipped_model_dir() -> Path:
    """The model bundle shipped with the app (never written to)."""
    return PACKAGE_ROOT / "assets" / "model"


def retrained_model_dir() -> Path:
    """Where the Retrain button writes; the settings point here after a successful retrain."""
    return paths.data_dir() / "models" / "retrained"


def samples_dir(settings: AppSettings) -> Path:
    return Path(settings.capture_dir) if settings.capture_dir else paths.data_dir() / "samples"


def datasets_dir() -> Path:
    """Training datasets the app finds by itself (the Kaggle download lands here)."""
    return paths.data_dir() / "datasets"


def resolve_model(explicit: str | Path | None, settings: AppSettings) -> tuple[Path, list[str]]:
    """The bundle to load, and notes for the user about any fallback."""
    if explicit:
        return Path(explicit).expanduser(), []
    if settings.model:
        saved = Path(settings.model).expanduser()
        if saved.is_dir():
            return saved, []
        return shipped_model_dir(), [f"The model saved in the settings ({saved}) is gone; using the shipped model."]
    return shipped_model_dir(), []


@dataclass
class LaunchOptions:
    source: int | Path
    model: Path
    settings: AppSettings
    retrain: RetrainConfig
    loop: bool = True
    hand_model: Path | None = None  # None: resolved (cache, or a one-time download) on the worker
    settings_file: Path | None = None  # None: the default location under data_dir()
    realtime: bool = True  # see workers.LiveConfig.realtime
    notes: list[str] = field(default_factory=list)


def resolve_options(args: argparse.Namespace, settings: AppSettings | None = None,
                    settings_file: Path | None = None) -> LaunchOptions:
    settings = settings if settings is not None else AppSettings.load(settings_file)
    loop = not getattr(args, "no_loop", False)
    if getattr(args, "source", None):
        source: int | Path = Path(args.source).expanduser()
    elif getattr(args, "camera", None) is not None:
        source = int(args.camera)
    elif settings.source:
        source, loop = Path(settings.source).expanduser(), settings.loop and loop
    else:
        source = settings.camera
    model, notes = resolve_model(getattr(args, "model", None), settings)
    hand = getattr(args, "hand_model", None) or settings.hand_model
    retrain = RetrainConfig(samples_dir=samples_dir(settings), datasets_dir=datasets_dir(), out=retrained_model_dir())
    return LaunchOptions(source=source, model=model, settings=settings, retrain=retrain, loop=loop,
                         hand_model=Path(hand).expanduser() if hand else None,
                         settings_file=settings_file, notes=notes)
