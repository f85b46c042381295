"""Per-frame labels beside a video (`<video>.labels.json`): what each frame shows.

`asl-live bench` and `asl-live practice` score against them; the test-video generator
(`scripts/synthvideo.py`) writes them. A label is a digit 0-9, "not_digit" (a hand that is no
digit), or null (no hand). In Python a label is an int (trainer.classes.NOT_DIGIT for "not a
digit") or None.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from trainer import atomicio
from trainer.classes import DIGITS, NOT_DIGIT, NOT_DIGIT_NAME

LABELS_SUFFIX = ".labels.json"
Label = int | None


def labels_path(video: str | os.PathLike[str]) -> Path:
    video = Path(video)
    return video.with_name(video.name + LABELS_SUFFIX)


def from_json(value: Any) -> Label:
    if value is None:
        return None
    if value == NOT_DIGIT_NAME:
        return NOT_DIGIT
    if isinstance(value, int) and not isinstance(value, bool) and value in DIGITS:
        return value
    raise ValueError(f"not a label: {value!r}")


def to_json(label: Label) -> int | str | None:
    return NOT_DIGIT_NAME if label == NOT_DIGIT else label


def load_labels(video: str | os.PathLike[str]) -> dict | None:
    """The labels file beside `video` with `labels` as Python labels, or None if there is
    none or it is unreadable (then the video is only timed, not scored)."""
    try:
        data = json.loads(labels_path(video).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("labels"), list):
            return None
        return {**data, "labels": [from_json(v) for v in data["labels"]]}
    except (OSError, ValueError):
        return None


def write_labels(video: str | os.PathLike[str], labels: list[Label], fps: float, **extra: Any) -> Path:
    """Write the labels file beside `video`, atomically."""
    return atomicio.write_json(labels_path(video), {"fps": fps, "labels": [to_json(v) for v in labels], **extra})


def segments(labels: list[Label]) -> list[tuple[Label, int, int]]:
    """(label, first frame, end frame) for each run of equal labels."""
    out: list[tuple[Label, int, int]] = []
    for i, lab in enumerate(labels):
        if out and out[-1][0] == lab:
            out[-1] = (lab, out[-1][1], i + 1)
        else:
            out.append((lab, i, i + 1))
    return out
