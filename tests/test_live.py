"""LivePipeline on a generated video of real hands: decisions, timings, model swaps."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from asl_live.drawing import draw_overlay
from asl_live.live import STAGES, FrameResult, LivePipeline
from asl_live.smoothing import SmoothingSettings
from asl_live.source import FrameSource
from asl_live.synthvideo import segments

SETTLE_S = 0.5


def run_video(video, hand_model, classifier, smoothing=SmoothingSettings()) -> list[FrameResult]:
    with FrameSource(video.path, loop=False) as src, LivePipeline(hand_model, classifier, smoothing) as pipe:
        return [pipe.process(f.rgb, f.timestamp_ms) for f in src]


@pytest.fixture(scope="module")
def quick_results(synth_video, hand_model_path, classifier) -> list[FrameResult]:
    return run_video(synth_video, hand_model_path, classifier)


def settled(video, digit_filter):
    """Frame indices of segments passing `digit_filter`, after the settle time."""
    skip = int(SETTLE_S * video.fps)
    for digit, start, end in segments(video.labels):
        if digit_filter(digit):
            yield digit, range(start + skip, end)


def test_result_structure(quick_results, synth_video):
    assert len(quick_results) == len(synth_video.labels)
    assert [r.index for r in quick_results] == list(range(len(quick_results)))
    for r in quick_results:
        assert set(r.timings) == set(STAGES) and all(v >= 0 for v in r.timings.values())
        assert r.timings["total"] >= r.timings["landmarks"]
        if r.observation is None:
            assert r.probs is None and r.timings["classify"] == 0.0
        else:
            assert r.probs.shape == (10,) and r.probs.sum() == pytest.approx(1.0, abs=1e-4)
            assert r.observation.crop.shape[:2] == (64, 64)
        d = r.decision
        assert d.state in ("none", "unsure", "digit")
        assert (d.digit is not None) == (d.state == "digit")


def test_no_hand_stretches_give_no_hand(quick_results, synth_video):
    for _, frames in settled(synth_video, lambda d: d is None):
        assert all(quick_results[i].observation is None for i in frames)
        assert all(quick_results[i].decision.state == "none" for i in frames)


def test_hands_are_found(quick_results, synth_video):
    for digit, frames in settled(synth_video, lambda d: d is not None):
        found = sum(quick_results[i].observation is not None for i in frames)
        assert found >= 0.8 * len(frames), f"hand for digit {digit} found in {found}/{len(frames)} frames"


def test_right_digits_with_good_model(good_bundle, synth_video, hand_model_path):
    from trainer.bundle import Classifier

    results = run_video(synth_video, hand_model_path, Classifier.load(good_bundle))
    for digit, frames in settled(synth_video, lambda d: d is not None):
        shown = [results[i].decision.digit for i in frames]
        assert shown.count(digit) >= 0.8 * len(shown), f"digit {digit}: shown {shown}"


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


def test_swaps_from_another_thread(synth_video, hand_model_path, classifier):
    """set_classifier / set_smoothing racing with process() neither crash nor get lost."""
    with FrameSource(synth_video.path, loop=False) as src:
        frames = [f for _, f in zip(range(20), src)]
    with LivePipeline(hand_model_path, classifier) as pipe:
        stop = threading.Event()
        errors: list[BaseException] = []

        def swapper():
            try:
                k = 0
                while not stop.is_set():
                    pipe.set_classifier(classifier)
                    pipe.set_smoothing(SmoothingSettings(window=1 + k % 5))
                    k += 1
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        t = threading.Thread(target=swapper)
        t.start()
        try:
            results = [pipe.process(f.rgb, f.timestamp_ms) for f in frames]
        finally:
            stop.set()
            t.join()
        assert not errors and len(results) == len(frames)
        pipe.set_smoothing(SmoothingSettings(window=3, threshold=0.1))
        pipe.process(frames[0].rgb)
        assert pipe.smoothing.window == 3 and pipe.classifier is classifier
    with pytest.raises(RuntimeError):
        pipe.process(frames[0].rgb)


def test_new_detection_confidence_rebuilds_landmarker(hand_model_path, classifier, synth_video):
    import copy
    from dataclasses import replace

    other = copy.copy(classifier)
    other.crop_settings = replace(classifier.crop_settings, min_detection_confidence=0.3)
    with FrameSource(synth_video.path, loop=False) as src:
        f = src.read()
    with LivePipeline(hand_model_path, classifier) as pipe:
        pipe.process(f.rgb, 0)
        pipe.set_classifier(other)
        r = pipe.process(f.rgb, 0)  # same timestamp again: must not upset MediaPipe
        assert r.index == 1
        assert pipe._cropper.settings.min_detection_confidence == 0.3


def test_core_modules_import_without_qt_or_tensorflow():
    """The headless core must not pull in Qt (and stays light until a model is loaded)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import asl_live.bench, asl_live.capture, asl_live.drawing, asl_live.live, asl_live.settings, "
            "asl_live.smoothing, asl_live.source, asl_live.synthvideo\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'shiboken6', 'tensorflow'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
