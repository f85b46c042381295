"""Practice history: records per learner, stats, daily grouping, CSV export, weak-digit
prompts, and surviving a corrupt or unwritable file."""

from __future__ import annotations

import csv
import os
import sqlite3
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from asl_live.history import HISTORY_FILE, DigitStats, History, choose_prompts

T0 = datetime(2024, 3, 5, 12, 0, tzinfo=timezone.utc).timestamp()


@pytest.fixture()
def hist(user_dirs):
    with History.open() as h:
        yield h


def test_default_location_and_round_trip(hist, user_dirs):
    assert hist.path == user_dirs["data"] / HISTORY_FILE and hist.path.is_file()
    assert hist.notice is None
    hist.record("  ann ", 3, True, 1200, when=T0)
    hist.record("ann", 3, True, 800, when=T0 + 1)
    hist.record("ann", 3, False, None, when=T0 + 2)
    hist.record("ann", 7, True, 500.5, mode="numbers", when=T0 + 3)
    hist.close()
    with History.open() as h:  # persisted
        assert h.learners() == ["ann"]
        stats = h.digit_stats("ann")
        assert sorted(stats) == list(range(10))
        assert stats[3] == DigitStats(3, 3, 2, 2 / 3, 1000.0)
        assert stats[7] == DigitStats(7, 1, 1, 1.0, 500.5)
        assert stats[0] == DigitStats(0, 0, 0, None, None)
        assert h.digit_stats("ann", since=T0 + 2)[3] == DigitStats(3, 1, 0, 0.0, None)
        a = h.attempts("ann")[-1]
        assert (a.learner, a.at, a.mode, a.digit, a.success, a.time_ms) == ("ann", T0 + 3, "numbers", 7, True, 500.5)


def test_learners_kept_apart(hist):
    hist.record("me", 1, True, 900, when=T0)
    hist.record("Bob", 1, False, None, when=T0)
    hist.record("Bob", 2, True, 700, when=T0)
    assert hist.learners() == ["Bob", "me"]
    assert hist.digit_stats("me")[1] == DigitStats(1, 1, 1, 1.0, 900.0)
    assert hist.digit_stats("Bob")[1] == DigitStats(1, 1, 0, 0.0, None)
    assert hist.digit_stats("me")[2].tries == 0
    assert hist.digit_stats("nobody")[1].tries == 0


def test_daily_groups_by_calendar_day(hist):
    local = [datetime(2024, 3, 5, 9), datetime(2024, 3, 5, 20), datetime(2024, 3, 7, 10)]  # local time
    hist.record("me", 4, True, 1000, when=local[0].timestamp())
    hist.record("me", 4, False, None, when=local[1].timestamp())
    hist.record("me", 4, True, 3000, when=local[2].timestamp())
    hist.record("me", 5, True, 400, when=local[2].timestamp())
    hist.record("other", 4, True, 1, when=local[2].timestamp())
    days = hist.daily("me")
    assert [(d.day, d.tries, d.successes, d.success_rate, d.median_time_ms) for d in days[4]] == [
        (date(2024, 3, 5), 2, 1, 0.5, 1000.0), (date(2024, 3, 7), 1, 1, 1.0, 3000.0)]
    assert [d.day for d in days[5]] == [date(2024, 3, 7)] and days[0] == []
    # An explicit time zone moves a late-evening try to the next day.
    late = datetime(2024, 3, 5, 23, 30, tzinfo=timezone.utc).timestamp()
    hist.record("tz", 6, True, 100, when=late)
    assert hist.daily("tz", tz=timezone(timedelta(hours=2)))[6][0].day == date(2024, 3, 6)


def test_export_csv(hist, tmp_path):
    hist.record("Zoë", 9, True, 1234.4, when=T0)
    hist.record("Zoë", 0, False, None, mode="numbers", when=T0 + 0.5)
    hist.record("me", 1, True, 10, when=T0)
    out = tmp_path / "sheets" / "class.csv"
    assert hist.export_csv(out) == out
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["learner", "time", "mode", "digit", "success", "time_ms"]
    assert sorted(rows[1:]) == sorted([["Zoë", "2024-03-05T12:00:00.000Z", "digits", "9", "1", "1234"],
                                       ["Zoë", "2024-03-05T12:00:00.500Z", "numbers", "0", "0", ""],
                                       ["me", "2024-03-05T12:00:00.000Z", "digits", "1", "1", "10"]])
    hist.export_csv(out, learner="me")
    with open(out, encoding="utf-8-sig", newline="") as f:
        assert [r[0] for r in csv.reader(f)] == ["learner", "me"]
    assert os.listdir(out.parent) == ["class.csv"]  # no temp file left


def _stats(**over: tuple[int, int, float | None]) -> dict[int, DigitStats]:
    """Ten well-known digits (20 tries, all quick), with `d<digit>=(tries, ok, median)` overrides."""
    out = {d: DigitStats(d, 20, 20, 1.0, 800.0) for d in range(10)}
    for key, (tries, ok, median) in over.items():
        d = int(key[1:])
        out[d] = DigitStats(d, tries, ok, ok / tries if tries else None, median)
    return out


def test_choose_prompts_favours_weak_and_untried_digits():
    stats = _stats(d3=(20, 4, 900.0), d6=(0, 0, None), d8=(20, 20, 2400.0))
    draws = choose_prompts(stats, 2000, np.random.default_rng(0))
    assert len(draws) == 2000
    counts = np.bincount(draws, minlength=10)
    known = counts[[0, 1, 2, 4, 5, 7, 9]]
    assert counts.min() > 0  # every digit still comes up
    for weak in (3, 6, 8):  # often wrong, never tried, slow
        assert counts[weak] > 1.7 * known.max(), counts
    assert all(a != b for a, b in zip(draws, draws[1:]))
    assert draws == choose_prompts(stats, 2000, np.random.default_rng(0))  # deterministic
    assert choose_prompts(stats, 50, np.random.default_rng(1), previous=3)[0] != 3


def test_a_drill_draws_only_its_digits_never_one_twice_in_a_row():
    pair = choose_prompts({}, 10, np.random.default_rng(3), previous=3, among=(3, 6))
    assert pair == [6, 3] * 5  # two digits: they alternate, starting with the one not just asked
    stats = _stats(d7=(20, 4, 900.0), d8=(20, 20, 900.0))
    group = choose_prompts(stats, 400, np.random.default_rng(4), among=(6, 7, 8, 9))
    counts = np.bincount(group, minlength=10)
    assert set(group) == {6, 7, 8, 9} and all(a != b for a, b in zip(group, group[1:]))
    assert counts[7] > counts[8]  # the weak one of the drill comes back more often
    assert choose_prompts({}, 3, np.random.default_rng(5), previous=1, among=(1,)) == [1, 1, 1]
    with pytest.raises(ValueError):
        choose_prompts({}, 3, np.random.default_rng(5), among=(12,))


def test_choose_prompts_without_history():
    draws = choose_prompts({}, 300, np.random.default_rng(2))
    assert set(draws) == set(range(10)) and all(a != b for a, b in zip(draws, draws[1:]))
    assert choose_prompts({}, 0, np.random.default_rng(2)) == []
    with pytest.raises(ValueError):
        choose_prompts({}, -1, np.random.default_rng(2))


def _check_moved_aside(path, old_bytes):
    with History.open(path) as h:
        assert h.notice and str(path) in h.notice and "could not be read" in h.notice
        assert h.digit_stats("me")[0].tries == 0
        h.record("me", 0, True, 100)  # the fresh history works
    aside = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == old_bytes and str(aside[0]) in h.notice
    with History.open(path) as h:  # the new file is fine: no notice the next time
        assert h.notice is None and h.digit_stats("me")[0].tries == 1


def test_corrupt_random_bytes_kept_aside(tmp_path):
    path = tmp_path / HISTORY_FILE
    junk = np.random.default_rng(0).bytes(5000)
    path.write_bytes(junk)
    _check_moved_aside(path, junk)


def test_truncated_history_kept_aside(tmp_path):
    path = tmp_path / HISTORY_FILE
    History.open(path).close()
    with sqlite3.connect(path) as conn:  # many rows in one go (record() commits each)
        conn.executemany("INSERT INTO attempts (learner, at, mode, digit, success, time_ms) "
                         "VALUES ('me', ?, 'digits', ?, 1, 500)", [(T0 + i, i % 10) for i in range(300)])
    conn.close()
    assert path.stat().st_size > 8000
    cut = path.read_bytes()[:6000]
    path.write_bytes(cut)
    _check_moved_aside(path, cut)


def test_foreign_sqlite_kept_aside(tmp_path):
    path = tmp_path / HISTORY_FILE
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    _check_moved_aside(path, path.read_bytes())


def test_unwritable_location_raises_oserror(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(OSError, match="not-a-folder"):
        History.open(blocker / "sub" / HISTORY_FILE)


@pytest.mark.parametrize("args, kwargs", [
    (("me", 10, True, 100), {}), (("me", -1, True, 100), {}), (("me", 2.0, True, 100), {}),
    (("me", True, True, 100), {}), (("me", 1, True, -5), {}), (("me", 1, True, 100), {"mode": "letters"}),
    (("", 1, True, 100), {}), (("   ", 1, True, 100), {}), ((None, 1, True, 100), {}),
    (("me", 1, True, None), {}), (("me", 1, False, 100), {}), (("me", 1, "yes", 100), {}),
    (("me", 1, True, float("nan")), {}), (("me", 1, True, 100), {"when": -1.0}),
])
def test_validation(hist, args, kwargs):
    with pytest.raises(ValueError):
        hist.record(*args, **kwargs)
    assert hist.learners() == []
