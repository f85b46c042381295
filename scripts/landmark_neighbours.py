"""Are the letters a model shows as a digit different from that digit in the landmarks at all?

    python scripts/landmark_neighbours.py --shared ../shared --model <bundle> --negatives <letters>
                                          [--variants plain,gray,...] [--factor 2]

A study for docs/near_digits.md, not part of the product. For every hand of `--negatives` the
model (with its loose shape check) still shows as a digit d, the nearest hand of d in the
model's own training split: the mean distance of the 21 points (wrist at the origin, scaled to
the wrist-to-middle-knuckle length, left hands mirrored, tilt kept), the training photo, and
the thumb's gap to the nearest fingertip of both. A letter whose nearest training d is as close
as two training hands of one digit usually are cannot be told from d by any rule on the
landmarks. Then the obvious general rule, tried: "not a digit" when a hand is farther than
`--factor` times the validation split's 99.5th percentile from every training hand of the
digit the model says; what it would stop of the letters, and the right answers it would take on
the digits' validation and test splits in each `--variant` (trainer.variants).
"""

from __future__ import annotations

import argparse
from functools import cache
from pathlib import Path

import numpy as np

from trainer import finger_states as fs
from trainer.classifier import Classifier
from trainer.crops import crop_samples
from trainer.data import ScanReport, scan_many, scan_negatives
from trainer.features import normalise_landmarks
from trainer.hands import HandObservation
from trainer.pipeline import bundle_split

from finger_agreement import DIGIT_DATASETS  # scripts/, beside this one


def points(obs: HandObservation) -> np.ndarray:
    return normalise_landmarks(np.asarray(obs.landmarks, np.float32), obs.handedness).reshape(21, 2)


def nearest(bank: np.ndarray, x: np.ndarray) -> tuple[float, int]:
    """Distance to the nearest hand of `bank` (n, 21, 2) and its index."""
    d = np.linalg.norm(bank - x[None], axis=2).mean(axis=1)
    i = int(d.argmin())
    return float(d[i]), i


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--model", type=Path, default=Path("assets/model"))
    ap.add_argument("--negatives", type=Path, required=True)
    ap.add_argument("--variants", default="plain,mirror,gray,low64,gray64,dark")
    ap.add_argument("--factor", type=float, default=2.0)
    args = ap.parse_args()
    hand_model = args.shared / "models" / "hand_landmarker.task"
    clf = Classifier.load(args.model)
    digits = scan_many([args.shared / "datasets" / d for d in DIGIT_DATASETS], ScanReport())

    def found(samples, variant="plain"):
        return crop_samples(samples, hand_model, clf.crop_settings, variant=variant).found()

    def answered(samples, variant="plain"):
        hands, obs = found(samples, variant)
        return hands, obs, clf.predict_batch(obs).argmax(axis=1)

    train, train_obs = found(bundle_split(clf.meta, digits, "train"))
    banks = {d: [i for i, s in enumerate(train) if s.label == d] for d in range(10)}
    bank = {d: np.stack([points(train_obs[i]) for i in idx]) for d, idx in banks.items()}

    print(f"Letters shown as a digit by {args.model} (with its shape check), nearest training hand of that digit:")
    letters, letter_obs, letter_pred = answered(scan_negatives(args.negatives, ScanReport()))
    shown = []
    for s, o, d in zip(letters, letter_obs, letter_pred):
        if d >= 10:
            continue
        dist, i = nearest(bank[d], points(o))
        near = train_obs[banks[d][i]]
        gap = fs.read_hand(o.landmarks, o.handedness).touch_distance
        near_gap = fs.read_hand(near.landmarks, near.handedness).touch_distance
        shown.append(dist)
        print(f"  {s.path.parent.name}/{s.path.name[:24]:24s} as {d}: {dist:.3f} from {train[banks[d][i]].path.name}"
              f"  (thumb gap {gap:.2f}, theirs {near_gap:.2f})")
    shown_d = np.array(shown)
    print(f"  {len(shown)} of {len(letters)} hands found; distances median {np.median(shown_d):.3f}")

    @cache
    def own_distances(split: str, variant: str) -> np.ndarray:
        s, o, pred = answered(bundle_split(clf.meta, digits, split), variant)
        return np.array([nearest(bank[p], points(x))[0] for x, p, t in zip(o, pred, s) if p == t.label])

    val = own_distances("val", "plain")
    limit = args.factor * float(np.percentile(val, 99.5))
    print(f"\nTwo training hands of one digit: validation right answers' nearest distance median {np.median(val):.3f}, "
          f"99.5th percentile {np.percentile(val, 99.5):.3f}.")
    print(f"A 'farther than {args.factor:g} x that = {limit:.3f}' rule would stop {int((shown_d > limit).sum())} "
          f"of the {len(shown)} letters above, and take these right answers:")
    for variant in args.variants.split(","):
        for split in ("val", "test"):
            r = own_distances(split, variant)
            print(f"  {split:4s} {variant:7s} {int((r > limit).sum()):3d} of {len(r)} (farthest {r.max():.3f})")


if __name__ == "__main__":
    main()
