"""Photos in which no hand is found, without and with the second look (trainer.second_look),
per dataset and per class: the photo path's figures behind docs/second_look.md.

    python scripts/no_hand_counts.py --data ../shared/datasets/asl-digits-kaggle \
        --data ../shared/datasets/sign-language-digits --negatives ../shared/datasets/asl-letters-dlee \
        --hand-model ../shared/models/hand_landmarker.task [--json counts.json]

Every deduplicated image is looked at as `asl-train train/evaluate` and Retrain look at them
(image mode, the shipped model's crop settings), once with MediaPipe alone and once with the
second look after it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from trainer.classes import NOT_DIGIT
from trainer.classifier import Classifier
from trainer.data import scan_many, scan_negatives
from trainer.hands import HandCropper
from trainer.images import read_rgb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, action="append", default=[])
    ap.add_argument("--negatives", type=Path, action="append", default=[])
    ap.add_argument("--hand-model", type=Path, required=True)
    ap.add_argument("--model", type=Path, default=Path(__file__).resolve().parents[1] / "assets" / "model")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    samples = scan_many(args.data) if args.data else []
    for root in args.negatives:
        samples += scan_negatives(root)
    settings = Classifier.load(args.model).crop_settings
    out: dict = {}
    with HandCropper(args.hand_model, replace(settings, second_look=False)) as alone, \
            HandCropper(args.hand_model, replace(settings, second_look=True)) as both:
        for i, s in enumerate(samples):
            rgb = read_rgb(s.path)
            if rgb is None:
                continue
            d = out.setdefault(s.dataset, {"images": 0, "no_hand_before": Counter(), "no_hand_after": Counter()})
            d["images"] += 1
            label = "not_digit" if s.label == NOT_DIGIT else str(s.label)
            if alone.landmarks(rgb) is None:
                d["no_hand_before"][label] += 1
                if both.landmarks(rgb) is None:
                    d["no_hand_after"][label] += 1
            if (i + 1) % 500 == 0:
                print(f"{i + 1} of {len(samples)} images", file=sys.stderr, flush=True)
    for name, d in out.items():
        before, after = sum(d["no_hand_before"].values()), sum(d["no_hand_after"].values())
        print(f"{name:28s} {d['images']:5d} images: no hand {before} ({100 * before / d['images']:.2f}%) -> "
              f"{after} ({100 * after / d['images']:.2f}%)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
