"""The second look (trainer.second_look): MediaPipe's landmark network as a detector where the
palm detector misses, in photos and in video, and never on a frame without a hand."""

from __future__ import annotations

import math
import sys
from dataclasses import replace

import cv2
import numpy as np
import pytest

from _paths import HAND_MODEL, LETTERS, REPO, kaggle_image

sys.path.insert(0, str(REPO / "scripts"))
from hard_frames import paint_out_hand, wall  # noqa: E402
from synthvideo import _composite, _Placement, _write_frames, cut_out_hand  # noqa: E402

from trainer import second_look as sl  # noqa: E402
from trainer.hands import CropSettings, HandCropper, _pad_and_scale  # noqa: E402
from trainer.images import mirrored, read_rgb  # noqa: E402

MEDIAPIPE_ONLY = replace(CropSettings(), second_look=False)


def paste(bg: np.ndarray, digit: int, k: int, centre: tuple[float, float], height: float,
          angle: float = 0.0, t: float = 0.0) -> np.ndarray:
    """A Kaggle hand cut from its black background, pasted `height` px tall at `centre`."""
    cut = cut_out_hand(read_rgb(kaggle_image(digit, k)))
    ch = cut.alpha.shape[0]
    rate = np.array([0.5, 0.4, 0.3]) if t else np.zeros(3)
    return _composite(bg, _Placement(cut, centre, height / ch, angle, 1.0, np.zeros(3), rate), t)


@pytest.fixture(scope="module")
def net() -> sl.LandmarkNet:
    return sl.LandmarkNet(HAND_MODEL)


@pytest.fixture(scope="module")
def croppers():
    with HandCropper(HAND_MODEL, MEDIAPIPE_ONLY) as alone, HandCropper(HAND_MODEL) as both:
        yield alone, both


def test_the_network_on_mediapipes_window_gives_mediapipes_landmarks(net) -> None:
    """Window, input scaling and the outputs' meaning are MediaPipe's: run on the window
    MediaPipe's tracking makes from one frame's landmarks, the network gives the landmarks
    MediaPipe reports for the next frame, and calls the hand what MediaPipe calls it."""
    frame = paste(np.full((480, 640, 3), 200, np.uint8), 3, 10, (320, 260), 220)
    for image, want in ((frame, "Right"), (mirrored(frame), "Left")):
        with HandCropper(HAND_MODEL, replace(MEDIAPIPE_ONLY, canonical_hand=False), mode="video") as video:
            first, hand, _ = video._detect(image, 0)
            tracked, _, _ = video._detect(image, 33)
        assert hand == want
        look = net.look(image, sl.window_from_landmarks(first))
        assert look.presence > 0.95 and look.handedness == want
        assert np.abs(look.landmarks[:, :2] - tracked[:, :2]).max() < 0.5  # pixels


def test_the_window_turns_with_the_hand(net, croppers) -> None:
    alone, _ = croppers
    frame = paste(np.full((480, 640, 3), 200, np.uint8), 5, 10, (320, 240), 220)
    upright = sl.window_from_landmarks(alone._detect(frame)[0])
    turned_frame = np.ascontiguousarray(cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE))
    turned = sl.window_from_landmarks(alone._detect(turned_frame)[0])
    diff = (turned.rotation - upright.rotation + math.pi) % (2 * math.pi) - math.pi
    assert abs(diff - math.pi / 2) < 0.3  # the fingers now point right: a quarter turn clockwise
    assert net.look(turned_frame, turned).presence > 0.95


@pytest.mark.parametrize("digit,background", [(1, "pink"), (4, "skin"), (7, "pink"), (9, "pink")])
def test_photos_get_a_second_look_where_mediapipe_misses(croppers, digit, background) -> None:
    """Kaggle hands on a pink or skin-toned wall that MediaPipe's palm detector misses: the
    photo path finds them, where they are, and a mirrored (left) hand too."""
    alone, both = croppers
    frame = paste(wall(np.random.default_rng(digit), background), digit, 10, (320, 300), 110)
    assert alone.landmarks(frame) is None  # the case this is for
    for image, want, x in ((frame, "Right", 320), (mirrored(frame), "Left", 640 - 320)):
        found = both.landmarks(image)
        assert found is not None and both.stage == "second_look"
        pts, hand, score = found
        assert hand == want and score >= sl.SecondLookSettings().confirm_presence
        centre = (pts[:, :2].max(axis=0) + pts[:, :2].min(axis=0)) / 2
        assert abs(centre[0] - x) < 40 and abs(centre[1] - 300) < 50
        assert 70 < np.ptp(pts[:, 1]) < 150  # a hand about 110 px tall


def test_webcam_sized_photos_are_seen_as_they_are_first(croppers) -> None:
    """A small hand in a 640x480 photo: framed like a dataset photo (padded, shrunk to 256
    px) the palm detector misses it; the photo path looks at a webcam-sized frame as it is
    first, and finds it there."""
    alone, _ = croppers
    frame = paste(np.full((480, 640, 3), 170, np.uint8), 8, 10, (200, 200), 110)
    big, *_ = _pad_and_scale(frame, CropSettings().photo_pads[0], CropSettings().photo_side)
    assert alone._detect(big) is None
    pts, _, _ = alone.landmarks(frame)
    assert alone.stage == "mediapipe" and 70 < np.ptp(pts[:, 1]) < 130


def test_no_hand_is_invented_on_walls_rooms_and_noise(croppers) -> None:
    """Frames without a hand: the hard walls, noise, flat colours, and real rooms from the
    letter photos with the hand painted out. Neither look finds a hand."""
    alone, both = croppers
    rng = np.random.default_rng(5)
    frames = [wall(np.random.default_rng(s), kind) for s in range(3) for kind in ("skin", "pink", "pattern", "clutter")]
    frames += [rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), np.full((480, 640, 3), (214, 160, 130), np.uint8)]
    photos = sorted(LETTERS.glob("*/*.jpg"))[::60]
    rooms = 0
    for path in photos:
        rgb = read_rgb(path)
        found = alone.landmarks(rgb)
        if found is not None:
            room = paint_out_hand(rgb, found[0])
            if alone.landmarks(room) is None:
                frames.append(cv2.resize(room, (640, 480)))
                rooms += 1
    assert rooms >= 6
    for frame in frames:
        assert both.landmarks(frame) is None, both.stage


def _video(tmp_path, frames: list[np.ndarray]):
    path = _write_frames(tmp_path / "clip.mp4", lambda: iter(frames), 30.0, (640, 480))
    from asl_live.source import FrameSource

    return FrameSource(path, loop=False)


@pytest.fixture()
def runs(monkeypatch) -> list[int]:
    """Runs of the real landmark network, counted (one list entry per run)."""
    counted: list[int] = []
    look = sl.LandmarkNet.look

    def counting(self, rgb, window):
        counted.append(1)
        return look(self, rgb, window)

    monkeypatch.setattr(sl.LandmarkNet, "look", counting)
    return counted


@pytest.mark.parametrize("flip", [False, True])
def test_video_searches_a_window_or_two_a_frame_then_tracks(tmp_path, flip, runs) -> None:
    """Live: a hand MediaPipe never finds (a 4 on a skin-toned wall, slowly moving) is found by
    the search within a few frames (the window where the picture moves is looked at first),
    then tracked frame to frame, a left hand as a left hand; while searching, a frame costs at
    most the moving window and a sweep window (and a look to confirm, one to turn a left hand)."""
    bg = wall(np.random.default_rng(4), "skin")
    frames = [paste(bg, 4, 10, (320, 300), 110, t=i / 30) for i in range(75)]
    frames = [mirrored(f) for f in frames] if flip else frames
    settings = sl.SecondLookSettings()
    stages, per_frame = [], []
    with _video(tmp_path, frames) as src, HandCropper(HAND_MODEL, mode="video") as cropper, \
            HandCropper(HAND_MODEL, MEDIAPIPE_ONLY, mode="video") as alone:
        for f in src:
            before = len(runs)
            found = cropper.landmarks(f.rgb, f.timestamp_ms)
            per_frame.append(len(runs) - before)
            stages.append(cropper.stage)
            assert alone.landmarks(f.rgb, f.timestamp_ms) is None
            if found is not None:
                assert found[1] == ("Left" if flip else "Right")
    first = stages.index("second_look")
    assert first < 10, stages
    assert all(r <= settings.moving_windows + 1 + 2 for r in per_frame[:first + 1])
    after = stages[first + 1:]
    assert after.count("tracked") >= 0.95 * len(after), stages  # held once found


def test_a_still_empty_room_costs_only_the_slow_sweep(tmp_path, runs) -> None:
    """Nothing moves and nothing is found: only the sweep runs, one window every few frames."""
    frames = [wall(np.random.default_rng(2), "pink")] * 40
    with _video(tmp_path, frames) as src, HandCropper(HAND_MODEL, mode="video") as cropper:
        for f in src:
            assert cropper.landmarks(f.rgb, f.timestamp_ms) is None
    assert 0 < len(runs) <= 40 / sl.SecondLookSettings().sweep_every + 2
