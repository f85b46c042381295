"""Kaggle download: credential check first, and the dataset appears whole or not at all."""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from trainer import kaggle_fetch
from trainer.kaggle_fetch import DownloadError, dataset_root, download_kaggle, kaggle_credentials_source


@pytest.fixture(autouse=True)
def no_kaggle_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME and config dir with nothing in them, and no KAGGLE_* variables."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(home / "kaggle-config"))
    for name in [n for n in os.environ if n.startswith("KAGGLE_") and n != "KAGGLE_CONFIG_DIR"]:
        monkeypatch.delenv(name)
    return home


def tiny_jpeg(digit: int) -> bytes:
    ok, data = cv2.imencode(".jpeg", np.full((8, 8, 3), digit * 20, np.uint8))
    assert ok
    return data.tobytes()


class FakeKaggleApi:
    """Writes a dataset zip (slowly enough for the progress poller to see it) and unzips it."""

    def __init__(self, fail_after_zip: bool = False, digits: range = range(10), slow: bool = False) -> None:
        self.fail_after_zip = fail_after_zip
        self.digits = digits
        self.slow = slow
        self.calls: list[tuple[str, bool]] = []

    def dataset_download_files(
        self, dataset: str, path: str, unzip: bool = False, quiet: bool = True, **_: object
    ) -> None:
        self.calls.append((dataset, unzip))
        archive = Path(path) / "american-sign-language-digit-dataset.zip"
        with zipfile.ZipFile(archive, "w") as z:
            for d in self.digits:
                z.writestr(f"American Sign Language Digits Dataset/{d}/Input Images - Sign {d}/a.jpeg", tiny_jpeg(d))
        if self.slow:
            time.sleep(kaggle_fetch.POLL_INTERVAL_S * 2.5)
        if self.fail_after_zip:
            raise ConnectionError("connection reset by peer")
        with zipfile.ZipFile(archive) as z:
            z.extractall(path)
        archive.unlink()


def test_no_credentials_fails_before_touching_dest(tmp_path: Path) -> None:
    dest = tmp_path / "data"
    assert kaggle_credentials_source() is None
    with pytest.raises(DownloadError, match="No Kaggle credentials found.*kaggle.json.*KAGGLE_USERNAME"):
        download_kaggle(dest)
    assert not dest.exists()


def test_credentials_sources(no_kaggle_credentials: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = no_kaggle_credentials / "kaggle-config" / "kaggle.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"username": "u"}))
    assert kaggle_credentials_source() is None  # a key is still missing
    monkeypatch.setenv("KAGGLE_KEY", "k")
    assert kaggle_credentials_source() == str(config)
    monkeypatch.delenv("KAGGLE_KEY")
    token = no_kaggle_credentials / ".kaggle" / "access_token"
    token.parent.mkdir()
    token.write_text("tok\n")
    assert kaggle_credentials_source() == str(token)
    monkeypatch.setenv("KAGGLE_API_TOKEN", "tok")
    assert kaggle_credentials_source() == "$KAGGLE_API_TOKEN"


def test_fake_download_is_moved_into_dest(tmp_path: Path) -> None:
    dest = tmp_path / "data"
    api = FakeKaggleApi(slow=True)
    seen: list[tuple[int, int | None]] = []
    root = download_kaggle(dest, progress=lambda d, t: seen.append((d, t)), api_factory=lambda: api)
    assert root == dataset_root(dest) == dest / "asl-digits-kaggle" / "American Sign Language Digits Dataset"
    images = sorted(root.glob("*/Input Images - Sign */*.jpeg"))
    assert len(images) == 10
    assert cv2.imread(str(images[3])).shape == (8, 8, 3)
    assert api.calls == [(kaggle_fetch.KAGGLE_DATASET, True)]
    assert seen and all(done > 0 and total is None for done, total in seen)
    assert sorted(p.name for p in dest.iterdir()) == ["asl-digits-kaggle"]  # no temp dirs left
    assert sorted(p.name for p in (dest / "asl-digits-kaggle").iterdir()) == ["American Sign Language Digits Dataset"]


def test_complete_copy_is_reused_unless_forced(tmp_path: Path) -> None:
    dest = tmp_path / "data"
    download_kaggle(dest, api_factory=FakeKaggleApi)
    unused = FakeKaggleApi()
    download_kaggle(dest, api_factory=lambda: unused)
    assert unused.calls == []
    download_kaggle(dest, api_factory=lambda: unused, force=True)
    assert len(unused.calls) == 1


def test_failure_midway_leaves_no_partial_folder(tmp_path: Path) -> None:
    dest = tmp_path / "data"
    with pytest.raises(DownloadError, match="connection reset.*internet"):
        download_kaggle(dest, api_factory=lambda: FakeKaggleApi(fail_after_zip=True))
    assert list(dest.iterdir()) == []


def test_wrong_layout_is_rejected(tmp_path: Path) -> None:
    dest = tmp_path / "data"
    with pytest.raises(DownloadError, match="lacks 9/Input Images - Sign 9"):
        download_kaggle(dest, api_factory=lambda: FakeKaggleApi(digits=range(9)))
    assert list(dest.iterdir()) == []


def test_failed_redownload_keeps_the_old_copy(tmp_path: Path) -> None:
    dest = tmp_path / "data"
    root = download_kaggle(dest, api_factory=FakeKaggleApi)
    with pytest.raises(DownloadError):
        download_kaggle(dest, api_factory=lambda: FakeKaggleApi(fail_after_zip=True), force=True)
    assert len(list(root.glob("*/Input Images - Sign */*.jpeg"))) == 10
    assert sorted(p.name for p in dest.iterdir()) == ["asl-digits-kaggle"]


def test_http_errors_get_specific_advice(tmp_path: Path) -> None:
    class Forbidden(Exception):
        response = type("R", (), {"status_code": 403})()

    class Api:
        def dataset_download_files(self, *args: object, **kwargs: object) -> None:
            raise Forbidden("403 Client Error")

    with pytest.raises(DownloadError, match="accept its terms"):
        download_kaggle(tmp_path / "data", api_factory=Api)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"username": "me"}', ""])
def test_malformed_kaggle_json_is_named_as_such(no_kaggle_credentials: Path, tmp_path: Path, content: str) -> None:
    config = no_kaggle_credentials / "kaggle-config" / "kaggle.json"
    config.parent.mkdir(parents=True)
    config.write_text(content)
    with pytest.raises(DownloadError, match="kaggle.json is malformed") as info:
        download_kaggle(tmp_path / "dest")
    assert "username" in str(info.value) and not (tmp_path / "dest").exists()


def test_the_real_kaggle_client_takes_the_call_we_make() -> None:
    """download_kaggle calls KaggleApi.dataset_download_files(name, path=, unzip=, quiet=): the
    installed client must accept exactly that (a renamed keyword would fail only at download
    time, on a user's machine)."""
    import inspect

    from kaggle.api.kaggle_api_extended import KaggleApi

    params = inspect.signature(KaggleApi.dataset_download_files).parameters
    assert list(params)[:2] == ["self", "dataset"]
    assert {"path", "unzip", "quiet"} <= set(params)
    inspect.signature(KaggleApi.dataset_download_files).bind(KaggleApi, kaggle_fetch.KAGGLE_DATASET, path="p",
                                                             unzip=True, quiet=False)
