"""`asl-train`: fetch the data, train a model bundle, evaluate a bundle. Headless, for any machine.

The product's commands with the options a user changes; the recipe's other settings are
fields of trainer.train.TrainSettings and trainer.pipeline.TrainJob with their defaults
(studies set them with scripts/train_study.py).

Exit codes: 0 success, 1 failure while working, 2 bad input or missing prerequisite
(no data, no credentials, no hand model, unusable bundle, an --out that must not be
written), 130 cancelled with Ctrl-C (an interrupted training keeps its best epoch beside --out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# Quiet TensorFlow's start-up chatter before it is imported anywhere below.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # errors arrive as exceptions
os.environ.setdefault("GLOG_minloglevel", "2")


def _err(msg: str) -> None:
    print(f"asl-train: {msg}", file=sys.stderr)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _stop_on_ctrl_c():
    """Ctrl-C asks training to stop after the current batch (its best epoch is then kept
    beside --out) instead of raising inside TensorFlow's threads; a second Ctrl-C aborts."""
    import signal
    import threading

    stop = threading.Event()

    def on_sigint(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        _log("\nStopping after the current step (Ctrl-C again to abort)…")

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where Ctrl-C is ignored
        signal.signal(signal.SIGINT, on_sigint)
    return stop.is_set


def _hand_model(args) -> Path:
    from .handmodel import print_progress, resolve_hand_model

    return resolve_hand_model(args.hand_model, progress=print_progress)


def cmd_download(args) -> int:
    from functools import partial

    from .handmodel import print_progress
    from .kaggle_fetch import download_kaggle
    from .paths import datasets_dir

    dest = Path(args.dest) if args.dest else datasets_dir()
    root = download_kaggle(dest, progress=partial(print_progress, label="Downloading Kaggle dataset"))
    print(root)
    return 0


def train_job(args, **recipe):
    """The TrainJob of `asl-train train`'s arguments; `recipe`: TrainSettings and TrainJob fields
    that differ from the shipped recipe (scripts/train_study.py), e.g. geometry=True."""
    from dataclasses import fields, replace

    from .data import SplitSettings
    from .outdir import check_output
    from .pipeline import TrainJob
    from .train import TrainSettings

    out = check_output(args.out)  # before the hand model download and hours of training
    settings_fields = {f.name for f in fields(TrainSettings)}
    train = replace(TrainSettings(), epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                    **{k: v for k, v in recipe.items() if k in settings_fields})
    job = TrainJob(
        data=[Path(d) for d in args.data],
        negatives=[Path(d) for d in args.negatives or []],
        out=out,
        hand_model=_hand_model(args),
        split=SplitSettings(seed=args.seed),
        train=train,
        limit_per_class=args.limit_per_class,
        cache_root=Path(args.cache_dir) if args.cache_dir else None,
        base_model=Path(args.base_model) if args.base_model else None,
        train_variants=args.train_variants,
    )
    return replace(job, **{k: v for k, v in recipe.items() if k not in settings_fields})


def cmd_train(args) -> int:
    from .bundle import bundle_report
    from .pipeline import run_training
    from .progress import TextProgress

    job = train_job(args)
    meta = run_training(job, progress=TextProgress(), should_stop=_stop_on_ctrl_c(), log=_log)
    print(bundle_report(meta))
    print(f"Model bundle written to {job.out}")
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate import format_negatives, format_report
    from .pipeline import run_evaluation
    from .progress import TextProgress

    result = run_evaluation(Path(args.model), [Path(d) for d in args.data or []], _hand_model(args), args.split,
                            cache_root=Path(args.cache_dir) if args.cache_dir else None, variant=args.variant,
                            negatives=[Path(d) for d in args.negatives or []], negatives_split=args.negatives_split,
                            progress=TextProgress(), log=_log)
    per_ds = result.pop("datasets")
    overall = per_ds.get("all") or next(iter(per_ds.values()), {})
    out = {**result, **overall, "datasets": {k: v for k, v in per_ds.items() if k != "all"}}
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
        return 0
    for name, rep in per_ds.items():
        print(format_report(rep, f"== {name} ({args.split} images, {args.variant}) =="))
        print()
    if "negatives" in result:
        neg = result["negatives"]
        print(f"== hands that are no digit ({neg['split']} images, {args.variant}) ==")
        print(format_negatives(neg))
    return 0


def _variant_list(text: str) -> tuple[str, ...]:
    """"mirror,gray" -> ("mirror", "gray"), every name checked against trainer.variants."""
    from .variants import VARIANTS

    if text.strip().lower() == "none":
        return ()
    names = tuple(v for v in text.split(",") if v)
    bad = [v for v in names if v not in VARIANTS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown variant(s) {', '.join(bad)}; choose from {', '.join(VARIANTS)}")
    return names


def add_data_arguments(sp: argparse.ArgumentParser, data_required: bool = True) -> None:
    """Where the images and the hand model are: train's and evaluate's shared options."""
    sp.add_argument("--data", action="append", required=data_required, metavar="DIR",
                    help="image root (Kaggle layout or <digit>/ class folders); repeatable")
    sp.add_argument("--negatives", action="append", metavar="DIR",
                    help="folder tree of images of hands that are no digit (taught or scored as 'not a digit'); "
                         "repeatable")
    sp.add_argument("--hand-model", metavar="PATH",
                    help="MediaPipe hand_landmarker.task (default: $ASL_LIVE_HAND_MODEL, cache, download)")
    sp.add_argument("--cache-dir", metavar="DIR", help="crop cache folder (default: the user cache)")


def add_train_arguments(t: argparse.ArgumentParser) -> None:
    """`train`'s own options (beside --data/--negatives/--hand-model/--cache-dir): what a user
    changes. Everything else is the shipped recipe."""
    from .data import SplitSettings
    from .train import TrainSettings
    from .variants import TRAIN_VARIANTS

    defaults = TrainSettings()
    t.add_argument("--out", required=True, metavar="DIR",
                   help="bundle folder to write: a new folder, or an existing bundle (replaced atomically)")
    t.add_argument("--epochs", type=_positive, default=defaults.epochs)
    t.add_argument("--batch-size", type=_positive, default=defaults.batch_size)
    t.add_argument("--seed", type=int, default=SplitSettings.seed,
                   help="seed of the train/validation/test split and of training")
    t.add_argument("--limit-per-class", type=_positive, metavar="N", help="use at most N images per class and dataset "
                                                                          "(a quick run)")
    t.add_argument("--base-model", metavar="DIR", help="fine-tune this bundle instead of training from scratch")
    t.add_argument("--train-variants", metavar="LIST", type=_variant_list, default=TRAIN_VARIANTS,
                   help="also train on the landmarker's crops of these altered copies of the training images "
                        f"(default {','.join(TRAIN_VARIANTS)}; 'none' for the originals only: faster, less robust)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


def _link_loop(args) -> str | None:
    """A path argument that is a symbolic link leading back to itself: said before any work
    (pathlib would raise deep inside the scan or the output check)."""
    for flag in ("data", "negatives", "out", "model", "cache_dir", "hand_model", "dest"):
        value = getattr(args, flag, None)
        for p in (value if isinstance(value, list) else [value] if value else []):
            try:
                Path(p).resolve()
            except RuntimeError:
                name = "--" + flag.replace("_", "-")
                return f"{p} is a symbolic link that leads back to itself (a link loop): point {name} at a real folder."
    return None


def build_parser() -> argparse.ArgumentParser:
    from .variants import VARIANTS

    p = argparse.ArgumentParser(prog="asl-train", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("download", help="fetch the Kaggle ASL digit dataset (needs Kaggle credentials)")
    d.add_argument("--dest", help="data directory (default: the user's asl-live data folder)/datasets")
    d.set_defaults(func=cmd_download)

    t = sub.add_parser("train", help="train a model bundle")
    add_data_arguments(t)
    add_train_arguments(t)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="evaluate a model bundle on image folders")
    add_data_arguments(e, data_required=False)
    e.add_argument("--model", required=True, metavar="DIR", help="model bundle folder")
    e.add_argument("--split", choices=["all", "test", "val"], default="all",
                   help="all images (default), or only the held-out test split the bundle was trained with "
                        "(val: its validation split, where settings are chosen)")
    e.add_argument("--negatives-split", choices=["all", "test", "val"],
                   help="split of --negatives to score (default: the held-out test split when the bundle was "
                        "trained on that folder, else every image)")
    e.add_argument("--variant", choices=list(VARIANTS), default="plain",
                   help="evaluate on altered images: mirror (left hands), gray, low64 (64 px), gray64, dark, bright")
    e.add_argument("--json", action="store_true", help="JSON on stdout (progress stays on stderr)")
    e.set_defaults(func=cmd_evaluate)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .extras import DOWNLOAD, TRAINING, unavailable

    lacking = unavailable("asl-train", TRAINING + DOWNLOAD)
    if lacking:
        _err(lacking)
        return 2
    looped = _link_loop(args)
    if looped:
        _err(looped)
        return 2
    if args.command == "evaluate" and not (args.data or args.negatives):
        parser.error("evaluate needs --data DIR and/or --negatives DIR")
    from .bundle_meta import BundleError
    from .data import DataError
    from .handmodel import HandModelError
    from .kaggle_fetch import DownloadError
    from .outdir import OutputError
    from .progress import Cancelled

    try:
        return args.func(args)
    except (DataError, HandModelError, BundleError, DownloadError, OutputError) as e:
        _err(str(e))
        return 2
    except (Cancelled, KeyboardInterrupt) as e:
        _err(f"cancelled: {e}" if str(e) else "cancelled")
        return 130
    except (ValueError, OSError) as e:
        _err(str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
