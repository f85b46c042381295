"""Fetching the Kaggle "American Sign Language Digit Dataset" with the `kaggle` package.

The download lands in a temporary folder beside the destination and is renamed into place
only once it is complete and has the expected layout, so an interrupted or failed download
never leaves a half-filled dataset that a later training run would silently use.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from trainer.atomicio import atomic_dir
from trainer.classes import DIGITS
from trainer.handmodel import ByteProgress

KAGGLE_DATASET = "rayeed045/american-sign-language-digit-dataset"
TARGET_DIRNAME = "asl-digits-kaggle"
LAYOUT_DIRNAME = "American Sign Language Digits Dataset"
POLL_INTERVAL_S = 0.25

NO_CREDENTIALS_MESSAGE = (
    "No Kaggle credentials found: create an API token at kaggle.com -> Settings -> API and save it "
    "as ~/.kaggle/kaggle.json, or set KAGGLE_USERNAME and KAGGLE_KEY"
)


class DownloadError(RuntimeError):
    """The dataset could not be fetched; the message says why and what to do."""


def dataset_root(dest: str | os.PathLike[str]) -> Path:
    """The folder holding `<d>/Input Images - Sign <d>/` once `download_kaggle(dest)` succeeded."""
    return Path(dest) / TARGET_DIRNAME / LAYOUT_DIRNAME


def download_kaggle(
    dest: str | os.PathLike[str],
    *,
    progress: ByteProgress | None = None,
    api_factory: Callable[[], Any] | None = None,
    force: bool = False,
) -> Path:
    """Download and unzip the dataset into `dest/asl-digits-kaggle/`; return `dataset_root(dest)`.

    An already complete copy is reused unless `force`. `progress(bytes_done, None)` is called
    from a helper thread while the archive grows (when given, Kaggle's own bar is silenced).
    `api_factory` returns an object with KaggleApi's `dataset_download_files`; tests inject fakes.
    """
    root = dataset_root(dest)
    if not force and not _missing_digits(root):
        return root
    try:
        api = (api_factory or authenticated_api)()
        with atomic_dir(root.parent) as tmp:
            with _report_archive_growth(tmp, progress):
                api.dataset_download_files(KAGGLE_DATASET, path=str(tmp), unzip=True, quiet=progress is not None)
            _check_layout(tmp / LAYOUT_DIRNAME)
    except DownloadError:
        raise
    except (Exception, SystemExit) as e:  # the kaggle package calls exit() on some auth failures
        raise DownloadError(_explain(e)) from e
    return root


def authenticated_api() -> Any:
    """Build a logged-in KaggleApi, failing with a clear message if there are no credentials.

    `kaggle` is imported only here, after the credential check: importing it authenticates at
    import time, printing help and trying to exit when nothing is configured.
    """
    if kaggle_credentials_source() is None:
        config_file = _kaggle_config_dir() / "kaggle.json"
        if config_file.is_file():
            raise DownloadError(f"{config_file} is malformed: it must be a JSON object with \"username\" and "
                                "\"key\" (as kaggle.com -> Settings -> API -> Create New Token saves it). "
                                "Download a new token and replace the file.")
        raise DownloadError(NO_CREDENTIALS_MESSAGE)
    from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    api.authenticate()
    return api


def kaggle_credentials_source() -> str | None:
    """Where the installed kaggle package (2.x) would find credentials, or None if nowhere.

    Mirrors its lookup: $KAGGLE_API_TOKEN, ~/.kaggle/access_token[.txt], kaggle.json in the
    config dir merged with $KAGGLE_USERNAME/$KAGGLE_KEY, then `kaggle auth login` OAuth creds.
    """
    if os.environ.get("KAGGLE_API_TOKEN"):
        return "$KAGGLE_API_TOKEN"
    home_kaggle = Path.home() / ".kaggle"
    for token_file in (home_kaggle / "access_token", home_kaggle / "access_token.txt"):
        if _non_empty_file(token_file):
            return str(token_file)
    config_file = _kaggle_config_dir() / "kaggle.json"
    config = {**_read_json(config_file), **_kaggle_env_config()}
    if config.get("username") and config.get("key"):
        return str(config_file) if config_file.is_file() else "$KAGGLE_USERNAME/$KAGGLE_KEY"
    oauth_file = home_kaggle / "credentials.json"
    return str(oauth_file) if oauth_file.is_file() else None


def _kaggle_config_dir() -> Path:
    """kaggle.json's folder, chosen the way the kaggle package chooses it."""
    explicit = os.environ.get("KAGGLE_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    legacy = Path.home() / ".kaggle"
    if sys.platform.startswith("linux") and not legacy.exists():
        return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "kaggle"
    return legacy


def _kaggle_env_config() -> dict[str, str]:
    """KAGGLE_FOO=bar becomes {"foo": "bar"}, as the kaggle package reads the environment."""
    return {k.removeprefix("KAGGLE_").lower(): v for k, v in os.environ.items() if k.startswith("KAGGLE_")}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _non_empty_file(path: Path) -> bool:
    try:
        return path.is_file() and bool(path.read_text(encoding="utf-8").strip())
    except OSError:
        return False


def _missing_digits(layout_root: Path) -> list[int]:
    return [d for d in DIGITS if not (layout_root / str(d) / f"Input Images - Sign {d}").is_dir()]


def _check_layout(layout_root: Path) -> None:
    """Refuse to install an archive that is not the dataset the trainer expects."""
    if not layout_root.is_dir():
        raise DownloadError(f"The Kaggle archive for {KAGGLE_DATASET} has no '{LAYOUT_DIRNAME}' folder.")
    missing = _missing_digits(layout_root)
    if missing:
        names = ", ".join(f"{d}/Input Images - Sign {d}" for d in missing)
        raise DownloadError(f"The Kaggle archive for {KAGGLE_DATASET} lacks {names} under '{LAYOUT_DIRNAME}'.")


@contextmanager
def _report_archive_growth(folder: Path, progress: ByteProgress | None) -> Iterator[None]:
    """Kaggle's client only draws its own tqdm bar, so watch its .zip grow from a thread."""
    if progress is None:
        yield
        return
    stop = threading.Event()

    def poll() -> None:
        reported = 0
        while not stop.wait(POLL_INTERVAL_S):
            size = _archive_bytes(folder)
            if size > reported:
                reported = size
                progress(size, None)

    thread = threading.Thread(target=poll, name="kaggle-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _archive_bytes(folder: Path) -> int:
    total = 0
    for archive in folder.glob("*.zip"):
        try:
            total += archive.stat().st_size
        except FileNotFoundError:  # removed after unzipping, between glob and stat
            pass
    return total


def _explain(exc: BaseException) -> str:
    """Turn a kaggle/requests failure into a message that says what to do."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status == 401 or isinstance(exc, SystemExit):
        return "Kaggle rejected the credentials: create a new API token at kaggle.com -> Settings -> API."
    if status == 403:
        return (
            f"Kaggle refused access to {KAGGLE_DATASET} (HTTP 403): open "
            f"https://www.kaggle.com/datasets/{KAGGLE_DATASET} while logged in, accept its terms, and retry."
        )
    if status == 404:
        return f"Kaggle dataset {KAGGLE_DATASET} was not found (HTTP 404)."
    return f"Downloading {KAGGLE_DATASET} from Kaggle failed ({exc}). Check your internet connection and retry."
