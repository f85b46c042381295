"""Hand model resolution: explicit > env > cache > download, and never a half-written cache."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import socket
import threading
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from trainer import handmodel
from trainer.handmodel import HandModelError, cached_model_path, print_progress, resolve_hand_model, validate_bundle

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_MODEL = SHARED / "models" / "hand_landmarker.task"


@pytest.fixture()
def bundle(tmp_path: Path) -> Path:
    """The real shared hand model when present, else a minimal stand-in with the same members."""
    if SHARED_MODEL.is_file():
        return SHARED_MODEL
    fake = tmp_path / "fake" / "hand_landmarker.task"
    fake.parent.mkdir()
    with zipfile.ZipFile(fake, "w") as z:
        for name in handmodel.BUNDLE_MEMBERS:
            z.writestr(name, os.urandom(1024))
    return fake


@pytest.fixture(autouse=True)
def stand_in_is_the_official_model(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests serve and cache the shared stand-in (or a fake) in place of the official
    download, so it is the checksum the pin accepts here."""
    monkeypatch.setattr(handmodel, "KNOWN_SHA256", frozenset({hashlib.sha256(bundle.read_bytes()).hexdigest()}))


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("ASL_LIVE_CACHE_DIR", str(cache))
    monkeypatch.delenv(handmodel.ENV_VAR, raising=False)
    return cache


@pytest.fixture()
def server_url(bundle: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving the bundle's folder (sends Content-Length)."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(bundle.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{bundle.name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hand_landmarker.task"


def junk_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(4096))
    return path


def test_shared_model_is_a_valid_bundle() -> None:
    if not SHARED_MODEL.is_file():
        pytest.skip(f"{SHARED_MODEL} not present")
    validate_bundle(SHARED_MODEL, verify_checksum=True)


def test_the_official_model_is_pinned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Version 1 of the official bundle, its size and checksum (../shared/README.md); a file with
    another checksum is refused with both checksums named and what to do."""
    assert handmodel.HAND_MODEL_URL.endswith("/hand_landmarker/float16/1/hand_landmarker.task")
    assert handmodel.HAND_MODEL_BYTES == 7_819_105
    assert handmodel.HAND_MODEL_SHA256 == "fbc2a30080c3c557093b5ddfc334698132eb341044ccee322ccf8bcf3607cde1"
    monkeypatch.setattr(handmodel, "KNOWN_SHA256", frozenset({handmodel.HAND_MODEL_SHA256}))
    if not SHARED_MODEL.is_file():
        pytest.skip(f"{SHARED_MODEL} not present")
    other = hashlib.sha256(SHARED_MODEL.read_bytes()).hexdigest()
    with pytest.raises(HandModelError) as info:
        validate_bundle(SHARED_MODEL, verify_checksum=True)
    message = str(info.value)
    assert other in message and handmodel.HAND_MODEL_SHA256 in message and "--hand-model" in message
    validate_bundle(SHARED_MODEL)  # a file the user names on purpose is not held to the pin


def test_a_damaged_member_is_named(tmp_path: Path) -> None:
    if not SHARED_MODEL.is_file():
        pytest.skip(f"{SHARED_MODEL} not present")
    damaged = tmp_path / "damaged.task"
    data = bytearray(SHARED_MODEL.read_bytes())
    with zipfile.ZipFile(SHARED_MODEL) as z:
        info = z.getinfo("hand_landmarks_detector.tflite")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 1000
    data[start:start + 64] = bytes(64)  # flip bytes inside the member: its CRC no longer matches
    damaged.write_bytes(bytes(data))
    with pytest.raises(HandModelError, match="damaged.*hand_landmarks_detector.tflite"):
        validate_bundle(damaged)


def test_explicit_path_wins_over_env_and_cache(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handmodel.ENV_VAR, str(junk_file(tmp_path / "env.task")))
    junk_file(cached_model_path())
    assert resolve_hand_model(bundle, download=False) == bundle


def test_invalid_explicit_path_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.task"
    with pytest.raises(HandModelError, match="nope.task"):
        resolve_hand_model(missing)
    junk = junk_file(tmp_path / "junk.task")
    with pytest.raises(HandModelError, match="junk.task.*not a valid"):
        resolve_hand_model(junk)


def test_env_var_used_and_checked(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handmodel.ENV_VAR, str(bundle))
    assert resolve_hand_model(download=False) == bundle
    monkeypatch.setenv(handmodel.ENV_VAR, str(junk_file(tmp_path / "env.task")))
    with pytest.raises(HandModelError, match=handmodel.ENV_VAR):
        resolve_hand_model(download=False)


def test_cache_hit_needs_no_download(bundle: Path) -> None:
    cached = cached_model_path()
    cached.parent.mkdir(parents=True)
    cached.write_bytes(bundle.read_bytes())
    assert resolve_hand_model(url=closed_port_url()) == cached


def test_corrupt_cache_is_replaced_by_download(bundle: Path, server_url: str) -> None:
    cached = junk_file(cached_model_path())
    calls: list[tuple[int, int | None]] = []
    assert resolve_hand_model(url=server_url, progress=lambda d, t: calls.append((d, t))) == cached
    assert cached.read_bytes() == bundle.read_bytes()
    size = bundle.stat().st_size
    assert calls[0] == (0, size) and calls[-1] == (size, size)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert list(cached.parent.iterdir()) == [cached]  # no temp file left beside it


def test_download_failure_is_explained_and_leaves_nothing(isolated_cache: Path) -> None:
    with pytest.raises(HandModelError) as info:
        resolve_hand_model(url=closed_port_url())
    message = str(info.value)
    assert "--hand-model" in message and handmodel.ENV_VAR in message
    assert str(cached_model_path()) in message
    assert not any(p.is_file() for p in isolated_cache.rglob("*"))


def test_downloaded_junk_is_rejected(tmp_path: Path, isolated_cache: Path) -> None:
    junk = junk_file(tmp_path / "srv" / "hand_landmarker.task")
    with pytest.raises(HandModelError, match="rejected"):
        resolve_hand_model(url=junk.as_uri())
    assert not any(p.is_file() for p in isolated_cache.rglob("*"))


def test_checksum_pin_applies_to_downloads(
    bundle: Path, server_url: str, monkeypatch: pytest.MonkeyPatch, isolated_cache: Path
) -> None:
    monkeypatch.setattr(handmodel, "KNOWN_SHA256", frozenset({"0" * 64}))
    with pytest.raises(HandModelError, match="sha256"):
        resolve_hand_model(url=server_url)
    assert not any(p.is_file() for p in isolated_cache.rglob("*"))
    good = hashlib.sha256(bundle.read_bytes()).hexdigest()
    monkeypatch.setattr(handmodel, "KNOWN_SHA256", frozenset({good}))
    assert resolve_hand_model(url=server_url) == cached_model_path()


def test_random_bytes_are_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(HandModelError, match="not a valid"):
        validate_bundle(junk_file(tmp_path / "x.task"))
    other_zip = tmp_path / "other.task"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("hand_detector.tflite", b"x")
    with pytest.raises(HandModelError, match="hand_landmarks_detector.tflite"):
        validate_bundle(other_zip)


def test_download_disabled_raises_with_instructions(server_url: str) -> None:
    with pytest.raises(HandModelError, match="downloading is disabled.*--hand-model"):
        resolve_hand_model(download=False, url=server_url)
    assert not cached_model_path().exists()


def test_print_progress_line() -> None:
    out = io.StringIO()
    mb = 1024 * 1024
    print_progress(int(3.1 * mb), int(7.8 * mb), stream=out)
    print_progress(int(7.8 * mb), int(7.8 * mb), stream=out)
    print_progress(2 * mb, None, stream=out)
    text = out.getvalue()
    assert "Downloading hand model: 3.1/7.8 MB 39%" in text
    assert "7.8/7.8 MB 100%\x1b[K\n" in text
    assert text.endswith("2.0 MB\x1b[K") and text.startswith("\r")
