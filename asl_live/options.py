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

from asl_live.retrain import RetrainConfig
from asl_live.settings import AppSettings
from trainer import paths
from trainer.bundle_meta import is_bundle

_HERE = Path(__file__).resolve().parent


def shipped_model_dir() -> Path:
    """The model bundle shipped with the app (never written to): inside the installed package
    when installed from a wheel, else the checkout's `assets/model`."""
    installed, checkout = _HERE / "assets" / "model", _HERE.parent / "assets" / "model"
    return installed if is_bundle(installed) else checkout


def retrained_model_dir() -> Path:
    """Where the Retrain button writes; the settings point here after a retrain is taken."""
    return paths.models_dir() / "retrained"


def model_name(path: str | Path) -> str:
    """How the window names a model: "the shipped model", "your retrained model", or the
    folder's name in quotes; never the machine's full path (that goes in a tooltip)."""
    path = Path(path)
    for known, name in ((shipped_model_dir(), "the shipped model"), (retrained_model_dir(), "your retrained model")):
        try:
            if path.resolve() == known.resolve():
                return name
        except OSError:
            continue
    return f"“{path.name or path}”"


def samples_dir(settings: AppSettings) -> Path:
    return Path(settings.capture_dir) if settings.capture_dir else paths.samples_dir()


def resolve_model(explicit: str | Path | None, settings: AppSettings) -> tuple[Path, list[str]]:
    """The bundle to load, and notes for the user about any fallback."""
    if explicit:
        return Path(explicit).expanduser().absolute(), []
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
    hand_model: Path | None = None  # None: resolved (cache, or a one-time download) on a worker
    settings_file: Path | None = None  # None: the default location under the data folder
    notes: list[str] = field(default_factory=list)


def resolve_options(args: argparse.Namespace, settings: AppSettings | None = None,
                    settings_file: Path | None = None) -> LaunchOptions:
    notes: list[str] = []
    if settings is None:
        settings, notes = AppSettings.load_with_notes(settings_file)
    loop = not getattr(args, "no_loop", False)
    if getattr(args, "source", None):
        # absolute, as it is saved: a relative path would not be found from another folder
        source: int | Path = Path(args.source).expanduser().absolute()
    elif getattr(args, "camera", None) is not None:
        source = int(args.camera)
    elif settings.source:
        source, loop = Path(settings.source).expanduser(), settings.loop and loop
    else:
        source = settings.camera
    model, model_notes = resolve_model(getattr(args, "model", None), settings)
    hand = getattr(args, "hand_model", None) or settings.hand_model
    retrain = RetrainConfig(samples_dir=samples_dir(settings), datasets_dir=paths.datasets_dir(),
                            out=retrained_model_dir())
    return LaunchOptions(source=source, model=model, settings=settings, retrain=retrain, loop=loop,
                         hand_model=Path(hand).expanduser().absolute() if hand else None,
                         settings_file=settings_file, notes=notes + model_notes)
