"""How the landmarker is shown a photo: the figures behind trainer.hands' choices.

    python scripts/fit_agreement.py tones   --shared ../shared [--images 400]
    python scripts/fit_agreement.py framing --shared ../shared [--images 400]

For a random sample of TRAINING images of each shared dataset (never the test split), gives
the landmarker each candidate's view of altered copies of each photo, and prints how often a
hand is found and how often its landmarks land far (mean distance over 0.15 of the
wrist-to-knuckle length, after normalisation) from those found on the photo itself.

- tones: grey copies, shown through each candidate colouring (trainer.images.SKIN).
- framing: grey, 64 px and mirrored copies, each candidate framing (CropSettings.photo_pads)
  used for the copy and for the photo alike.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import numpy as np

from trainer.data import ScanReport, SplitSettings, split
from trainer.features import handshape_distance
from trainer.hands import CropSettings, HandCropper
from trainer.images import SKIN, gamma, read_rgb, skin_lut
from trainer.pipeline import load_samples
from trainer.variants import VARIANTS

DATASETS = ("asl-digits-kaggle", "sign-language-digits")


def _table(*anchors):
    table = skin_lut(list(anchors))
    return lambda grey: table[grey[..., 0]]


TONES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
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
    "chosen (trainer.hands)": lambda grey: SKIN[grey[..., 0]],
}

FRAMINGS: dict[str, tuple[float, ...]] = {
    "as is": (),
    "pad 0.1": (0.1, 0.6),
    "pad 0.2": (0.2, 0.6),
    "pad 0.3 (chosen)": CropSettings().photo_pads,
}


def agreement(fit, copies: list[np.ndarray], reference: list) -> str:
    """Found rate of `fit` on the copies and how often it lands far from the photos' fits."""
    got = [fit(rgb) for rgb in copies]
    far = [handshape_distance(r, g) > 0.15 for r, g in zip(reference, got) if r is not None and g is not None]
    found = np.mean([g is not None for g in got])
    return f"found {100 * found:5.1f}%  far off {100 * np.mean(far):5.1f}%"


def training_photos(shared: Path, name: str, images: int, rng) -> list[np.ndarray]:
    train = split(load_samples([shared / "datasets" / name], ScanReport()), SplitSettings())["train"]
    chosen = [train[i] for i in rng.choice(len(train), min(images, len(train)), replace=False)]
    return [read_rgb(s.path) for s in chosen]


def tones(shared: Path, images: int) -> None:
    hand_model = shared / "models" / "hand_landmarker.task"
    rng = np.random.default_rng(0)
    with HandCropper(hand_model, CropSettings()) as colour, \
            HandCropper(hand_model, CropSettings(enhance=False)) as plain:  # shown exactly what we give it
        for name in DATASETS:
            photos = training_photos(shared, name, images, rng)
            reference = [colour.landmarks(rgb) for rgb in photos]
            greys = [VARIANTS["gray"](rgb) for rgb in photos]
            for label, tone in TONES.items():
                line = agreement(lambda rgb: plain.landmarks(tone(rgb)), greys, reference)
                print(f"{name:22s} {label:24s} {line}", flush=True)


def framing(shared: Path, images: int) -> None:
    hand_model = shared / "models" / "hand_landmarker.task"
    rng = np.random.default_rng(0)
    for name in DATASETS:
        photos = training_photos(shared, name, images, rng)
        for label, pads in FRAMINGS.items():
            with HandCropper(hand_model, CropSettings(photo_pads=pads)) as cropper:
                reference = [cropper.landmarks(rgb) for rgb in photos]
                for variant in ("gray", "low64", "mirror"):
                    copies = [VARIANTS[variant](rgb) for rgb in photos]
                    line = agreement(cropper.landmarks, copies, reference)
                    print(f"{name:22s} {label:18s} {variant:7s} {line}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("compare", choices=["tones", "framing"])
    p.add_argument("--shared", type=Path, default=Path("../shared"))
    p.add_argument("--images", type=int, default=400, help="training images per dataset")
    args = p.parse_args()
    {"tones": tones, "framing": framing}[args.compare](args.shared, args.images)


if __name__ == "__main__":
    main()
