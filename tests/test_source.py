"""FrameSource on real video files and on a fake camera that stops delivering."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from asl_live.source import Frame, FrameSource, SourceError, list_cameras, parse_spec

N_FRAMES, FPS = 12, 20.0


@pytest.fixture(scope="module")
def numbered_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frame k is a flat BGR (0, 0, 20k): red in RGB, brightness says which frame it is."""
    path = tmp_path_factory.mktemp("src") / "numbered.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (64, 48))
    for k in range(N_FRAMES):
        w.write(np.full((48, 64, 3), (0, 0, 20 * k), np.uint8))
    w.release()
    return path


def frame_number(f: Frame) -> int:
    return int(round(f.rgb[..., 0].mean() / 20))


def test_parse_spec():
    assert parse_spec(3) == 3 and parse_spec(" 1 ") == 1
    assert parse_spec("clip.mp4") == Path("clip.mp4")


def test_missing_camera_lists_cameras_and_options():
    cams = list_cameras()
    with pytest.raises(SourceError) as e:
        FrameSource(7).open()
    msg = str(e.value)
    assert "camera 7" in msg and "--camera N" in msg and "--source FILE" in msg
    if cams:
        assert ", ".join(map(str, cams)) in msg
    else:
        assert "no cameras found" in msg.lower()


def test_file_frames_are_rgb_with_file_timestamps(numbered_video: Path):
    with FrameSource(numbered_video, loop=False) as src:
        assert not src.is_camera and src.fps == pytest.approx(FPS)
        frames = list(src)
    assert [frame_number(f) for f in frames] == list(range(N_FRAMES))
    assert [f.index for f in frames] == list(range(N_FRAMES))
    assert [f.timestamp_ms for f in frames] == [round(k * 1000 / FPS) for k in range(N_FRAMES)]
    first = frames[1].rgb
    assert first.dtype == np.uint8 and first.shape == (48, 64, 3)
    assert first[..., 0].mean() > 10 and first[..., 2].mean() < 5  # BGR red became RGB red


def test_file_without_loop_ends_with_none(numbered_video: Path):
    src = FrameSource(numbered_video, loop=False).open()
    for _ in range(N_FRAMES):
        assert src.read() is not None
    assert src.read() is None and src.finished
    assert src.read() is None
    src.close()


def test_file_loops(numbered_video: Path):
    with FrameSource(numbered_video, loop=True) as src:
        frames = [src.read() for _ in range(2 * N_FRAMES + 3)]
    assert all(f is not None for f in frames)
    assert [frame_number(f) for f in frames] == [k % N_FRAMES for k in range(2 * N_FRAMES + 3)]
    stamps = [f.timestamp_ms for f in frames]
    assert all(b > a for a, b in zip(stamps, stamps[1:]))  # MediaPipe needs increasing times
    assert frames[-1].index == 2 * N_FRAMES + 2


def test_generated_video_plays(synth_video):
    with FrameSource(synth_video.path, loop=False) as src:
        n = sum(1 for _ in src)
        assert src.frame_count == len(synth_video.labels)
    assert n == len(synth_video.labels)


def test_missing_file(tmp_path: Path):
    with pytest.raises(SourceError, match="not found"):
        FrameSource(tmp_path / "nope.mp4").open()


@pytest.mark.parametrize("content", [b"", b"\x00" * 10, np.random.default_rng(0).bytes(50_000)])
def test_corrupt_file(tmp_path: Path, content: bytes):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(SourceError, match="not a readable video"):
        FrameSource(path).open()


class FakeCamera:
    """Stands in for cv2.VideoCapture(index): a script says which opens work and how many
    frames each opened device delivers before it goes silent."""

    def __init__(self, plan: list[int | None]) -> None:
        self.plan = plan  # per open(): frames it delivers, or None = the open fails
        self.opens = 0

    def __call__(self, index):
        n = self.plan[min(self.opens, len(self.plan) - 1)]
        self.opens += 1
        return _FakeCap(n)


class _FakeCap:
    def __init__(self, frames: int | None) -> None:
        self.left = frames

    def isOpened(self) -> bool:
        return self.left is not None

    def read(self):
        if not self.left:
            return False, None
        self.left -= 1
        return True, np.zeros((4, 4, 3), np.uint8)

    def get(self, prop):
        return 0.0

    def release(self) -> None:
        pass


def test_camera_that_stops_is_retried_with_backoff():
    cam = FakeCamera([3, None, 0, None, None, None, None, 2])
    src = FrameSource(0, capture_factory=cam)
    waits: list[float] = []
    src._wait = lambda s: waits.append(s) or False  # no real sleeping in tests
    src.open()
    got, statuses = [], []
    for _ in range(12):
        f = src.read()
        got.append(f is not None)
        statuses.append(src.status)
    assert got[:3] == [True, True, True]
    assert statuses[3] == "Camera stopped delivering frames; retrying in 0.5s"
    retry_msgs = [s for s in statuses if s]
    delays = [float(s.rsplit(" ", 1)[1].rstrip("s")) for s in dict.fromkeys(retry_msgs)]
    assert delays == [0.5, 1, 2, 4, 5]  # doubling, capped at 5 s
    assert [round(w, 1) for w in waits] == [0.5, 1, 2, 4, 5, 5, 5]
    assert got[-2:] == [True, True] and statuses[-1] == ""  # recovered: status cleared
    assert cam.opens == 8 and not src.finished
    src.close()
    assert src.read() is None and src.finished


def test_close_wakes_a_read_waiting_to_retry():
    src = FrameSource(0, capture_factory=FakeCamera([1, None]))
    src.open()
    assert src.read() is not None
    assert src.read() is None  # failed; retry scheduled
    src._backoff = 30.0
    src._schedule_retry()
    t = time.monotonic()
    threading.Timer(0.2, src.close).start()
    assert src.read() is None
    assert time.monotonic() - t < 5


def test_camera_timestamps_increase():
    src = FrameSource(0, capture_factory=FakeCamera([5])).open()
    stamps = [src.read().timestamp_ms for _ in range(5)]
    src.close()
    assert all(b > a for a, b in zip(stamps, stamps[1:]))
