"""Finding the MediaPipe hand landmarker bundle (`hand_landmarker.task`).

Order: an explicit path, then $ASL_LIVE_HAND_MODEL, then the per-user cache, then a one-time
download into that cache. Every copy is checked before use, so a truncated or wrong file is
reported here with a fix rather than as an obscure MediaPipe crash later.
"""

from __future__ import annotations

import http.client
import os
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable, TextIO

from trainer import paths
from trainer.atomicio import atomic_path
from trainer.checksum import file_sha256

# Version 1 of the official bundle, pinned: the "latest" URL may move to a model this program
# was never checked with. Google publishes no checksum; this one is pinned by several public
# projects (see ../shared/README.md).
HAND_MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/hand_landmarker/hand_landmarker/"
    "float16/1/hand_landmarker.task"
)
HAND_MODEL_BYTES = 7_819_105
HAND_MODEL_SHA256 = "fbc2a30080c3c557093b5ddfc334698132eb341044ccee322ccf8bcf3607cde1"
ENV_VAR = "ASL_LIVE_HAND_MODEL"
MODEL_FILENAME = "hand_landmarker.task"
BUNDLE_MEMBERS = frozenset({"hand_detector.tflite", "hand_landmarks_detector.tflite"})

# Accepted sha256 digests of a downloaded or cached bundle (a file the user names is only
# checked to be a hand landmarker bundle: they chose it on purpose).
KNOWN_SHA256: frozenset[str] = frozenset({HAND_MODEL_SHA256})

DOWNLOAD_TIMEOUT_S = 30.0
CHUNK_BYTES = 64 * 1024

# progress(bytes_done, total_bytes_or_None); adapt to trainer.progress.Progress with a lambda.
ByteProgress = Callable[[int, int | None], None]


class HandModelError(RuntimeError):
    """The hand model is missing or unusable; the message says how to fix it."""


def cached_model_path() -> Path:
    """Where the downloaded bundle lives (under the user cache, so it is safe to delete)."""
    return paths.cache_dir() / "models" / MODEL_FILENAME


def resolve_hand_model(
    explicit: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    progress: ByteProgress | None = None,
    url: str = HAND_MODEL_URL,
) -> Path:
    """Return a path to a valid hand landmarker bundle, downloading it once if needed.

    `progress(bytes_done, total_or_None)` is called during a download. Raises HandModelError
    with instructions when no usable model can be found (or downloading is off/impossible).
    """
    if explicit is not None:
        return _checked_user_path(explicit, "the given hand model path")
    env = os.environ.get(ENV_VAR)
    if env:
        return _checked_user_path(env, f"${ENV_VAR}")
    cached = cached_model_path()
    if _usable_cached_copy(cached):
        return cached
    if not download:
        raise HandModelError(_how_to_fix(cached, "No hand model found and downloading is disabled."))
    return _download(url, cached, progress)


def validate_bundle(path: str | os.PathLike[str], *, verify_checksum: bool = False) -> None:
    """Raise HandModelError unless `path` is a hand landmarker bundle.

    `verify_checksum` also requires the sha256 to be in KNOWN_SHA256 (when that is non-empty);
    it is used for files we downloaded, not for files the user chose on purpose.
    """
    path = Path(path)
    if not path.is_file():
        raise HandModelError(f"{path} does not exist or is not a file.")
    try:
        with zipfile.ZipFile(path) as bundle:
            members = {Path(name).name for name in bundle.namelist()}
            damaged = bundle.testzip()  # first member whose data fails its CRC check
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise HandModelError(f"{path} is not a hand landmarker bundle (not a valid .task zip: {e}).") from e
    if damaged is not None:
        raise HandModelError(f"{path} is damaged: its member {damaged} fails its checksum. Download the hand "
                             "model again (delete this file) or pass another --hand-model.")
    missing = BUNDLE_MEMBERS - members
    if missing:
        raise HandModelError(f"{path} is not a hand landmarker bundle (missing {', '.join(sorted(missing))}).")
    if verify_checksum and KNOWN_SHA256:
        digest = file_sha256(path)
        if digest not in KNOWN_SHA256:
            raise HandModelError(
                f"{path} has sha256 {digest}, but the official hand model (version 1, {HAND_MODEL_BYTES:,} bytes) "
                f"has {HAND_MODEL_SHA256}: the download was altered or the file was replaced. Delete it and "
                f"let the program download it again, or pass --hand-model PATH to use this file on purpose.")


def print_progress(
    done: int, total: int | None, *, label: str = "Downloading hand model", stream: TextIO | None = None
) -> None:
    """Draw a one-line, self-overwriting progress bar on stderr (for CLI downloads)."""
    stream = stream if stream is not None else sys.stderr
    mb = 1024 * 1024
    if total:
        text = f"{label}: {done / mb:.1f}/{total / mb:.1f} MB {min(100, done * 100 // total)}%"
    else:
        text = f"{label}: {done / mb:.1f} MB"
    end = "\n" if total and done >= total else ""
    stream.write(f"\r{text}\033[K{end}")
    stream.flush()


def _checked_user_path(raw: str | os.PathLike[str], source: str) -> Path:
    """A path the user chose must work as given: we never silently fall back to another."""
    path = Path(raw).expanduser()
    try:
        validate_bundle(path)
    except HandModelError as e:
        raise HandModelError(f"Hand model from {source} is not usable: {e}") from e
    return path


def _usable_cached_copy(cached: Path) -> bool:
    """True if the cached bundle is good; a bad one is deleted so it gets downloaded again."""
    if not cached.exists():
        return False
    try:
        validate_bundle(cached, verify_checksum=True)
    except HandModelError:
        cached.unlink(missing_ok=True)
        return False
    return True


def _download(url: str, target: Path, progress: ByteProgress | None) -> Path:
    """Fetch `url` to `target` atomically: a failure leaves no file behind."""
    try:
        with atomic_path(target) as tmp:
            _fetch(url, tmp, progress)
            validate_bundle(tmp, verify_checksum=True)
    except HandModelError as e:
        raise HandModelError(_how_to_fix(target, f"The downloaded hand model was rejected: {e}")) from e
    except (OSError, http.client.HTTPException, ValueError) as e:  # URLError and timeouts are OSErrors
        raise HandModelError(_how_to_fix(target, f"Could not download the hand model from {url} ({e}).")) from e
    return target


def _fetch(url: str, dest: Path, progress: ByteProgress | None) -> None:
    """Stream `url` into `dest` in chunks, reporting progress and refusing short reads."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(dest, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        if progress:
            progress(done, total)
        while chunk := response.read(CHUNK_BYTES):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
        if total is not None and done != total:
            raise http.client.IncompleteRead(b"", total - done)
        out.flush()
        os.fsync(out.fileno())


def _how_to_fix(cached: Path, problem: str) -> str:
    return (
        f"{problem} Pass --hand-model PATH or set {ENV_VAR} to a {MODEL_FILENAME} file, "
        f"or connect to the internet once so it can be downloaded to {cached} "
        f"(or download {HAND_MODEL_URL} yourself and save it there)."
    )

