"""`asl-live practice --source FILE --prompts 3,1,4`: the Practice tab's judge over a video.

Each prompt is open until it is accepted, then the next opens; the video's frames go through
the live chain in order, at their own timestamps. With a labels file beside the video
(asl_live.video_labels) each accepted prompt is also timed from the moment its digit appears.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from trainer import atomicio
from trainer.classifier import Classifier

from .live import LivePipeline
from .practice import JudgeSettings, PracticeRound
from .smoothing import SmoothingSettings
from .source import FrameSource
from .video_labels import load_labels, segments


def run_practice(source: str | os.PathLike[str], prompts: list[int], model_dir: str | os.PathLike[str],
                 hand_model: str | os.PathLike[str], json_out: str | os.PathLike[str] | None = None,
                 settings: JudgeSettings = JudgeSettings(), smoothing: SmoothingSettings = SmoothingSettings(),
                 log=print) -> dict:
    classifier = Classifier.load(model_dir)
    practice = PracticeRound(prompts, settings)
    fps = 30.0
    with FrameSource(source, loop=False) as src, LivePipeline(hand_model) as pipeline:
        fps = src.fps
        for frame in src:
            result = pipeline.process(frame.rgb, frame.timestamp_ms, classifier, smoothing, frame.index)
            practice.update(result, smoothing.threshold)
            if practice.done:
                break
    view = practice.view()
    report = {"written_by": "asl-live practice",  # main.json_out_problem replaces only such files
              "source": str(source), "model": str(model_dir), "prompts": [r.to_dict() for r in view.results]}
    for digit in prompts[len(view.results):]:  # never opened: the video ended first
        report["prompts"].append({"digit": digit, "accepted": False, "frame": None, "time_ms": None, "seen": None,
                                  "held_back_by": {"model": 0, "fingers": 0}, "hints": []})
    labels = load_labels(source)
    if labels is not None:
        report["timing"] = _after_appearance(report["prompts"], labels["labels"], float(labels.get("fps") or fps))
    log(format_report(report))
    if json_out is not None:
        atomicio.write_json(json_out, report)
    return report


def _after_appearance(prompts: list[dict], labels: list, fps: float) -> dict:
    """For each prompt: the stretch of the video where its digit is shown (the first one that
    ends after the previous acceptance), whether it was accepted inside it, and how long after
    the digit appeared."""
    segs = segments(labels)
    start_frame, delays = 0, []
    for p in prompts:
        seg = next(((a, b) for lab, a, b in segs if lab == p["digit"] and b > start_frame), None)
        p["segment"] = list(seg) if seg else None
        p["within_segment"] = bool(seg and p["accepted"] and seg[0] <= p["frame"] < seg[1])
        p["after_appearance_ms"] = None
        if seg and p["accepted"]:
            p["after_appearance_ms"] = round((p["frame"] - seg[0]) * 1000 / fps)
            delays.append(p["after_appearance_ms"])
        if p["frame"] is not None:
            start_frame = p["frame"] + 1
    return {"accepted": sum(p["accepted"] for p in prompts), "prompts": len(prompts),
            "all_within_segment": all(p["within_segment"] for p in prompts),
            "median_ms": statistics.median(delays) if delays else None, "worst_ms": max(delays) if delays else None}


def _held_back(counts: dict) -> str:
    """Which judge kept a prompt from being accepted, and on how many frames: "fingers 12"."""
    return ", ".join(f"{judge} {n}" for judge, n in counts.items() if n)


def format_report(report: dict) -> str:
    lines = [f"Practice on {report['source']} with {report['model']}",
             f"{'prompt':>6}  {'accepted':>8}  {'frame':>6}  {'time':>8}  {'after it appeared':>17}  {'seen most':<11}  "
             "held back by (frames)"]
    for p in report["prompts"]:
        time_s = "" if p["time_ms"] is None else f"{p['time_ms'] / 1000:.2f} s"
        after = "" if p.get("after_appearance_ms") is None else f"{p['after_appearance_ms'] / 1000:.2f} s"
        lines.append(f"{p['digit']:>6}  {'yes' if p['accepted'] else 'no':>8}  {p['frame'] if p['frame'] is not None else '':>6}"
                     f"  {time_s:>8}  {after:>17}  {p['seen'] or '':<11}  {_held_back(p['held_back_by'])}")
    t = report.get("timing")
    if t:
        med = "n/a" if t["median_ms"] is None else f"{t['median_ms'] / 1000:.2f} s"
        worst = "n/a" if t["worst_ms"] is None else f"{t['worst_ms'] / 1000:.2f} s"
        lines.append(f"Accepted {t['accepted']} of {t['prompts']}"
                     f"{', each within its stretch of the video' if t['all_within_segment'] else ''}; "
                     f"after the digit appeared: median {med}, worst {worst}")
    return "\n".join(lines)


def run_from_args(args: argparse.Namespace) -> int:
    from trainer.bundle_meta import BundleError
    from trainer.handmodel import HandModelError, resolve_hand_model

    from .options import shipped_model_dir
    from .source import SourceError

    try:
        run_practice(args.source, args.prompts, args.model or shipped_model_dir(),
                     resolve_hand_model(args.hand_model), args.json)
    except (BundleError, HandModelError, SourceError) as e:  # bad input: the message says what to change
        print(f"asl-live practice: {e}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as e:
        print(f"asl-live practice: {e}", file=sys.stderr)
        return 1
    return 0
