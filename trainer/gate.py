"""A landmark-space novelty gate beside the classifier: a hand shape far from every digit the
model trained on is "not a digit", whatever the classifier says.

The classifier learns "not a digit" from the negatives it saw; a hand shape it never saw is
pushed onto whichever class is nearest, often a digit. The gate asks another question: how
far are the hand's upright landmarks (trainer.features, 42 numbers) from the training digits?
Each digit gets a Gaussian (mean and a covariance shrunk towards its average variance); the
distance is the smallest Mahalanobis distance (squared) over the digits. The threshold is a
quantile of the validation digits' distances, so about 1 - quantile of real digits like
those are turned away, times a margin: the validation digits are of people the model trained
on (the Kaggle set has no participant ids), while a webcam user is a new person. The margin
was chosen on validation digits of signers a gate never saw (fitted on one dataset, scored on
the other's validation split): at 1 it turned away 1.0-2.4% of them, at 1.25 at most 0.34%
on plain, mirrored and 64 px photos (1.5: the same; grey ones 0.9% either way), and it keeps
most of what the gate does for unseen hand shapes (README). It needs no negatives to learn from; it only sees the landmarks, so
the room behind the hand cannot move it.

Stored in a bundle as `landmark_gate.npz` and named in bundle.json (`gate`); the runtime
classifier (trainer.classifier) applies it to every prediction, so `asl-train evaluate`, the
bench and the app all see the gated answer. An option (`asl-train train --landmark-gate
0.999`), not the default: see trainer.pipeline.TrainJob.gate_quantile.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import atomicio
from .classes import DIGITS
from .features import normalise_landmarks
from .hands import HandObservation

SHRINK = 0.1  # covariance shrinkage towards its mean variance: 42 dimensions, a few hundred hands per digit
MIN_PER_DIGIT = 50  # fewer training hands of a digit than this: no gate (a covariance needs examples)


def gate_features(observations: list[HandObservation]) -> np.ndarray:
    """(n, 42) upright normalised landmarks: what the gate measures (whatever form the model's
    own landmark input has)."""
    if not observations:
        return np.zeros((0, 42), np.float32)
    return np.stack([normalise_landmarks(o.landmarks, o.handedness, upright=True) for o in observations])


@dataclass
class LandmarkGate:
    means: np.ndarray  # (10, 42)
    precisions: np.ndarray  # (10, 42, 42)
    threshold: float  # distances above it are "not a digit"
    quantile: float  # of the validation digits' distances the threshold was set at
    margin: float = 1.0  # the threshold is this times that quantile

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, val_features: np.ndarray, quantile: float,
            margin: float = 1.0) -> "LandmarkGate | None":
        """Gaussians of the training digits (`labels` 0-9; other labels are ignored), threshold
        at `margin` times the `quantile` of `val_features`' distances. None when a digit has
        fewer than MIN_PER_DIGIT training hands or there is no validation digit."""
        features, labels = np.asarray(features, np.float64), np.asarray(labels)
        if len(val_features) == 0 or any((labels == d).sum() < MIN_PER_DIGIT for d in DIGITS):
            return None
        means, precisions = [], []
        for d in DIGITS:
            x = features[labels == d]
            cov = np.cov(x.T)
            dim = cov.shape[0]
            cov = (1 - SHRINK) * cov + SHRINK * np.trace(cov) / dim * np.eye(dim) + 1e-4 * np.eye(dim)
            means.append(x.mean(axis=0))
            precisions.append(np.linalg.inv(cov))
        gate = cls(np.array(means, np.float32), np.array(precisions, np.float32), 0.0, float(quantile), float(margin))
        gate.threshold = float(margin * np.quantile(gate.distance(val_features), quantile))
        return gate

    def distance(self, features: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance to the nearest digit's Gaussian, per row."""
        x = np.asarray(features, np.float64)
        if len(x) == 0:
            return np.zeros(0)
        diff = x[:, None, :] - self.means[None].astype(np.float64)  # (n, 10, 42)
        return np.einsum("ndi,dij,ndj->nd", diff, self.precisions.astype(np.float64), diff).min(axis=1)

    def novel(self, features: np.ndarray) -> np.ndarray:
        """Which rows are far from every digit: "not a digit"."""
        return self.distance(features) > self.threshold

    # -- file ------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, means=self.means, precisions=self.precisions,
                            threshold=np.array(self.threshold), quantile=np.array(self.quantile),
                            margin=np.array(self.margin))
        atomicio.write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "LandmarkGate":
        """The gate; ValueError naming the file when it is missing or damaged."""
        try:
            with np.load(Path(path), allow_pickle=False) as z:
                gate = cls(z["means"], z["precisions"], float(z["threshold"]), float(z["quantile"]), float(z["margin"]))
        except (OSError, KeyError, ValueError) as e:
            raise ValueError(f"{path} is missing or damaged ({e})") from None
        if gate.means.shape != (len(DIGITS), 42) or gate.precisions.shape != (len(DIGITS), 42, 42) \
                or not np.isfinite(gate.threshold):
            raise ValueError(f"{path} is damaged (unexpected shapes)")
        return gate
