"""Practice mode: the judge on made-up decisions, `asl-live practice` on generated videos of
real hands, and the Practice tab of the real window."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import csv
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from asl_live.live import FrameResult
from asl_live.hand3d import digit_shapes
from asl_live.practice import JudgeSettings, NumberEntry, PracticeRound, make_number
from asl_live.practice_run import run_practice
from asl_live.smoothing import Decision
from trainer.classes import NOT_DIGIT
from trainer.hands import HandObservation

from _paths import REPO

STARTUP_S = 60


def frame(i: int, state: str = "none", digit: int | None = None, probs=None, obs=None, ms_per_frame: int = 50):
    return FrameResult(i, i * ms_per_frame, obs, None if probs is None else np.asarray(probs),
                       Decision(state, digit, 0.0 if probs is None else float(np.max(probs)),
                                None if probs is None else np.asarray(probs, dtype=np.float32)))


def probs_for(label: int, p: float = 0.9, n: int = 11) -> np.ndarray:
    a = np.full(n, (1 - p) / (n - 1))
    a[label] = p
    return a


# -- the judge on made-up frames ------------------------------------------------------------------

def test_a_prompt_counts_once_the_target_is_held_for_half_a_second():
    r = PracticeRound([3], JudgeSettings(hold_ms=500), hints=set())
    accepted = None
    for i in range(20):  # 50 ms per frame: the 11th frame on target is 500 ms after the first
        accepted = r.update(frame(i, "digit", 3, probs_for(3)))
        if accepted:
            break
    assert accepted is not None and accepted.frame == 10 and accepted.time_ms == 500 and r.done
    assert accepted.seen_most == "3"


def test_the_target_is_judged_not_the_top_guess_and_not_a_digit_never_counts():
    r = PracticeRound([4], JudgeSettings(hold_ms=200), hints=set())
    for i in range(30):  # 4 is shown with 0.55 but 7 is on top: never accepted
        p = np.zeros(11)
        p[7], p[4] = 0.6, 0.4
        assert r.update(frame(i, "digit", 7, p), threshold=0.3) is None
    for i in range(30, 60):  # "not a digit" on display: never accepted, however high the 4
        assert r.update(frame(i, "not_digit", None, probs_for(4, 0.7))) is None
    for i in range(60, 70):  # below the threshold: "?"
        assert r.update(frame(i, "unsure", None, probs_for(4, 0.5))) is None
    assert not r.done and r.view().hold == 0
    assert r.view().results[0].seen_most == "7"


def test_a_break_restarts_the_hold_and_skipping_moves_on():
    r = PracticeRound([1, 2], JudgeSettings(hold_ms=300), hints=set())
    for i in range(4):
        r.update(frame(i, "digit", 1, probs_for(1)))
    r.update(frame(4, "none"))  # the hand dropped: the hold starts again
    for i in range(5, 11):
        assert r.update(frame(i, "digit", 1, probs_for(1))) is None
    assert r.update(frame(11, "digit", 1, probs_for(1))) is not None  # 300 ms after frame 5
    r.skip(now_ms=600)
    view = r.view()
    assert view.done and [x.accepted for x in view.results] == [True, False] and view.streak == 0


def test_a_hint_comes_only_for_a_hand_held_still_and_for_digits_with_reliable_rules():
    from test_handshape import synthetic_hand

    pts = synthetic_hand(up="index middle ring")  # three fingers up, thumb in: not a 7
    obs = HandObservation(np.zeros((64, 64, 3), np.uint8), pts, (0.0, 0.0, 64.0), "Right", 1.0)
    wrong = probs_for(6, 0.8)
    r = PracticeRound([7], JudgeSettings(still_ms=300), hints={7})
    hints = [r.update(frame(i, "digit", 6, wrong, obs)) or r.view().hint for i in range(12)]
    assert hints[0] is None and any(hints)  # only once held still
    assert "7" in r.view().hint
    moving = PracticeRound([7], JudgeSettings(still_ms=300), hints={7})
    other = synthetic_hand(up="index middle")  # the ring finger going up and down: a hand in motion
    for i in range(12):
        moving.update(frame(i, "digit", 6, wrong, HandObservation(obs.crop, (pts, other)[i % 2], obs.box, "Right", 1)))
        assert moving.view().hint is None
    quiet = PracticeRound([7], JudgeSettings(still_ms=300), hints=set())  # 7 not reliable enough: no hint
    for i in range(12):
        quiet.update(frame(i, "digit", 6, wrong, obs))
    assert quiet.view().hint is None


def test_a_6_held_for_3_is_named_and_each_hint_is_kept_once_for_the_report():
    from test_handshape import CANONICAL, synthetic_hand

    six = HandObservation(np.zeros((64, 64, 3), np.uint8), synthetic_hand(**CANONICAL[6]), (0.0, 0.0, 64.0),
                          "Right", 1.0)
    r = PracticeRound([3], JudgeSettings(still_ms=200), hints={3})
    for i in range(30):
        assert r.update(frame(i, "digit", 6, probs_for(6), six)) is None
    assert r.view().hint == "That is 6: for 3, the thumb is up and the ring finger down."
    assert r.view().wrong == {"thumb", "ring"} and r.view().hand.shape == (21, 3)  # marked on the learner's drawing
    assert r.view().results[0].to_dict()["hints"] == [r.view().hint]  # said on many frames, kept once
    unsure = PracticeRound([3], JudgeSettings(still_ms=200), hints={3})  # the model does not say 6: no pair named
    for i in range(30):
        unsure.update(frame(i, "unsure", None, probs_for(6, 0.4), six))
    assert not unsure.view().hint.startswith("That is")


def test_two_judges_a_near_digit_shape_is_never_confirmed_and_the_hint_says_why():
    from test_handshape import CANONICAL, hooked_index, synthetic_hand

    def obs(pts):
        return HandObservation(np.zeros((64, 64, 3), np.uint8), pts, (0.0, 0.0, 64.0), "Right", 1.0)

    x = obs(hooked_index(synthetic_hand(**CANONICAL[1])))  # an X, which the model calls 1
    settings = JudgeSettings(hold_ms=300, still_ms=200)
    r = PracticeRound([1], settings, hints={1})
    for i in range(40):
        assert r.update(frame(i, "digit", 1, probs_for(1), x)) is None
    view = r.view()
    assert not view.done and view.hold == 0
    assert view.hint == "Your index finger is bent: for 1, hold it straight up."
    assert view.results[0].to_dict()["held_back_by"] == {"model": 0, "fingers": 40}
    assert view.results[0].to_dict()["hints"] == ["Your index finger is bent: for 1, hold it straight up."]
    one = obs(synthetic_hand(**CANONICAL[1]))
    accepted = None
    for i in range(40, 60):
        accepted = accepted or r.update(frame(i, "digit", 1, probs_for(1), one))
    assert accepted is not None and accepted.time_ms is not None
    # the model alone would have confirmed the X; so would the fingers alone a 1 the model doubts
    alone = PracticeRound([1], replace(settings, fingers=False), hints={1})
    assert any(alone.update(frame(i, "digit", 1, probs_for(1), x)) for i in range(40))
    doubt = PracticeRound([1], settings, hints={1})
    for i in range(40):
        assert doubt.update(frame(i, "unsure", None, probs_for(1, 0.4), one)) is None
    assert doubt.view().results[0].held_back == {"model": 40}


def test_one_borderline_finger_reading_does_not_restart_a_hold():
    from test_handshape import CANONICAL, hooked_index, synthetic_hand

    one, x = (HandObservation(np.zeros((64, 64, 3), np.uint8), p, (0.0, 0.0, 64.0), "Right", 1.0)
              for p in (synthetic_hand(**CANONICAL[1]), hooked_index(synthetic_hand(**CANONICAL[1]))))
    r = PracticeRound([1], JudgeSettings(hold_ms=500), hints={1})
    got = [r.update(frame(i, "digit", 1, probs_for(1), x if i == 6 else one)) for i in range(12)]
    assert got[10] is not None  # 500 ms after the first frame, the one X-like frame outvoted


def test_a_number_is_entered_digit_by_digit_and_the_same_digit_twice_needs_a_change():
    entry = NumberEntry("1002", hold_ms=200)
    script = ([("digit", 1)] * 6 + [("none", None)] * 2 + [("digit", 0)] * 10  # one long hold: one 0
              + [("unsure", None)] + [("digit", 0)] * 5 + [("digit", 7)] * 5)
    entered = [entry.update(frame(i, s, d, probs_for(d if d is not None else 0))) for i, (s, d) in enumerate(script)]
    assert [e for e in entered if e is not None] == [1, 0, 0, 7]
    assert entry.complete and entry.correct == [True, True, True, False]
    entry.undo()  # take back the wrong 7
    assert entry.entered == [1, 0, 0] and not entry.complete
    assert all(t > 0 for t in entry.times_ms())
    assert make_number(np.random.default_rng(3)).isdigit()


# -- over a video ------------------------------------------------------------------------------------

def digit_prompts(video) -> list[int]:
    runs = [video.labels[0]] + [b for a, b in zip(video.labels, video.labels[1:]) if a != b]
    return [d for d in runs if d is not None and d != NOT_DIGIT]


def test_practice_over_the_video_accepts_each_prompt_within_its_digit(synth_video, good_bundle, hand_model_path,
                                                                       tmp_path):
    prompts = digit_prompts(synth_video)
    out = tmp_path / "practice.json"
    report = run_practice(synth_video.path, prompts, good_bundle, hand_model_path, out, log=lambda s: None)
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert [p["digit"] for p in report["prompts"]] == prompts
    for p in report["prompts"]:
        assert set(p) >= {"digit", "accepted", "frame", "time_ms", "seen"}
        assert p["accepted"] and p["within_segment"] and p["after_appearance_ms"] <= 1000, p
        assert p["seen"] in {str(d) for d in range(10)} | {"?", "not a digit", "no hand"}
    assert report["timing"]["all_within_segment"] and report["timing"]["worst_ms"] <= 1000


def test_a_prompt_is_never_accepted_over_hand_shapes_that_are_no_digit(synth_video, good_bundle, hand_model_path):
    """Prompt 8 after 5: it is open while the video shows a hand shape that is no digit (and a
    0) before the 8 comes; every prompt for a digit that is not shown stays open."""
    start = synth_video.labels.index(NOT_DIGIT)
    report = run_practice(synth_video.path, [5, 3], good_bundle, hand_model_path, log=lambda s: None)
    five, three = report["prompts"]
    assert five["accepted"] and five["frame"] < start
    assert not three["accepted"]  # no 3 in the video: not the letter, not the 0, not the 8


def test_practice_command(synth_video, quick_bundle, hand_model_path, tmp_path):
    out = tmp_path / "p.json"
    run = subprocess.run([sys.executable, "-m", "asl_live", "practice", "--source", str(synth_video.path),
                          "--prompts", "2,5", "--model", str(quick_bundle), "--hand-model", str(hand_model_path),
                          "--json", str(out)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert [p["digit"] for p in json.loads(out.read_text())["prompts"]] == [2, 5] and "prompt" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "asl_live", "practice", "--source", str(synth_video.path),
                          "--prompts", "2,x"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert bad.returncode == 2 and "digits 0-9" in bad.stderr


def test_the_hand_drawn_for_a_digit_is_its_average_training_hand(good_bundle):
    templates = digit_shapes(str(good_bundle))
    assert sorted(templates) == list(range(10))
    one, five = templates[1], templates[5]
    assert one.shape == (21, 3) and np.allclose(one[9, :2], [0, -1], atol=0.05)  # upright, knuckle length 1
    tip_height = lambda t, tip: -t[tip, 1]  # noqa: E731
    assert tip_height(one, 8) > tip_height(one, 12) + 0.5  # a 1: index up, middle down
    assert tip_height(five, 12) > 1.5 and tip_height(five, 20) > 1.0  # a 5: all up


# -- the Practice tab ---------------------------------------------------------------------------------

def launch(source, model: Path, hand_model: Path):
    from asl_live.options import resolve_options
    from asl_live.settings import AppSettings

    args = argparse.Namespace(source=str(source), camera=None, no_loop=False, model=str(model),
                              hand_model=str(hand_model))
    return resolve_options(args, settings=AppSettings())


def test_a_round_is_played_recorded_and_shown(qtbot, open_window, synth_video, good_bundle, hand_model_path,
                                              user_dirs, tmp_path):
    from asl_live.history import History

    window = open_window(launch(synth_video.path, good_bundle, hand_model_path))
    assert window.tabs.tabText(0) == "Practice"
    qtbot.waitUntil(lambda: window.session.state.ready, timeout=STARTUP_S * 1000)
    from asl_live.gui.window_bench import StallWatch

    prompts = digit_prompts(synth_video)[:3]
    watch = StallWatch()
    window.practice.start("Ada", "Digits", prompts=prompts)
    window.session.open_source(synth_video.path)  # from its first frame
    panel = window.practice_panel
    assert panel.target.text() == str(prompts[0]) or qtbot.waitUntil(
        lambda: panel.target.text() == str(prompts[0]), timeout=10_000) is None
    assert panel.picture.items()  # the average hand of that digit is drawn
    qtbot.waitUntil(lambda: bool(panel.mine.items()), timeout=10_000)  # and the learner's own beside it
    qtbot.waitUntil(lambda: not panel.summary.isHidden(), timeout=90_000)  # the video loops until all are signed
    assert "Round done: 3 of 3 signed" in panel.status.text()
    gaps = watch.stop()
    assert max(gaps) < 500, f"the window stalled {max(gaps)} ms during the round"  # see test_gui.STALL_LIMIT_MS
    assert panel.summary.rowCount() == 3 and panel.start_button.isEnabled()

    with History.open() as history:
        stats = history.digit_stats("Ada")
        assert all(stats[d].successes >= 1 for d in prompts) and "Ada" in history.learners()
    dialog = window.practice.show_progress("Ada")
    assert dialog is not None and sum(c.days != [] for c in dialog.charts) == len(set(prompts))
    dialog.grab().save(str(tmp_path / "progress.png"))
    dialog.close()
    out = window.practice.export("Ada", tmp_path / "ada.csv")
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["learner", "time", "mode"] and len(rows) == 4


def test_a_pair_drill_from_the_mode_list_asks_its_digits_in_turn(qtbot, open_window, synth_video, good_bundle,
                                                                  hand_model_path):
    window = open_window(launch(synth_video.path, good_bundle, hand_model_path))
    panel = window.practice_panel
    assert [panel.mode.itemText(i) for i in range(panel.mode.count())] == [
        "Digits", "Pairs: 1 and 2", "Pairs: 3 and 6", "Pairs: 6, 7, 8 and 9", "Numbers"]
    panel.mode.setCurrentText("Pairs: 3 and 6")
    panel.start_button.click()
    view = window.practice.observer.round_view()
    assert set(view.prompts) == {3, 6} and all(a != b for a, b in zip(view.prompts, view.prompts[1:]))
    assert panel.skip_button.isEnabled() and not panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: panel.target.text() == str(view.prompts[0]), timeout=10_000)
    if view.prompts[0] != 6:
        panel.skip_button.click()
    qtbot.waitUntil(lambda: panel.target.text() == "6", timeout=10_000)
    assert "6 has the hand shape of the letter W" in panel.instruction.text()  # a note, not a judgement
    panel.stop_button.click()


def test_the_target_and_the_learners_hand_are_drawn_side_by_side_and_turn_together(qtbot, open_window, synth_video,
                                                                                  good_bundle, hand_model_path):
    from PySide6.QtCore import QPoint, Qt

    window = open_window(launch(synth_video.path, good_bundle, hand_model_path))
    panel = window.practice_panel
    qtbot.waitUntil(lambda: window.session.state.ready, timeout=STARTUP_S * 1000)
    qtbot.waitUntil(lambda: bool(panel.mine.items()), timeout=20_000)  # between rounds too: a mirror
    assert not panel.picture.items()
    window.practice.start("me", "Digits", prompts=[5, 5, 5])
    qtbot.waitUntil(lambda: bool(panel.picture.items()) and bool(panel.mine.items()), timeout=20_000)
    assert [i.kind for i in panel.picture.items()].count("nail") == 5  # as the learner sees a hand: from behind
    panel.turn_right.click()
    assert panel.view.yaw == 210 and panel.picture._view == panel.mine._view == panel.view
    panel.front_view.click()
    assert panel.view.yaw == 0 and not [i for i in panel.picture.items() if i.kind == "nail"]  # the palm
    qtbot.mousePress(panel.picture, Qt.MouseButton.LeftButton, pos=QPoint(50, 100))
    qtbot.mouseMove(panel.picture, QPoint(100, 100))
    qtbot.mouseRelease(panel.picture, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    assert panel.view.yaw == pytest.approx(30.0) and panel.mine._view == panel.view  # dragged: both turn
    panel.left_handed.click()
    assert panel.view.mirrored and panel.mine._view.mirrored and window.settings.left_handed
    panel.own_view.click()
    assert panel.view.yaw == 180 and panel.view.mirrored  # the view buttons keep the hand


def test_a_locked_history_never_freezes_the_window_and_loses_nothing(qtbot, open_window, synth_video, good_bundle,
                                                                     hand_model_path, user_dirs):
    """Another program holds the practice history's lock (a second window, a sync tool) from
    before the window opens: the window opens at once with a one-line notice, a round starts
    and records without a stall over 100 ms, and once the lock is gone the results are written."""
    import sqlite3
    import time

    from asl_live.gui.practice import BUSY_NOTICE
    from asl_live.gui.window_bench import StallWatch
    from asl_live.history import History
    from trainer import paths

    with History.open() as history:  # a history that exists, with an earlier result
        history.record("Ada", 4, True, 900.0)
    other = sqlite3.connect(paths.data_dir() / "practice.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # held by "another program"
    try:
        t0 = time.monotonic()
        window = open_window(launch(synth_video.path, good_bundle, hand_model_path))
        assert time.monotonic() - t0 < 5  # not sqlite's 10 s wait
        assert BUSY_NOTICE in window.messages.text()
        watch = StallWatch()
        t0 = time.monotonic()
        window.practice.start("Ada", "Digits", prompts=[1, 2])
        window.practice._record(1, True, 700, "digits")
        window.practice.retry()
        took = time.monotonic() - t0
        qtbot.wait(100)
        gaps = watch.stop()
        assert took < 0.5 and max(gaps, default=0) <= 100, (took, gaps)
        assert window.practice._pending  # kept, not lost
    finally:
        other.execute("ROLLBACK")
        other.close()
    window.practice.retry()  # what the timer does every few seconds
    assert not window.practice._pending and BUSY_NOTICE not in window.messages.text()
    with History.open() as history:
        assert [(a.digit, a.success) for a in history.attempts("Ada")] == [(4, True), (1, True)]


def test_a_history_that_cannot_be_opened_is_said_and_practice_still_runs(qtbot, open_window, synth_video,
                                                                         good_bundle, hand_model_path, user_dirs):
    """The history's place is taken by a folder: the window says results cannot be saved, and a
    round still starts."""
    from trainer import paths

    (paths.data_dir() / "practice.sqlite3").mkdir(parents=True)
    window = open_window(launch(synth_video.path, good_bundle, hand_model_path))
    assert "Practice results cannot be saved" in window.messages.text() and window.practice.history is None
    window.practice.start("Ada", "Digits", prompts=[1, 2])
    window.practice._record(1, True, 700, "digits")  # kept in memory, nothing raised
    assert window.practice.observer.round_view() is not None


def test_a_number_is_entered_in_the_window(qtbot, open_window, synth_video, good_bundle, hand_model_path):
    """The video's digits in order make the number; the window builds it up digit by digit.
    Backspace takes back the last digit."""
    from PySide6.QtCore import Qt

    window = open_window(launch(synth_video.path, good_bundle, hand_model_path))
    qtbot.waitUntil(lambda: window.session.state.ready, timeout=STARTUP_S * 1000)
    number = "".join(map(str, digit_prompts(synth_video)[:3]))
    window.practice.start("me", "Numbers", number=number)
    window.session.open_source(synth_video.path)  # from its first frame
    panel = window.practice_panel
    assert not panel.undo_button.isHidden() and panel.skip_button.isHidden()
    qtbot.waitUntil(lambda: panel.start_button.isEnabled(), timeout=60_000)
    assert f"{number}: done, 3 of 3 right" in panel.instruction.text()

    window.practice.start("me", "Numbers", number="99")
    entered = lambda: window.practice.observer.number_view().entered  # noqa: E731
    qtbot.waitUntil(lambda: len(entered()) == 1, timeout=60_000)
    qtbot.keyClick(window, Qt.Key.Key_Backspace)
    assert entered() == []  # a next digit needs the display to change and another 0.5 s hold
    window.practice.stop()


def test_a_corrupt_history_is_survived_with_a_clear_message(qtbot, open_window, synth_video, quick_bundle,
                                                             hand_model_path, user_dirs):
    history = user_dirs["data"] / "practice.sqlite3"
    history.parent.mkdir(parents=True)
    history.write_bytes(os.urandom(4096))
    window = open_window(launch(synth_video.path, quick_bundle, hand_model_path))
    text = window.messages.text()
    assert "practice history" in text and "could not be read" in text and "corrupt" in text
    kept = [p for p in history.parent.iterdir() if p.name.startswith("practice.sqlite3.corrupt-")]
    assert len(kept) == 1 and kept[0].stat().st_size == 4096
    window.practice.start("me", "Digits", prompts=[2])
    assert window.practice.history is not None and window.practice.history.learners() == []
