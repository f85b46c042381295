"""`asl-train train` with the recipe changed: a research tool for studies, not the product.

    python scripts/train_study.py --data DIR [--negatives DIR] --out DIR [asl-train train's options] \
        --set geometry=true --set hard_negatives=0.5 --set fusion=crop --set train_seed=7 ...

`--set NAME=VALUE` (repeatable) changes one field of trainer.train.TrainSettings (the
training recipe: fusion, tilt_jitter_deg, thumb_jitter_deg, background_swap, not_digit_from,
hard_negatives, hard_negative_kinds, geometry, ...) or of trainer.pipeline.TrainJob (upright,
tilt, gate_quantile, gate_margin), or `crop_size` (trainer.hands.CropSettings.size), or
`train_seed` (the seed of training alone, the split kept). Values are read as the field's type
(true/false, numbers, "none" for None). The bundle records every setting in bundle.json, so a
study's model says how it was made. scripts/results.py runs its studies through this.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's trainer, not an installed one

from trainer import cli  # noqa: E402
from trainer.hands import CropSettings  # noqa: E402
from trainer.pipeline import TrainJob  # noqa: E402
from trainer.train import TrainSettings  # noqa: E402

STUDY_FIELDS = {f.name: f for f in fields(TrainSettings)} | {
    f.name: f for f in fields(TrainJob) if f.name in ("upright", "tilt", "gate_quantile", "gate_margin")}


def parse_value(name: str, text: str):
    """`text` as the type of field `name`'s default."""
    if name in ("crop_size", "train_seed"):
        return int(text)
    if name not in STUDY_FIELDS:
        raise argparse.ArgumentTypeError(f"unknown setting {name!r}; one of crop_size, train_seed, "
                                         f"{', '.join(sorted(STUDY_FIELDS))}")
    f = STUDY_FIELDS[name]
    default = f.default
    if text.lower() == "none":
        return None
    if isinstance(default, bool):
        if text.lower() not in ("true", "false", "1", "0", "on", "off"):
            raise argparse.ArgumentTypeError(f"{name} takes true or false, not {text!r}")
        return text.lower() in ("true", "1", "on")
    if isinstance(default, (int, float)) or default is None:
        return float(text) if isinstance(default, float) or default is None or "." in text else int(text)
    return text


def setting(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not {text!r}")
    return name.strip(), parse_value(name.strip(), value.strip())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_data_arguments(p)  # the product's own options first
    cli.add_train_arguments(p)
    p.add_argument("--set", dest="settings", type=setting, action="append", default=[], metavar="NAME=VALUE")
    args = p.parse_args(argv)
    recipe = dict(args.settings)
    crop_size = recipe.pop("crop_size", None)
    train_seed = recipe.pop("train_seed", None)
    try:
        job = cli.train_job(args, **recipe)
    except Exception as e:  # the product's messages: bad --out, no hand model
        print(f"train_study: {e}", file=sys.stderr)
        return 2
    if crop_size is not None:
        job = replace(job, crop=CropSettings(size=crop_size))
    if train_seed is not None:
        job = replace(job, train=replace(job.train, seed=train_seed))
    from trainer.bundle import bundle_report
    from trainer.pipeline import run_training
    from trainer.progress import TextProgress

    meta = run_training(job, progress=TextProgress(), log=cli._log)
    print(bundle_report(meta))
    print(f"Model bundle written to {job.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
