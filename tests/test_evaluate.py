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


def test_shape_check_figures_count_what_it_turned_away_and_what_that_cost():
    from trainer.evaluate import evaluate_negatives, format_negatives

    labels = np.array([0, 0, 1, 7])
    pred = np.array([0, 10, 10, 10])  # the last three answered "not a digit"...
    turned = np.array([-1, 0, 0, 7])  # ... by the check: a right 0, a 1 the model misread as 0, a right 7
    r = evaluate(labels, pred, turned=turned, num_classes=11)
    assert r["shape_check"] == {"turned_away": 3, "right_turned_away": 2}
    assert "shape check: 3 hands the model called a digit turned away" in format_report(r)
    assert "shape_check" not in evaluate(labels, pred, num_classes=11)

    neg = evaluate_negatives(np.array([10, 10, 0]), np.array([1.0, 1.0, 0.9]), ["C", "C", "X"], 0.6,
                             turned=np.array([0, -1, -1]))
    assert neg["turned_away"] == 1 and neg["per_folder"]["C"]["turned_away"] == 1
    assert neg["per_folder"]["X"] == {"images": 1, "shown_as_digit": 1, "rate": 1.0, "turned_away": 0}
    assert "shape check: 1 the model called a digit turned away" in format_negatives(neg)


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
