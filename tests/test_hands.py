"""The shared cropping path on real shared images, and the crop cache."""

import json

import numpy as np
import pytest

from trainer.cache import NO_HAND, CropCache
from trainer.crops import crop_samples
from trainer.data import scan
from trainer.features import handshape_distance, normalise_landmarks
from trainer.hands import CropSettings, HandCropper, crop_box, square_box
from trainer.images import read_rgb
from trainer.variants import VARIANTS

from _paths import HAND_MODEL, kaggle_image, sld_images


@pytest.fixture(scope="module")
def cropper():
    with HandCropper(HAND_MODEL, CropSettings(size=64)) as c:
        yield c


def test_crop_on_kaggle_image(cropper):
    rgb = read_rgb(kaggle_image(5, 10))
    obs = cropper.observe(rgb)
    assert obs is not None
    assert obs.crop.shape == (64, 64, 3) and obs.crop.dtype == np.uint8
    assert obs.landmarks.shape == (21, 3)
    h, w = rgb.shape[:2]
    assert (obs.landmarks[:, 0] > -5).all() and (obs.landmarks[:, 0] < w + 5).all()
    x0, y0, side = obs.box
    assert side > np.ptp(obs.landmarks[:, :2], axis=0).max()  # the box holds every landmark
    assert obs.handedness in ("Left", "Right")
    assert obs.crop.mean() > 10  # a hand, not the black background only


def test_hand_filling_the_frame_found_after_padding(cropper):
    """The 218-signer photos are hands that fill the frame: framed (padded, scaled) the
    landmarker finds every one; shown as they are, it misses many."""
    found_plain = found = 0
    paths = [p for d in range(10) for p in sld_images(d)[5:15]]
    # MediaPipe alone: the second look (tests/test_second_look.py) finds most of them as they are
    with HandCropper(HAND_MODEL, CropSettings(photo_pads=(), grey_photo_pads=(), second_look=False)) as as_is:
        for path in paths:
            rgb = read_rgb(path)
            assert rgb.shape[:2] == (100, 100)
            found_plain += as_is.observe(rgb) is not None
            found += cropper.observe(rgb) is not None
    assert found == len(paths)
    assert found_plain <= len(paths) - 5, found_plain  # measured: 86 of these 100 as they are


def test_framed_photos_give_tiny_and_grey_copies_the_photos_fit():
    """Image mode frames a photo (padded, at a fixed size) before the landmarker looks: a 64 px
    or grey copy of a 100 px photo is then fitted like the photo itself."""
    paths = [p for d in range(10) for p in sld_images(d)[:3]]

    def disagreements(settings: CropSettings) -> int:
        n = 0
        with HandCropper(HAND_MODEL, settings) as c:
            for path in paths:
                rgb = read_rgb(path)
                own = c.landmarks(rgb)
                for variant in ("low64", "gray"):
                    copy = c.landmarks(VARIANTS[variant](rgb))
                    n += own is None or copy is None or handshape_distance(own, copy) > 0.15
        return n

    framed, as_is = disagreements(CropSettings()), disagreements(CropSettings(photo_pads=(), grey_photo_pads=()))
    assert framed <= 2, framed
    assert as_is >= framed + 5, (as_is, framed)


def test_grey_photos_of_lit_scenes_follow_their_own_framing(monkeypatch):
    """Grey photos on a light wall are framed with `grey_photo_pads` where given; colour photos
    and dark grey ones (hands cut out onto black) keep `photo_pads`."""
    import trainer.hands as hands

    pads_tried: list[float] = []
    real = hands._pad_and_scale

    def recording(rgb, pad, side):
        pads_tried.append(pad)
        return real(rgb, pad, side)

    monkeypatch.setattr(hands, "_pad_and_scale", recording)
    wall = read_rgb(sld_images(3)[0])
    cutout = read_rgb(kaggle_image(3, 5))
    with HandCropper(HAND_MODEL, CropSettings(photo_pads=(0.3, 0.6), grey_photo_pads=(0.6, 0.3))) as c:
        for rgb, first in [(wall, 0.3), (VARIANTS["gray"](wall), 0.6), (VARIANTS["gray"](cutout), 0.3)]:
            pads_tried.clear()
            assert c.landmarks(rgb) is not None
            assert pads_tried[0] == first, (first, pads_tried)
    with HandCropper(HAND_MODEL, CropSettings(photo_pads=(0.1, 0.3), grey_photo_pads=None)) as c:  # as any photo
        pads_tried.clear()
        assert c.landmarks(VARIANTS["gray"](wall)) is not None
        assert pads_tried[0] == 0.1, pads_tried
    assert CropSettings.from_dict(json.loads(json.dumps(CropSettings().to_dict()))) == CropSettings()  # as in bundle.json


def test_crop_settings_from_older_bundles():
    old = {"size": 64, "margin": 0.25, "retry_pads": [0.3, 0.6], "retry_side": 256}
    assert CropSettings.from_dict(old) == CropSettings(grey_photo_pads=None)  # framed as any photo then
    assert CropSettings.from_dict(CropSettings(photo_pads=(0.1,)).to_dict()).photo_pads == (0.1,)


def test_no_hand_in_a_blank_frame(cropper):
    assert cropper.observe(np.full((240, 320, 3), 90, np.uint8)) is None


def test_unreadable_files(tmp_path):
    (tmp_path / "x.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    assert read_rgb(tmp_path / "x.jpg") is None
    (tmp_path / "e.png").write_bytes(b"")
    assert read_rgb(tmp_path / "e.png") is None


def test_crop_box_replicates_border_outside_frame():
    rgb = np.zeros((50, 50, 3), np.uint8)
    rgb[:, :25] = 200
    crop = crop_box(rgb, (-50, 0, 100), 20)  # half of the box lies left of the frame
    assert crop.shape == (20, 20, 3)
    assert crop[:, 0].min() == 200 and crop[:, -1].max() == 0
    assert square_box(np.array([[0, 0], [10, 20]], float), 0.25)[2] == pytest.approx(30)


def test_landmark_normalisation_ignores_position_scale_and_hand():
    rng = np.random.default_rng(0)
    pts = rng.uniform(100, 200, (21, 3)).astype(np.float32)
    moved = pts * 2.5 + np.array([40, -30, 0], np.float32)
    mirrored = pts.copy()
    mirrored[:, 0] = 1000 - mirrored[:, 0]
    a = normalise_landmarks(pts, "Right")
    assert np.allclose(a, normalise_landmarks(moved, "Right"), atol=1e-5)
    assert np.allclose(a, normalise_landmarks(mirrored, "Left"), atol=1e-5)
    assert np.linalg.norm(a.reshape(21, 2)[9]) == pytest.approx(1.0)

    # upright: the same hand tilted by any angle gives the same numbers, knuckle straight up
    tilt = 0.9
    rot = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]], np.float32)
    tilted = pts.copy()
    tilted[:, :2] = (pts[:, :2] - 150) @ rot.T + 150
    up = normalise_landmarks(pts, "Right", upright=True)
    assert np.allclose(up, normalise_landmarks(tilted, "Right", upright=True), atol=1e-4)
    assert not np.allclose(a, normalise_landmarks(tilted, "Right"), atol=1e-2)
    assert np.allclose(up.reshape(21, 2)[9], [0, -1], atol=1e-5)


def test_crop_cache_skips_mediapipe_on_second_run(tmp_path, monkeypatch):
    root = tmp_path / "d" / "4"
    root.mkdir(parents=True)
    for k in (1, 2, 3):
        (root / f"{k}.jpeg").write_bytes(kaggle_image(4, k).read_bytes())
    (root / "bad.jpg").write_bytes(b"garbage")
    samples = scan(root.parent)
    first = crop_samples(samples, HAND_MODEL, cache_root=tmp_path / "cache")
    assert first.from_cache == 0 and len(first.unreadable) == 1 and len(first.samples) == 3
    assert "1 unreadable" in first.summary()

    import trainer.crops

    def boom(*a, **k):
        raise AssertionError("MediaPipe ran although everything was cached")

    monkeypatch.setattr(trainer.crops, "HandCropper", boom)
    second = crop_samples(samples[:3] if samples[0].path.name != "bad.jpg" else samples[1:], HAND_MODEL,
                          cache_root=tmp_path / "cache")
    assert second.from_cache == 3
    for a, b in zip(first.observations, second.observations):
        assert np.array_equal(a.crop, b.crop) and np.allclose(a.landmarks, b.landmarks)

    # Other crop settings are another key: nothing from the first run applies.
    other = CropCache(tmp_path / "cache", CropSettings(size=32), HAND_MODEL)
    assert other.get(samples[0].digest) is None
    # So is a new way of finding hands (trainer.hands.CROPPER_VERSION).
    import trainer.cache

    monkeypatch.setattr(trainer.cache, "CROPPER_VERSION", trainer.cache.CROPPER_VERSION + 1)
    assert CropCache(tmp_path / "cache", CropSettings(), HAND_MODEL).get(samples[0].digest) is None


def test_cache_records_no_hand_and_survives_corruption(tmp_path):
    cache = CropCache(tmp_path, CropSettings(), HAND_MODEL)
    cache.put("abc", None)
    assert cache.get("abc") == NO_HAND
    path = cache._path("abc")
    path.write_bytes(b"corrupt")
    assert cache.get("abc") is None and not path.exists()


def test_grey_photos_are_found_far_more_often_with_enhancement():
    greys = [VARIANTS["gray"](read_rgb(kaggle_image(d, k))) for d in range(10) for k in (11, 12)]
    counts = {}
    for enhance in (False, True):
        with HandCropper(HAND_MODEL, CropSettings(enhance=enhance)) as c:
            counts[enhance] = sum(c.landmarks(g) is not None for g in greys)
    assert counts[True] >= 0.85 * len(greys)
    assert counts[True] > counts[False] + 4, counts


def test_a_left_hand_gets_the_landmarks_of_its_mirror_image():
    """Canonical handedness: the landmarker fits a mirrored (left) hand in the mirrored frame,
    so a left hand yields exactly the mirrored landmarks of the right hand it mirrors."""
    images = [read_rgb(kaggle_image(d, 10)) for d in (1, 6, 8)]
    with HandCropper(HAND_MODEL, CropSettings()) as canon, \
            HandCropper(HAND_MODEL, CropSettings(canonical_hand=False)) as raw:
        differs = 0
        for rgb in images:
            w = rgb.shape[1]
            right = canon.landmarks(rgb)
            assert right is not None and right[1] == "Right"
            mirrored = np.ascontiguousarray(rgb[:, ::-1])
            left, as_is = canon.landmarks(mirrored), raw.landmarks(mirrored)
            assert left[1] == "Left" and as_is[1] == "Left"
            expected = right[0].copy()
            expected[:, 0] = w - expected[:, 0]
            assert np.allclose(left[0], expected, atol=1e-3)
            differs += not np.allclose(as_is[0][:, :2], expected[:, :2], atol=0.5)
        assert differs >= 1  # without it, the landmarker's own left-hand fit is used


def test_video_mode_tracks_a_left_hand_in_the_mirrored_stream():
    rgb = np.ascontiguousarray(read_rgb(kaggle_image(3, 10))[:, ::-1])  # a left hand, held still
    with HandCropper(HAND_MODEL, CropSettings(), mode="video") as c:
        seen = [c.landmarks(rgb, timestamp_ms=40 * i) for i in range(6)]
        assert all(f is not None and f[1] == "Left" for f in seen)
        assert c._flipped  # switched to the mirrored stream after the first frame
    with HandCropper(HAND_MODEL, CropSettings()) as still:
        expected = still.landmarks(rgb)[0]
    # once mirrored, the landmarks are those of the right-hand fit, back in frame pixels
    assert np.abs(seen[-1][0][:, :2] - expected[:, :2]).mean() < 0.02 * rgb.shape[1]


def test_grey_frames_are_shown_to_the_landmarker_in_skin_tones():
    from trainer.hands import detection_image
    from trainer.images import is_grey

    rgb = read_rgb(kaggle_image(2, 5))
    grey = VARIANTS["gray"](rgb)
    toned = detection_image(grey, CropSettings())
    assert is_grey(grey) and not is_grey(toned)
    assert toned[..., 0].mean() > toned[..., 2].mean() + 10  # warm, like skin
    assert detection_image(rgb, CropSettings()) is rgb  # colour frames go as they are
    assert detection_image(grey, CropSettings(enhance=False)) is grey


def test_variants_keep_the_image_usable():
    rgb = read_rgb(kaggle_image(2, 5))
    for name, f in VARIANTS.items():
        out = f(rgb)
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3, name
    assert VARIANTS["low64"](rgb).shape[:2] == VARIANTS["gray64"](rgb).shape[:2] == (64, 64)
    assert np.ptp(VARIANTS["gray64"](rgb).astype(int), axis=2).max() == 0  # every pixel grey
    assert np.array_equal(VARIANTS["mirror"](rgb)[:, 0], rgb[:, -1])
    assert VARIANTS["dark"](rgb).mean() < rgb.mean() < VARIANTS["bright"](rgb).mean()


def test_dim_webcam_frames_get_a_second_look(synth_video):
    """The live path looks again, denoised and brightened, at a dim frame where it found no
    hand: on the test video dimmed as a webcam in a dim room gives it, more hands are found,
    and none where there is none."""
    from synthvideo import dimmed

    from asl_live.source import FrameSource

    rng = np.random.default_rng(0)
    with FrameSource(synth_video.path, loop=False) as src:
        frames = [(f.timestamp_ms, dimmed(f.rgb, 2, rng)) for f in src]
    found = {}
    for second_look in (True, False):
        # the landmark network's look (trainer.second_look) left out: this is the dim-room one
        with HandCropper(HAND_MODEL, CropSettings(enhance=second_look, second_look=False), mode="video") as c:
            hits = [c.landmarks(rgb, ts) is not None for ts, rgb in frames]
        found[second_look] = (sum(h for h, lab in zip(hits, synth_video.labels) if lab is not None),
                              sum(h for h, lab in zip(hits, synth_video.labels) if lab is None))
    hands = sum(lab is not None for lab in synth_video.labels)
    assert found[True][1] == found[False][1] == 0, found
    assert found[True][0] >= found[False][0] + 0.05 * hands, (found, hands)
