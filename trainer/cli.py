"""`asl-train`: fetch the data, train a model bundle, average training runs, evaluate a bundle. Headless, for any machine.

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


def cmd_train(args) -> int:
    from dataclasses import replace

    from .bundle import bundle_report
    from .data import SplitSettings
    from .hands import CropSettings
    from .outdir import check_output
    from .pipeline import TrainJob, run_training
    from .progress import TextProgress
    from .train import TrainSettings

    out = check_output(args.out)  # before the hand model download and hours of training
    train = replace(TrainSettings(), seed=args.seed if args.train_seed is None else args.train_seed, **{
        k: getattr(args, k) for k in ("epochs", "batch_size", "fusion", "landmark_swap", "grey_landmark_swap", "crop_drop",
        "tilt_jitter_deg", "room_backgrounds", "background_swap", "not_digit_from",
        "not_digit_tilt_jitter_deg", "thumb_jitter_deg", "hard_negatives", "hard_negative_kinds", "geometry")})
    job = TrainJob(
        data=[Path(d) for d in args.data],
        negatives=[Path(d) for d in args.negatives or []],
        out=out,
        hand_model=_hand_model(args),
        crop=CropSettings(size=args.crop_size),
        split=SplitSettings(seed=args.seed, folds=args.holdout_fold[1], fold=args.holdout_fold[0]),
        train=train,
        limit_per_class=args.limit_per_class,
        cache_root=Path(args.cache_dir) if args.cache_dir else None,
        base_model=Path(args.base_model) if args.base_model else None,
        train_variants=args.train_variants,
        upright=not args.no_upright,
        tilt=args.tilt,
        gate_quantile=args.landmark_gate,
        gate_margin=args.landmark_gate_margin,
    )
    meta = run_training(job, progress=TextProgress(), should_stop=_stop_on_ctrl_c(), log=_log)
    print(bundle_report(meta))
    print(f"Model bundle written to {job.out}")
    return 0


def cmd_average(args) -> int:
    from .bundle import bundle_report
    from .ensemble import run_ensemble
    from .outdir import check_output
    from .progress import TextProgress

    out = check_output(args.out)
    meta = run_ensemble([Path(m) for m in args.model], [Path(d) for d in args.data], _hand_model(args), out,
                        [Path(d) for d in args.negatives or []],
                        cache_root=Path(args.cache_dir) if args.cache_dir else None, progress=TextProgress(),
                        should_stop=_stop_on_ctrl_c(), log=_log)
    print(bundle_report(meta))
    print(f"Model bundle written to {out}")
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


def _fold(text: str) -> tuple[int, int]:
    """"K/N" -> (K, N): fold K of N."""
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/N, e.g. 1/3, not {text!r}") from None
    if not (n >= 2 and 1 <= k <= n):
        raise argparse.ArgumentTypeError(f"fold {text}: need N >= 2 and 1 <= K <= N")
    return k, n


def _gate_quantile(text: str) -> float | None:
    if text.strip().lower() in ("off", "none", "0"):
        return None
    q = float(text)
    if not 0.5 <= q <= 1:
        raise argparse.ArgumentTypeError(f"a quantile between 0.5 and 1, or 'off', not {text!r}")
    return q


def build_parser() -> argparse.ArgumentParser:
    from .data import SplitSettings
    from .hands import CropSettings
    from .pipeline import TrainJob
    from .train import FUSIONS, NOT_DIGIT_FROM, TrainSettings
    from .variants import TRAIN_VARIANTS, VARIANTS

    p = argparse.ArgumentParser(prog="asl-train", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("download", help="fetch the Kaggle ASL digit dataset (needs Kaggle credentials)")
    d.add_argument("--dest", help="data directory (default: the user's asl-live data folder)/datasets")
    d.set_defaults(func=cmd_download)

    def common(sp, data_required: bool = True):
        sp.add_argument("--data", action="append", required=data_required, metavar="DIR",
                        help="image root (Kaggle layout or <digit>/ class folders); repeatable")
        sp.add_argument("--negatives", action="append", metavar="DIR",
                        help="folder tree of images of hands that are no digit (taught or scored as 'not a "
                             "digit'); repeatable")
        sp.add_argument("--hand-model", metavar="PATH",
                        help="MediaPipe hand_landmarker.task (default: $ASL_LIVE_HAND_MODEL, cache, download)")
        sp.add_argument("--cache-dir", metavar="DIR", help="crop cache folder (default: the user cache)")

    defaults = TrainSettings()
    t = sub.add_parser("train", help="train a model bundle")
    common(t)
    t.add_argument("--out", required=True, metavar="DIR",
                   help="bundle folder to write: a new folder, or an existing bundle (replaced atomically)")
    t.add_argument("--epochs", type=int, default=defaults.epochs)
    t.add_argument("--batch-size", type=int, default=defaults.batch_size)
    t.add_argument("--crop-size", type=int, default=CropSettings.size)
    t.add_argument("--fusion", choices=FUSIONS, default=defaults.fusion,
                   help="model inputs: crop CNN + landmarks (default), crop only, landmarks only")
    t.add_argument("--seed", type=int, default=SplitSettings.seed,
                   help="seed of the train/validation/test split and of training")
    t.add_argument("--holdout-fold", type=_fold, default=(0, 0), metavar="K/N",
                   help="cross-validation over signers: leave fold K of N of the training split's signers "
                        "(datasets with participant ids) out of training; `evaluate --split fold` scores them")
    t.add_argument("--train-seed", type=int, metavar="N",
                   help="seed of training only (weights, shuffling, augmentation), the split kept: to see how "
                        "much a figure moves between training runs (default: --seed)")
    def share(flag: str, text: str) -> None:
        """A float option: the share of training examples a TrainSettings knob applies to."""
        field = flag.lstrip("-").replace("-", "_")
        t.add_argument(flag, type=float, default=getattr(defaults, field), metavar="P",
                       help=f"{text} (default {getattr(defaults, field):g})")

    share("--landmark-swap", "share of training examples given another example's landmarks, so the crop learns to "
                             "overrule bad landmark fits")
    share("--grey-landmark-swap", "the same for grey examples only: a grey crop then tells the model its landmarks "
                                  "may be a bad fit")
    share("--crop-drop", "fused models: share of training examples seen without their crop, so the landmarks must "
                         "name the digit alone")
    t.add_argument("--limit-per-class", type=int, metavar="N", help="use at most N images per class and dataset")
    t.add_argument("--base-model", metavar="DIR", help="fine-tune this bundle instead of training from scratch")
    t.add_argument("--no-upright", action="store_true",
                   help="keep the landmarks' tilt instead of turning each hand upright (for comparisons)")
    t.add_argument("--tilt", action=argparse.BooleanOptionalAction, default=TrainJob.tilt,
                   help="give the landmark branch the hand's tilt (sin, cos) beside the upright landmarks, so a "
                        f"hand pointing sideways or down can be told from a digit (default {'on' if TrainJob.tilt else 'off'})")
    t.add_argument("--tilt-jitter", dest="tilt_jitter_deg", type=float, default=defaults.tilt_jitter_deg,
                   metavar="DEG", help="with --tilt: turn each training example's tilt by up to DEG degrees "
                                       f"either way (default {defaults.tilt_jitter_deg:g})")
    t.add_argument("--not-digit-tilt-jitter", dest="not_digit_tilt_jitter_deg", type=float,
                   default=defaults.not_digit_tilt_jitter_deg, metavar="DEG",
                   help="the same for the hands that are no digit: small, as G, H, P, Q are told from a 1 or 2 "
                        f"by pointing sideways (default {defaults.not_digit_tilt_jitter_deg:g})")
    t.add_argument("--thumb-jitter", dest="thumb_jitter_deg", type=float, default=defaults.thumb_jitter_deg,
                   metavar="DEG", help="turn each digit's thumb about its base by up to DEG degrees either way, so "
                                       f"where a signer rests the thumb is no cue (default {defaults.thumb_jitter_deg:g})")
    share("--room-backgrounds", "share of the new backgrounds behind black-background hands that are patches of "
                                "real rooms from the training split of --negatives (hand painted out) instead of "
                                "random textures")
    share("--background-swap", "share of all training examples given a new background behind the hand, cut out "
                               "along its landmarks, so where a class's photos were taken is no cue")
    share("--hard-negatives", "with negatives: share of the training 0s and 1s also given as 'not a digit' copies "
                              "made one detail away (a 0 opened into a C, a 1 hooked into an X)")
    t.add_argument("--hard-negative-kinds", default=defaults.hard_negative_kinds, metavar="KINDS",
                   help="with --hard-negatives: which shapes to make: C (a 0 opened), X (a 1 hooked), G (a 1 or 2 "
                        f"turned sideways or down) (default {defaults.hard_negative_kinds})")
    t.add_argument("--geometry", action=argparse.BooleanOptionalAction, default=defaults.geometry,
                   help="give the landmark branch the thumb-to-fingertip gaps, finger bends and index direction "
                        f"(default {'on' if defaults.geometry else 'off'})")
    t.add_argument("--not-digit-from", choices=NOT_DIGIT_FROM, default=defaults.not_digit_from,
                   help="with negatives: what decides 'not a digit': 'landmarks', the hand's shape alone (a crop "
                        "unlike the training photos cannot turn a digit away), or 'all', crop and landmarks "
                        f"(default {defaults.not_digit_from})")
    t.add_argument("--landmark-gate", type=_gate_quantile, default=TrainJob.gate_quantile, metavar="Q",
                   help="with negatives: beside the classifier, call a hand 'not a digit' when its landmarks are "
                        "farther from every training digit than a margin times the validation digits' quantile Q; "
                        f"'off' for none (default {TrainJob.gate_quantile or 'off'})")
    t.add_argument("--landmark-gate-margin", type=float, default=TrainJob.gate_margin, metavar="M",
                   help=f"the gate's threshold is M times that quantile (default {TrainJob.gate_margin:g})")
    t.add_argument("--train-variants", metavar="LIST", type=_variant_list, default=TRAIN_VARIANTS,
                   help="also train on the landmarker's crops of these altered copies of the training images "
                        f"(default {','.join(TRAIN_VARIANTS)}; 'none' for the originals only)")
    t.set_defaults(func=cmd_train)

    a = sub.add_parser("average", help="average several training runs of one recipe into one bundle")
    common(a)
    a.add_argument("--model", action="append", required=True, metavar="DIR",
                   help="a bundle trained on --data/--negatives (repeat: two or more, e.g. other --train-seed)")
    a.add_argument("--out", required=True, metavar="DIR", help="bundle folder to write (replaced atomically)")
    a.set_defaults(func=cmd_average)

    e = sub.add_parser("evaluate", help="evaluate a model bundle on image folders")
    common(e, data_required=False)
    e.add_argument("--model", required=True, metavar="DIR", help="model bundle folder")
    e.add_argument("--split", choices=["all", "test", "val", "fold"], default="all",
                   help="all images (default), or only the held-out test split the bundle was trained with "
                        "(val: its validation split, where settings are chosen; fold: the signers it held out "
                        "with --holdout-fold)")
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
