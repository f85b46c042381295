"""Shared fixtures for the app's tests: real shared data, a model bundle, a generated video.

Expensive things (a trained bundle, a loaded classifier, a video) are made once per session.
Every test runs with ASL_LIVE_DATA_DIR / ASL_LIVE_CACHE_DIR pointing at temporary folders,
so nothing touches the user's real settings, samples or caches.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from _paths import HAND_MODEL, KAGGLE, LETTERS, REPO, SHARED

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GLOG_minloglevel", "2")
# Keras and matplotlib keep caches and settings in the home folder: not during tests.
_TOOL_HOME = Path(tempfile.mkdtemp(prefix="asl-live-tests-"))
os.environ["KERAS_HOME"] = str(_TOOL_HOME / "keras")
os.environ["MPLCONFIGDIR"] = str(_TOOL_HOME / "matplotlib")
sys.path.insert(0, str(REPO / "scripts"))  # test tooling (synthvideo) lives outside the packages

# The trained model accuracy tests use: the shipped one, or another via ASL_LIVE_TEST_MODEL.
from asl_live.options import shipped_model_dir  # noqa: E402

ASSETS_MODEL = Path(os.environ.get("ASL_LIVE_TEST_MODEL") or shipped_model_dir())
NOT_DIGIT = 10  # trainer.classes.NOT_DIGIT: a stretch of a hand shape that is no digit
VIDEO_DIGITS = [2, None, 5, NOT_DIGIT, 0, 8]  # None: a stretch without a hand
VIDEO_SECONDS, VIDEO_FPS = 1.0, 15.0


def _is_bundle(path: Path) -> bool:
    return (path / "bundle.json").is_file() and (path / "model.keras").is_file()


@pytest.fixture(scope="session", autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Session-wide temporary data and cache folders (tests may override per test)."""
    base = tmp_path_factory.mktemp("user")
    dirs = {"ASL_LIVE_DATA_DIR": base / "data", "ASL_LIVE_CACHE_DIR": base / "cache"}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in dirs.items():
            mp.setenv(k, str(v))
        yield dirs


@pytest.fixture()
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Fresh, empty data and cache folders for one test."""
    dirs = {"data": tmp_path / "user-data", "cache": tmp_path / "user-cache"}
    monkeypatch.setenv("ASL_LIVE_DATA_DIR", str(dirs["data"]))
    monkeypatch.setenv("ASL_LIVE_CACHE_DIR", str(dirs["cache"]))
    return dirs


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder missing: {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def hand_model_path(shared_dir: Path) -> Path:
    if not HAND_MODEL.is_file():
        pytest.skip(f"hand landmarker model missing: {HAND_MODEL}")
    return HAND_MODEL


@pytest.fixture(scope="session")
def kaggle_root(shared_dir: Path) -> Path:
    if not KAGGLE.is_dir():
        pytest.skip(f"Kaggle ASL digits dataset missing: {KAGGLE}")
    return KAGGLE


@pytest.fixture(scope="session")
def good_bundle() -> Path:
    """The shipped, fully trained model (or $ASL_LIVE_TEST_MODEL): tests asserting the right
    digits need it."""
    if not _is_bundle(ASSETS_MODEL):
        pytest.skip(f"no trained model at {ASSETS_MODEL}: accuracy checks need the shipped model "
                    "(train it with 'asl-train train --out assets/model ...')")
    return ASSETS_MODEL


@pytest.fixture(scope="session")
def quick_bundle(tmp_path_factory: pytest.TempPathFactory, kaggle_root: Path, hand_model_path: Path) -> Path:
    """A usable model bundle: the shipped one when present, else a tiny one trained here
    (15 images per digit, 2 epochs: seconds, and poor accuracy, fine for plumbing tests)."""
    if _is_bundle(ASSETS_MODEL):
        return ASSETS_MODEL
    from trainer.pipeline import TrainJob, run_training
    from trainer.train import TrainSettings

    tmp = tmp_path_factory.mktemp("quick-bundle")
    job = TrainJob(data=[kaggle_root], out=tmp / "bundle", hand_model=hand_model_path, limit_per_class=15,
                   train=TrainSettings(epochs=2), cache_root=tmp / "crop-cache")
    run_training(job, log=lambda *a, **k: None)
    return job.out


@pytest.fixture(scope="session")
def classifier(quick_bundle: Path):
    """quick_bundle loaded once (loading TensorFlow/Keras is the slow part)."""
    from trainer.classifier import Classifier

    return Classifier.load(quick_bundle)


@pytest.fixture(scope="session")
def synth_video(tmp_path_factory: pytest.TempPathFactory, kaggle_root: Path, hand_model_path: Path):
    """A short labelled video of real hands on clutter (scripts/synthvideo.py's SynthVideo):
    VIDEO_DIGITS held VIDEO_SECONDS each at VIDEO_FPS, 640x480, labels JSON beside it.
    Every pasted hand is one the landmarker finds; hands the shipped model trained on are
    left out when that model exists."""
    from synthvideo import make_video_file

    out = tmp_path_factory.mktemp("video") / "digits.mp4"
    model_dir = ASSETS_MODEL if _is_bundle(ASSETS_MODEL) else None
    return make_video_file(out, VIDEO_DIGITS, VIDEO_SECONDS, VIDEO_FPS, seed=0, data_root=kaggle_root,
                           negatives=LETTERS, model_dir=model_dir, hand_model=hand_model_path)


@pytest.fixture()
def open_window(qtbot, user_dirs):
    """Open main windows (data folders isolated per test); closed, threads joined, at the end."""
    from asl_live.gui.app import create_window

    windows = []

    def make(options):
        window = create_window(options)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for w in windows:
        w.close()
