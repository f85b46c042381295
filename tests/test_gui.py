"""The desktop app, driven headless (offscreen Qt) on generated videos of real hands.

Tests drive the real window through its public parts: the live session (whose frame
observers see every processed frame), the panels' widgets, keys and buttons.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import json
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from asl_live.bench import score  # noqa: E402
from asl_live.gui.live_panel import NONE_ID  # noqa: E402
from asl_live.gui.live_worker import LatestSlot  # noqa: E402
from asl_live.gui.window_bench import StallWatch  # noqa: E402
from asl_live.gui.window import MainWindow  # noqa: E402
from asl_live.options import LaunchOptions, resolve_options, shipped_model_dir  # noqa: E402
from asl_live.settings import AppSettings  # noqa: E402
from trainer.classes import NOT_DIGIT  # noqa: E402

STARTUP_S = 60  # model load on a busy 2-core machine
# The event loop must keep turning while frames are recognised and models train. A blocking
# call on the GUI thread (a model load, a training epoch, a video decode loop) stalls it for
# seconds; a loaded CI machine delays a 10 ms timer by up to a couple of hundred. The tight
# figure (under 50 ms) is a benchmark: `asl-live bench --responsiveness`.
STALL_LIMIT_MS = 500


# -- helpers ----------------------------------------------------------------------------------

def launch_options(source, model: Path, hand_model: Path | None, *, loop: bool = True,
                   settings: AppSettings | None = None) -> LaunchOptions:
    args = argparse.Namespace(source=str(source), camera=None, no_loop=not loop, model=str(model),
                              hand_model=str(hand_model) if hand_model else None)
    return resolve_options(args, settings=settings or AppSettings())


def ready(window: MainWindow) -> bool:
    return window.session.state.ready


def frames_seen(window: MainWindow) -> list:
    """Every frame the window recognises from now on (a session frame observer)."""
    results: list = []
    window.session.add_frame_observer(lambda result, state: results.append(result))
    return results


def wait_frames(qtbot, results: list, n: int, timeout_s: float = 30) -> None:
    start = len(results)
    qtbot.waitUntil(lambda: len(results) >= start + n, timeout=int(timeout_s * 1000))


@pytest.fixture(scope="session")
def crop_cache(tmp_path_factory) -> Path:
    """Crops shared by the retrain tests, so the second run skips the landmarker."""
    return tmp_path_factory.mktemp("crop-cache")


# -- Qt-free pieces ---------------------------------------------------------------------------

def test_live_accuracy_counts_decided_frames_only() -> None:
    from asl_live.live import FrameResult
    from asl_live.live_accuracy import AccuracyRecorder, LiveAccuracy
    from asl_live.session import LiveState
    from asl_live.smoothing import Decision

    acc = LiveAccuracy()
    assert acc.accuracy is None
    acc.record(3, Decision("digit", 3, 0.9))
    acc.record(3, Decision("digit", 5, 0.8))
    acc.record(3, Decision("unsure", None, 0.4))
    acc.record(7, Decision("none"))
    acc.record(NOT_DIGIT, Decision("not_digit", None, 0.8))
    acc.record(NOT_DIGIT, Decision("digit", 1, 0.8))
    assert (acc.decided, acc.correct, acc.accuracy) == (4, 2, 0.5)
    assert acc.confusion[3, 5] == 1 and acc.undecided[3] == 1 and acc.undecided[7] == 1
    assert acc.recall(3) == 0.5 and acc.recall(0) is None and acc.recall(NOT_DIGIT) == 0.5
    snapshot = acc.copy()
    acc.reset()
    assert acc.decided == 0 and snapshot.decided == 4

    recorder = AccuracyRecorder()
    frame = FrameResult(0, 0, None, None, Decision("digit", 4, 0.9))
    recorder(frame, LiveState(label=None))  # the user says nothing: not scored
    recorder(frame, LiveState(label=4))
    assert recorder.snapshot().correct == 1 and recorder.snapshot().decided == 1


def test_latest_slot_keeps_only_the_newest() -> None:
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is True
    assert slot.put(2) is False and slot.put(3) is False
    assert slot.take() == 3 and slot.dropped == 2
    assert slot.take(timeout=0.01) is None
    slot.count_drop()
    assert slot.dropped == 3
    threading.Timer(0.05, lambda: slot.put(4)).start()
    assert slot.take(timeout=5) == 4  # a waiting consumer wakes when an item arrives


def test_a_task_is_over_when_its_ending_slot_runs(qtbot) -> None:
    """The slot that re-enables a button may start the next task of that name at once (the
    window's "Use it anyway" right after a retrain ends); close still waits for every thread."""
    from asl_live.gui.tasks import TaskRunner

    runner = TaskRunner()
    seen: dict[str, object] = {}

    def after_first(_result: object) -> None:
        seen["first"] = runner.get("job")
        seen["second"] = runner.start("job", lambda _t: time.sleep(0.3) or 2,
                                      succeeded=lambda r: seen.setdefault("result", r))

    for ending, fn in (("succeeded", lambda _t: 1), ("failed", lambda _t: 1 / 0)):
        seen.clear()
        runner.start("job", fn, **{ending: after_first})
        qtbot.waitUntil(lambda: "second" in seen, timeout=5_000)
        assert seen["first"] is None and runner.get("job") is seen["second"]
        runner.stop_all()
        assert seen["second"].isFinished()
        qtbot.waitUntil(lambda: runner.get("job") is None and "result" in seen, timeout=5_000)
        assert seen["result"] == 2


def test_retrain_plan(tmp_path: Path) -> None:
    from asl_live.retrain import RetrainConfig, plan

    config = RetrainConfig(samples_dir=tmp_path / "samples", datasets_dir=tmp_path / "datasets",
                           out=tmp_path / "models" / "retrained")
    with pytest.raises(ValueError, match="Nothing to train on"):
        plan(config, tmp_path / "current")
    (config.samples_dir / "3").mkdir(parents=True)
    (config.samples_dir / "3" / "a.png").write_bytes(b"x")
    only_samples = plan(config, tmp_path / "current")
    assert only_samples.roots == [config.samples_dir] and only_samples.base_model == tmp_path / "current"
    with pytest.raises(ValueError, match="no current model"):
        plan(config, None)
    (config.datasets_dir / "asl-digits-kaggle").mkdir(parents=True)
    (config.datasets_dir / ".asl-digits-kaggle.partial").mkdir()  # an unfinished download: ignored
    extra = tmp_path / "mine"
    full = plan(replace(config, extra_roots=[extra]), tmp_path / "current")
    assert full.roots == [config.samples_dir, config.datasets_dir / "asl-digits-kaggle", extra]
    assert full.base_model is None


# -- the window on a video ------------------------------------------------------------------------

def test_window_shows_steady_decisions_per_segment(qtbot, open_window, synth_video, quick_bundle,
                                                   hand_model_path) -> None:
    """The video played once at its own pace: nothing shown without a hand, and (with the
    shipped model) the held digit, steadily, once it had time to settle; what the window
    shows matches the last decision."""
    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path, loop=False))
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    seen: list = []  # (source serial, result): the first playback may still hand over a frame
    window.session.add_frame_observer(lambda result, state: seen.append((state.source_serial, result)))
    with qtbot.waitSignal(window.worker.source_ended, timeout=60_000):
        # from the first frame, models loaded
        serial = window.session.open_source(synth_video.path, loop=False).source_serial
    qtbot.waitUntil(lambda: "End of the video" in window.messages.text(), timeout=5000)
    results = [r for s, r in seen if s == serial]  # the replay's frames

    indices = [r.index for r in results]
    # In order, none twice; a loaded machine drops frames (as with a camera: the newest frame
    # wins), so only a floor here: a fully loaded 2-core machine (a training beside the suite)
    # still showed a quarter of them. Frame rates are `asl-live bench`'s business.
    assert indices == sorted(set(indices)) and len(indices) >= 0.2 * len(synth_video.labels)
    assert window.live_view.video.image is not None and not window.live_view.video.image.isNull()
    readout = window.live_view.readout.text()
    assert "fps" in readout and "latency" in readout

    last = results[-1].decision
    assert window.live_view.state == last.state
    shown = window.live_view.bars.values()
    assert shown is not None and np.allclose(shown, last.probs)
    assert len(shown) == window.session.state.classifier.num_classes

    # Scored on the frames the window processed (a slow machine skips some, as with a camera).
    frames = [{"state": r.decision.state, "digit": r.decision.digit} for r in results]
    labels = [synth_video.labels[r.index] for r in results]
    report = score(frames, labels, synth_video.fps)
    no_hand = [s for s in report["segments"] if s["label"] is None]
    assert no_hand and all(s["accuracy"] == 1.0 for s in no_hand), report["segments"]
    if quick_bundle.resolve() != shipped_model_dir().resolve():
        pytest.skip("accuracy checks need the shipped model in assets/model (the quick test model is poor)")
    for seg in report["segments"]:
        if isinstance(seg["label"], int):
            assert seg["accuracy"] >= 0.9, seg
            assert seg["changes"] <= 1, f"display flickered inside a held {seg['label']}: {seg}"
        elif seg["label"] == "not_digit":
            assert seg["accuracy"] >= 0.9, f"a hand shape that is no digit was shown as a digit: {seg}"


def test_not_a_digit_is_shown_in_words(qtbot, open_window, synth_video, good_bundle, hand_model_path) -> None:
    """On the stretch of a hand shape that is no digit the window says so, in red words, with the
    class's probability beside the ten digits' bars."""
    window = open_window(launch_options(synth_video.path, good_bundle, hand_model_path))
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    assert window.session.state.classifier.has_not_digit
    qtbot.waitUntil(lambda: window.live_view.state == "not_digit", timeout=60_000)
    assert window.live_view.decision.text().startswith("Not a digit")
    assert "#c53030" in window.live_view.decision.styleSheet()
    bars = window.live_view.bars.values()
    assert len(bars) == 11 and bars.argmax() == NOT_DIGIT


def test_the_framing_coach_speaks_in_the_live_and_practice_tabs(qtbot, open_window, tmp_path, kaggle_root,
                                                                 quick_bundle, hand_model_path) -> None:
    """A room with no hand in it: after about a second both tabs say what to do, in words; the
    line goes once a hand is found."""
    from synthvideo import make_video_file

    from asl_live import framing

    video = make_video_file(tmp_path / "empty.mp4", [None, None, 5], 2.0, 30.0, seed=3, data_root=kaggle_root,
                            hand_model=hand_model_path)
    window = open_window(launch_options(video.path, quick_bundle, hand_model_path, loop=False))
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    results = frames_seen(window)
    qtbot.waitUntil(lambda: window.live_view.coach.isVisible(), timeout=60_000)
    assert window.live_view.coach.text() == framing.NO_HAND
    assert window.practice_panel.coach.text() == framing.NO_HAND
    assert all(r.observation is None for r in results)  # said only while no hand is found
    qtbot.waitUntil(lambda: any(r.observation is not None for r in results), timeout=60_000)
    qtbot.waitUntil(lambda: not window.live_view.coach.isVisible(), timeout=10_000)
    assert not window.practice_panel.coach.isVisible()


def test_frames_are_dropped_not_queued_and_the_window_stays_responsive(qtbot, open_window, synth_video,
                                                                       quick_bundle, hand_model_path,
                                                                       monkeypatch) -> None:
    """Recognition slower than the video: frames are skipped (never queued) and the event loop
    keeps turning."""
    from asl_live.live import LivePipeline

    original = LivePipeline.process

    def slow(self, *args, **kwargs):
        time.sleep(0.12)  # ~8 frames/s of recognition against a 15 fps video
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LivePipeline, "process", slow)
    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path))
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    results = frames_seen(window)
    wait_frames(qtbot, results, 3)
    watch = StallWatch()
    wait_frames(qtbot, results, 20)
    gaps = watch.stop()
    assert results[-1].index - results[0].index > len(results)  # frames were skipped
    assert "frames skipped: 0" not in window.live_view.readout.text()
    latency = float(window.live_view.readout.text().split("latency")[1].split("ms")[0])
    assert latency < 1000  # the frame shown is a recent one, not from a backlog
    assert max(gaps) < STALL_LIMIT_MS, f"GUI event loop stalled {max(gaps)} ms"


def test_keys_score_live_accuracy(qtbot, open_window, synth_video, quick_bundle, hand_model_path) -> None:
    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path))
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    results = frames_seen(window)

    def scored() -> int:
        a = window.accuracy.snapshot()
        return a.decided + int(a.undecided.sum())

    qtbot.keyPress(window, Qt.Key.Key_2)
    qtbot.keyRelease(window, Qt.Key.Key_2)
    assert window.live_panel.digit_buttons.checkedId() == 2 and window.session.state.label == 2
    qtbot.waitUntil(lambda: scored() >= 10, timeout=20_000)
    acc = window.accuracy.snapshot()
    rows = acc.confusion.sum(axis=1) + acc.undecided
    assert rows[2] == scored() and rows.sum() == rows[2]  # every frame counted as a "2"
    qtbot.waitUntil(lambda: "frames" in window.live_panel.accuracy_label.text(), timeout=5000)

    qtbot.keyClick(window, Qt.Key.Key_Escape)  # stop scoring: the counts freeze
    assert window.live_panel.digit_buttons.checkedId() == NONE_ID and window.session.state.label is None
    frozen = scored()
    wait_frames(qtbot, results, 5)
    assert scored() <= frozen + 1  # at most the frame in flight

    window.live_panel.reset_button.click()
    assert scored() == 0
    window.live_panel.digit_buttons.button(7).click()  # the on-screen buttons do the same
    qtbot.waitUntil(lambda: scored() > 0, timeout=20_000)
    acc = window.accuracy.snapshot()
    assert acc.undecided[7] + acc.confusion[7].sum() == scored()
    qtbot.keyClick(window, Qt.Key.Key_N)  # a hand shape that is no digit
    assert window.session.state.label == NOT_DIGIT and window.live_panel.not_digit_button.isChecked()


def test_holding_a_key_saves_samples(qtbot, open_window, synth_video, quick_bundle, hand_model_path) -> None:
    import cv2

    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path))
    samples = window.options.retrain.samples_dir
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    results = frames_seen(window)

    qtbot.keyPress(window, Qt.Key.Key_5)  # held down
    qtbot.waitUntil(lambda: window.capture.counts()[5] >= 3, timeout=30_000)
    qtbot.keyRelease(window, Qt.Key.Key_5)
    wait_frames(qtbot, results, 3)
    saved = window.capture.counts()[5]
    files = sorted((samples / "5").iterdir())
    assert len(files) == saved and all(f.suffix == ".png" and not f.name.startswith(".") for f in files)
    assert all(cv2.imread(str(f)) is not None for f in files)
    qtbot.waitUntil(lambda: window.train_panel.count_labels[5].text() == f"5: {saved}", timeout=5000)
    wait_frames(qtbot, results, 5)
    assert window.capture.counts()[5] == saved  # released: no more samples

    qtbot.keyPress(window, Qt.Key.Key_N)  # a hand shape that is no digit, for retraining
    qtbot.waitUntil(lambda: window.capture.counts()[NOT_DIGIT] >= 2, timeout=30_000)
    qtbot.keyRelease(window, Qt.Key.Key_N)
    assert len(list((samples / "not_digit").glob("*.png"))) >= 2

    window.live_panel.digit_buttons.button(5).click()
    window.train_panel.capture_box.setChecked(True)  # the toggle saves for the selected label
    qtbot.waitUntil(lambda: window.capture.counts()[5] >= saved + 2, timeout=30_000)
    window.train_panel.capture_box.setChecked(False)


def test_samples_added_outside_the_app_are_counted_when_the_tab_is_opened(qtbot, open_window, synth_video,
                                                                          quick_bundle, hand_model_path) -> None:
    import cv2

    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path))
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    folder = window.options.retrain.samples_dir / "7"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(2):  # a learner copies two photos in with a file manager
        cv2.imwrite(str(folder / f"mine_{n}.png"), np.full((32, 32, 3), 40 * n, np.uint8))
    window.tabs.setCurrentWidget(window.train_panel)
    qtbot.waitUntil(lambda: window.train_panel.count_labels[7].text() == "7: 2", timeout=10_000)
    assert window.capture.counts()[7] == 2


def test_retrain_without_a_working_model_takes_the_new_one(qtbot, open_window, synth_video, tmp_path,
                                                           hand_model_path, kaggle_root, crop_cache) -> None:
    """A user whose model is broken retrains: there is nothing to compare with, the new model
    is used at once and remembered for the next launch."""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bundle.json").write_text("{}")
    window = open_window(launch_options(synth_video.path, broken, hand_model_path))
    window.retrainer.config = replace(window.retrainer.config, epochs=1, limit_per_class=10, cache_root=crop_cache)
    window.retrainer.add_folder(kaggle_root)
    qtbot.waitUntil(lambda: "No usable model" in window.messages.text(), timeout=STARTUP_S * 1000)
    assert "train a new model" in window.train_panel.plan_label.text()

    stages: list[str] = []
    window.train_panel.retrain_button.click()
    window.tasks.get("retrain").progressed.connect(lambda stage, *_: stages.append(stage))
    qtbot.waitUntil(lambda: window.session.state.classifier is not None, timeout=240_000)
    new = window.session.state.classifier
    out = window.options.retrain.out
    assert Path(new.path) == out and (out / "bundle.json").is_file() and (out / "heldout.npz").is_file()
    assert "Training" in stages
    assert "Retrained model in use" in window.train_panel.status.text()
    assert str(out) not in window.train_panel.status.text() and str(out) in window.train_panel.status.toolTip()
    assert not window.train_panel.compare.isHidden()  # the per-class figures
    saved = json.loads((Path(os.environ["ASL_LIVE_DATA_DIR"]) / "settings.json").read_text())
    assert Path(saved["model"]) == out  # the next launch starts with it
    # named, not shown as a path of this machine (the path is in the tooltip)
    assert window.model_panel.path_label.text() == "Model: your retrained model"
    assert window.model_panel.path_label.toolTip() == str(out)
    assert "your retrained model" in window.statusBar().currentMessage()
    assert str(tmp_path) not in window.statusBar().currentMessage() and window.statusBar().toolTip() == str(out)


def test_a_worse_retrain_is_kept_aside_until_chosen(qtbot, open_window, synth_video, good_bundle,
                                                    hand_model_path, kaggle_root, crop_cache) -> None:
    """One epoch on ten images per digit makes a model far worse than the shipped one: it is
    not used, the window says for which classes, and the user can still choose it."""
    window = open_window(launch_options(synth_video.path, good_bundle, hand_model_path))
    window.retrainer.config = replace(window.retrainer.config, epochs=1, limit_per_class=10, cache_root=crop_cache)
    window.retrainer.add_folder(kaggle_root)
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    old = window.session.state.classifier

    window.train_panel.retrain_button.click()
    qtbot.waitUntil(lambda: window.train_panel.retrain_button.isEnabled(), timeout=240_000)
    assert window.session.state.classifier is old
    status = window.train_panel.status.text()
    assert "kept aside" in status and "worse for" in status, status
    compare = window.train_panel.compare
    assert not compare.isHidden() and compare.rowCount() >= 10
    assert any(compare.item(r, 4).text() == "worse" for r in range(compare.rowCount()))
    out = window.options.retrain.out
    assert not out.exists() and (out.parent / f"{out.name}.candidate" / "bundle.json").is_file()
    assert window.settings.model is None

    assert not window.train_panel.use_rejected_button.isHidden()
    window.train_panel.use_rejected_button.click()
    qtbot.waitUntil(lambda: window.session.state.classifier is not old, timeout=10_000)
    assert Path(window.session.state.classifier.path) == out and Path(window.settings.model) == out


def test_retrain_on_samples_alone_fine_tunes_and_rehearses(qtbot, open_window, synth_video, good_bundle,
                                                           hand_model_path, crop_cache) -> None:
    window = open_window(launch_options(synth_video.path, good_bundle, hand_model_path))
    window.retrainer.config = replace(window.retrainer.config, epochs=1, cache_root=crop_cache)
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    qtbot.keyPress(window, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: window.capture.counts()[2] >= 20, timeout=60_000)
    qtbot.keyRelease(window, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: "fine-tune the current model" in window.train_panel.plan_label.text(), timeout=5000)
    assert str(good_bundle) not in window.train_panel.plan_label.text()  # named, not a path of this machine

    window.train_panel.retrain_button.click()
    qtbot.waitUntil(lambda: window.train_panel.retrain_button.isEnabled(), timeout=240_000)
    log = window.train_panel.log.toPlainText()
    assert "Rehearsal:" in log  # the current model's training examples of every class
    assert ("Taken:" in log) or ("Kept aside:" in log)
    candidate = window.options.retrain.out
    bundle = candidate if (candidate / "bundle.json").is_file() else candidate.with_name(f"{candidate.name}.candidate")
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["training"]["base_model"] == str(good_bundle)
    assert set(meta["data"]["datasets"]) == {"samples"}
    # one run of captures within seconds: its end is held out, and the window shows the learner's
    # own held-out score before and after beside the per-class figures
    assert meta["data"]["split"]["images"]["test"] >= 2 and meta["data"]["split"]["images"]["val"] >= 2
    compare = window.train_panel.compare
    assert compare.item(0, 0).text() == "your own captures" and int(compare.item(0, 1).text()) >= 2
    assert "Your own held-out captures" in window.train_panel.status.text()
    assert meta["temperature"] >= json.loads((good_bundle / "bundle.json").read_text())["temperature"]


def test_cancelled_retrain_keeps_the_current_model(qtbot, open_window, synth_video, quick_bundle,
                                                   hand_model_path, kaggle_root, crop_cache) -> None:
    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path))
    window.retrainer.config = replace(window.retrainer.config, epochs=200, limit_per_class=10, cache_root=crop_cache)
    window.retrainer.add_folder(kaggle_root)
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    old = window.session.state.classifier

    watch = StallWatch()
    window.retrainer.start()
    task = window.tasks.get("retrain")
    with qtbot.waitSignal(task.progressed, timeout=120_000,
                          check_params_cb=lambda stage, *_: stage == "Training"):  # an epoch is done
        pass
    gaps = watch.stop()
    # Cropping, building the model and an epoch ran beside the live video: the window never froze.
    assert len(gaps) > 20 and max(gaps) < STALL_LIMIT_MS, f"GUI event loop stalled {max(gaps)} ms"
    with qtbot.waitSignal(task.cancelled, timeout=60_000):
        window.train_panel.cancel_button.click()
    qtbot.waitUntil(lambda: window.train_panel.retrain_button.isEnabled(), timeout=5000)
    assert window.session.state.classifier is old
    status = window.train_panel.status.text()
    assert "cancelled" in status and "still in use" in status
    out = window.options.retrain.out
    assert not out.exists() and not out.with_name(f"{out.name}.candidate").exists()  # nothing kept
    assert window.settings.model is None


def test_failed_retrain_is_reported_and_changes_nothing(qtbot, open_window, synth_video, quick_bundle,
                                                        hand_model_path, tmp_path, crop_cache) -> None:
    junk = tmp_path / "junk"
    for d in range(10):
        (junk / str(d)).mkdir(parents=True)
        (junk / str(d) / "a.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path))
    window.retrainer.config = replace(window.retrainer.config, epochs=1, cache_root=crop_cache)
    window.retrainer.add_folder(junk)
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    old = window.session.state.classifier
    window.train_panel.retrain_button.click()
    qtbot.waitUntil(lambda: "Retraining failed" in window.train_panel.status.text(), timeout=120_000)
    assert "still in use" in window.train_panel.status.text()
    assert window.session.state.classifier is old and not window.options.retrain.out.exists()


def test_without_the_trainer_retrain_and_download_say_what_to_install(qtbot, open_window, synth_video,
                                                                       quick_bundle, hand_model_path,
                                                                       monkeypatch) -> None:
    """A lean install (no TensorFlow, no kaggle): one line, nothing started, the model kept."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("tensorflow", "kaggle") else real(name, *a))
    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path))
    qtbot.waitUntil(lambda: ready(window), timeout=STARTUP_S * 1000)
    old = window.session.state.classifier
    window.train_panel.retrain_button.click()
    said = window.train_panel.status.text()
    assert said == "Retraining needs tensorflow, which this install leaves out: pip install 'asl-live[train]'"
    assert window.tasks.get("retrain") is None and window.session.state.classifier is old
    window.train_panel.download_button.click()
    assert window.tasks.get("download") is None
    assert window.train_panel.status.text().startswith("The Kaggle download needs kaggle, which this install")


def test_kaggle_download_shows_bytes_and_adds_the_dataset(qtbot, open_window, synth_video, quick_bundle,
                                                          hand_model_path, monkeypatch) -> None:
    import trainer.kaggle_fetch as kaggle_fetch

    proceed = threading.Event()

    def fake_download(dest, progress=None, **_):
        progress(1_500_000, None)
        proceed.wait(20)
        root = Path(dest) / "asl-digits-kaggle" / "American Sign Language Digits Dataset"
        (root / "3").mkdir(parents=True)
        return root

    monkeypatch.setattr(kaggle_fetch, "download_kaggle", fake_download)
    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path))
    panel = window.train_panel
    panel.download_button.click()
    qtbot.waitUntil(lambda: "1.5 MB" in panel.download_bar.format(), timeout=10_000)
    assert not panel.download_button.isEnabled()
    proceed.set()
    qtbot.waitUntil(panel.download_button.isEnabled, timeout=10_000)
    assert "Kaggle dataset ready" in panel.status.text()
    listed = [panel.roots_list.item(i).text() for i in range(panel.roots_list.count())]
    assert any(text.endswith("asl-digits-kaggle") for text in listed)
    assert "train a new model" in panel.plan_label.text()


def test_broken_model_is_reported_and_video_still_plays(qtbot, open_window, synth_video, quick_bundle,
                                                        hand_model_path, tmp_path, capfd) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bundle.json").write_text((quick_bundle / "bundle.json").read_text())
    (broken / "model.tflite").write_bytes(b"not a model")
    window = open_window(launch_options(synth_video.path, broken, hand_model_path))
    qtbot.waitUntil(lambda: "No usable model" in window.messages.text(), timeout=STARTUP_S * 1000)
    assert "model.tflite" in window.messages.text() and "could not be loaded" in window.messages.text()
    qtbot.waitUntil(lambda: window.live_view.video.image is not None, timeout=20_000)  # raw video
    assert window.session.state.classifier is None and window.isVisible()
    assert "No usable model" in capfd.readouterr().err


def test_missing_hand_model_is_reported(qtbot, open_window, synth_video, quick_bundle, tmp_path, capfd) -> None:
    missing = tmp_path / "missing.task"
    window = open_window(launch_options(synth_video.path, quick_bundle, missing))
    qtbot.waitUntil(lambda: "No hand detection" in window.messages.text(), timeout=STARTUP_S * 1000)
    assert str(missing) in window.messages.text() and "not usable" in window.messages.text()
    assert "No hand detection" in capfd.readouterr().err
    qtbot.waitUntil(lambda: window.session.state.classifier is not None
                    and window.live_view.video.image is not None, timeout=STARTUP_S * 1000)
    assert window.isVisible() and window.live_view.state == "none"  # plain video, no recognition


def test_settings_persist_between_runs(qtbot, open_window, synth_video, quick_bundle, hand_model_path) -> None:
    window = open_window(launch_options(synth_video.path, quick_bundle, hand_model_path, loop=False))
    window.live_panel.window_spin.setValue(12)
    window.live_panel.threshold_slider.setValue(75)
    smoothing = window.session.state.smoothing
    assert (smoothing.window, smoothing.threshold) == (12, 0.75)
    window.landmarks_action.trigger()  # landmarks off
    assert window.session.state.show_landmarks is False
    qtbot.waitUntil(lambda: window.settings.source == str(synth_video.path), timeout=20_000)  # once it opened
    window.resize(780, 720)  # within the offscreen screen (800x800)
    window.close()
    saved = AppSettings.load()
    assert (saved.smoothing_window, saved.smoothing_threshold, saved.show_landmarks) == (12, 0.75, False)
    assert saved.source == str(synth_video.path) and saved.loop is False and saved.geometry

    args = argparse.Namespace(source=None, camera=None, no_loop=False, model=str(quick_bundle),
                              hand_model=str(hand_model_path))
    again = open_window(resolve_options(args, settings=saved))  # launched without --source: the saved one
    assert again.session.state.source == synth_video.path and again.session.state.loop is False
    assert again.live_panel.window_spin.value() == 12 and again.live_panel.threshold_slider.value() == 75
    assert not again.landmarks_action.isChecked()
    assert (again.width(), again.height()) == (780, 720)


def test_camera_that_stops_is_retried_and_reported(qtbot, open_window, monkeypatch, tmp_path) -> None:
    """A camera that stops delivering frames: the window shows FrameSource's retry status,
    and clears it when frames flow again. (cv2.VideoCapture stands in for a webcam here, as
    this machine has none; recognition itself is tested on real video files above.)"""
    import cv2

    frame = np.full((120, 160, 3), 90, np.uint8)
    reads = {"n": 0}

    class FlakyCamera:  # frames, then a stretch of failures, then frames again
        def __init__(self, index) -> None:
            self.open = index == 4

        def isOpened(self) -> bool:
            return self.open

        def read(self):
            reads["n"] += 1
            ok = not 20 <= reads["n"] < 24
            return (ok, frame.copy() if ok else None)

        def get(self, prop) -> float:
            return 0.0

        def release(self) -> None:
            self.open = False

    monkeypatch.setattr(cv2, "VideoCapture", FlakyCamera)
    options = launch_options(tmp_path / "unused.mp4", tmp_path / "no-model", tmp_path / "no-hand-model.task")
    options.source = 4
    window = open_window(options)
    qtbot.waitUntil(lambda: "retrying" in window.messages.text(), timeout=20_000)
    assert "Camera stopped delivering frames" in window.messages.text()
    qtbot.waitUntil(lambda: "retrying" not in window.messages.text() and reads["n"] > 30, timeout=20_000)
    assert window.isVisible() and window.live_view.video.image is not None
    assert window.settings.camera == 4  # a camera that worked is remembered


def test_the_live_view_shows_each_decision_distinctly(qtbot) -> None:
    """What a user reads under the video: the digit in green, "?" in amber, "not a digit" in
    red words, nothing for no hand; the bars are the smoothed probabilities, the chosen class
    marked."""
    from PySide6.QtGui import QImage

    from asl_live.gui.live_view import LiveView
    from asl_live.gui.live_worker import LiveUpdate
    from asl_live.live import FrameResult
    from asl_live.smoothing import Decision

    view = LiveView()
    qtbot.addWidget(view)
    image = QImage(64, 48, QImage.Format.Format_RGB888)
    probs = np.full(11, 0.02, np.float32)
    probs[3] = 0.8
    cases = [(Decision("digit", 3, 0.8, probs), "Digit 3 (80%)", "#1f8f4e"),
             (Decision("unsure", None, 0.45, probs), "? Unsure", "#b7791f"),
             (Decision("not_digit", None, 0.7, probs), "Not a digit (70%)", "#c53030"),
             (Decision("none"), "No hand", "placeholder")]
    styles = set()
    for decision, words, colour in cases:
        result = FrameResult(7, 0, None, probs if decision.probs is not None else None, decision, {"landmarks": 12.0})
        view.show_update(LiveUpdate(image, result, 29.5, 18.0, 2), threshold=0.6)
        assert view.decision.text().startswith(words) and colour in view.decision.styleSheet()
        assert view.state == decision.state and "29.5 fps" in view.readout.text()
        styles.add(view.decision.styleSheet())
    assert len(styles) == 4
    view.show_update(LiveUpdate(image, FrameResult(8, 0, None, probs, Decision("digit", 3, 0.8, probs)), 30, 10, 0), 0.6)
    assert np.allclose(view.bars.values(), probs) and view.bars.chosen() == 3
    # "not a digit" for a hand the model read as a digit it plainly is not: the blue line says
    # what would make it that digit; the framing comes first; nothing once a digit shows
    near = "Close to 0. For 0, close the circle: touch your fingertips to your thumb."
    turned = Decision("not_digit", None, 0.9, probs)
    view.show_update(LiveUpdate(image, FrameResult(9, 0, None, probs, turned, turned_away=0, near_miss=near), 30, 10, 0),
                     0.6)
    assert view.coach.isVisibleTo(view) and view.coach.text() == near
    view.show_update(LiveUpdate(image, FrameResult(10, 0, None, probs, turned, coach="Come closer", turned_away=0,
                                                   near_miss=near), 30, 10, 0), 0.6)
    assert view.coach.text() == "Come closer"
    view.show_update(LiveUpdate(image, FrameResult(11, 0, None, probs, Decision("digit", 3, 0.8, probs),
                                                   near_miss=near), 30, 10, 0), 0.6)
    assert not view.coach.isVisibleTo(view)
