"""The finger-state reader (asl_live.handshape): readings of hand-made and real hands, the
digit rules, the learner-facing sentences and which digits get hints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from _paths import KAGGLE, SLD, kaggle_image
from asl_live import handshape as hs
from trainer import finger_states as fs
from trainer.classes import SHOW_THRESHOLD

# -- a hand-made upright right hand, in units of the wrist-to-middle-knuckle length ----------
# Knuckles and thumb base roughly where the average training "5" has them (thumb on +x).
_MCP = {"index": (0.24, -0.98), "middle": (0.0, -1.0), "ring": (-0.2, -0.92), "pinky": (-0.37, -0.77)}
_MCP_INDEX = {"index": 5, "middle": 9, "ring": 13, "pinky": 17}
_SEGMENTS = {"index": (0.4, 0.23, 0.2), "middle": (0.42, 0.25, 0.2), "ring": (0.38, 0.23, 0.2),
             "pinky": (0.3, 0.17, 0.15)}
_SPLAY = {"index": 0.15, "middle": 0.0, "ring": -0.12, "pinky": -0.3}
_O_POINT = np.array([0.6, -1.2])  # where the curved fingers of a 0 meet the thumb


def synthetic_hand(up: str = "", thumb: str = "in", spread: bool = True, curve: str = "") -> np.ndarray:
    """(21, 3) landmarks in pixels of a right hand held upright: long fingers in `up` straight,
    those in `curve` curved round to the O point, the rest curled into the palm. thumb: "out"
    (held out to the side), "in" (folded across the palm), "o" (at the O point) or a long
    finger's name (that finger bent so its tip meets the thumb tip)."""
    up_set, curve_set = set(up.split()), set(curve.split())
    p = np.zeros((21, 2))
    for f, (m, pip, dip, tip) in fs._JOINTS.items():
        mcp = np.array(_MCP[f])
        p[m] = mcp
        if f in up_set:
            splay = _SPLAY[f]
            if f in ("index", "middle"):
                splay = {"index": 0.35, "middle": -0.1}[f] if spread else {"index": -0.1, "middle": 0.1}[f]
            d = np.array([splay, -1.0]) / np.hypot(splay, 1.0)
            a, b, c = _SEGMENTS[f]
            p[pip], p[dip], p[tip] = mcp + a * d, mcp + (a + b) * d, mcp + (a + b + c) * d
        elif f in curve_set:
            p[pip] = mcp + (0.1, -0.4)
            p[tip] = _O_POINT + (0.0, 0.03 * (m - 9) / 4)
            p[dip] = (p[pip] + p[tip]) / 2 + (0.0, -0.08)
        elif f == thumb:  # bent to meet the thumb
            p[pip] = mcp + (0.0, -0.35)
            p[tip] = (mcp[0] * 0.5 + 0.15, -1.05)
            p[dip] = (p[pip] + p[tip]) / 2
        else:  # curled into the palm: forward, then back down
            p[pip], p[dip], p[tip] = mcp + (0.0, -0.3), mcp + (0.0, -0.05), mcp + (0.0, 0.15)
    p[1], p[2] = (0.34, -0.19), (0.57, -0.53)
    if thumb == "out":
        p[3], p[4] = (0.72, -0.84), (0.87, -1.04)
    elif thumb == "in":
        p[2], p[3], p[4] = (0.35, -0.5), (0.1, -0.65), (-0.15, -0.65)
    else:
        target = _O_POINT if thumb == "o" else p[fs.TIPS[thumb]]
        p[4] = target + (0.04, 0.03)
        p[3] = (p[2] + p[4]) / 2 + (0.08, 0.0)
    pts = np.zeros((21, 3), dtype=np.float32)
    pts[:, :2] = p * 120 + (320, 400)  # pixels: 120 px wrist to knuckle, wrist low in a 640x480 frame
    return pts


CANONICAL = {
    0: dict(curve="index middle ring pinky", thumb="o"),
    1: dict(up="index"),
    2: dict(up="index middle"),
    3: dict(up="index middle", thumb="out"),
    4: dict(up="index middle ring pinky"),
    5: dict(up="index middle ring pinky", thumb="out"),
    6: dict(up="index middle ring", thumb="pinky"),
    7: dict(up="index middle pinky", thumb="ring"),
    8: dict(up="index ring pinky", thumb="middle"),
    9: dict(up="middle ring pinky", thumb="index"),
}


def mirrored(pts: np.ndarray, width: float = 640) -> np.ndarray:
    out = pts.copy()
    out[:, 0] = width - out[:, 0]
    return out


def rotated(pts: np.ndarray, degrees: float, centre=(320.0, 240.0)) -> np.ndarray:
    a = np.radians(degrees)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    out = pts.copy()
    out[:, :2] = (pts[:, :2] - centre) @ r.T + centre
    return out


def test_fingers_constants() -> None:
    assert fs.FINGERS == ("thumb", "index", "middle", "ring", "pinky")
    assert set(fs.DIGIT_SHAPES) == set(range(10))


@pytest.mark.parametrize("digit", range(10))
def test_synthetic_digit_reads_as_built(digit: int) -> None:
    spec = CANONICAL[digit]
    r = fs.read_hand(synthetic_hand(**spec), "Right")
    want_up = set(spec.get("up", "").split()) | ({"thumb"} if spec.get("thumb") == "out" else set())
    if digit == 0:  # the O's thumb may sit either way (a 0 asks nothing of it)
        assert set(r.up) - {"thumb"} == want_up
    else:
        assert set(r.up) == want_up
    thumb = spec.get("thumb", "in")
    if thumb in fs.LONG_FINGERS:
        assert r.thumb_touches == thumb
    if digit == 0:
        assert r.thumb_touches is not None and not any(r.curled.values())
    assert fs.matching_digits(r) == [digit]
    assert hs.problems(r, digit) == []


def test_flags_for_chosen_fingers() -> None:
    r = fs.read_hand(synthetic_hand(up="index pinky", thumb="out"), "Right")
    assert r.extended == {"thumb": True, "index": True, "middle": False, "ring": False, "pinky": True}
    assert r.curled["middle"] and r.curled["ring"] and not r.curled["index"]
    assert r.thumb_touches is None
    open_hand = fs.read_hand(synthetic_hand(up="index middle ring pinky"), "Right")
    assert open_hand.thumb_touches is None and not open_hand.extended["thumb"]
    assert fs.read_hand(synthetic_hand(up="index middle", spread=True), "Right").spread
    assert not fs.read_hand(synthetic_hand(up="index middle", spread=False), "Right").spread


def _same(a: fs.HandReading, b: fs.HandReading) -> None:
    assert a.extended == b.extended and a.curled == b.curled
    assert a.thumb_touches == b.thumb_touches and a.spread == b.spread
    assert a.thumb_out == pytest.approx(b.thumb_out, abs=1e-4)
    for f in fs.LONG_FINGERS:
        assert a.reach[f] == pytest.approx(b.reach[f], abs=1e-4)


@pytest.mark.parametrize("digit", range(10))
def test_left_hand_reads_like_right(digit: int) -> None:
    pts = synthetic_hand(**CANONICAL[digit])
    right = fs.read_hand(pts, "Right")
    _same(fs.read_hand(mirrored(pts), "Left"), right)
    assert fs.matches(fs.read_hand(mirrored(pts), "Left"), digit)


@pytest.mark.parametrize("degrees", [25, 90, -60, 180])
@pytest.mark.parametrize("digit", [0, 3, 7, 9])
def test_rotated_and_scaled_hand_reads_the_same(digit: int, degrees: float) -> None:
    pts = synthetic_hand(**CANONICAL[digit])
    turned = rotated(pts, degrees)
    turned[:, :2] = turned[:, :2] * 0.5 + (40, -15)  # smaller and elsewhere in the frame
    _same(fs.read_hand(turned, "Right"), fs.read_hand(pts, "Right"))


def test_bad_landmarks_are_refused() -> None:
    with pytest.raises(ValueError):
        fs.read_hand(np.zeros((20, 3)), "Right")


def test_problems_name_the_wrong_finger() -> None:
    four = fs.read_hand(synthetic_hand(**CANONICAL[4]), "Right")
    said = hs.problems(four, 7)
    assert said == ["Your ring finger is up: for 7, touch it to your thumb."]
    assert not fs.matches(four, 7)

    together = fs.read_hand(synthetic_hand(up="index middle", spread=False), "Right")
    assert hs.problems(together, 2) == ["Spread your index and middle fingers apart for 2."]

    five = fs.read_hand(synthetic_hand(**CANONICAL[5]), "Right")
    assert hs.problems(five, 4) == ["Your thumb is out: for 4, fold it across your palm."]
    assert any("thumb" in s and "out to the side" in s for s in hs.problems(four, 3))
    assert any("ring finger" in s and "fold it down" in s for s in hs.problems(four, 3))

    fist = fs.read_hand(synthetic_hand(), "Right")
    said = hs.problems(fist, 0)
    assert any("index finger is curled" in s for s in said) and not fs.matches(fist, 0)

    touches_ring = fs.read_hand(synthetic_hand(**CANONICAL[7]), "Right")
    said = hs.problems(touches_ring, 6)
    assert "Your pinky finger is up: for 6, touch it to your thumb." in said
    assert "Your ring finger is down: for 6, raise it." in said


@pytest.mark.parametrize("digit", range(10))
def test_problems_empty_exactly_when_matching(digit: int) -> None:
    for other in range(10):
        r = fs.read_hand(synthetic_hand(**CANONICAL[other]), "Right")
        said = hs.problems(r, digit)
        assert (said == []) == fs.matches(r, digit)
        assert all(s.endswith(".") and s[0].isupper() for s in said)


def hooked_index(pts: np.ndarray, degrees: float = 80.0) -> np.ndarray:
    """The index bent at its middle joint: a 1 made into an X."""
    out = pts.copy()
    a = np.radians(degrees)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    out[[7, 8], :2] = (pts[[7, 8], :2] - pts[6, :2]) @ r.T + pts[6, :2]
    return out


def test_near_digit_shapes_are_not_the_digit_and_the_hint_says_why() -> None:
    one = synthetic_hand(**CANONICAL[1])
    x = fs.read_hand(hooked_index(one), "Right")  # X: the index hooked
    assert x.bent["index"] and not x.extended["index"] and x.bend["index"] > fs.STRAIGHT_BEND
    assert not fs.matches(x, 1)
    assert hs.problems(x, 1)[0] == "Your index finger is bent: for 1, hold it straight up."

    g = fs.read_hand(rotated(one, 90), "Right")  # G: the same 1 pointing sideways
    assert not g.upright and abs(g.tilt) == pytest.approx(90, abs=1)
    assert not fs.matches(g, 1) and fs.matching_digits(g) == []
    assert hs.problems(g, 1)[0].startswith("Point your fingers up")
    assert fs.matches(fs.read_hand(rotated(one, 40), "Right"), 1)  # a 1 leaning a little is still a 1
    g2 = one.copy()  # the hand upright, but the index bent over at its knuckle to point sideways
    g2[[6, 7, 8], :2] = rotated(one, 72, centre=tuple(one[5, :2]))[[6, 7, 8], :2]
    read = fs.read_hand(g2, "Right")
    assert read.upright and read.extended["index"] and not read.index_points_up and not fs.matches(read, 1)
    assert "Point your index finger straight up: for 1 it points up, not to the side." in hs.problems(read, 1)
    assert not fs.read_hand(mirrored(rotated(one, 90)), "Left").upright  # either hand

    c = synthetic_hand(**CANONICAL[0])
    c[4, :2] += (0.35 * 120, 0.35 * 120)  # C: the thumb away from the curved fingertips
    read = fs.read_hand(c, "Right")
    assert read.thumb_touches is None and not fs.matches(read, 0)
    assert "For 0, close the circle: touch your fingertips to your thumb." in hs.problems(read, 0)


def test_a_0_closes_at_the_index_an_x_seen_from_the_side_does_not() -> None:
    zero = synthetic_hand(**CANONICAL[0])
    x = zero.copy()  # the thumb on the middle fingertip, the index hooked up and away over the palm
    x[7, :2] = x[6, :2] + np.array([-0.25, -0.15]) * 120
    x[8, :2] = x[6, :2] + np.array([-0.45, 0.0]) * 120
    read = fs.read_hand(x, "Right")
    assert read.thumb_touches is not None and read.gaps["index"] > fs.INDEX_CLOSES
    assert not read.index_closes and not fs.matches(read, 0) and fs.matching_digits(read) == []
    assert hs.problems(read, 0) == ["Bring your index fingertip to your thumb: for 0, the circle closes there."]
    assert hs.wrong_fingers(read, 0) == {"thumb", "index"}
    assert fs.read_hand(zero, "Right").index_closes


def test_plainly_not_a_digit_names_what_every_sign_of_it_has() -> None:
    """The loose check behind the model (trainer.classifier): silent on every well-made digit,
    and it names the one missing thing on a shape one detail away."""
    for digit, kw in CANONICAL.items():
        hand = fs.read_hand(synthetic_hand(**kw), "Right")
        assert fs.plainly_not(hand, digit) is None, digit
        assert fs.plainly_not(fs.read_hand(rotated(synthetic_hand(**kw), 40), "Right"), digit) is None, digit
    one = synthetic_hand(**CANONICAL[1])
    assert fs.plainly_not(fs.read_hand(rotated(one, 90), "Right"), 1) == "sideways"  # a G
    assert fs.plainly_not(fs.read_hand(mirrored(rotated(one, -90)), "Left"), 1) == "sideways"
    assert fs.plainly_not(fs.read_hand(hooked_index(one), "Right"), 1) == "raised finger bent"  # an X
    assert fs.plainly_not(fs.read_hand(hooked_index(one, 35), "Right"), 1) is None  # slightly bent: the strict rules' call
    g = one.copy()  # upright, the index turned sideways at its knuckle
    g[[6, 7, 8], :2] = rotated(one, 85, centre=tuple(one[5, :2]))[[6, 7, 8], :2]
    assert fs.plainly_not(fs.read_hand(g, "Right"), 1) == "index sideways"
    c = synthetic_hand(**CANONICAL[0])
    c[4, :2] += (0.5 * 120, 0.5 * 120)  # a C: the thumb well away from the fingertips
    assert fs.plainly_not(fs.read_hand(c, "Right"), 0) == "open"
    seven = synthetic_hand(**CANONICAL[7])
    seven[4, :2] += (0.9 * 120, 0.3 * 120)
    assert fs.plainly_not(fs.read_hand(seven, "Right"), 7) == "thumb touches nothing"


@pytest.mark.parametrize("classes", [10, 11])
def test_shape_checked_turns_only_the_plainly_wrong_rows(classes: int) -> None:
    from trainer.classifier import shape_checked, turned_away
    from trainer.hands import HandObservation

    def obs(pts: np.ndarray) -> HandObservation:
        return HandObservation(np.zeros((8, 8, 3), np.uint8), pts, (0.0, 0.0, 8.0), "Right", 1.0)

    one = synthetic_hand(**CANONICAL[1])
    says_one = np.full(classes, 0.01, np.float32)
    says_one[1] = 1.0 - 0.01 * (classes - 1)
    probs = np.stack([says_one, says_one])
    away = turned_away(probs, [obs(one), obs(rotated(one, 90))])
    assert away == [None, 1]
    out = shape_checked(probs, away)
    assert np.array_equal(out[0], says_one)  # a 1 upright stays a 1
    turned = np.zeros(classes, np.float32)
    if classes == 11:
        turned[10] = 1.0
    else:
        turned[:] = 0.1  # no "not a digit" class: every digit alike, shown as "?"
    assert np.allclose(out[1], turned)
    assert np.array_equal(probs[1], says_one)  # the input is left as it was
    if classes == 11:  # only a digit on top is checked
        says_not = np.eye(11, dtype=np.float32)[10]
        assert turned_away(says_not[None], [obs(rotated(one, 90))]) == [None]
        assert np.array_equal(shape_checked(says_not[None], [None])[0], says_not)


@pytest.mark.parametrize("digit,k", [(1, 3), (5, 2)])
def test_the_model_never_shows_a_digit_the_hand_plainly_is_not(good_bundle, hand_model_path, digit, k) -> None:
    """A real photo's hand turned on its side (a G for a 1): the model reads upright landmarks
    and still says the digit; the classifier answers "not a digit" because no digit is signed
    sideways. The photo itself is untouched."""
    from dataclasses import replace

    from trainer.classes import NOT_DIGIT
    from trainer.classifier import Classifier
    from trainer.hands import HandCropper
    from trainer.images import read_rgb

    clf = Classifier.load(good_bundle)
    with HandCropper(hand_model_path, clf.crop_settings) as cropper:
        obs = cropper.observe(read_rgb(kaggle_image(digit, k)))
    turned = replace(obs, landmarks=rotated(obs.landmarks, 90, centre=tuple(obs.landmarks[0, :2])))
    assert fs.plainly_not(fs.read_hand(turned.landmarks, turned.handedness), digit) == "sideways"
    clf.shape_check = False
    assert int(np.argmax(clf.predict(turned))) == digit
    clf.shape_check = True
    probs = clf.predict(turned)
    assert probs[NOT_DIGIT] == 1.0 and probs[:NOT_DIGIT].sum() == 0.0
    assert int(np.argmax(clf.predict(obs))) == digit
    assert np.allclose(clf.predict_batch([obs, turned]), [clf.predict(obs), probs])
    explained, digit_seen = clf.predict_explained(turned)
    assert digit_seen == digit and np.array_equal(explained, probs)
    explained, digit_seen = clf.predict_explained(obs)
    assert digit_seen is None and np.array_equal(explained, clf.predict(obs))
    reading = fs.read_hand(turned.landmarks, turned.handedness)
    assert hs.near_miss(reading, digit).startswith(f"Close to {digit}. Point your fingers up")


def _agreement(tmp_path: Path, per: dict[str, dict[str, float]]) -> Path:
    path = tmp_path / "agreement.json"
    path.write_text(json.dumps({"split": "test", "datasets": {
        name: {"overall": 0.97, "per_digit": digits} for name, digits in per.items()}}))
    return path


def test_hinted_digits_leaves_out_weak_digits(tmp_path: Path) -> None:
    good = {str(d): 0.97 for d in range(10)}
    weak = {**good, "3": 0.89}
    assert hs.hinted_digits(_agreement(tmp_path, {"a": good, "b": good})) == set(range(10))
    assert hs.hinted_digits(_agreement(tmp_path, {"a": good, "b": weak})) == set(range(10)) - {3}
    assert hs.hinted_digits(_agreement(tmp_path, {"a": {**good, "5": None}})) == set(range(10)) - {5}


def test_hinted_digits_unreadable_file_gives_none(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"split": "test", "datasets": {"a": {"per_digit": {"0": 0.9')
    assert hs.hinted_digits(corrupt) == set()
    assert hs.hinted_digits(tmp_path / "missing.json") == set()
    (tmp_path / "odd.json").write_text('[1, 2, 3]')
    assert hs.hinted_digits(tmp_path / "odd.json") == set()
    (tmp_path / "empty.json").write_text('{"datasets": {}}')
    assert hs.hinted_digits(tmp_path / "empty.json") == set()


def test_shipped_agreement_file_is_readable() -> None:
    """The figures the app reads: produced by scripts/finger_agreement.py on the test split."""
    data = json.loads(hs.AGREEMENT_FILE.read_text())
    assert data["split"] == "test"
    assert set(data["datasets"]) == {"asl-digits-kaggle", "sign-language-digits"}
    want = {d for d in range(10)
            if all(fig["per_digit"][str(d)] >= hs.HINT_MIN_AGREEMENT for fig in data["datasets"].values())}
    assert hs.hinted_digits() == want


PER_DIGIT = 2  # training photos per digit per dataset


@pytest.fixture(scope="module")
def training_photos(hand_model_path: Path):
    """A few photos per digit and dataset from the TRAINING split, through the app's crop path."""
    from trainer.crops import crop_samples
    from trainer.data import ScanReport, SplitSettings, scan_many, split
    from trainer.hands import CropSettings

    if not (KAGGLE.is_dir() and SLD.is_dir()):
        pytest.skip("shared digit datasets missing")
    train = split(scan_many([KAGGLE, SLD], ScanReport()), SplitSettings())["train"]
    chosen = []
    for name in sorted({s.dataset for s in train}):
        for d in range(10):
            chosen += sorted((s for s in train if s.dataset == name and s.label == d), key=lambda s: s.path)[:PER_DIGIT]
    return crop_samples(chosen, hand_model_path, CropSettings())


def test_real_training_photos_match_their_label(training_photos) -> None:
    found = [(s, o) for s, o in zip(training_photos.samples, training_photos.observations) if o is not None]
    assert len(found) >= 0.9 * len(training_photos.samples)
    agree = [fs.matches(fs.read_hand(o.landmarks, o.handedness), s.label) for s, o in found]
    misses = [f"{s.dataset}/{s.path.name} ({s.label})" for (s, _), ok in zip(found, agree) if not ok]
    assert sum(agree) >= 0.9 * len(found), misses
    # The reading does not depend on which way round the hand is labelled and shown.
    for s, o in found[:: 5]:
        flipped = o.landmarks.copy()
        flipped[:, 0] = -flipped[:, 0]
        other = "Left" if o.handedness == "Right" else "Right"
        _same(fs.read_hand(flipped, other), fs.read_hand(o.landmarks, o.handedness))


# -- pairs learners confuse ------------------------------------------------------------------

@pytest.mark.parametrize("shown,target", [(6, 3), (3, 6), (1, 2), (2, 1), (8, 7), (7, 9), (9, 6), (6, 8)])
def test_a_confused_pair_is_named_when_both_judges_see_the_other_digit(shown: int, target: int) -> None:
    reading = fs.read_hand(synthetic_hand(**CANONICAL[shown]), "Right")
    said = hs.hint(reading, target, model_digit=shown)
    assert said.startswith(f"That is {shown}: for {target},"), said
    # only when the finger states agree with the model: else the hand's own problem is said
    other = fs.read_hand(synthetic_hand(**CANONICAL[5]), "Right")
    assert hs.hint(other, target, model_digit=shown) == hs.problems(other, target)[0]
    # and only for pairs: a 5 shown for 3 is no pair
    assert hs.hint(fs.read_hand(synthetic_hand(**CANONICAL[5]), "Right"), 3, model_digit=5) == \
        hs.problems(other, 3)[0]
    assert hs.hint(fs.read_hand(synthetic_hand(**CANONICAL[target]), "Right"), target, model_digit=target) is None


def test_the_pair_hints_spell_out_the_difference() -> None:
    assert hs.pair_hint(6, 3) == "That is 6: for 3, the thumb is up and the ring finger down."
    assert hs.pair_hint(8, 7) == "That is 8: for 7, your thumb touches your ring finger, not your middle finger."
    assert hs.pair_hint(7, 6) == "That is 7: for 6, your thumb touches your pinky, not your ring finger."
    assert not hs.confused(5, 3) and not hs.confused(3, 3) and hs.confused(9, 6) and not hs.confused(3, 7)
    assert hs.letter_note(2) == "2 has the hand shape of the letter V: context tells them apart."
    assert hs.letter_note(3) is None and {hs.LETTER_TWINS[d] for d in (0, 6, 9)} == {"O", "W", "F"}


def test_held_out_photos_shown_for_the_other_digit_of_their_pair_are_named(good_bundle, hand_model_path) -> None:
    """Real held-out photos (the shipped bundle's test split) of 3, 6, 7 and 2, each shown while
    practice asks for the other digit of its pair: the hint names the digit in the photo."""
    from trainer.classifier import Classifier
    from trainer.crops import crop_samples
    from trainer.data import ScanReport, scan_many
    from trainer.pipeline import bundle_split

    if not (KAGGLE.is_dir() and SLD.is_dir()):
        pytest.skip("shared digit datasets missing")
    classifier = Classifier.load(good_bundle)
    test = bundle_split(classifier.meta, scan_many([KAGGLE, SLD], ScanReport()), "test")
    asked = {3: 6, 6: 3, 7: 8, 2: 1}
    chosen = [s for d in asked for s in sorted((s for s in test if s.label == d), key=lambda s: s.path)[:6]]
    crops = crop_samples(chosen, hand_model_path, classifier.crop_settings)
    found = [(s, o) for s, o in zip(crops.samples, crops.observations) if o is not None]
    probs = classifier.predict_batch([o for _, o in found])
    named = []
    for (s, o), p in zip(found, probs):
        shown = int(np.argmax(p)) if float(p.max()) >= SHOW_THRESHOLD else None
        named.append(hs.hint(fs.read_hand(o.landmarks, o.handedness), asked[s.label], shown) or "")
    right = [h.startswith(f"That is {s.label}: for {asked[s.label]},") for (s, _), h in zip(found, named)]
    assert len(found) >= 22 and sum(right) >= len(found) - 1, named
