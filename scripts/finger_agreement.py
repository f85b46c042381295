"""How often the finger-state reader (trainer.finger_states) agrees with the digit labels.

    python scripts/finger_agreement.py --shared ../shared [--split test|train|val|all] [--json OUT]
                                       [--variant gray|low64|...] [--no-letters]

For each shared digit dataset, the share of photos in the split (trainer.data's split: per
dataset, by participant) whose reading `matches` their own label, overall and per digit, and
per digit the share that match some other digit's definition instead (where a hint would be
wrong about the hand), and how many the loose check behind the model (`plainly_not`) calls
plainly not their own digit: the most right answers it can take from any model on them.
Photos where no hand is found count as disagreeing. Also, informative only: how often the
non-digit letter photos (asl-letters-dlee) match any digit's definition.

Landmarks come through the app's own path (trainer.crops / trainer.hands, crop cache included,
so a second run is fast). The thresholds in trainer.finger_states were chosen on the training
split; `--split test` gives the held-out figures that asl_live/handshape_agreement.json holds
(the app hints only for digits at or above HINT_MIN_AGREEMENT there in every dataset).
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter, defaultdict
from pathlib import Path

from asl_live import handshape as hs
from trainer import finger_states as fs
from trainer import atomicio
from trainer.crops import crop_samples
from trainer.data import Sample, ScanReport, SplitSettings, scan_many, split
from trainer.hands import CropSettings, HandObservation
from trainer.variants import VARIANTS

DIGIT_DATASETS = ("asl-digits-kaggle", "sign-language-digits")
LETTERS = "asl-letters-dlee"


def _rate(k: int, n: int) -> float | None:
    return round(k / n, 4) if n else None


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def digit_figures(samples: list[Sample], observations: list[HandObservation | None]) -> dict:
    """Agreement figures of one dataset's photos."""
    n, own, other, no_hand, plain = Counter(), Counter(), Counter(), Counter(), Counter()
    confused: dict[int, Counter] = defaultdict(Counter)
    for s, obs in zip(samples, observations):
        n[s.label] += 1
        if obs is None:
            no_hand[s.label] += 1
            continue
        reading = fs.read_hand(obs.landmarks, obs.handedness)
        got = fs.matching_digits(reading)
        own[s.label] += s.label in got
        plain[s.label] += fs.plainly_not(reading, s.label) is not None
        wrong = [d for d in got if d != s.label]
        other[s.label] += bool(wrong)
        confused[s.label].update(wrong)
    total = sum(n.values())
    return {
        "overall": _rate(sum(own.values()), total),
        "per_digit": {str(d): _rate(own[d], n[d]) for d in range(10)},
        "other_digit": {str(d): _rate(other[d], n[d]) for d in range(10)},
        "other_digit_overall": _rate(sum(other.values()), total),
        "confused_with": {str(d): {str(e): c for e, c in sorted(confused[d].items())} for d in range(10)},
        "images": total,
        "per_digit_images": {str(d): n[d] for d in range(10)},
        "no_hand": sum(no_hand.values()),
        # photos the loose check (fs.plainly_not) calls plainly not their own digit: the most
        # right answers of any model it can turn into "not a digit" here
        "plainly_not_own": sum(plain.values()),
        "plainly_not_own_per_digit": {str(d): plain[d] for d in range(10) if plain[d]},
    }


def letter_samples(root: Path) -> list[Sample]:
    """The letter photos as samples (label -1), grouped by source photo like the README says."""
    paths = sorted(p for p in root.rglob("*.jpg") if p.is_file())
    return [Sample(p, -1, LETTERS, p.name.split("_jpg")[0], hashlib.sha256(p.read_bytes()).hexdigest())
            for p in paths]


def letter_figures(samples: list[Sample], observations: list[HandObservation | None]) -> dict:
    """How often non-digit hand shapes match a digit's definition, per letter and overall."""
    found = Counter()
    any_digit = Counter()
    per_digit = Counter()
    by_letter_digit: dict[str, Counter] = defaultdict(Counter)
    for s, obs in zip(samples, observations):
        if obs is None:
            continue
        letter = s.path.parent.name
        found[letter] += 1
        got = fs.matching_digits(fs.read_hand(obs.landmarks, obs.handedness))
        any_digit[letter] += bool(got)
        per_digit.update(got)
        by_letter_digit[letter].update(got)
    total = sum(found.values())
    return {
        "images": len(samples),
        "hands_found": total,
        "match_any_digit": _rate(sum(any_digit.values()), total),
        "per_letter": {L: _rate(any_digit[L], found[L]) for L in sorted(found)},
        "per_letter_digits": {L: {str(d): c for d, c in sorted(by_letter_digit[L].items())} for L in sorted(found)},
        "match_digit": {str(d): _rate(per_digit[d], total) for d in range(10)},
    }


def thresholds() -> dict[str, float]:
    return {k: getattr(fs, k) for k in ("EXTENDED_REACH", "CURLED_REACH", "THUMB_OUT", "TOUCH", "SPREAD", "STRAIGHT_BEND",
                                        "INDEX_UP", "INDEX_CLOSES", "MAX_TILT")}


def report(result: dict) -> str:
    lines = [f"Finger-state reader vs labels, {result['split']} split (photos whose reading matches "
             f"their label; 'other': matches another digit's definition instead)"]
    for name, fig in result["datasets"].items():
        lines.append(f"\n{name}: {_pct(fig['overall'])} of {fig['images']} photos agree "
                     f"(no hand found in {fig['no_hand']}); other digit {_pct(fig['other_digit_overall'])}; "
                     f"plainly not their own digit {fig['plainly_not_own']} "
                     f"{fig['plainly_not_own_per_digit'] or ''}".rstrip())
        for d in range(10):
            conf = ", ".join(f"{e}:{c}" for e, c in fig["confused_with"][str(d)].items())
            lines.append(f"  {d}: agree {_pct(fig['per_digit'][str(d)])}  other {_pct(fig['other_digit'][str(d)])}"
                         f"  (n={fig['per_digit_images'][str(d)]}{'; as ' + conf if conf else ''})")
    letters = result.get("letters")
    if letters:
        lines.append(f"\n{LETTERS} (not digits; informative): {_pct(letters['match_any_digit'])} of "
                     f"{letters['hands_found']} hands found ({letters['images']} photos) match some digit")
        for L, rate in letters["per_letter"].items():
            digits = ", ".join(f"{d}:{c}" for d, c in letters["per_letter_digits"][L].items())
            lines.append(f"  {L}: {_pct(rate)}{'  (' + digits + ')' if digits else ''}")
    lines.append(f"\nHints would be shown for digits {sorted(hinted(result))} "
                 f"(agreement >= {hs.HINT_MIN_AGREEMENT:.0%} in every dataset)")
    return "\n".join(lines)


def hinted(result: dict) -> set[int]:
    ok = set(range(10))
    for fig in result["datasets"].values():
        ok &= {d for d in range(10) if (fig["per_digit"][str(d)] or 0) >= hs.HINT_MIN_AGREEMENT}
    return ok


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=Path("../shared"))
    p.add_argument("--split", choices=["test", "train", "val", "all"], default="test")
    p.add_argument("--variant", choices=sorted(VARIANTS), default="plain",
                   help="score the photos through an image variant (grey, 64 px, ...)")
    p.add_argument("--json", type=Path, help="also write the figures here (atomically)")
    p.add_argument("--no-letters", action="store_true", help="skip the non-digit letter photos")
    args = p.parse_args(argv)

    hand_model = args.shared / "models" / "hand_landmarker.task"
    datasets = args.shared / "datasets"
    samples = scan_many([datasets / name for name in DIGIT_DATASETS], ScanReport())
    part = samples if args.split == "all" else split(samples, SplitSettings())[args.split]
    crops = crop_samples(part, hand_model, CropSettings(), variant=args.variant)
    result: dict = {"split": args.split, "variant": args.variant, "thresholds": thresholds(), "datasets": {}}
    for name in sorted({s.dataset for s in crops.samples}):
        idx = [i for i, s in enumerate(crops.samples) if s.dataset == name]
        result["datasets"][name] = digit_figures([crops.samples[i] for i in idx],
                                                 [crops.observations[i] for i in idx])
    if not args.no_letters and (datasets / LETTERS).is_dir():
        letters = crop_samples(letter_samples(datasets / LETTERS), hand_model, CropSettings())
        result["letters"] = letter_figures(letters.samples, letters.observations)
    result["hinted_digits"] = sorted(hinted(result))
    print(report(result))
    if args.json:
        atomicio.write_json(args.json, result)
        print(f"\nwrote {args.json}")
    return result


if __name__ == "__main__":
    main()
