"""Where the program keeps per-user files. Environment variables move them (tests, CI, users
who want them elsewhere):

- ASL_LIVE_DATA_DIR: settings, captured samples, retrained models, downloaded datasets,
  practice history (default: the platform's user data folder, ~/.local/share/asl-live on Linux);
- ASL_LIVE_CACHE_DIR: the downloaded hand model and the crop cache, safe to delete
  (default: ~/.cache/asl-live on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path, user_data_path

APP_NAME = "asl-live"


def cache_dir() -> Path:
    """Hand model and crop cache: safe to delete, rebuilt on demand."""
    env = os.environ.get("ASL_LIVE_CACHE_DIR")
    return Path(env) if env else user_cache_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """User's own files: captured samples, retrained models, downloaded datasets."""
    env = os.environ.get("ASL_LIVE_DATA_DIR")
    return Path(env) if env else user_data_path(APP_NAME, appauthor=False)


def datasets_dir() -> Path:
    """Training datasets found without asking (`asl-train download` and the app put the Kaggle set here)."""
    return data_dir() / "datasets"


def samples_dir() -> Path:
    """The app's captured samples (`<digit>/*.png`, and `not_digit/` for hand shapes that are no digit)."""
    return data_dir() / "samples"


def models_dir() -> Path:
    """Models the app trained (the Retrain button); never the shipped one."""
    return data_dir() / "models"
