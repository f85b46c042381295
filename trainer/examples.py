"""Small, class-balanced sets of hand observations that travel inside a model bundle.

- `heldout.npz`: images the model never trained on (from its test split). A retrain is
  compared with the model it would replace on these, per digit, so a new model is only
  swapped in when it is not worse, even on a machine that has none of the datasets.
- `rehearsal.npz`: images it trained on. A fine-tune on a user's few captures mixes them in,
  so learning two new digits does not make the model forget the other eight.

Crops are stored as JPEG (quality 95, a few kB each) with their landmarks: the observation
the landmarker made, so using them needs neither the images nor MediaPipe.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from . import atomicio
from .hands import HandObservation

JPEG_QUALITY = 95


@dataclass
class Example:
    label: int  # a digit or trainer.classes.NOT_DIGIT
    dataset: str
    observation: HandObservation


def balanced(examples: list[Example], per_class: int, seed: int = 0) -> list[Example]:
    """Up to `per_class` examples of each label, spread over the datasets, chosen at random."""
    rng = np.random.default_rng(seed)
    by_label: dict[int, list[Example]] = defaultdict(list)
    for e in examples:
        by_label[e.label].append(e)
    out = []
    for label in sorted(by_label):
        group = by_label[label]
        out += [group[i] for i in sorted(rng.permutation(len(group))[:per_class])]
    return out


def save_examples(path: str | os.PathLike[str], examples: list[Example]) -> None:
    """Write the set atomically (an empty set writes an empty file that loads as [])."""
    blobs = [cv2.imencode(".jpg", cv2.cvtColor(e.observation.crop, cv2.COLOR_RGB2BGR),
                          [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes() for e in examples]
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        jpeg=np.frombuffer(b"".join(blobs), dtype=np.uint8),
        ends=np.cumsum([len(b) for b in blobs]).astype(np.int64),
        landmarks=np.array([e.observation.landmarks for e in examples], dtype=np.float32).reshape(-1, 21, 3),
        box=np.array([e.observation.box for e in examples], dtype=np.float32).reshape(-1, 3),
        handedness=np.array([e.observation.handedness for e in examples], dtype="U5"),
        label=np.array([e.label for e in examples], dtype=np.int16),
        dataset=np.array([e.dataset for e in examples], dtype="U64"),
    )
    atomicio.write_bytes(path, buf.getvalue())


def load_examples(path: str | os.PathLike[str]) -> list[Example]:
    """The set, or [] when the bundle has none (older bundles). A damaged file raises ValueError."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        with np.load(path, allow_pickle=False) as z:  # each z[key] decompresses its array: read each once
            jpeg, ends, landmarks, boxes, hands, labels, datasets = (
                z[k] for k in ("jpeg", "ends", "landmarks", "box", "handedness", "label", "dataset"))
        starts = np.concatenate([[0], ends[:-1]]) if len(ends) else ends
        out = []
        for i, (a, b) in enumerate(zip(starts, ends)):
            crop = cv2.imdecode(jpeg[a:b], cv2.IMREAD_COLOR)
            if crop is None:
                raise ValueError(f"crop {i} does not decode")
            obs = HandObservation(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB), landmarks[i],
                                  tuple(float(v) for v in boxes[i]), str(hands[i]), 1.0)  # type: ignore[arg-type]
            out.append(Example(int(labels[i]), str(datasets[i]), obs))
        return out
    except (OSError, KeyError, ValueError) as e:
        raise ValueError(f"{path} is damaged ({e})") from None
