"""Headless benchmark of the live chain on a video file, against a landmarker-only baseline.

Frames are decoded one at a time and dropped once timed, so memory stays flat however long
the video is. For each frame the full chain (landmarks, crop, classify, smooth, overlay) and
MediaPipe's landmarker alone run as fast as they can, one after the other on the same decoded
frame (or in two passes with --sequential); decoding is not timed. The ratio of the two says
what the app adds on top of hand tracking. With a `<video>.labels.json` beside the video
(asl_live.video_labels) the smoothed decisions are scored too.

    asl-live bench --source demo.mp4 --json bench.json
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from trainer import atomicio
from trainer.classes import NOT_DIGIT
from trainer.classifier import Classifier
from trainer.hands import HandCropper

from .drawing import draw_overlay
from .live import STAGES, FrameResult, LivePipeline
from .smoothing import SmoothingSettings
from .source import Frame, FrameSource, SourceError
from .video_labels import load_labels, segments

WARMUP_FRAMES = 10  # left out of the timing figures of both passes (first-inference costs)
SETTLE_S = 0.5  # after a pose appears, decisions are scored only once this much time passed
BENCH_STAGES = (*STAGES, "draw", "frame")  # "frame" = process + draw, what one live frame costs
FOUND_BY = ("mediapipe", "second_look", "tracked", "none")
WRITTEN_BY = "asl-live bench"  # marks its JSON reports: main.json_out_problem replaces only such files


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, MB.

    On Linux the memory's own high-water mark (VmHWM): getrusage's ru_maxrss survives exec, so
    a process started by a big one (vfork, then exec) would report its parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux KiB, macOS bytes
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


class _Stats:
    """Per-stage figures without keeping every value: a fixed-size reservoir for the median
    and p95 (exact up to `keep` frames) and a running mean."""

    def __init__(self, keep: int = 20_000, seed: int = 0) -> None:
        self.keep, self.n, self.total = keep, 0, 0.0
        self.values: list[float] = []
        self._rng = np.random.default_rng(seed)

    def add(self, v: float) -> None:
        self.n += 1
        self.total += v
        if len(self.values) < self.keep:
            self.values.append(v)
        elif (j := int(self._rng.integers(self.n))) < self.keep:
            self.values[j] = v

    def summary(self) -> dict[str, float]:
        if not self.n:
            return {"median": 0.0, "p95": 0.0, "mean": 0.0}
        a = np.asarray(self.values)
        return {"median": float(np.median(a)), "p95": float(np.percentile(a, 95)), "mean": self.total / self.n}


def _frame_entry(r: FrameResult) -> dict:
    d = r.decision
    return {"index": r.index, "digit": d.digit if d.state == "digit" else None,
            "confidence": round(float(d.confidence), 4), "state": d.state, "found_by": r.stage}


def score(frames: list[dict], labels: list[int | None], fps: float) -> dict:
    """Decisions against the labels, each pose scored once it had SETTLE_S to settle.

    Digits: the share of frames showing the right digit, and how often the display changed
    (0 is the ideal: one steady answer per held digit). Hands that are no digit: the share of
    frames showing "not a digit" or "?" (never a digit). No-hand stretches: the share showing
    nothing. `frames` are the bench JSON's per-frame entries.
    """
    n = min(len(frames), len(labels))
    skip = int(round(SETTLE_S * fps))
    segs = []
    tally = {"digit": [0, 0], "not_digit": [0, 0], "none": [0, 0]}
    for label, start, end in segments(labels[:n]):
        shown = frames[min(end, start + skip):end]
        kind = "none" if label is None else "not_digit" if label == NOT_DIGIT else "digit"
        if kind == "none":
            ok = sum(f["state"] == "none" for f in shown)
        elif kind == "not_digit":
            ok = sum(f["state"] in ("not_digit", "unsure") for f in shown)
        else:
            ok = sum(f["digit"] == label for f in shown)
        tally[kind][0] += ok
        tally[kind][1] += len(shown)
        changes = sum((a["state"], a["digit"]) != (b["state"], b["digit"]) for a, b in zip(shown, shown[1:]))
        found = sum(f.get("hand", f["state"] != "none") for f in frames[start:end])
        segs.append({"label": "not_digit" if kind == "not_digit" else label, "start": start, "end": end,
                     "scored_frames": len(shown), "accuracy": ok / len(shown) if shown else None,
                     "changes": changes, "hand_found": found / (end - start)})

    def share(kind: str) -> float | None:
        ok, total = tally[kind]
        return ok / total if total else None

    return {
        "settle_s": SETTLE_S,
        "accuracy": share("digit"),
        "scored_frames": tally["digit"][1],
        "changes": sum(s["changes"] for s in segs if isinstance(s["label"], int)),
        "not_digit_accuracy": share("not_digit"),
        "not_digit_frames": tally["not_digit"][1],
        "no_hand_accuracy": share("none"),
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
    classifier.warm_up()
    stats = {k: _Stats() for k in (*BENCH_STAGES, "baseline_landmarks")}
    entries: list[dict] = []
    first: Frame | None = None
    fps = 0.0
    with LivePipeline(hand_model) as pipeline, \
            HandCropper(hand_model, replace(classifier.crop_settings, second_look=False), mode="video") as baseline:
        passes = [(pipeline, baseline)] if interleave else [(pipeline, None), (None, baseline)]
        for full, base in passes:
            with FrameSource(source, loop=False) as src:
                fps = src.fps
                for i, f in enumerate(src):
                    if max_frames is not None and i >= max_frames:
                        break
                    first = first or f
                    timed = i >= WARMUP_FRAMES
                    if full is not None:
                        t0 = time.perf_counter()
                        result = full.process(f.rgb, f.timestamp_ms, classifier, smoothing)
                        t1 = time.perf_counter()
                        draw_overlay(f.rgb, result)
                        t2 = time.perf_counter()
                        entries.append({**_frame_entry(result), "hand": result.observation is not None})
                        if timed:
                            for k, v in {**result.timings, "draw": (t2 - t1) * 1000, "frame": (t2 - t0) * 1000}.items():
                                stats[k].add(v)
                    if base is not None:
                        t0 = time.perf_counter()
                        base.landmarks(f.rgb, f.timestamp_ms)
                        if timed:
                            stats["baseline_landmarks"].add((time.perf_counter() - t0) * 1000)
    if not stats["frame"].n:
        raise SourceError(f"{source} gave {len(entries)} frame(s): the bench times the frames after the first "
                          f"{WARMUP_FRAMES}, so nothing was measured; use a longer video"
                          + (" or a larger --max-frames" if max_frames is not None else "") + ".")
    stages = {k: s.summary() for k, s in stats.items()}
    full_ms, base_ms = stages["frame"]["mean"], stages["baseline_landmarks"]["mean"]
    report: dict = {
        "written_by": WRITTEN_BY,
        "source": str(source),
        "model": str(model_dir),
        "frame_size": list(first.rgb.shape[1::-1]),
        "video_fps": fps,
        "frames_total": len(entries),
        "frames_timed": stats["frame"].n,
        "warmup_frames": WARMUP_FRAMES,
        "interleaved": interleave,
        "fps": 1000.0 / full_ms if full_ms else 0.0,
        "baseline_fps": 1000.0 / base_ms if base_ms else 0.0,
        "ratio": full_ms / base_ms if base_ms else 0.0,
        "stages": stages,
        # which look found the hand, frames of each; what finding it costs beyond MediaPipe alone
        "found_by": {k: sum(e["found_by"] == k for e in entries) for k in FOUND_BY},
        "extra_landmarks_ms": stages["landmarks"]["mean"] - stages["baseline_landmarks"]["mean"],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count()},
    }
    labels = load_labels(source)
    if labels is not None:
        report["score"] = score(entries, labels["labels"], float(labels.get("fps") or fps))
    report["frames"] = [{k: v for k, v in e.items() if k != "hand"} for e in entries]
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
    found = report["found_by"]
    lines.append("Hand found by: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in found.items())
                 + f" frames; finding it cost {report['extra_landmarks_ms']:+.2f} ms a frame beyond MediaPipe alone")
    lines.append(f"End-to-end: {report['fps']:.1f} FPS; landmarker alone: {report['baseline_fps']:.1f} FPS; "
                 f"full/baseline time ratio {report['ratio']:.2f}; peak memory {report['peak_rss_mb']:.0f} MB")
    sc = report.get("score")
    if sc:
        def pct(x):
            return "n/a" if x is None else f"{100 * x:.1f}%"

        lines.append(f"Score (after the first {sc['settle_s']:g} s of each pose): digits right {pct(sc['accuracy'])} "
                     f"of {sc['scored_frames']} frames, {sc['changes']} decision changes")
        if sc["not_digit_accuracy"] is not None:
            lines.append(f"Hands that are no digit shown as 'not a digit' or '?': {pct(sc['not_digit_accuracy'])} "
                         f"of {sc['not_digit_frames']} frames")
        if sc["no_hand_accuracy"] is not None:
            lines.append(f"No-hand stretches showing nothing: {pct(sc['no_hand_accuracy'])}")
        lines.append(f"{'segment':<14}{'frames':>8}{'hand found':>12}{'right':>8}{'changes':>9}")
        for s in sc["segments"]:
            name = {None: "no hand", "not_digit": "not a digit"}.get(s["label"], f"digit {s['label']}")
            lines.append(f"{name:<14}{s['end'] - s['start']:>8}{100 * s['hand_found']:>11.0f}%"
                         f"{pct(s['accuracy']) if s['accuracy'] is not None else 'n/a':>8}{s['changes']:>9}")
    return "\n".join(lines)


def run_from_args(args: argparse.Namespace) -> int:
    from trainer.bundle_meta import BundleError
    from trainer.handmodel import HandModelError, resolve_hand_model

    from .options import shipped_model_dir

    try:
        hand = resolve_hand_model(args.hand_model)
        if args.startup or args.responsiveness or args.soak:
            if args.startup:
                from .startup import measure

                report = measure(args.source, args.model, hand, args.runs)
            elif args.soak:
                from .gui.window_bench import soak

                report = soak(args.source, args.model, hand, args.soak)
            else:
                from .gui.window_bench import measure

                report = measure(args.source, args.model, hand, args.data)
            if args.json is not None:
                body = report if isinstance(report, dict) else {"phases": report}  # --responsiveness: phases
                atomicio.write_json(args.json, {"written_by": WRITTEN_BY, **body})
            return 0
        run_bench(args.source, args.model or shipped_model_dir(), hand, args.json, args.max_frames,
                  interleave=not args.sequential)
    except (BundleError, HandModelError, SourceError) as e:  # bad input: the message says what to change
        print(f"asl-live bench: {e}", file=sys.stderr)
        return 2
    except (ValueError, OSError, RuntimeError) as e:
        print(f"asl-live bench: {e}", file=sys.stderr)
        return 1
    return 0
