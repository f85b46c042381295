"""LivePipeline and LiveSession on a generated video of real hands: decisions, timings,
model and setting changes."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from asl_live.drawing import NOT_DIGIT_COLOUR, draw_overlay
from asl_live.live import STAGES, FrameResult, LivePipeline
from asl_live.session import LiveSession, LiveState
from asl_live.smoothing import Decision, SmoothingSettings
from asl_live.source import FrameSource
from asl_live.video_labels import segments
from trainer.classes import NOT_DIGIT

SETTLE_S = 0.5


def run_video(video, hand_model, classifier, smoothing=SmoothingSettings()) -> list[FrameResult]:
    with FrameSource(video.path, loop=False) as src, LivePipeline(hand_model) as pipe:
        return [pipe.process(f.rgb, f.timestamp_ms, classifier, smoothing) for f in src]


@pytest.fixture(scope="module")
def quick_results(synth_video, hand_model_path, classifier) -> list[FrameResult]:
    return run_video(synth_video, hand_model_path, classifier)


def settled(video, label_filter):
    """Frame indices of segments passing `label_filter`, after the settle time."""
    skip = int(SETTLE_S * video.fps)
    for label, start, end in segments(video.labels):
        if label_filter(label):
            yield label, range(start + skip, end)


def is_digit(label) -> bool:
    return label is not None and label != NOT_DIGIT


def test_result_structure(quick_results, synth_video, classifier):
    assert len(quick_results) == len(synth_video.labels)
    assert [r.index for r in quick_results] == list(range(len(quick_results)))
    for r in quick_results:
        assert set(r.timings) == set(STAGES) and all(v >= 0 for v in r.timings.values())
        assert r.timings["total"] >= r.timings["landmarks"]
        if r.observation is None:
            assert r.probs is None and r.timings["classify"] == 0.0
        else:
            assert r.probs.shape == (classifier.num_classes,) and r.probs.sum() == pytest.approx(1.0, abs=1e-4)
            assert r.observation.crop.shape[:2] == (64, 64)
        d = r.decision
        assert d.state in ("none", "unsure", "digit", "not_digit")
        assert (d.digit is not None) == (d.state == "digit")


def test_no_hand_stretches_give_no_hand(quick_results, synth_video):
    for _, frames in settled(synth_video, lambda label: label is None):
        assert all(quick_results[i].observation is None for i in frames)
        assert all(quick_results[i].decision.state == "none" for i in frames)


def test_hands_are_found(quick_results, synth_video):
    for label, frames in settled(synth_video, lambda label: label is not None):
        found = sum(quick_results[i].observation is not None for i in frames)
        assert found >= 0.8 * len(frames), f"hand for {label} found in {found}/{len(frames)} frames"


def test_right_digits_and_no_digit_for_other_hand_shapes_with_good_model(good_bundle, synth_video, hand_model_path):
    from trainer.classifier import Classifier

    results = run_video(synth_video, hand_model_path, Classifier.load(good_bundle))
    for label, frames in settled(synth_video, is_digit):
        shown = [results[i].decision.digit for i in frames]
        assert shown.count(label) >= 0.8 * len(shown), f"digit {label}: shown {shown}"
    for _, frames in settled(synth_video, lambda label: label == NOT_DIGIT):
        states = [results[i].decision.state for i in frames]
        assert sum(s in ("not_digit", "unsure") for s in states) >= 0.9 * len(states), states


def test_a_digit_held_on_its_side_is_not_a_digit_and_the_frame_says_what_to_change(good_bundle, hand_model_path):
    """A real 1 pasted on its side: the model reads upright landmarks and sees a 1, the shape
    check turns it away, and the frame carries the digit and the sentence the window shows."""
    from test_framing import room
    from test_second_look import paste

    from trainer.classifier import Classifier

    clf = Classifier.load(good_bundle)
    bg = room(5)
    with LivePipeline(hand_model_path) as pipeline:
        upright = [pipeline.process(paste(bg, 1, 10, (320, 250), 230), 33 * i, clf) for i in range(12)]
        side = [pipeline.process(paste(bg, 1, 10, (320, 250), 230, angle=90.0), 33 * (i + 12), clf)
                for i in range(12)]
    assert upright[-1].decision.digit == 1 and all(r.turned_away is None and r.near_miss is None for r in upright)
    turned = [r for r in side if r.turned_away is not None]
    assert len(turned) >= 10 and {r.turned_away for r in turned} == {1}
    assert side[-1].decision.state == "not_digit"
    assert turned[-1].near_miss.startswith("Close to 1. Point your fingers up")
    assert np.array_equal(turned[-1].probs, np.eye(len(turned[-1].probs), dtype=np.float32)[NOT_DIGIT])


def test_overlay_draws_on_a_copy(quick_results, synth_video):
    with FrameSource(synth_video.path, loop=False) as src:
        frames = [f.rgb for f in src]
    hit = next(i for i, r in enumerate(quick_results) if r.observation is not None)
    for i in (hit, synth_video.labels.index(None)):
        before = frames[i].copy()
        out = draw_overlay(frames[i], quick_results[i])
        np.testing.assert_array_equal(frames[i], before)
        assert out.shape == before.shape and out.dtype == np.uint8
        if quick_results[i].observation is not None or quick_results[i].decision.state != "none":
            assert (out != before).any()
    r = quick_results[hit]
    plain = draw_overlay(frames[hit], r, landmarks=False)
    assert (plain != draw_overlay(frames[hit], r)).any()


def test_not_a_digit_is_drawn_in_words_and_its_own_colour(quick_results, synth_video):
    with FrameSource(synth_video.path, loop=False) as src:
        frame = next(iter(src)).rgb
    r = quick_results[0]
    probs = np.full(11, 0.01, np.float32)
    probs[NOT_DIGIT] = 0.9
    not_digit = FrameResult(r.index, r.timestamp_ms, None, None, Decision("not_digit", None, 0.9, probs))
    unsure = FrameResult(r.index, r.timestamp_ms, None, None, Decision("unsure", None, 0.4, probs))
    a, b = draw_overlay(frame, not_digit), draw_overlay(frame, unsure)
    assert (a != b).any()
    assert (np.abs(a.astype(int) - NOT_DIGIT_COLOUR).sum(axis=2) < 30).sum() > 200  # red words on the frame
    assert Decision("not_digit", None, 0.9).label == "not a digit"


def test_model_and_setting_changes_apply_from_the_next_frame(synth_video, hand_model_path, classifier):
    """A new classifier restarts the smoothing; new settings keep the history. The classifier
    changes to another object with the same weights, so only a lost change could hide."""
    import copy

    other = copy.copy(classifier)
    _, frames_of_hand = next(settled(synth_video, is_digit))
    with FrameSource(synth_video.path, loop=False) as src:
        frames = [f for f in src][frames_of_hand.start:frames_of_hand.start + 8]
    with LivePipeline(hand_model_path) as pipe:
        for f in frames[:6]:
            pipe.process(f.rgb, f.timestamp_ms, classifier)
        swapped = pipe.process(frames[6].rgb, frames[6].timestamp_ms, other)
        kept = pipe.process(frames[7].rgb, frames[7].timestamp_ms, other, SmoothingSettings(window=3))
    assert swapped.probs is not None and kept.probs is not None
    np.testing.assert_allclose(swapped.decision.probs, swapped.probs, atol=1e-5)  # history restarted
    np.testing.assert_allclose(kept.decision.probs, (swapped.probs + kept.probs) / 2, atol=1e-5)  # and kept
    with pytest.raises(RuntimeError):
        pipe.process(frames[0].rgb, 0, classifier)


def test_new_crop_settings_rebuild_the_landmarker(hand_model_path, classifier, synth_video):
    import copy
    from dataclasses import replace

    other = copy.copy(classifier)
    other.meta = replace(classifier.meta, crop_settings=replace(classifier.crop_settings,
                                                                 min_detection_confidence=0.3))
    with FrameSource(synth_video.path, loop=False) as src:
        f = src.read()
    with LivePipeline(hand_model_path) as pipe:
        pipe.process(f.rgb, 0, classifier)
        first = pipe._cropper
        r = pipe.process(f.rgb, 0, other)  # same timestamp again: must not upset MediaPipe
        assert r.index == 1
        assert pipe._cropper is not first and pipe._cropper.settings.min_detection_confidence == 0.3


def test_session_tells_listeners_and_observers(classifier):
    session = LiveSession(LiveState(source=0))
    seen: list[tuple[LiveState, LiveState]] = []
    unsubscribe = session.subscribe(lambda old, new: seen.append((old, new)))
    session.update(label=3)
    session.update(label=3)  # no change, no call
    session.update(smoothing=SmoothingSettings(window=4), classifier=classifier)
    assert [(o.label, n.label) for o, n in seen] == [(None, 3), (3, 3)]
    assert seen[-1][1].smoothing.window == 4 and seen[-1][1].classifier is classifier
    assert not session.state.ready and session.update(hand_model="h.task").ready
    reopened = session.open_source(0)
    assert reopened.source_serial == 1 and len(seen) == 4
    unsubscribe()
    session.update(label=None)
    assert len(seen) == 4

    calls: list[int] = []

    def broken(result, state):
        raise OSError("disk full")

    remove = session.add_frame_observer(lambda result, state: calls.append(state.label))
    session.add_frame_observer(broken)
    fake = FrameResult(0, 0, None, None, Decision("none"))
    errors = session.frame_processed(fake, session.state)
    assert calls == [None] and [str(e) for e in errors] == ["disk full"]  # one failure stops no one
    remove()
    session.frame_processed(fake, session.state)
    assert calls == [None]


def test_session_updates_from_many_threads_lose_nothing():
    """Threads changing different fields at once: every field ends at its last value."""
    session = LiveSession()
    start = threading.Barrier(3)

    def run(field: str, values) -> None:
        start.wait()
        for v in values:
            session.update(**{field: v})

    threads = [threading.Thread(target=run, args=args) for args in (
        ("label", range(1000)), ("source_serial", range(1, 1001)), ("capture", [i % 2 == 0 for i in range(1001)]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (session.state.label, session.state.source_serial, session.state.capture) == (999, 1000, True)


def test_core_modules_import_without_qt_or_tensorflow():
    """The headless core must not pull in Qt or TensorFlow, even when it runs MediaPipe."""
    code = ("import sys\n"
            "import asl_live.bench, asl_live.capture, asl_live.drawing, asl_live.live, asl_live.settings, "
            "asl_live.smoothing, asl_live.source, asl_live.session, asl_live.retrain, asl_live.options, "
            "asl_live.live_accuracy, asl_live.video_labels, trainer.classifier\n"
            "from trainer.hands import import_mediapipe\n"
            "import_mediapipe()\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'shiboken6', 'tensorflow', 'keras'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
