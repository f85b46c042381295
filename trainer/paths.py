"""Where the program keeps per-user files. Environment variables override, for tests and CI."""

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
