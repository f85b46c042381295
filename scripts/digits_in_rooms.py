"""Held-out digits in real rooms: does a model call a digit "not a digit" because of the room?

The photos of hands that are no digit were taken in people's homes, the digits on black or
on a light wall, so a model can learn "a room behind the hand means not a digit". This
script cuts the held-out Kaggle hands (the test split of --model, or its validation split
with --split val, to choose settings on) off their black background and pastes each into a
letter photo of the same split (its split settings applied to the letters, whether it trained
on them or not) whose own hand was painted out (`trainer.backgrounds.remove_hand`), where
that hand was and at its size. Then score it like any digit folder:

    python scripts/digits_in_rooms.py --data ../shared/datasets/asl-digits-kaggle \\
        --negatives ../shared/datasets/asl-letters-dlee --model BUNDLE --out ROOMS \\
        --hand-model ../shared/models/hand_landmarker.task
    asl-train evaluate --model BUNDLE --data ROOMS --split all

Writes ROOMS/<d>/<kaggle photo>__<room photo>.jpg and ROOMS/manifest.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthvideo import cut_out_hand  # noqa: E402
from trainer import atomicio  # noqa: E402
from trainer.backgrounds import remove_hand  # noqa: E402
from trainer.bundle_meta import BundleMeta  # noqa: E402
from trainer.crops import crop_samples  # noqa: E402
from trainer.data import dataset_name, scan, scan_negatives  # noqa: E402
from trainer.hands import CropSettings  # noqa: E402
from trainer.images import read_rgb  # noqa: E402
from trainer.pipeline import bundle_split  # noqa: E402

HAND_SCALE = (0.8, 1.0)  # pasted hand's height, as a share of the removed hand's crop box side


def rooms(negatives: Path, meta: BundleMeta, which: str, hand_model: Path, cache_root: Path | None = None):
    """(name, photo with its hand painted out, the removed hand's box) for each photo of a hand
    that is no digit in the `which` split where the landmarker found the hand (else it cannot
    be removed)."""
    samples = bundle_split(meta, scan_negatives(negatives), which)
    crops = crop_samples(samples, hand_model, CropSettings(), cache_root=cache_root)
    out = []
    for s, o in zip(crops.samples, crops.observations):
        rgb = read_rgb(s.path) if o is not None else None
        if rgb is None:
            continue
        room, _ = remove_hand(rgb, o.landmarks)
        out.append((f"{s.path.parent.name}-{s.path.stem.split('_')[0]}", room, o.box))
    return out


def paste(room: np.ndarray, box: tuple[float, float, float], hand_rgb: np.ndarray,
          rng: np.random.Generator) -> np.ndarray | None:
    """The hand cut off its black background, pasted where the room's hand was, at its size."""
    cut = cut_out_hand(hand_rgb)
    if cut is None:
        return None
    h, w = room.shape[:2]
    x0, y0, side = box
    ch, cw = cut.alpha.shape
    scale = min(side * rng.uniform(*HAND_SCALE), 0.9 * h) / ch
    scale = min(scale, 0.9 * w / cw)
    cx = float(np.clip(x0 + side / 2, cw * scale / 2, w - cw * scale / 2))
    cy = float(np.clip(y0 + side / 2, ch * scale / 2, h - ch * scale / 2))
    m = np.array([[scale, 0, cx - cw * scale / 2], [0, scale, cy - ch * scale / 2]], dtype=np.float32)
    hand = cv2.warpAffine(cut.rgb, m, (w, h), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(cut.alpha, m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    return (room.astype(np.float32) * (1 - alpha) + hand.astype(np.float32) * alpha).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the Kaggle digits (hands on black)")
    ap.add_argument("--negatives", type=Path, required=True, help="photos of hands that are no digit, in rooms")
    ap.add_argument("--model", type=Path, required=True, help="bundle whose held-out images are used")
    ap.add_argument("--hand-model", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--split", choices=["test", "val"], default="test",
                    help="the bundle's held-out test split (default) or its validation split")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", type=Path)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    meta = BundleMeta.read(args.model)
    backgrounds = rooms(args.negatives, meta, args.split, args.hand_model, args.cache_dir)
    if not backgrounds:
        print("digits_in_rooms: no held-out room photo with a hand found", file=sys.stderr)
        return 1
    digits = sorted(bundle_split(meta, scan(args.data, dataset_name(args.data)), args.split), key=lambda s: str(s.path))
    manifest = []
    for s in digits:
        rgb = read_rgb(s.path)
        name, room, box = backgrounds[int(rng.integers(len(backgrounds)))]
        out = paste(room, box, rgb, rng) if rgb is not None else None
        if out is None:
            continue
        target = args.out / str(s.label) / f"{s.path.stem.replace(' ', '')}__{name}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        atomicio.write_bytes(target, cv2.imencode(".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR),
                                                  [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes())
        manifest.append({"file": str(target.relative_to(args.out)), "digit": s.label, "hand": str(s.path),
                         "room": name})
    atomicio.write_text(args.out / "manifest.json", json.dumps(
        {"model": str(args.model), "split": args.split, "seed": args.seed, "rooms": len(backgrounds),
         "images": manifest}, indent=1))
    print(f"Wrote {len(manifest)} digits in {len(backgrounds)} held-out rooms to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
