"""Practice over hand shapes that are no digit: is any prompt ever accepted?

    python scripts/letters_practice.py --negatives ../shared/datasets/asl-letters-dlee \
        --model assets/model --hand-model ../shared/models/hand_landmarker.task \
        [--split test|all] [--seconds 1.5] [--video letters.mp4] [--json OUT]

Every letter photo of the split (the bundle's own held-out split of the letters, or all of them
for letters a model never saw) is placed whole on a cluttered background and held still for
`--seconds` in one video (scripts/synthvideo.py, each photo once, in turn). The video goes
through the live chain once; beside it run ten practice rounds, one per digit, each prompting
its digit over and over, as the Practice tab would for a learner holding these shapes. A prompt
accepted is a letter confirmed as a digit. Run twice, with the two judges (model and finger
states, the app's default) and with the model alone, to show what the second judge prevents.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's packages, not an installed copy
sys.path.insert(0, str(REPO / "scripts"))

from asl_live.live import LivePipeline  # noqa: E402
from asl_live.practice import JudgeSettings, PracticeRound  # noqa: E402
from asl_live.smoothing import SmoothingSettings  # noqa: E402
from asl_live.source import FrameSource  # noqa: E402
from synthvideo import make_video_file  # noqa: E402
from trainer import atomicio  # noqa: E402
from trainer.classes import DIGITS, NOT_DIGIT  # noqa: E402
from trainer.classifier import Classifier  # noqa: E402
from trainer.data import ScanReport, scan_negatives  # noqa: E402
from trainer.pipeline import bundle_split  # noqa: E402

JUDGES = {"two judges": JudgeSettings(), "model alone": replace(JudgeSettings(), fingers=False)}


def letter_photos(root: Path, classifier: Classifier, which: str) -> list[Path]:
    found = scan_negatives(root, ScanReport())
    return [s.path for s in (found if which == "all" else bundle_split(classifier.meta, found, which))]


def run(video: Path, photos: list[Path], model: Path, hand_model: Path, seconds: float) -> dict:
    made = make_video_file(video, [NOT_DIGIT] * len(photos), seconds, images={NOT_DIGIT: photos},
                           in_order=True, hand_model=hand_model)
    classifier = Classifier.load(model)
    smoothing = SmoothingSettings()
    per_photo = max(1, round(seconds * made.fps))
    rounds = {(name, d): PracticeRound([d] * len(photos), settings, hints=None)
              for name, settings in JUDGES.items() for d in DIGITS}
    shown = 0
    frames = 0
    with FrameSource(made.path, loop=False) as src, LivePipeline(hand_model) as pipeline:
        for frame in src:
            result = pipeline.process(frame.rgb, frame.timestamp_ms, classifier, smoothing, frame.index)
            frames += 1
            shown += result.decision.state == "digit"
            for r in rounds.values():
                r.update(result, smoothing.threshold)
    figures: dict = {"video": str(made.path), "photos": len(photos), "frames": frames,
                     "frames_shown_as_digit": shown, "judges": {}}
    for name in JUDGES:
        per = {}
        for d in DIGITS:
            view = rounds[(name, d)].view()
            held: Counter = Counter()
            for prompt in view.results:
                held.update(prompt.held_back)
            per[str(d)] = {"accepted": sum(p.accepted for p in view.results),
                           "held_back_by": {"model": held.get("model", 0), "fingers": held.get("fingers", 0)},
                           # the photo on screen when each prompt was accepted (each is held `per_photo` frames)
                           "accepted_photos": [photos[min(len(photos) - 1, p.frame // per_photo)].name
                                               for p in view.results if p.accepted]}
        figures["judges"][name] = {"accepted": sum(v["accepted"] for v in per.values()), "per_digit": per}
    return figures


def report(fig: dict) -> str:
    lines = [f"{fig['photos']} photos held {fig['frames']} frames; shown as a digit on {fig['frames_shown_as_digit']} "
             f"({100 * fig['frames_shown_as_digit'] / max(1, fig['frames']):.1f}%)"]
    for name, j in fig["judges"].items():
        accepted = ", ".join(f"{d}: {v['accepted']}" for d, v in j["per_digit"].items() if v["accepted"])
        lines.append(f"  {name}: prompts accepted {j['accepted']}" + (f" ({accepted})" if accepted else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--negatives", type=Path, required=True)
    p.add_argument("--model", type=Path, default=REPO / "assets" / "model")
    p.add_argument("--hand-model", type=Path, required=True)
    p.add_argument("--split", choices=["test", "all"], default="test")
    p.add_argument("--seconds", type=float, default=1.5)
    p.add_argument("--video", type=Path, default=Path("letters-practice.mp4"))
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    photos = letter_photos(args.negatives, Classifier.load(args.model), args.split)
    if not photos:
        print(f"no photos in the {args.split} split of {args.negatives}", file=sys.stderr)
        return 2
    fig = {"negatives": str(args.negatives), "split": args.split, "model": str(args.model),
           **run(args.video, photos, args.model, args.hand_model, args.seconds)}
    print(report(fig))
    if args.json:
        atomicio.write_json(args.json, fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
