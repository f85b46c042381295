"""Hard negatives: a 0 opened into a C and a 1 hooked into an X, made from the training digits'
landmark inputs; the finger-state reader (an independent judge) must read the copies as no
longer their digit, and the tilt features must be kept."""

from __future__ import annotations

import numpy as np

from test_handshape import CANONICAL, synthetic_hand
from trainer import finger_states as fs
from trainer.features import landmark_feature_count, model_inputs
from trainer.hands import HandObservation
from trainer.hard_negatives import make_hard_negatives


def _rows(digit: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Model landmark inputs (upright points + tilt) of `n` jittered synthetic hands of `digit`."""
    rows = []
    for _ in range(n):
        pts = synthetic_hand(**CANONICAL[digit])
        pts[:, :2] += rng.normal(0, 2.0, (21, 2))
        obs = HandObservation(np.zeros((8, 8, 3), np.uint8), pts.astype(np.float32), (0, 0, 8), "Right", 1.0)
        rows.append(model_inputs(obs, upright=True, tilt=True)["landmarks"])
    return np.stack(rows)


def test_copies_of_0s_and_1s_become_c_and_x_and_other_digits_are_left_alone() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([_rows(0, 20, rng), _rows(1, 20, rng), _rows(5, 20, rng)])
    y = np.repeat([0, 1, 5], 20)
    src, made = make_hard_negatives(x, y, share=0.5, seed=3, kinds="CX")
    assert made.shape[1] == landmark_feature_count(tilt=True) and len(src) == len(made)
    assert set(y[src]) == {0, 1} and 8 <= (y[src] == 0).sum() <= 10 and (y[src] == 1).sum() == 10
    assert np.allclose(made[:, -2:], x[src, -2:])  # the tilt is kept
    for i, row in zip(src, made):
        before = fs.read_hand(np.c_[x[i, :42].reshape(21, 2), np.zeros(21)], "Right")
        after = fs.read_hand(np.c_[row[:42].reshape(21, 2), np.zeros(21)], "Right")
        assert fs.matches(before, y[i]) and not fs.matches(after, y[i])
        if y[i] == 0:
            assert after.touch_distance >= 0.45  # the circle is open
        else:
            assert after.bend["index"] > 40  # the index is hooked
    again = make_hard_negatives(x, y, share=0.5, seed=3)
    assert np.array_equal(again[0], src) and np.allclose(again[1], made)
    none = make_hard_negatives(x[y == 5], y[y == 5], share=0.5, seed=3)
    assert len(none[0]) == 0 and none[1].shape == (0, x.shape[1])


def test_turned_copies_point_sideways_or_down_and_unknown_kinds_are_refused() -> None:
    import pytest

    from trainer.hard_negatives import TURNED_MIN

    rng = np.random.default_rng(1)
    x = np.concatenate([_rows(1, 10, rng), _rows(2, 10, rng), _rows(5, 10, rng)])
    y = np.repeat([1, 2, 5], 10)
    src, made = make_hard_negatives(x, y, share=1.0, seed=0, kinds="G")
    assert sorted(set(y[src])) == [1, 2] and len(src) == 20
    assert np.allclose(made[:, :42], x[src, :42])  # the same hand shape ...
    tilt = np.degrees(np.abs(np.arctan2(made[:, 42], made[:, 43])))
    assert (tilt >= TURNED_MIN - 1e-3).all()  # ... pointing sideways or down
    assert len(make_hard_negatives(x[:, :42], y, 1.0, 0, kinds="G")[0]) == 0  # no tilt input: nothing to turn
    with pytest.raises(ValueError, match="unknown"):
        make_hard_negatives(x, y, 0.5, 0, kinds="CZ")
