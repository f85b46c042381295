"""The tilt input and the room backgrounds that teach "not a digit" (issue "Not a digit")."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from trainer.backgrounds import background_bank, hand_mask, remove_hand, room_patches
from trainer.bundle_meta import BundleError, BundleMeta
from trainer.features import LANDMARK_FEATURES, batch_inputs, hand_tilt, landmark_feature_count
from trainer.hands import HandObservation
from trainer.train import _augment_fn


def _hand(angle_deg: float, handedness: str = "Right", centre=(200.0, 200.0), length: float = 60.0):
    """21 landmarks of a stick hand: wrist at `centre`, every other point along the direction
    `angle_deg` from "up" (towards image right for a right hand; a left hand is the mirror)."""
    a = math.radians(angle_deg)
    direction = np.array([math.sin(a), -math.cos(a)], np.float32)
    if handedness == "Left":
        direction[0] = -direction[0]
    pts = np.zeros((21, 3), np.float32)
    for i in range(21):
        pts[i, :2] = np.asarray(centre, np.float32) + direction * length * (0.2 + 0.1 * i) * (i > 0)
    pts[9, :2] = np.asarray(centre, np.float32) + direction * length  # the middle knuckle
    return pts


def _obs(angle_deg: float, handedness: str = "Right") -> HandObservation:
    return HandObservation(np.zeros((64, 64, 3), np.uint8), _hand(angle_deg, handedness), (0.0, 0.0, 64.0),
                           handedness, 1.0)


@pytest.mark.parametrize("angle", [0.0, 30.0, -45.0, 90.0, 180.0, -120.0])
@pytest.mark.parametrize("hand", ["Right", "Left"])
def test_hand_tilt_reads_which_way_the_hand_points(angle, hand):
    got = math.degrees(hand_tilt(_hand(angle, hand), hand))
    assert abs((got - angle + 180) % 360 - 180) < 1e-3


def test_tilt_input_is_appended_and_leaves_the_landmarks_as_they_were():
    obs = [_obs(0.0), _obs(90.0), _obs(180.0, "Left")]
    plain = batch_inputs(obs, upright=True)
    tilted = batch_inputs(obs, upright=True, tilt=True)
    assert plain["landmarks"].shape == (3, LANDMARK_FEATURES)
    assert tilted["landmarks"].shape == (3, landmark_feature_count(True)) == (3, 44)
    assert np.array_equal(tilted["landmarks"][:, :LANDMARK_FEATURES], plain["landmarks"])
    assert np.allclose(tilted["landmarks"][:, LANDMARK_FEATURES:], [[0, 1], [1, 0], [0, -1]], atol=1e-6)
    # upright landmarks are the same whichever way the hand points: only the tilt tells them apart
    assert np.allclose(plain["landmarks"][0], plain["landmarks"][1], atol=1e-5)


def _meta_dict(**inp) -> dict:
    return {"format_version": 1, "classes": list(range(10)), "input": inp,
            "crop_settings": {"size": 64, "margin": 0.25}}


def test_bundle_records_the_tilt_and_older_bundles_read_as_before():
    old = BundleMeta.from_dict(_meta_dict(crop=[64, 64, 3], landmarks=42, upright=True))
    assert old.tilt is False and old.landmark_features == 42
    assert "tilt" not in old.to_dict()["input"]  # an older bundle is written back as it was
    new = BundleMeta(classes=list(range(10)), upright=True, tilt=True, landmark_features=44)
    raw = json.loads(json.dumps(new.to_dict()))
    assert raw["input"]["tilt"] is True and raw["input"]["landmarks"] == 44
    assert BundleMeta.from_dict(raw).tilt is True
    with pytest.raises(BundleError, match="input.landmarks"):
        BundleMeta.from_dict(_meta_dict(crop=[64, 64, 3], landmarks=42, upright=True, tilt=True))


def _augmented_tilt(angles_deg, jitter: float, seed: int = 3, labels=None, not_digit_jitter=None) -> np.ndarray:
    n = len(angles_deg)
    lm = np.concatenate([np.zeros((n, 42), np.float32),
                         np.stack([np.sin(np.radians(angles_deg)), np.cos(np.radians(angles_deg))], 1)], 1)
    crops = np.full((n, 32, 32, 3), 128, np.uint8)
    y = np.eye(11, dtype=np.float32)[np.zeros(n, int) if labels is None else labels]
    out, _ = _augment_fn(32, seed=seed, tilt=True, tilt_jitter_deg=jitter, not_digit_tilt_jitter_deg=not_digit_jitter)(
        {"crop": crops, "landmarks": lm.astype(np.float32)}, y)
    x = out["landmarks"].numpy()
    assert x.shape == (n, 44)
    assert np.allclose(np.hypot(x[:, 42], x[:, 43]), 1, atol=1e-5)
    return np.degrees(np.arctan2(x[:, 42], x[:, 43]))


def test_tilt_augmentation_mirrors_with_the_hand_and_jitters_within_bounds():
    angles = np.array([0, 20, 90, 150, -60, 170, -170, 45] * 8, np.float32)
    got = _augmented_tilt(angles, jitter=0.0)
    # no jitter: each tilt is kept or mirrored (the batch's crops and landmarks are flipped together)
    mirrored = np.isclose(got, -angles, atol=1e-3) | np.isclose(np.abs(got), 180, atol=1e-3) & (np.abs(angles) == 180)
    kept = np.isclose(got, angles, atol=1e-3)
    assert (mirrored | kept).all() and mirrored.any() and kept.any()
    got = _augmented_tilt(angles, jitter=15.0)
    diff = np.minimum(np.abs((got - angles + 180) % 360 - 180), np.abs((got + angles + 180) % 360 - 180))
    assert diff.max() <= 15.0 + 1e-3 and diff.max() > 1.0


def test_hands_that_are_no_digit_keep_their_tilt_closer():
    """A G points sideways: turned as far as a digit's tilt it would look like a leaning 1."""
    angles = np.zeros(256, np.float32)
    labels = np.arange(256) % 2 * 10  # every other example "not a digit"
    got = np.abs(_augmented_tilt(angles, jitter=50.0, labels=labels, not_digit_jitter=10.0))
    assert got[labels == 10].max() <= 10 + 1e-3 and got[labels == 0].max() > 30
    same = np.abs(_augmented_tilt(angles, jitter=50.0, labels=labels))  # None: one jitter for all
    assert same[labels == 10].max() > 30


def test_without_the_tilt_the_augmentation_keeps_42_landmark_features():
    lm = np.zeros((4, 42), np.float32)
    out, _ = _augment_fn(32, seed=1)({"crop": np.zeros((4, 32, 32, 3), np.uint8), "landmarks": lm},
                                     np.zeros((4, 10), np.float32))
    assert out["landmarks"].shape == (4, 42)


def test_the_not_a_digit_score_starts_at_one_in_eleven():
    from trainer.model import build_model

    model = build_model(32, 11, landmark_features=LANDMARK_FEATURES)
    bias = model.get_layer("not_digit_logit").get_weights()[1]
    assert np.allclose(1 / (1 + np.exp(-bias)), 1 / 11)


# -- room backgrounds --------------------------------------------------------------------------
def _room_photo():
    """A 'room' (stripes) with a skin-coloured 'hand' blob where the landmarks are."""
    rng = np.random.default_rng(0)
    img = np.zeros((300, 400, 3), np.uint8)
    img[:] = (40, 90, 160)
    img[::20] = (230, 230, 230)
    pts = _hand(0.0, centre=(200.0, 220.0), length=60.0)
    pts[:, 0] += rng.uniform(-25, 25, 21)  # fingers spread a little
    mask = hand_mask(img.shape[:2], pts)
    img[mask > 0] = (0, 0, 0)
    hull = np.zeros(img.shape[:2], np.uint8)
    import cv2

    cv2.fillConvexPoly(hull, cv2.convexHull(pts[:, :2].astype(np.int32)), 1)
    img[hull > 0] = (220, 170, 140)
    return img, pts, mask


def test_remove_hand_paints_the_hand_out_and_keeps_the_rest():
    img, pts, _ = _room_photo()
    room, mask = remove_hand(img, pts)
    skin = np.all(room == (220, 170, 140), axis=-1)
    assert not skin.any()  # the hand is gone
    assert np.array_equal(room[mask == 0], img[mask == 0])  # the room outside the mask untouched
    assert mask[295, int(pts[0, 0])] == 1  # and the forearm, down to the frame's edge


def test_room_patches_and_bank():
    img, pts, _ = _room_photo()
    rng = np.random.default_rng(0)
    patches = room_patches(img, pts, 150.0, 4, 32, rng)
    assert 1 <= len(patches) <= 4 and all(p.shape == (32, 32, 3) and p.dtype == np.uint8 for p in patches)
    obs = HandObservation(np.zeros((32, 32, 3), np.uint8), pts, (125.0, 120.0, 150.0), "Right", 1.0)
    bank = background_bank([(img, obs)] * 3, 32, per_photo=2, seed=1)
    assert bank.shape[1:] == (32, 32, 3) and 1 <= len(bank) <= 6
    assert background_bank([], 32).shape == (0, 32, 32, 3)


def test_room_backgrounds_go_behind_black_backgrounds_only():
    n = 64
    crops = np.zeros((n, 32, 32, 3), np.uint8)
    crops[:, 8:24, 8:24] = 200  # a 'hand' on black
    rooms = np.full((5, 32, 32, 3), 77, np.uint8)
    lm = np.zeros((n, 42), np.float32)
    fn = _augment_fn(32, seed=2, rooms=rooms, room_share=1.0)
    out, _ = fn({"crop": crops, "landmarks": lm}, np.zeros((n, 10), np.float32))
    assert out["crop"].shape == (n, 32, 32, 3)
    # some examples got the (uniform, 77) room: their corner, before light/colour changes, was
    # replaced; with room_share 0 the same draw gives only textures, so the two differ
    out0, _ = _augment_fn(32, seed=2, rooms=rooms, room_share=0.0)({"crop": crops, "landmarks": lm},
                                                                   np.zeros((n, 10), np.float32))
    assert out0["crop"].shape == (n, 32, 32, 3)
    corner_spread = lambda x: x.numpy()[:, :6, :6].std(axis=(1, 2, 3))  # noqa: E731
    # rooms are flat patches (little spread before noise) while textures vary more
    assert np.median(corner_spread(out["crop"])) < np.median(corner_spread(out0["crop"]))


# -- the landmark gate -------------------------------------------------------------------------
def _digit_cloud(rng, n_per: int = 80):
    """Ten clusters of 42-d 'upright landmarks', one per digit, and their labels."""
    centres = rng.normal(0, 1, (10, 42))
    x = np.concatenate([c + rng.normal(0, 0.05, (n_per, 42)) for c in centres])
    return x.astype(np.float32), np.repeat(np.arange(10), n_per), centres


def test_landmark_gate_turns_away_shapes_far_from_every_digit(tmp_path):
    from trainer.gate import LandmarkGate

    rng = np.random.default_rng(0)
    x, y, centres = _digit_cloud(rng)
    val = np.concatenate([c + rng.normal(0, 0.05, (20, 42)) for c in centres]).astype(np.float32)
    gate = LandmarkGate.fit(x, y, val, quantile=0.99)
    assert gate is not None and gate.novel(val).mean() <= 0.02
    wide = LandmarkGate.fit(x, y, val, quantile=0.99, margin=1.5)
    assert wide.threshold == pytest.approx(1.5 * gate.threshold) and wide.margin == 1.5
    far = centres[:3] + 1.0  # no digit's shape
    assert gate.novel(far).all()
    gate.save(tmp_path / "g.npz")
    again = LandmarkGate.load(tmp_path / "g.npz")
    assert again.threshold == pytest.approx(gate.threshold) and again.quantile == 0.99 and again.margin == 1.0
    assert np.array_equal(again.novel(np.concatenate([val, far])), gate.novel(np.concatenate([val, far])))
    # too few hands of a digit, or no validation digits: no gate
    assert LandmarkGate.fit(x[y != 3], y[y != 3], val, 0.99) is None
    assert LandmarkGate.fit(x, y, val[:0], 0.99) is None
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        LandmarkGate.load(tmp_path / "bad.npz")


class _FixedRunner:
    def __init__(self, logits):
        self._logits = np.asarray(logits, np.float32)

    def logits(self, x):
        return np.repeat(self._logits[None], len(x["crop"]), axis=0)


def test_classifier_applies_the_gate_to_every_prediction():
    from trainer.classifier import Classifier
    from trainer.gate import LandmarkGate, gate_features

    upright = [_obs(0.0), _obs(10.0)]
    feats = gate_features(upright)
    assert feats.shape == (2, 42)
    # a gate whose only 'digit' shape is the stick hand: a hand with a bent finger is far from it
    gate = LandmarkGate(np.repeat(feats[:1], 10, axis=0), np.repeat(np.eye(42, dtype=np.float32)[None], 10, axis=0),
                        threshold=0.01, quantile=0.999)
    bent = _obs(0.0)
    bent.landmarks = bent.landmarks.copy()
    bent.landmarks[8, :2] += (40.0, 0.0)
    meta = BundleMeta(classes=[*range(10), "not_digit"], upright=True)
    logits = np.zeros(11, np.float32)
    logits[4] = 10.0  # the classifier says 4
    clf = Classifier(meta, _FixedRunner(logits), gate=gate)
    probs = clf.predict_batch([upright[0], upright[1], bent])
    assert probs[:2].argmax(axis=1).tolist() == [4, 4]  # the same shape, turned: near, kept
    assert probs[2].argmax() == 10 and probs[2, 10] == 1.0  # far: not a digit
    ungated = Classifier(meta, _FixedRunner(logits))
    ungated.shape_check = False  # (its bent finger would fail the shape check on its own)
    assert ungated.predict_batch([bent]).argmax() == 4  # no gate: as before


def test_bundle_records_the_gate_and_needs_the_not_digit_class():
    raw = _meta_dict(crop=[64, 64, 3], landmarks=42, upright=True)
    raw["classes"] = [*range(10), "not_digit"]
    raw["gate"] = {"file": "landmark_gate.npz", "quantile": 0.999, "threshold": 120.5}
    meta = BundleMeta.from_dict(raw)
    assert meta.gate == {"file": "landmark_gate.npz", "quantile": 0.999, "margin": 1.0, "threshold": 120.5}
    assert BundleMeta.from_dict(json.loads(json.dumps(meta.to_dict()))).gate == meta.gate
    assert BundleMeta.from_dict(_meta_dict(crop=[64, 64, 3], landmarks=42)).gate is None
    assert "gate" not in BundleMeta.from_dict(_meta_dict(crop=[64, 64, 3], landmarks=42)).to_dict()
    with pytest.raises(BundleError, match="gate"):
        BundleMeta.from_dict({**raw, "classes": list(range(10))})
    with pytest.raises(BundleError, match="gate.file"):
        BundleMeta.from_dict({**raw, "gate": {**raw["gate"], "file": "../x.npz"}})


def test_the_bundle_shipped_before_the_negatives_loads_as_before():
    """assets/model was trained before the tilt, the gate and the "not a digit" class: it reads
    with none of them, so it predicts exactly as it did."""
    from _paths import REPO

    meta = BundleMeta.read(REPO / "assets" / "model")
    if meta.has_not_digit:
        pytest.skip("assets/model has been replaced by a model trained with negatives")
    assert meta.tilt is False and meta.gate is None and meta.landmark_features == 42
    assert "tilt" not in meta.to_dict()["input"] and "gate" not in meta.to_dict()


def test_digits_in_rooms_pastes_the_hand_where_the_rooms_hand_was():
    from digits_in_rooms import paste

    room = np.full((300, 300, 3), 90, np.uint8)
    hand = np.zeros((400, 400, 3), np.uint8)
    hand[100:300, 150:250] = (220, 170, 140)  # a 'hand' on black, as the Kaggle photos are
    out = paste(room, (100.0, 50.0, 150.0), hand, np.random.default_rng(0))
    assert out.shape == room.shape and out.dtype == np.uint8
    skin = np.all(np.abs(out.astype(int) - (220, 170, 140)) < 8, axis=-1)
    ys, xs = np.nonzero(skin)
    assert skin.sum() > 500
    assert 150 < xs.mean() < 200 and 100 < ys.mean() < 150  # centred on the old hand's box
    assert (out[~skin] <= 220).all() and np.all(out[0, 0] == 90)  # the room elsewhere
    assert paste(room, (100.0, 50.0, 150.0), np.zeros((400, 400, 3), np.uint8), np.random.default_rng(0)) is None


def test_results_table_cells_for_digits_and_negatives():
    from results import cell

    assert cell({"accuracy": 0.9932, "no_hand": {"rate": 0.0}, "datasets": {}}) == "99.32 (100)"
    assert cell({"accuracy": 0.98976, "no_hand": {"rate": 0.0}, "datasets": {}}) == "98.98 (100)"  # not "99.0"
    neg = {"negatives": {"images": 157, "no_hand": 4, "rate": 0.0064}, "datasets": {}}
    assert cell(neg) == "0.6% shown (97)"


def test_the_shipped_model_lets_only_the_hand_shape_say_not_a_digit():
    """The shipped bundle, as the app runs it (LiteRT): new crops behind the same landmarks move
    the digits' probabilities but not "not a digit" (trainer.model.ShapeGate). The calibration
    temperature, applied to all eleven outputs, lets a crop that splits the digits' share move
    it a little."""
    from _paths import REPO

    from trainer.classes import NOT_DIGIT
    from trainer.classifier import LiteRunner, softmax

    meta = BundleMeta.read(REPO / "assets" / "model")
    if not meta.has_not_digit or not meta.tilt:
        pytest.skip("assets/model predates the shape gate")
    runner, rng = LiteRunner(REPO / "assets" / "model" / "model.tflite"), np.random.default_rng(0)
    lm = rng.normal(0, 0.5, (8, meta.landmark_features)).astype(np.float32)
    crops = [np.zeros((8, 64, 64, 3), np.float32), rng.integers(0, 255, (8, 64, 64, 3)).astype(np.float32)]
    logits = [runner.logits({"crop": crop, "landmarks": lm}) for crop in crops]  # a black crop, then noise
    raw, calibrated = [[softmax(z, t) for z in logits] for t in (1.0, meta.temperature)]
    assert np.allclose(raw[0][:, NOT_DIGIT], raw[1][:, NOT_DIGIT], atol=1e-5)
    assert np.allclose(calibrated[0][:, NOT_DIGIT], calibrated[1][:, NOT_DIGIT], atol=0.01)
    # the crop moves how the digits share what "not a digit" leaves (random landmarks leave little)
    share = [p[:, :NOT_DIGIT] / p[:, :NOT_DIGIT].sum(1, keepdims=True) for p in raw]
    assert np.abs(share[0] - share[1]).max() > 1e-3  # 0.010 for the shipped bundle


def _thumb_to_index_angles(labels, thumb_jitter: float) -> np.ndarray:
    """Unsigned angle (degrees) between the thumb (1 -> 4) and the index (5 -> 8) after the
    augmentation: mirroring, turning and scaling the whole hand keep it; the thumb jitter not."""
    n = len(labels)
    pts = np.zeros((n, 21, 2), np.float32)
    pts[:, 2:5, 1] = np.array([10.0, 20.0, 30.0])  # thumb straight up from its base (landmark 1 at 0, 0)
    pts[:, 5:9, 0] = np.array([10.0, 20.0, 30.0, 40.0])  # index along x
    y = np.eye(11, dtype=np.float32)[labels]
    out, _ = _augment_fn(32, seed=5, thumb_jitter_deg=thumb_jitter)(
        {"crop": np.full((n, 32, 32, 3), 128, np.uint8), "landmarks": pts.reshape(n, 42)}, y)
    x = out["landmarks"].numpy().reshape(n, 21, 2)
    thumb, index = x[:, 4] - x[:, 1], x[:, 8] - x[:, 5]
    cos = (thumb * index).sum(1) / np.linalg.norm(thumb, axis=1) / np.linalg.norm(index, axis=1)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def test_digits_thumbs_turn_about_their_base_and_no_digit_keeps_its_thumb():
    labels = np.arange(256) % 2 * 10  # every other example "not a digit"
    turned = np.abs(_thumb_to_index_angles(labels, thumb_jitter=25.0) - 90)
    assert turned[labels == 0].max() <= 25 + 1 and turned[labels == 0].max() > 15
    assert turned[labels == 10].max() < 1  # only the landmark noise
    assert np.abs(_thumb_to_index_angles(labels, thumb_jitter=0.0) - 90).max() < 1  # 0 turns it off
