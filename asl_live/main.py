"""`asl-live`: the desktop app on the default webcam, or `asl-live bench` to time the live
pipeline on a video file without a window.

Qt, MediaPipe and LiteRT are imported only once a command needs them, so `--help` and
argument errors are quick. `bench` and `practice` exit 2 on bad input (a missing or unreadable
video, an unusable model or hand model, a `--json` that must not be written, checked before
the run), 1 on other failures, 130 on Ctrl-C; the GUI reports such problems in its window
instead and keeps running.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from asl_live.streams import video_path

# Quiet the native libraries' logging before any of them is imported (trainer.quiet silences
# what they print regardless).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # errors arrive as exceptions
os.environ.setdefault("GLOG_minloglevel", "2")


def _bench_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--source", required=True, type=video_path, help="video file to run on")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write the full report (per-frame decisions) here")
    ap.add_argument("--force", action="store_true", help="let --json replace a file that is not an asl-live report")
    ap.add_argument("--model", type=Path, metavar="DIR", help="model bundle (default: the shipped model)")
    ap.add_argument("--hand-model", type=Path, metavar="PATH", help="hand_landmarker.task (default: cached/downloaded)")
    ap.add_argument("--max-frames", type=int, metavar="N", help="only the first N frames")
    ap.add_argument("--sequential", action="store_true",
                    help="run the baseline after the full pass instead of interleaving them frame by frame")
    ap.add_argument("--startup", action="store_true",
                    help="instead: time the app from launch to its first decision on the video (fresh processes)")
    ap.add_argument("--runs", type=int, default=5, metavar="N", help="--startup: launches to time (default 5)")
    ap.add_argument("--responsiveness", action="store_true",
                    help="instead: how long the window's event loop stalls while it plays the video (and, with "
                         "--data, while it retrains)")
    ap.add_argument("--data", type=Path, metavar="DIR", help="--responsiveness: digit images to retrain on meanwhile")
    ap.add_argument("--soak", type=int, metavar="FRAMES",
                    help="instead: play the video in the window for FRAMES frames and report its memory over time")


def _prompts(text: str) -> list[int]:
    """"3,1,4" -> [3, 1, 4]."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and len(p) == 1 for p in parts):
        raise argparse.ArgumentTypeError(f"digits 0-9 separated by commas, e.g. 3,1,4; not {text!r}")
    return [int(p) for p in parts]


def _practice_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--source", required=True, type=video_path, help="video file to judge")
    ap.add_argument("--prompts", required=True, type=_prompts, metavar="D,D,...",
                    help="the digits to ask for, in order, e.g. 3,1,4")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write the per-prompt results here")
    ap.add_argument("--force", action="store_true", help="let --json replace a file that is not an asl-live report")
    ap.add_argument("--model", type=Path, metavar="DIR", help="model bundle (default: the shipped model)")
    ap.add_argument("--hand-model", type=Path, metavar="PATH", help="hand_landmarker.task (default: cached/downloaded)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="asl-live",
        description="Recognise American Sign Language digits 0-9 from a webcam in real time.",
        epilog="Keys in the window: 0-9 say which digit you show (scored live; hold the key to save "
               "samples for retraining), N a hand shape that is no digit, Esc stops scoring.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--camera", type=int, metavar="N", help="camera index (default: the last one used, else 0)")
    source.add_argument("--source", metavar="FILE", type=video_path,
                        help="play a video file instead of a camera (looped)")
    p.add_argument("--no-loop", action="store_true", help="play --source once instead of looping")
    p.add_argument("--model", metavar="DIR",
                   help="model bundle folder (default: your retrained model if you made one, else the shipped one)")
    p.add_argument("--hand-model", metavar="PATH",
                   help="MediaPipe hand_landmarker.task (default: $ASL_LIVE_HAND_MODEL, else a cached copy "
                        "downloaded once)")
    sub = p.add_subparsers(dest="command", metavar="{bench,practice}")
    _bench_arguments(sub.add_parser(
        "bench", help="time the live pipeline on a video file, without a window",
        description="Time the whole live chain on a video against the landmarker alone, and score its "
                    "decisions when a <video>.labels.json is beside it."))
    _practice_arguments(sub.add_parser(
        "practice", help="judge a video as the Practice tab would, prompt by prompt",
        description="Ask for each digit of --prompts in turn, as the Practice tab does, and judge the video's "
                    "frames: a prompt is accepted once its digit is held for 0.5 s."))
    return p


def json_out_problem(json_out: Path | None, source: Path, force: bool = False) -> str | None:
    """Why `--json` may not be written where asked, said before a run rather than after it:
    the video itself, a folder, a place that cannot be written, a file of a model bundle, or
    an existing file that is not a report this program wrote (unless `force`)."""
    if json_out is None:
        return None
    if json_out.is_dir():
        return f"--json {json_out} is a folder: give a file name, e.g. {json_out / 'report.json'}"
    if json_out.exists() and source.exists() and json_out.resolve() == source.resolve():
        return f"--json {json_out} is the video itself: give another file name, e.g. {json_out.with_suffix('.json')}"
    if (json_out.parent / "bundle.json").is_file():
        return f"--json {json_out} is inside the model bundle {json_out.parent}: write the report elsewhere"
    if json_out.is_file() and not force and not _our_report(json_out):
        return (f"--json {json_out} exists and is not an asl-live report: give another file name, or add --force "
                "to replace it")
    try:  # really write there (permissions alone do not tell: root, read-only disks, /proc)
        json_out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=json_out.parent):
            pass
    except OSError as e:
        return (f"--json {json_out} cannot be written there ({e.strerror or e}): give a file in a folder you may "
                "write to")
    return None


def _our_report(path: Path) -> bool:
    """A JSON report written by `asl-live bench` or `asl-live practice` (their "written_by")."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and str(data.get("written_by", "")).startswith("asl-live ")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("bench", "practice"):
        problem = json_out_problem(args.json, args.source, args.force)
        if problem is not None:
            print(f"asl-live {args.command}: {problem}", file=sys.stderr)
            return 2
        try:
            if args.command == "bench":
                from asl_live.bench import run_from_args

                return run_from_args(args)
            from asl_live.practice_run import run_from_args as run_practice

            return run_practice(args)
        except KeyboardInterrupt:
            print(f"asl-live {args.command}: interrupted; nothing written", file=sys.stderr)
            return 130
    from asl_live.gui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
