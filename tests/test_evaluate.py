"""The figures every model comparison relies on."""

import numpy as np
import pytest

from trainer.evaluate import NO_HAND, evaluate, expected_calibration_error, format_report
from trainer.train import fit_temperature


def test_no_hand_counts_as_error_and_separately():
    labels = np.array([0, 0, 1, 1, 2])
    pred = np.array([0, NO_HAND, 1, 0, 2])
    r = evaluate(labels, pred)
    assert r["accuracy"] == pytest.approx(3 / 5)
    assert r["accuracy_with_hand"] == pytest.approx(3 / 4)
    assert r["no_hand"] == {"count": 1, "rate": 0.2}
    assert r["per_class"]["0"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2, "no_hand": 1}
    assert r["per_class"]["1"]["recall"] == 0.5 and r["per_class"]["1"]["precision"] == 1.0
    assert r["confusion"][1][0] == 1 and sum(map(sum, r["confusion"])) == 4
    text = format_report(r, "t")
    assert "accuracy 0.6000" in text and "no hand 1 (20.0%)" in text


def test_second_judge_figures_on_digits_and_on_hands_that_are_no_digit():
    from trainer.evaluate import evaluate_negatives, format_negatives

    labels = np.array([1, 1, 0, 0])
    pred = np.array([1, 1, 0, 2])
    fingers = [{1}, set(), {7}, {0}]  # agrees, reads nothing, reads another digit, agrees (model wrong)
    f = evaluate(labels, pred, finger_digits=fingers)["fingers"]
    assert f == {"agree": 0.5, "both_right": 0.25, "right_held_back_any": 2, "right_held_back_flat": 1}
    assert "finger states meet the true digit's definition on 50.0%" in format_report(
        evaluate(labels, pred, finger_digits=fingers))

    pred = np.array([1, 0, 1, NO_HAND, 10])
    conf = np.array([0.9, 0.9, 0.5, 0.0, 0.9])
    neg = evaluate_negatives(pred, conf, ["G", "C", "G", "X", "X"], 0.6, [{1}, {5}, {1}, set(), {1}])
    assert (neg["shown_as_digit"], neg["fingers_say_digit"], neg["both_say_digit"]) == (2, 4, 1)
    assert neg["per_folder"]["G"] == {"images": 2, "shown_as_digit": 1, "rate": 0.5, "fingers_say_digit": 2,
                                      "both_say_digit": 1, "both_rate": 0.5}
    assert neg["per_folder"]["C"]["both_say_digit"] == 0  # the model's 0 and the fingers' 5 disagree
    assert "both judges say the same digit on 1" in format_negatives(neg)
    assert "fingers_say_digit" not in evaluate_negatives(pred, conf, ["G"] * 5, 0.6)


def test_calibration_error_and_temperature():
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([True, True])) == pytest.approx(0.1)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 2000)
    logits = rng.normal(0, 1, (2000, 10))
    logits[np.arange(2000), labels] += 2.0
    # For a unit-variance Gaussian shift of 2 the true log-odds are 2x the scores: T = 1/2.
    assert fit_temperature(logits, labels) == pytest.approx(0.5, rel=0.1)
    overconfident = logits * 4  # the same ranking, far too sure of itself
    assert fit_temperature(overconfident, labels) == pytest.approx(2.0, rel=0.1)


def test_not_digit_offset_moves_the_prior_and_keeps_the_digits_odds():
    from trainer.classifier import offset_not_digit

    p = np.array([[0.2, 0.1] + [0.0] * 8 + [0.7], [0.05] * 10 + [0.5]], np.float32)
    q = offset_not_digit(p, -1.5)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=1e-6)
    assert (q[:, 10] < p[:, 10]).all() and q[0].argmax() == 0  # 0.7 e^-1.5 = 0.16 < 0.2
    np.testing.assert_allclose(q[0, 0] / q[0, 1], 2.0, rtol=1e-6)  # the odds among the digits untouched
    assert offset_not_digit(p, 0.0) is p


def test_signer_fold_rule_needs_three_fewer_errors_and_letters_kept_out():
    from signer_folds import choose

    def rows(errors, shown):
        return [{"fold_errors": e, "letters_shown_as_digit": s} for e, s in zip(errors, shown)]

    table = {0.0: rows([6, 4], [0.01, 0.01]), -0.5: rows([5, 4], [0.01, 0.01]), -1.0: rows([4, 3], [0.01, 0.015]),
             -1.5: rows([3, 3], [0.03, 0.03]), -2.0: rows([1, 1], [0.06, 0.01])}
    assert choose(table) == -1.0  # -1.5 lets 2 points more letters through, -2 over 5% for one run
    table[-1.0] = rows([5, 3], [0.01, 0.01])
    assert choose(table) == 0.0  # 2 fewer errors is not enough
