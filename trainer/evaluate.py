"""Honest figures: accuracy over all images (no-hand images count as errors), per-class
precision/recall/F1, confusion matrix, calibration error, and for hand shapes that are no
digit the share the app would show as a digit. The output format is stable: it is how
anyone compares models (documented in the README)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from .classes import DIGITS, NUM_DIGITS

NO_HAND = -1


def evaluate(labels: np.ndarray, predicted: np.ndarray, confidence: np.ndarray | None = None,
             num_classes: int = NUM_DIGITS, finger_digits: list[set[int]] | None = None,
             turned: np.ndarray | None = None) -> dict:
    """labels: the digit each image shows; predicted: the model's class (a digit, or "not a
    digit" = 10 for models with that class) or NO_HAND (-1) where the landmarker found no hand.

    confusion[t][p] counts images of digit t predicted as p among images with a hand (one
    column per model class); recall counts no-hand images of a digit as misses, precision is
    over predictions made. finger_digits: per image, the digits whose definition the hand's
    finger states meet (trainer.finger_states), for the second judge's figures (`fingers`).
    turned: per image, the digit the classifier's shape check turned away into "not a digit"
    (-1: none), for `shape_check`: how many, and how many of them were the true digit (right
    answers the check took).
    """
    labels = np.asarray(labels, dtype=int)
    predicted = np.asarray(predicted, dtype=int)
    n = len(labels)
    hand = predicted != NO_HAND
    confusion = np.zeros((NUM_DIGITS, num_classes), dtype=int)
    np.add.at(confusion, (labels[hand], predicted[hand]), 1)
    per_class = {}
    for d in DIGITS:
        tp = int(confusion[d, d])
        support = int((labels == d).sum())
        pred_n = int(confusion[:, d].sum())
        precision = tp / pred_n if pred_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[str(d)] = {"precision": round(precision, 4), "recall": round(recall, 4),
                             "f1": round(f1, 4), "support": support,
                             "no_hand": int(((labels == d) & ~hand).sum())}
    report = {
        "images": n,
        "accuracy": round(float((predicted == labels).mean()) if n else 0.0, 4),
        "accuracy_with_hand": round(float((predicted[hand] == labels[hand]).mean()) if hand.any() else 0.0, 4),
        "no_hand": {"count": int((~hand).sum()), "rate": round(float((~hand).mean()) if n else 0.0, 4)},
        "macro_f1": round(float(np.mean([c["f1"] for c in per_class.values()])), 4),
        "per_class": per_class,
        "confusion": confusion.tolist(),
    }
    if finger_digits is not None:
        report["fingers"] = finger_figures(labels, predicted, finger_digits)
    if turned is not None:
        turned = np.asarray(turned, dtype=int)
        report["shape_check"] = {"turned_away": int((turned >= 0).sum()),
                                 "right_turned_away": int((turned == labels).sum())}
    if confidence is not None and hand.any():
        report["ece"] = round(expected_calibration_error(confidence[hand], predicted[hand] == labels[hand]), 4)
    return report


def finger_figures(labels: np.ndarray, predicted: np.ndarray, finger_digits: list[set[int]]) -> dict:
    """The second judge on digit images: how often the finger states meet the true digit's
    definition (`agree`), how often the model is right and they agree (`both_right`), and how
    many of the model's right answers a live "?" would take away if shown wherever the finger
    states disagree: meeting no definition or another one (`right_held_back_any`), or only
    where they meet another digit's definition and not the model's (`right_held_back_flat`)."""
    n = len(labels)
    agree = np.array([int(t) in f for t, f in zip(labels, finger_digits)], dtype=bool)
    right = np.asarray(predicted) == np.asarray(labels)
    flat = np.array([bool(f) and int(t) not in f for t, f in zip(labels, finger_digits)], dtype=bool)
    rate = lambda m: round(float(m.mean()) if n else 0.0, 4)  # noqa: E731
    return {"agree": rate(agree), "both_right": rate(right & agree),
            "right_held_back_any": int((right & ~agree).sum()), "right_held_back_flat": int((right & flat).sum())}


def shown_as_digit(predicted: np.ndarray, confidence: np.ndarray, threshold: float) -> np.ndarray:
    """Which images the app would show as a digit: a hand found, a digit on top, and its
    probability at or above the app's threshold (anything else shows "?" or "not a digit")."""
    predicted = np.asarray(predicted)
    return (predicted != NO_HAND) & (predicted < NUM_DIGITS) & (np.asarray(confidence) >= threshold)


def evaluate_negatives(predicted: np.ndarray, confidence: np.ndarray, folders: list[str], threshold: float,
                       finger_digits: list[set[int]] | None = None, turned: np.ndarray | None = None) -> dict:
    """Images of hands that are no digit: how many the app would show as a digit. With
    `finger_digits` (per image, the digits whose definition the finger states meet), also how
    many the finger states call a digit (`fingers_say_digit`) and how many both judges call the
    same digit (`both_say_digit`: what practice mode could confirm), overall and per folder.
    With `turned` (per image, the digit the classifier's shape check turned away, -1: none),
    how many it stopped (`turned_away`)."""
    predicted = np.asarray(predicted)
    shown = shown_as_digit(predicted, confidence, threshold)
    judged = finger_digits is not None
    fingers = np.array([bool(f) for f in finger_digits], dtype=bool) if judged else None
    both = np.array([s and int(p) in f for s, p, f in zip(shown, predicted, finger_digits)], dtype=bool) \
        if judged else None

    def figures(m: np.ndarray) -> dict:
        k = int(m.sum())
        out = {"images": k, "shown_as_digit": int(shown[m].sum()), "rate": round(float(shown[m].mean()) if k else 0.0, 4)}
        if judged:
            out.update(fingers_say_digit=int(fingers[m].sum()), both_say_digit=int(both[m].sum()),
                       both_rate=round(float(both[m].mean()) if k else 0.0, 4))
        if turned is not None:
            out["turned_away"] = int((np.asarray(turned)[m] >= 0).sum())
        return out

    folders_arr = np.array(folders)
    per_folder = {name: figures(folders_arr == name) for name in sorted(set(folders))}
    digits = Counter(int(p) for p in predicted[shown])
    whole = figures(np.ones(len(shown), dtype=bool))
    return {**whole, "no_hand": int((predicted == NO_HAND).sum()), "threshold": threshold,
            "digits_shown": {str(d): c for d, c in sorted(digits.items())}, "per_folder": per_folder}


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Gap between confidence and accuracy, averaged over equal-width confidence bins."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            ece += m.mean() * abs(float(confidence[m].mean()) - float(correct[m].mean()))
    return float(ece)


def format_report(report: dict, title: str = "") -> str:
    """The evaluation as a plain-text table (what `asl-train evaluate` prints)."""
    lines = [title] if title else []
    nh = report["no_hand"]
    lines.append(f"images {report['images']}  accuracy {report['accuracy']:.4f}  "
                 f"no hand {nh['count']} ({100 * nh['rate']:.1f}%)  "
                 f"accuracy where a hand was found {report['accuracy_with_hand']:.4f}"
                 + (f"  ECE {report['ece']:.4f}" if "ece" in report else ""))
    lines.append("digit  precision  recall     f1  support  no-hand")
    for d, c in report["per_class"].items():
        lines.append(f"{d:>5}  {c['precision']:9.4f}  {c['recall']:6.4f}  {c['f1']:5.4f}  {c['support']:7d}  {c['no_hand']:7d}")
    columns = len(report["confusion"][0]) if report["confusion"] else NUM_DIGITS
    lines.append("confusion (rows: true digit, columns: predicted" + (", 'not': not a digit)" if columns > NUM_DIGITS
                                                                        else ")"))
    lines.append("     " + "".join(f"{d:>5}" for d in DIGITS) + ("  not" if columns > NUM_DIGITS else ""))
    for d, row in enumerate(report["confusion"]):
        lines.append(f"{d:>5}" + "".join(f"{v:>5}" for v in row))
    s = report.get("shape_check")
    if s:
        lines.append(f"shape check: {s['turned_away']} hands the model called a digit turned away as plainly not "
                     f"that digit, {s['right_turned_away']} of them right answers")
    f = report.get("fingers")
    if f:
        lines.append(f"finger states meet the true digit's definition on {100 * f['agree']:.1f}%; model right and "
                     f"finger states agreeing {100 * f['both_right']:.1f}%; right answers a '?' on disagreement would "
                     f"take: {f['right_held_back_any']} (any), {f['right_held_back_flat']} (another digit's definition)")
    return "\n".join(lines)


def format_negatives(neg: dict, threshold_note: str = "") -> str:
    """The non-digit figures as text."""
    lines = [f"non-digit hands {neg['images']}: shown as a digit {neg['shown_as_digit']} "
             f"({100 * neg['rate']:.1f}%) at threshold {neg['threshold']:.2f}{threshold_note}; "
             f"no hand found {neg['no_hand']}"]
    if "turned_away" in neg:
        lines.append(f"  shape check: {neg['turned_away']} the model called a digit turned away as plainly not "
                     "that digit")
    if "both_say_digit" in neg:
        lines.append(f"  finger states meet a digit's definition on {neg['fingers_say_digit']}; both judges say the "
                     f"same digit on {neg['both_say_digit']} ({100 * neg['both_rate']:.1f}%: what practice could accept)")
    if neg["digits_shown"]:
        lines.append("  shown as: " + ", ".join(f"{d}: {n}" for d, n in neg["digits_shown"].items()))
    for name, f in neg["per_folder"].items():
        judges = (f"  fingers {f['fingers_say_digit']:>3}  both {f['both_say_digit']:>3}"
                  if "both_say_digit" in f else "")
        judges += f"  turned away {f['turned_away']:>3}" if "turned_away" in f else ""
        lines.append(f"  {name:<12}{f['images']:>5} images  {f['shown_as_digit']:>4} shown as a digit "
                     f"({100 * f['rate']:.1f}%){judges}")
    return "\n".join(lines)
