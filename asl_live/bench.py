"""Headless benchmark of the live chain on a video file, against a landmarker-only baseline.

Every frame is decoded into memory first, so neither pass pays for video decoding; then the
full chain (landmarks, crop, classify, smooth, overlay) and MediaPipe's landmarker alone run
on every frame as fast as they can, interleaved frame by frame (or one pass after the other
with --sequential). The ratio of the two says what the app adds on top of hand tracking. With a `<video>.labels.json` (from asl_live.synthvideo)
the smoothed decisions are scored too.

    python -m asl_live.bench --source demo.mp4 --model assets/model --json bench.json
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from trainer import atomicio
from trainer.bundle import Classifier
from trainer.hands import HandCropper

from .drawing import draw_overlay
from .live import STAGES, FrameResult, LivePipeline
from .smoothing import SmoothingSettings
from .source import Frame, FrameSource
from .synthvideo import load_labels, segments

WARMUP_FRAMES = 10  # left out of the timing figures of both passes (first-inference costs)
SETTLE_S = 0.5  # after a digit appears, decisions are scored only once this much time passed
BENCH_STAGES = (*STAGES, "draw", "frame")  # "frame" = process + draw, what one live frame costs


def decode_all(source: str | os.PathLike[str], max_frames: int | None = None) -> tuple[list[Frame], float]:
    """Every frame of the file (up to max_frames) as RGB in memory, and the file's fps."""
    frames: list[Frame] = []
    with FrameSource(source, loop=False) as src:
        while max_frames is None or len(frames) < max_frames:
            frame = src.read()
            if frame is None:
                break
            frames.append(frame)
        return frames, src.fps


def _stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return {"median": 0.0, "p95": 0.0, "mean": 0.0}
    return {"median": float(np.median(a)), "p95": float(np.percentile(a, 95)), "mean": float(a.mean())}


def _time_full(pipeline: LivePipeline, f: Frame) -> tuple[FrameResult, dict[str, float]]:
    t0 = time.perf_counter()
    result = pipeline.process(f.rgb, f.timestamp_ms)
    t1 = time.perf_counter()
    draw_overlay(f.rgb, result)
    t2 = time.perf_counter()
    return result, {**result.timings, "draw": (t2 - t1) * 1000, "frame": (t2 - t0) * 1000}


def _time_baseline(cropper: HandCropper, f: Frame) -> float:
    t0 = time.perf_counter()
    cropper.landmarks(f.rgb, f.timestamp_ms)
    return (time.perf_counter() - t0) * 1000


def _passes(frames: list[Frame], hand_model: Path, classifier: Classifier, smoothing: SmoothingSettings,
            interleave: bool) -> tuple[list[FrameResult], list[dict[str, float]], list[float]]:
    """Both passes over the same frames, each with its own landmarker (MediaPipe's tracking
    state is per instance). Interleaved frame by frame, both see the same load from anything
    else running on the machine, so their ratio holds up on a busy computer."""
    results, timings, base = [], [], []
    with LivePipeline(hand_model, classifier, smoothing) as pipeline, \
            HandCropper(hand_model, classifier.crop_settings, mode="video") as cropper:
        if interleave:
            for f in frames:
                r, t = _time_full(pipeline, f)
                results.append(r)
                timings.append(t)
                base.append(_time_baseline(cropper, f))
        else:
            for f in frames:
                r, t = _time_full(pipeline, f)
                results.append(r)
                timings.append(t)
            base = [_time_baseline(cropper, f) for f in frames]
    return results, timings, base


def score(results: list[FrameResult], labels: list[int | None], fps: float) -> dict:
    """Accuracy of the shown digit once a pose had SETTLE_S to settle, and how often the display
    changed after that (0 is the ideal: one steady answer per held digit). No-hand stretches
    are scored as the share of frames showing nothing."""
    n = min(len(results), len(labels))
    skip = int(round(SETTLE_S * fps))
    segs, correct, total, none_ok, none_total = [], 0, 0, 0, 0
    for digit, start, end in segments(labels[:n]):
        begin = min(end, start + skip)
        shown = [results[i].decision for i in range(begin, end)]
        if digit is None:
            ok = sum(d.state == "none" for d in shown)
            none_ok, none_total = none_ok + ok, none_total + len(shown)
        else:
            ok = sum(d.state == "digit" and d.digit == digit for d in shown)
            correct, total = correct + ok, total + len(shown)
        changes = sum(a.label != b.label for a, b in zip(shown, shown[1:]))
        found = sum(results[i].observation is not None for i in range(start, end))
        segs.append({"digit": digit, "start": start, "end": end, "scored_frames": len(shown),
                     "accuracy": ok / len(shown) if shown else None, "changes": changes,
                     "hand_found": found / (end - start)})
    return {
        "settle_s": SETTLE_S,
        "accuracy": correct / total if total else None,
        "scored_frames": total,
        "no_hand_accuracy": none_ok / none_total if none_total else None,
        "changes": sum(s["changes"] for s in segs if s["digit"] is not None),
        "segments": segs,
    }


def run_bench(
    source: str | os.PathLike[str],
    model_dir: str | os.PathLike[str],
    hand_model: str | os.PathLike[str],
    json_out: str | os.PathLike[str] | None = None,
    max_frames: int | None = None,
    smoothing: SmoothingSettings = SmoothingSettings(),
    log=print,
    interleave: bool = True,
) -> dict:
    """Benchmark (and, with labels, score) the live chain on a video; returns the report dict
    that is also written to `json_out` (atomically) and printed as a table via `log`."""
    source, hand_model = Path(source), Path(hand_model)
    classifier = Classifier.load(model_dir)
    frames, fps = decode_all(source, max_frames)
    if not frames:
        raise ValueError(f"{source}: no frames")
    classifier.warm_up()
    results, timings, base = _passes(frames, hand_model, classifier, smoothing, interleave)

    warm = WARMUP_FRAMES if len(frames) > 2 * WARMUP_FRAMES else 0
    timed = timings[warm:]
    stages = {k: _stats([t[k] for t in timed]) for k in BENCH_STAGES}
    full_ms, base_ms = stages["frame"]["mean"], _stats(base[warm:])["mean"]
    stages["baseline_landmarks"] = _stats(base[warm:])
    report: dict = {
        "source": str(source),
        "model": str(model_dir),
        "frame_size": list(frames[0].rgb.shape[1::-1]),
        "video_fps": fps,
        "frames_total": len(frames),
        "frames_timed": len(timed),
        "warmup_frames": warm,
        "interleaved": interleave,
        "fps": 1000.0 / full_ms if full_ms else 0.0,
        "baseline_fps": 1000.0 / base_ms if base_ms else 0.0,
        "ratio": full_ms / base_ms if base_ms else 0.0,
        "stages": stages,
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count()},
        "frames": [{"index": r.index, "digit": r.decision.digit if r.decision.state == "digit" else None,
                    "confidence": round(float(r.decision.confidence), 4), "state": r.decision.state}
                   for r in results],
    }
    labels = load_labels(source)
    if labels is not None:
        report["score"] = score(results, labels["labels"], float(labels.get("fps") or fps))
    log(format_report(report))
    if json_out is not None:
        atomicio.write_json(json_out, report)
    return report


def format_report(report: dict) -> str:
    """The table printed after a run."""
    w, h = report["frame_size"]
    mode = "interleaved frame by frame" if report.get("interleaved") else "one after the other"
    lines = [f"Benchmark: {report['source']} ({report['frames_total']} frames {w}x{h}, "
             f"first {report['warmup_frames']} not timed), model {report['model']}",
             f"Full chain and landmarker-only baseline on the same decoded frames, {mode}",
             f"{'stage':<20}{'median ms':>10}{'p95 ms':>10}"]
    for name, st in report["stages"].items():
        lines.append(f"{name:<20}{st['median']:>10.2f}{st['p95']:>10.2f}")
    lines.append(f"End-to-end: {report['fps']:.1f} FPS; landmarker alone: {report['baseline_fps']:.1f} FPS; "
                 f"full/baseline time ratio {report['ratio']:.2f}")
    sc = report.get("score")
    if sc:
        acc = "n/a" if sc["accuracy"] is None else f"{100 * sc['accuracy']:.1f}%"
        lines.append(f"Score (after the first {sc['settle_s']:g} s of each held digit): accuracy {acc} "
                     f"over {sc['scored_frames']} frames, {sc['changes']} decision changes")
        if sc["no_hand_accuracy"] is not None:
            lines.append(f"No-hand stretches showing nothing: {100 * sc['no_hand_accuracy']:.1f}%")
        lines.append(f"{'segment':<9}{'frames':>8}{'hand found':>12}{'accuracy':>10}{'changes':>9}")
        for s in sc["segments"]:
            name = "no hand" if s["digit"] is None else f"digit {s['digit']}"
            acc = "n/a" if s["accuracy"] is None else f"{100 * s['accuracy']:.0f}%"
            lines.append(f"{name:<9}{s['end'] - s['start']:>8}{100 * s['hand_found']:>11.0f}%{acc:>10}{s['changes']:>9}")
    return "\n".join(lines)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The bench flags, shared by `python -m asl_live.bench` and `asl-live bench`."""
    ap.add_argument("--source", required=True, type=Path, help="video file to run on")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write the full report (per-frame decisions) here")
    ap.add_argument("--model", type=Path, metavar="DIR", help="model bundle (default: assets/model)")
    ap.add_argument("--hand-model", type=Path, metavar="PATH", help="hand_landmarker.task (default: cached/downloaded)")
    ap.add_argument("--max-frames", type=int, metavar="N", help="only the first N frames")
    ap.add_argument("--sequential", action="store_true",
                    help="run the baseline after the full pass instead of interleaving them frame by frame")


def run_from_args(args: argparse.Namespace) -> int:
    from trainer.bundle import BundleError
    from trainer.handmodel import HandModelError, resolve_hand_model

    from .source import SourceError

    model = args.model or Path(__file__).resolve().parents[1] / "assets" / "model"
    try:
        hand = resolve_hand_model(args.hand_model)
        run_bench(args.source, model, hand, args.json, args.max_frames,
                  interleave=not getattr(args, "sequential", False))
    except (BundleError, HandModelError, SourceError, ValueError, OSError) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m asl_live.bench", description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    return run_from_args(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
