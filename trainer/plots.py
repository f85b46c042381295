"""Figures as PNG files (matplotlib, drawn off-screen and written atomically)."""

from __future__ import annotations

import os

import numpy as np

from .atomicio import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(report: dict, path: str | os.PathLike[str], title: str = "Confusion matrix") -> None:
    """Confusion matrix PNG: rows true digit, columns predicted (a last "not a digit" column
    for models that have that class)."""
    plt = _pyplot()
    cm = np.array(report["confusion"])
    columns = [str(c) for c in range(cm.shape[1])]
    if cm.shape[1] > cm.shape[0]:
        columns[-1] = "not\ndigit"
    fig, ax = plt.subplots(figsize=(5.5 + 0.4 * (cm.shape[1] - cm.shape[0]), 5))
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                    color="white" if v > cm.max() / 2 else "black")
    ax.set(xticks=range(cm.shape[1]), yticks=range(cm.shape[0]), xlabel="predicted", ylabel="true",
           title=f"{title}\naccuracy {report['accuracy']:.4f}, no hand {report['no_hand']['count']}")
    ax.set_xticklabels(columns)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def plot_history(history: dict[str, list[float]], path: str | os.PathLike[str]) -> None:
    """Training curves (loss and accuracy per epoch) PNG."""
    plt = _pyplot()
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
