"""How often the live path finds the hand in dim-room video, with and without its second look
at dim frames (trainer.images.DIM_LUMA): the figures behind that choice.

    python scripts/synthvideo.py --out dim1.mp4 --dim 1 --seed 7 ... (see the README)
    python scripts/dim_rooms.py dim1.mp4 dim2.mp4 --hand-model ../shared/models/hand_landmarker.task

For each labelled video: the share of frames showing a hand in which the video-mode landmarker
found one, as the app runs it and with the second look off, and hands "found" in frames
without one (which must stay 0).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from asl_live.source import FrameSource
from asl_live.video_labels import load_labels
from trainer.hands import CropSettings, HandCropper


def found_rates(video: Path, hand_model: Path, settings: CropSettings) -> tuple[float, int, int]:
    labels = load_labels(video)["labels"]
    found = hands = false = 0
    with FrameSource(video, loop=False) as src, HandCropper(hand_model, settings, mode="video") as cropper:
        for frame, label in zip(src, labels):
            hit = cropper.landmarks(frame.rgb, frame.timestamp_ms) is not None
            if label is None:
                false += hit
            else:
                hands += 1
                found += hit
    return found / hands, hands, false


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("videos", nargs="+", type=Path)
    ap.add_argument("--hand-model", type=Path, required=True)
    args = ap.parse_args()
    for video in args.videos:
        # the landmark network's look (trainer.second_look) is left out of both: this is the
        # dim-room look's own figure (docs/second_look.md has the other)
        for name, settings in (("dim-room look", CropSettings(second_look=False)),
                               ("first look only", CropSettings(enhance=False, second_look=False))):
            rate, hands, false = found_rates(video, args.hand_model, settings)
            print(f"{video.name:24s} {name:22s} hand found in {100 * rate:5.1f}% of {hands} frames; "
                  f"{false} hands found in frames without one", flush=True)


if __name__ == "__main__":
    main()
