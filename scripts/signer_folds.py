"""The "not a digit" offset study on folds over signers (README, rule written before the runs
finished): for each run trained with `asl-train train --holdout-fold K/N`, the digit errors on
its fold of signers and the share of the letters' validation split shown as a digit, for each
offset b added to the not-a-digit log-probability; then the rule's choice.

    python scripts/signer_folds.py RUN [RUN ...] --data ../shared/datasets/sign-language-digits \\
        --negatives ../shared/datasets/asl-letters-dlee --hand-model ../shared/models/hand_landmarker.task

Never reads the test split.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from trainer.classes import NOT_DIGIT, SHOW_THRESHOLD
from trainer.classifier import Classifier, offset_not_digit
from trainer.crops import crop_samples
from trainer.data import ScanReport, scan_negatives
from trainer.evaluate import NO_HAND, shown_as_digit
from trainer.pipeline import bundle_split, load_samples

OFFSETS = (0.0, -0.5, -1.0, -1.5, -2.0)


def run_probs(run: Path, data: list[Path], negatives: list[Path], hand_model: Path):
    """(fold labels, fold probabilities, letters' validation probabilities) of one run, at
    offset 0; a photo without a hand has no row of probabilities (counted as an error)."""
    clf = Classifier.load(run)
    if clf.meta.not_digit_offset:
        raise SystemExit(f"{run} already has a not-a-digit offset; the study starts from 0")
    fold = bundle_split(clf.meta, load_samples(data, ScanReport()), "fold")
    letters = [s for root in negatives for s in bundle_split(clf.meta, scan_negatives(root), "val")]

    def probs(samples):
        crops = crop_samples(samples, hand_model, clf.crop_settings)
        p = np.full((len(crops.samples), clf.num_classes), np.nan, np.float32)
        found = [i for i, o in enumerate(crops.observations) if o is not None]
        if found:
            p[found] = clf.predict_batch([crops.observations[i] for i in found])
        return np.array([s.label for s in crops.samples]), p

    labels, fold_p = probs(fold)
    _, letters_p = probs(letters)
    return labels, fold_p, letters_p


def figures(labels: np.ndarray, fold_p: np.ndarray, letters_p: np.ndarray, offset: float) -> dict:
    def decide(p):
        found = ~np.isnan(p).any(axis=1)
        p = np.where(found[:, None], offset_not_digit(np.where(found[:, None], p, 1.0), offset), 0.0)
        return np.where(found, p.argmax(axis=1), NO_HAND), p.max(axis=1)

    pred, _ = decide(fold_p)
    lpred, lconf = decide(letters_p)
    return {"offset": offset, "fold_images": int(len(labels)), "fold_errors": int((pred != labels).sum()),
            "fold_not_a_digit": int(((pred == NOT_DIGIT) & (labels != NOT_DIGIT)).sum()),
            "letters_images": int(len(lpred)),
            "letters_shown_as_digit": float(shown_as_digit(lpred, lconf, SHOW_THRESHOLD).mean()) if len(lpred) else 0.0}


def choose(table: dict[float, list[dict]]) -> float:
    """The rule: fewest fold errors over the runs among offsets whose mean letters shown as a
    digit is at most 1 point above offset 0's and at most 5% for every run; ties to the offset
    nearest 0; 0 unless the best has at least 3 fewer errors than 0."""
    base_shown = np.mean([r["letters_shown_as_digit"] for r in table[0.0]])
    errors = {b: sum(r["fold_errors"] for r in rows) for b, rows in table.items()}
    allowed = [b for b, rows in table.items()
               if np.mean([r["letters_shown_as_digit"] for r in rows]) <= base_shown + 0.01
               and max(r["letters_shown_as_digit"] for r in rows) <= 0.05]
    best = min(allowed, key=lambda b: (errors[b], abs(b)))
    return best if errors[0.0] - errors[best] >= 3 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", type=Path, help="bundles trained with --holdout-fold")
    ap.add_argument("--data", action="append", type=Path, required=True)
    ap.add_argument("--negatives", action="append", type=Path, required=True)
    ap.add_argument("--hand-model", type=Path, required=True)
    ap.add_argument("--json", type=Path, help="write the table here")
    args = ap.parse_args()
    table: dict[float, list[dict]] = {b: [] for b in OFFSETS}
    for run in args.runs:
        labels, fold_p, letters_p = run_probs(run, args.data, args.negatives, args.hand_model)
        for b in OFFSETS:
            table[b].append({"run": str(run), **figures(labels, fold_p, letters_p, b)})
    print("offset | fold errors (of which 'not a digit') per run | total | letters val shown as digit, mean")
    for b, rows in table.items():
        per = " ".join(f"{r['fold_errors']}({r['fold_not_a_digit']})" for r in rows)
        shown = np.mean([r["letters_shown_as_digit"] for r in rows])
        print(f"{b:+.1f} | {per} | {sum(r['fold_errors'] for r in rows)} of "
              f"{sum(r['fold_images'] for r in rows)} | {100 * shown:.2f}%")
    chosen = choose(table)
    print(f"rule's choice: not_digit_offset = {chosen:g}")
    if args.json:
        args.json.write_text(json.dumps({"table": {str(b): rows for b, rows in table.items()}, "chosen": chosen},
                                        indent=1))


if __name__ == "__main__":
    main()
