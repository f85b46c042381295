"""The framing coach (asl_live.framing): each line is said for frames made to show its
condition (real hands, found by the real landmarker), and not for a well-framed hand."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from _paths import HAND_MODEL, REPO

sys.path.insert(0, str(REPO / "scripts"))
from synthvideo import _write_frames, dimmed, make_background  # noqa: E402
from test_second_look import paste  # noqa: E402

from asl_live import framing as fr  # noqa: E402
from trainer.hands import HandCropper  # noqa: E402


def room(seed: int = 3) -> np.ndarray:
    return make_background(np.random.default_rng(seed), (640, 480))


def smeared(rgb: np.ndarray, k: int) -> np.ndarray:
    """A hand moved sideways during the exposure."""
    kernel = np.zeros((k, k), np.float32)
    kernel[k // 2, :] = 1 / k
    return cv2.filter2D(rgb, -1, kernel)


FRAMES = {  # name: (frame, what the coach should say)
    "framed well": (lambda: paste(room(), 5, 10, (320, 240), 220), None),
    "wrist below the picture": (lambda: paste(room(), 5, 10, (320, 430), 220), fr.MOVE_UP),
    "fingertips above it": (lambda: paste(room(), 1, 10, (320, 90), 220), fr.MOVE_DOWN),
    "cut at the side": (lambda: paste(room(), 5, 10, (40, 240), 220), fr.MOVE_IN),
    "small": (lambda: paste(room(), 5, 10, (320, 240), 65), fr.COME_CLOSER),
    "dark": (lambda: dimmed(paste(room(), 5, 10, (320, 240), 220), 2, np.random.default_rng(0)), fr.TOO_DARK),
    "blurred": (lambda: smeared(paste(room(), 5, 10, (320, 240), 220), 41), fr.BLURRED),
    "on its side": (lambda: paste(room(), 1, 10, (320, 240), 220, angle=90.0), fr.SIDEWAYS),
    "leaning": (lambda: paste(room(), 1, 10, (320, 240), 220, angle=40.0), None),
}


@pytest.fixture(scope="module")
def cropper():
    with HandCropper(HAND_MODEL) as c:
        yield c


@pytest.mark.parametrize("name", list(FRAMES))
def test_each_condition_is_told_from_the_frame(cropper, name) -> None:
    make, want = FRAMES[name]
    frame = make()
    obs = cropper.observe(frame)
    assert obs is not None  # the hand is found: the coach says how to frame it better
    assert fr.frame_problem(frame, obs, fr.FramingSettings()) == want


def test_the_coach_waits_then_speaks_then_stops_once_the_hand_is_framed(cropper) -> None:
    """A still moment is not a problem: a condition is said once it held 0.5 s, "no hand"
    after a second, and the line goes once the hand is found and framed well."""
    wall, low, good = room(7), FRAMES["wrist below the picture"][0](), FRAMES["framed well"][0]()
    coach = fr.FramingCoach()
    said = {}
    timeline = [(wall, t) for t in range(0, 1400, 33)] + [(low, t) for t in range(1400, 2400, 33)] + \
               [(good, t) for t in range(2400, 3000, 33)]
    obs_of = {id(f): cropper.observe(f) for f in (wall, low, good)}
    for frame, t in timeline:
        said[t] = coach.update(frame, obs_of[id(frame)], t)
    assert all(said[t] is None for t in said if t < 990)
    assert all(said[t] == fr.NO_HAND for t in said if 1000 <= t < 1400)
    assert said[1400] is None  # the hand is found: "no hand" goes at once
    assert all(said[t] == fr.MOVE_UP for t in said if 1900 <= t < 2400)
    assert all(said[t] is None for t in said if t >= 2400 + 300 + 33)


def test_a_dark_empty_room_is_told_to_switch_on_a_light() -> None:
    coach = fr.FramingCoach()
    dark = dimmed(room(2), 2, np.random.default_rng(1))
    said = [coach.update(dark, None, t) for t in range(0, 1500, 33)]
    assert said[-1] == fr.TOO_DARK and said[0] is None


def test_the_live_pipeline_carries_the_line(tmp_path, classifier) -> None:
    """End to end on a video file: an empty room, then a hand held too low."""
    from asl_live.live import LivePipeline
    from asl_live.source import FrameSource

    frames = [room(7)] * 36 + [FRAMES["wrist below the picture"][0]()] * 30
    path = _write_frames(tmp_path / "coach.mp4", lambda: iter(frames), 30.0, (640, 480))
    with FrameSource(path, loop=False) as src, LivePipeline(HAND_MODEL) as live:
        lines = [live.process(f.rgb, f.timestamp_ms, classifier).coach for f in src]
    assert lines[:29] == [None] * 29 and lines[35] == fr.NO_HAND
    assert lines[-1] == fr.MOVE_UP
