"""Do the pair hints name the right pair? (issue 30: "that is 6: for 3, ...")

    python scripts/pair_hints.py --shared ../shared [--model assets/model] [--json OUT]

Every held-out test photo of a digit that belongs to a pair learners confuse (3/6, 6/7/8/9,
1/2; asl_live.handshape.PAIRS), shown while practice asks for each other digit of its pair:
what the Practice tab would say (asl_live.handshape.hint, with the model's digit for the photo
and its finger states). Per ordered pair: how often the hint names a pair (fires), how often
the digit it names is the one in the photo (right), and the share of photos where it says
something else instead (the first problem with the hand) or nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's packages, not an installed copy

from asl_live.handshape import PAIRS, confused, hint, hinted_digits  # noqa: E402
from trainer.classes import SHOW_THRESHOLD  # noqa: E402
from trainer.classifier import Classifier  # noqa: E402
from trainer.crops import crop_samples  # noqa: E402
from trainer.data import ScanReport, scan_many  # noqa: E402
from trainer.evaluate import shown_as_digit  # noqa: E402
from trainer.finger_states import read_hand  # noqa: E402
from trainer.pipeline import bundle_split  # noqa: E402

NAMED = re.compile(r"^That is (\d): for (\d),")
DATASETS = ("asl-digits-kaggle", "sign-language-digits")


def measure(shared: Path, model: Path) -> dict:
    classifier = Classifier.load(model)
    hand_model = shared / "models" / "hand_landmarker.task"
    samples = scan_many([shared / "datasets" / d for d in DATASETS], ScanReport())
    paired = set().union(*PAIRS)
    test = [s for s in bundle_split(classifier.meta, samples, "test") if s.label in paired]
    crops = crop_samples(test, hand_model, classifier.crop_settings)
    kept = [(s, o) for s, o in zip(crops.samples, crops.observations) if o is not None]
    probs = classifier.predict_batch([o for _, o in kept])
    top = probs.argmax(axis=1)
    shown = shown_as_digit(top, probs.max(axis=1), SHOW_THRESHOLD)  # the digit practice sees the model say
    hinted = hinted_digits()
    per: dict[str, Counter] = {}
    for (s, o), digit, is_shown in zip(kept, top, shown):
        reading, model_digit = read_hand(o.landmarks, o.handedness), int(digit) if is_shown else None
        for target in sorted(paired):
            if not confused(s.label, target):
                continue
            c = per.setdefault(f"{s.label} for {target}", Counter())
            c["photos"] += 1
            said = hint(reading, target, model_digit) if target in hinted else None
            m = NAMED.match(said or "")
            if m:
                c["named"] += 1
                c["right"] += int(m.group(1)) == s.label
            else:
                c["other hint" if said else "no hint"] += 1
    named = sum(c["named"] for c in per.values())
    right = sum(c["right"] for c in per.values())
    return {"model": str(model), "photos": len(kept), "no_hand": len(test) - len(kept),
            "named": named, "right": right, "right_share": round(right / named, 4) if named else None,
            "fired_share": round(named / max(1, sum(c["photos"] for c in per.values())), 4),
            "pairs": {k: dict(v) for k, v in sorted(per.items())}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--model", type=Path, default=REPO / "assets" / "model")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    fig = measure(args.shared, args.model)
    print(f"{'photo of / prompt':>18}  {'photos':>6}  {'pair named':>10}  {'right':>5}  {'other hint':>10}  no hint")
    for k, c in fig["pairs"].items():
        print(f"{k:>18}  {c['photos']:>6}  {c.get('named', 0):>10}  {c.get('right', 0):>5}  "
              f"{c.get('other hint', 0):>10}  {c.get('no hint', 0)}")
    print(f"pair named on {fig['named']} of the photo-prompt pairs ({100 * fig['fired_share']:.1f}%); "
          f"right {fig['right']} of {fig['named']}" +
          (f" ({100 * fig['right_share']:.1f}%)" if fig["right_share"] is not None else ""))
    if args.json:
        args.json.write_text(json.dumps(fig, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
