"""What the lean install leaves out, and what to say about it.

`pip install asl-live` gives the window, practice and the bench: they run the model with
LiteRT and never import TensorFlow. Training (asl-train, the Retrain button) and the Kaggle
download need the `train` extra; without it they say so in one line instead of failing on an
import deep inside a job.
"""

from __future__ import annotations

import importlib.util

INSTALL_TRAINER = "pip install 'asl-live[train]'"
TRAINING = ("tensorflow", "keras", "sklearn")  # modules retraining imports
DOWNLOAD = ("kaggle",)
_PACKAGE = {"sklearn": "scikit-learn"}  # module -> what pip calls it


def missing(modules: tuple[str, ...]) -> list[str]:
    """The pip names of `modules` that are not installed (nothing is imported)."""
    return [_PACKAGE.get(m, m) for m in modules if importlib.util.find_spec(m) is None]


def unavailable(what: str, modules: tuple[str, ...]) -> str | None:
    """One line for a user when `what` cannot run here, else None."""
    gone = missing(modules)
    if not gone:
        return None
    return f"{what} needs {', '.join(gone)}, which this install leaves out: {INSTALL_TRAINER}"
