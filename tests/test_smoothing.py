"""Smoother: steady display on noisy input, bounded switch latency, "?" and "none" states."""

from __future__ import annotations

import numpy as np
import pytest

from asl_live.smoothing import Decision, Smoother, SmoothingSettings


def peaked(digit: int, p: float = 0.9) -> np.ndarray:
    """Probabilities with `p` on `digit` and the rest spread evenly."""
    a = np.full(10, (1 - p) / 9)
    a[digit] = p
    return a


def noisy(rng: np.random.Generator, digit: int, mean_p: float, noise: float) -> np.ndarray:
    """A frame's output around `mean_p` on `digit`, with random mass on one rival digit."""
    p = float(np.clip(rng.normal(mean_p, noise), 0.0, 1.0))
    rival = int(rng.choice([d for d in range(10) if d != digit]))
    a = np.zeros(10)
    a[digit], a[rival] = p, 1 - p
    return a


def labels(smoother: Smoother, frames) -> list[str]:
    return [smoother.update(f).label for f in frames]


def changes(seq: list[str]) -> int:
    return sum(a != b for a, b in zip(seq, seq[1:]))


def test_clean_digit_shown_with_confidence():
    s = Smoother()
    d = s.update(peaked(4))
    assert d == Decision("digit", 4, pytest.approx(0.9), d.probs)
    assert d.probs.shape == (10,) and d.probs.sum() == pytest.approx(1.0)
    assert d.label == "4"


def test_low_confidence_is_unsure():
    s = Smoother()
    d = s.update(peaked(4, 0.4))
    assert d.state == "unsure" and d.digit is None and d.label == "?"
    assert d.confidence == pytest.approx(0.4)


def test_no_hand_from_the_start_is_none():
    d = Smoother().update(None)
    assert d.state == "none" and d.digit is None and d.probs is None and d.label == ""


def test_short_dropout_holds_then_clears_after_absent_frames():
    s = Smoother(SmoothingSettings(absent_frames=3))
    for _ in range(5):
        s.update(peaked(7))
    assert [s.update(None).state for _ in range(4)] == ["digit", "digit", "none", "none"]
    # After clearing, the old history must not leak into the next hand.
    assert s.update(peaked(2)).digit == 2


def test_dropout_shorter_than_absent_frames_keeps_history():
    s = Smoother(SmoothingSettings(absent_frames=3, window=4))
    for _ in range(4):
        s.update(peaked(7))
    s.update(None)
    d = s.update(peaked(1, 0.5))  # average still dominated by 7
    assert d.digit == 7


@pytest.mark.parametrize("window", [1, 4, 8, 15])
def test_switch_latency_bounded_by_window(window):
    settings = SmoothingSettings(window=window)
    s = Smoother(settings)
    for _ in range(window + 2):
        s.update(peaked(3, 0.95))
    seq = labels(s, [peaked(5, 0.95)] * (window + 2))
    first = seq.index("5")
    assert first < window  # switched within one window of clean frames
    assert set(seq[first:]) == {"5"}  # and stays switched
    assert all(x in ("3", "?", "5") for x in seq)


@pytest.mark.parametrize("seed", range(5))
def test_no_flicker_on_noisy_sequence(seed):
    rng = np.random.default_rng(seed)
    s = Smoother()
    frames = [noisy(rng, 6, 0.72, 0.15) for _ in range(300)]
    seq = labels(s, frames)
    # Single frames fall below the threshold about a fifth of the time; the display does not move.
    raw = ["6" if f[6] >= 0.6 else "?" for f in frames]
    assert changes(raw) > 50
    assert changes(seq) <= 1  # at most a "?" at the very start
    assert seq[-290:].count("6") == 290


def test_no_flicker_between_two_digits():
    """A model torn between two digits, frame by frame: the display picks one and keeps it."""
    rng = np.random.default_rng(3)
    s = Smoother()
    frames = []
    for i in range(200):
        a = np.zeros(10)
        p6 = 0.8 + rng.normal(0, 0.08) if (i + 1) % 3 else 0.4  # 9 wins every third frame
        a[6], a[9] = p6, 1 - p6
        frames.append(a)
    seq = labels(s, frames)
    assert sum(f.argmax() == 9 for f in frames) > 60
    assert set(seq) == {"6"}


def test_hysteresis_blocks_close_rival():
    s = Smoother(SmoothingSettings(window=1, threshold=0.3, hysteresis=0.15))
    s.update(peaked(1, 0.9))
    a = np.zeros(10)
    a[1], a[2] = 0.45, 0.55  # 2 is on top and confident, but not by the margin
    assert s.update(a).digit == 1
    a[1], a[2] = 0.3, 0.7
    assert s.update(a).digit == 2


def test_release_margin_stops_threshold_flicker():
    s = Smoother(SmoothingSettings(window=1, threshold=0.6, release_margin=0.05))
    seq = [s.update(peaked(8, p)).label for p in (0.7, 0.58, 0.61, 0.57, 0.62, 0.5)]
    assert seq == ["8", "8", "8", "8", "8", "?"]
    plain = Smoother(SmoothingSettings(window=1, threshold=0.6, release_margin=0.0))
    assert [plain.update(peaked(8, p)).label for p in (0.7, 0.58)] == ["8", "?"]


def test_unsure_keeps_remembered_digit_for_hysteresis():
    s = Smoother(SmoothingSettings(window=1, threshold=0.4, hysteresis=0.2))
    s.update(peaked(3, 0.9))
    mid = np.zeros(10)
    mid[3], mid[4], mid[5] = 0.3, 0.3, 0.4 - 1e-9
    assert s.update(mid).state == "unsure"
    close = np.zeros(10)
    close[3], close[4] = 0.45, 0.55  # 4 confident but within the margin of the remembered 3
    assert s.update(close).state == "unsure"
    assert s.update(peaked(3, 0.9)).digit == 3


def test_settings_change_keeps_history_and_reset_clears():
    s = Smoother(SmoothingSettings(window=8))
    for _ in range(8):
        s.update(peaked(9))
    s.settings = SmoothingSettings(window=3)
    assert s.settings.window == 3
    assert s.update(peaked(0, 0.5)).digit == 9  # history kept (last 3 frames)
    s.reset()
    assert s.last.state == "none"
    assert s.update(peaked(0, 0.9)).digit == 0


def test_settings_validated():
    v = SmoothingSettings(window=0, threshold=1.7, hysteresis=-1, absent_frames=0).validated()
    assert (v.window, v.threshold, v.hysteresis, v.absent_frames) == (1, 1.0, 0.0, 1)


def test_bad_probabilities_rejected():
    s = Smoother()
    with pytest.raises(ValueError):
        s.update(np.ones(3))
    with pytest.raises(ValueError):
        s.update(np.full(10, np.nan))


def test_fast_enough_per_frame():
    import time

    s = Smoother()
    rng = np.random.default_rng(1)
    frames = [rng.dirichlet(np.ones(10)) for _ in range(2000)]
    t = time.perf_counter()
    for f in frames:
        s.update(f)
    assert (time.perf_counter() - t) / len(frames) < 1e-3  # well under a millisecond
