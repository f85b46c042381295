"""Honest figures: accuracy over all images (no-hand images count as errors), per-class
precision/recall/F1, confusion matrix, calibration error. Output format is stable: it is how
anyone compares models (documented in the README)."""

from __future__ import annotations

import numpy as np

NO_HAND = -1
CLASSES = list(range(10))


def evaluate(labels: np.ndarray, predicted: np.ndarray, confidence: np.ndarray | None = None) -> dict:
    """labels, predicted: ints; predicted is NO_HAND (-1) where the landmarker found no hand.

    confusion[t][p] counts images of digit t predicted as p among images with a hand;
    recall counts no-hand images of a digit as misses, precision is over predictions made.
    """
    labels = np.asarray(labels, dtype=int)
    predicted = np.asarray(predicted, dtype=int)
    n = len(labels)
    hand = predicted != NO_HAND
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (labels[hand], predicted[hand]), 1)
    per_class = {}
    for d in CLASSES:
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
    if confidence is not None and hand.any():
        report["ece"] = round(expected_calibration_error(confidence[hand], predicted[hand] == labels[hand]), 4)
    return report


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
    lines.append("confusion (rows: true digit, columns: predicted)")
    lines.append("     " + "".join(f"{d:>5}" for d in CLASSES))
    for d, row in enumerate(report["confusion"]):
        lines.append(f"{d:>5}" + "".join(f"{v:>5}" for v in row))
    return "\n".join(lines)


def plot_confusion(report: dict, path, title: str = "Confusion matrix") -> None:
    """Confusion matrix PNG, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .atomicio import atomic_path

    cm = np.array(report["confusion"])
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                    color="white" if v > cm.max() / 2 else "black")
    ax.set(xticks=CLASSES, yticks=CLASSES, xlabel="predicted", ylabel="true",
           title=f"{title}\naccuracy {report['accuracy']:.4f}, no hand {report['no_hand']['count']}")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def plot_history(history: dict[str, list[float]], path) -> None:
    """Training curves (loss and accuracy per epoch) PNG, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .atomicio import atomic_path

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, key in zip(axes, ("loss", "accuracy")):
        for name in (key, f"val_{key}"):
            if history.get(name):
                ax.plot(range(1, len(history[name]) + 1), history[name], label=name)
        ax.set(xlabel="epoch", title=key)
        ax.legend()
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)
