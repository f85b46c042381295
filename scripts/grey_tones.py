"""How grey photos are shown to the landmarker: the figures behind trainer.hands._SKIN.

    python scripts/grey_tones.py --shared ../shared [--images 400]

For a random sample of TRAINING images of each shared dataset (never the test split), turns
each photo grey, gives it to the landmarker through every candidate colouring, and prints how
often a hand is found and how often its landmarks land far (mean distance over 0.15 of the
wrist-to-knuckle length, after normalisation) from those found on the colour photo.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from trainer.data import ScanReport, SplitSettings, split
from trainer.features import normalise_landmarks
from trainer.hands import _SKIN, CropSettings, HandCropper, _skin_lut, gamma, read_rgb
from trainer.pipeline import load_samples
from trainer.variants import VARIANTS


def _table(*anchors):
    table = _skin_lut(list(anchors))
    return lambda grey: table[grey[..., 0]]


CANDIDATES = {
    "as is": lambda grey: grey,
    "flat tint": lambda grey: np.clip(gamma(grey, 0.6) * np.float32([1.0, 0.78, 0.62]), 0, 255).astype(np.uint8),
    "table A": _table((0, (0, 0, 0)), (.35, (120, 75, 55)), (.6, (210, 150, 120)), (.85, (240, 205, 185)),
                      (1, (255, 250, 245))),
    "table B": _table((0, (20, 10, 5)), (.25, (95, 55, 40)), (.5, (190, 125, 95)), (.75, (235, 180, 150)),
                      (1, (255, 230, 215))),
    "table C": _table((0, (30, 15, 10)), (.2, (110, 65, 45)), (.45, (215, 150, 115)), (.7, (245, 195, 165)),
                      (1, (255, 235, 220))),
    "table D": _table((0, (30, 15, 10)), (.2, (110, 65, 45)), (.45, (215, 150, 115)), (.65, (238, 195, 170)),
                      (.8, (245, 235, 228)), (1, (255, 255, 255))),
    "chosen (trainer.hands)": lambda grey: _SKIN[grey[..., 0]],
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=Path("../shared"))
    p.add_argument("--images", type=int, default=400, help="training images per dataset")
    args = p.parse_args()
    hand_model = args.shared / "models" / "hand_landmarker.task"
    rng = np.random.default_rng(0)
    with HandCropper(hand_model, CropSettings()) as colour, \
            HandCropper(hand_model, CropSettings(enhance=False)) as plain:  # shown exactly what we give it
        for name in ("asl-digits-kaggle", "sign-language-digits"):
            train = split(load_samples([args.shared / "datasets" / name], ScanReport()), SplitSettings())["train"]
            chosen = [train[i] for i in rng.choice(len(train), min(args.images, len(train)), replace=False)]
            photos = [read_rgb(s.path) for s in chosen]
            reference = [colour.landmarks(rgb) for rgb in photos]
            for label, tone in CANDIDATES.items():
                found, far = 0, []
                for rgb, ref in zip(photos, reference):
                    got = plain.landmarks(tone(VARIANTS["gray"](rgb)))
                    found += got is not None
                    if got is not None and ref is not None:
                        d = normalise_landmarks(ref[0], ref[1], True) - normalise_landmarks(got[0], got[1], True)
                        far.append(np.linalg.norm(d.reshape(21, 2), axis=1).mean() > 0.15)
                print(f"{name:22s} {label:24s} found {100 * found / len(photos):5.1f}%   "
                      f"landmarks far off {100 * np.mean(far):5.1f}%", flush=True)


if __name__ == "__main__":
    main()
