"""The first run's guide (asl_live.walkthrough) and the Practice tab showing it once."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from asl_live.walkthrough import FOUND_MS, Walkthrough


def test_the_guide_goes_on_only_once_a_hand_is_found_for_a_moment():
    w = Walkthrough()
    assert w.step == "stand" and w.view().can_next and "arm's length" in w.view().text
    assert w.next() == "find"
    assert not w.view().can_next and w.next() == "find"  # no hand yet: Next does nothing
    w.see(True, 0)
    w.see(False, 300)  # lost: the wait starts again
    w.see(True, 400)
    w.see(True, 400 + FOUND_MS - 1)
    assert not w.found and "Come closer" in w.view("Come closer").text  # the framing coach's line
    w.see(True, 400 + FOUND_MS)
    assert w.found and w.view().can_next and "Found your hand" in w.view().text
    w.see(False, 5000)
    assert w.found  # once found, found
    assert w.next() == "signs" and "0, 1 and 2" in w.view().text
    w.round_finished()
    assert w.done and w.view().title == ""


def test_skipping_ends_it_at_any_step():
    w = Walkthrough()
    w.next()
    w.skip()
    assert w.done and w.next() == "done"


def test_a_first_start_guides_the_learner_and_never_again(qtbot, open_window, synth_video, good_bundle,
                                                         hand_model_path):
    from test_practice import launch

    window = open_window(launch(synth_video.path, good_bundle, hand_model_path))
    panel = window.practice_panel
    assert not panel.guide.isHidden() and "step 1 of 3" in panel.guide.title()
    panel.guide_next_button.click()
    assert "Looking for your hand" in panel.guide_text.text() or "Found" in panel.guide_text.text()
    qtbot.waitUntil(lambda: panel.guide_next_button.isEnabled(), timeout=30_000)  # the video's hand, found
    assert "Found your hand" in panel.guide_text.text()
    panel.guide_next_button.click()
    view = window.practice.observer.round_view()
    assert view is not None and view.prompts == [0, 1, 2] and "step 3 of 3" in panel.guide.title()
    panel.guide_skip_button.click()
    assert panel.guide.isHidden() and window.settings.walkthrough_done
    saved = json.loads((Path(os.environ["ASL_LIVE_DATA_DIR"]) / "settings.json").read_text())
    assert saved["walkthrough_done"] is True  # kept at once, not only on a clean exit
    window.close()
    from asl_live.options import resolve_options

    options = launch(synth_video.path, good_bundle, hand_model_path)
    again = open_window(resolve_options(argparse.Namespace(source=str(synth_video.path), camera=None, no_loop=False,
                                                           model=str(good_bundle), hand_model=str(hand_model_path))))
    assert again.practice_panel.guide.isHidden() and again.practice.walkthrough is None  # the saved settings
    assert open_window(options).practice.walkthrough is not None  # (settings never saved would show it again)


def test_pressing_start_goes_ahead_without_the_guide(qtbot, open_window, synth_video, good_bundle, hand_model_path):
    from test_practice import launch

    window = open_window(launch(synth_video.path, good_bundle, hand_model_path))
    window.practice_panel.start_button.click()
    assert window.practice_panel.guide.isHidden() and window.settings.walkthrough_done
