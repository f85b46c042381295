"""Does a fine-tune on a few captured digits keep the others? The measurement behind the
Retrain button's rehearsal and its gate (asl_live.retrain).

    python scripts/finetune_check.py --model assets/model --shared ../shared --out /tmp/ft [--digits 3,7]

1. A "person" signs two digits in front of the camera: a video of 218-signer photos of those
   digits (participants of the set's TRAINING split, placed whole on clutter) goes through the
   app's live chain and capture path, saving the crops as the app's samples.
2. Retrain fine-tunes the model on those samples alone (asl_live.retrain, as the button does:
   rehearsal of the bundle's own training examples, then the per-class gate).
3. Before and after, scored with `asl-live bench` logic on (a) the 0-9 bench video made of
   held-out Kaggle hands and (b) another video of the same two digits by other participants
   (the person's "held-out captures").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthvideo import make_video_file  # noqa: E402

from asl_live.bench import run_bench  # noqa: E402
from asl_live.capture import SampleWriter  # noqa: E402
from asl_live.live import LivePipeline  # noqa: E402
from asl_live.retrain import RetrainConfig, plan, retrain  # noqa: E402
from asl_live.source import FrameSource  # noqa: E402
from trainer.classifier import Classifier  # noqa: E402
from trainer.data import SplitSettings, scan, split  # noqa: E402


def capture(video: Path, model: Classifier, hand_model: Path, samples: Path, labels: list) -> int:
    """Save the crop of every frame with a hand, labelled, as holding the digit's key does."""
    writer, n = SampleWriter(samples), 0
    with FrameSource(video, loop=False) as src, LivePipeline(hand_model) as pipeline:
        for frame, label in zip(src, labels):
            result = pipeline.process(frame.rgb, frame.timestamp_ms, model)
            if label is not None and result.observation is not None:
                writer.save(label, result.observation.crop)
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--digits", default="3,7")
    ap.add_argument("--epochs", type=int)
    args = ap.parse_args()
    digits = [int(d) for d in args.digits.split(",")]
    hand = args.shared / "models" / "hand_landmarker.task"
    kaggle, sld = args.shared / "datasets" / "asl-digits-kaggle", args.shared / "datasets" / "sign-language-digits"
    args.out.mkdir(parents=True, exist_ok=True)
    train = split(scan(sld), SplitSettings())["train"]
    people = sorted({s.group for s in train})
    mine, others = set(people[: len(people) // 2]), set(people[len(people) // 2:])
    pick = lambda groups: {d: [s.path for s in train if s.label == d and s.group in groups] for d in digits}  # noqa: E731
    sequence = [d for d in digits for _ in range(6)]
    videos = {
        "captures": make_video_file(args.out / "captures.mp4", sequence, 2.0, 15, seed=1, images=pick(mine),
                                    hand_model=hand, whole_photos=True),
        "held-out captures": make_video_file(args.out / "heldout.mp4", sequence, 2.0, 15, seed=2,
                                             images=pick(others), hand_model=hand, whole_photos=True),
        "0-9 bench video": make_video_file(args.out / "digits.mp4", list(range(10)), 1.5, 30, seed=7,
                                           data_root=kaggle, model_dir=args.model, hand_model=hand),
    }
    current = Classifier.load(args.model)
    samples = args.out / "samples"
    saved = capture(videos["captures"].path, current, hand, samples, videos["captures"].labels)
    print(f"captured {saved} samples of digits {digits}")

    def scores(model_dir: Path) -> dict[str, float]:
        return {name: run_bench(v.path, model_dir, hand, log=lambda s: None)["score"]["accuracy"]
                for name, v in videos.items() if name != "captures"}

    before = scores(args.model)
    with tempfile.TemporaryDirectory() as datasets:
        config = RetrainConfig(samples_dir=samples, datasets_dir=Path(datasets), out=args.out / "models" / "retrained",
                               epochs=args.epochs)
        result = retrain(config, plan(config, args.model), hand, current, lambda *a: None, lambda: False, print)
    after = scores(result.path)
    print(f"verdict: {'taken' if result.verdict.accepted else 'kept aside'}: {result.verdict.summary}")
    for name in before:
        print(f"{name:20s} before {100 * before[name]:5.1f}%  after {100 * after[name]:5.1f}%")


if __name__ == "__main__":
    main()
