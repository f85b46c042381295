"""The real window under measurement (offscreen when there is no display), for
`asl-live bench --responsiveness` and `asl-live bench --soak`.

- Responsiveness: the window plays a video while a 10 ms timer records the gaps between its
  ticks, then plays it during a practice round (the judge, the target's and the learner's
  hands drawn on every frame); with `--data DIR` a small retrain (the Retrain button's path: a task thread and a
  training child process) runs as well. A gap is how long a click or a repaint would have
  waited. The tests assert a loose bound that a loaded machine cannot break; this prints the
  real figures for the target of 50 ms.
- Soak: the window plays a video (looped) for many frames while the process's resident memory
  is sampled; after warm-up it must stay flat (no per-frame leak).

The window's settings, samples and retrained models go to a temporary folder: a benchmark
leaves the user's own files alone.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import numpy as np


class StallWatch:
    """A 10 ms timer recording the gaps between its ticks: how long the event loop stalled
    (a gap far over 10 ms is a click or a repaint that waited)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._clock.start()
        self._timer = QTimer()
        self._timer.timeout.connect(lambda: self.gaps.append(self._clock.restart()))
        self._timer.start(10)

    def stop(self) -> list[float]:
        """The gaps, the first (from start to the first tick) left out."""
        self._timer.stop()
        return self.gaps[1:]


def _gaps_while(app, until, timeout_s: float) -> list[float]:
    watch = StallWatch()
    deadline = time.monotonic() + timeout_s
    while not until() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)
    return watch.stop()


def _summary(name: str, gaps: list[float]) -> dict:
    a = np.asarray(gaps or [0.0])
    return {"phase": name, "ticks": len(gaps), "max_ms": float(a.max()), "p99_ms": float(np.percentile(a, 99)),
            "over_50ms": int((a > 50).sum())}


@contextmanager
def _window(source: Path, model: Path | None, hand_model: Path) -> Iterator[tuple]:
    """(app, window) playing `source` in a loop, with scratch user folders."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="asl-live-bench-") as scratch:
        os.environ["ASL_LIVE_DATA_DIR"] = scratch
        from PySide6.QtWidgets import QApplication

        from asl_live.gui.app import create_window, preload_libraries, restore_qt_environment
        from asl_live.options import resolve_options
        from asl_live.settings import AppSettings

        restore_qt_environment()
        app = QApplication.instance() or QApplication(["asl-live"])
        preload_libraries()
        args = argparse.Namespace(source=str(source), camera=None, no_loop=False,
                                  model=str(model) if model else None, hand_model=str(hand_model))
        window = create_window(resolve_options(args, settings=AppSettings()))
        window.show()
        try:
            yield app, window
        finally:
            window.close()


def measure(source: Path, model: Path | None, hand_model: Path, data: Path | None, seconds: float = 10.0,
            log=print) -> list[dict]:
    """Stall figures per phase."""
    with _window(source, model, hand_model) as (app, window):
        return _measure(app, window, data, seconds, log)


def _measure(app, window, data: Path | None, seconds: float, log) -> list[dict]:
    frames: list[int] = []
    window.session.add_frame_observer(lambda result, state: frames.append(result.index))
    _gaps_while(app, lambda: bool(frames), 120)  # start-up is timed by --startup, not here

    def phase(name: str, until=lambda: False, timeout_s: float = seconds) -> dict:
        first, started = len(frames), time.monotonic()
        out = _summary(name, _gaps_while(app, until, timeout_s))
        out["fps"] = round((len(frames) - first) / max(1e-6, time.monotonic() - started), 1)
        return out

    phases = [phase(f"playing the video ({seconds:g} s)")]
    # A practice round: the judge on every frame, the target and the learner's hand drawn
    window.practice.start("bench", "Digits", prompts=list(range(10)) * 10)
    phases.append(phase(f"practising beside it ({seconds:g} s)"))
    window.practice.stop()
    if data is not None:
        retrainer = window.retrainer
        retrainer.config = replace(retrainer.config, epochs=2, limit_per_class=10)
        retrainer.add_folder(data)
        retrainer.start()
        phases.append(phase("retraining beside the video (2 epochs)", lambda: window.tasks.get("retrain") is None,
                            600))
    for p in phases:
        log(f"{p['phase']:<42} longest stall {p['max_ms']:6.1f} ms, 99th percentile {p['p99_ms']:5.1f} ms, "
            f"{p['over_50ms']} of {p['ticks']} ticks over 50 ms; {p['fps']:.1f} frames a second")
    return phases


def rss_mb() -> float:
    """This process's resident memory now, MB (Linux /proc; elsewhere the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError):
        from asl_live.bench import peak_rss_mb

        return peak_rss_mb()


def soak(source: Path, model: Path | None, hand_model: Path, frames: int = 10_000, warmup: int = 500,
         log=print) -> dict:
    """Play `source` (looped) in the window until `frames` frames were recognised; resident
    memory is sampled every 100 frames. Flat means: after `warmup` frames, max - min stays
    small (the figure reported as growth_mb)."""
    samples: list[tuple[int, float]] = []
    seen = [0]

    def observe(result, state) -> None:
        seen[0] += 1

    with _window(source, model, hand_model) as (app, window):
        window.session.add_frame_observer(observe)
        started = time.monotonic()
        next_sample = 0
        while seen[0] < frames:
            app.processEvents()
            time.sleep(0.002)
            if seen[0] >= next_sample:
                samples.append((seen[0], rss_mb()))
                next_sample += 100
                if len(samples) % 20 == 0:
                    log(f"{seen[0]} frames, {samples[-1][1]:.0f} MB")
        elapsed = time.monotonic() - started
    after = [mb for n, mb in samples if n >= warmup]
    report = {"frames": seen[0], "seconds": round(elapsed, 1), "warmup_frames": warmup,
              "rss_at_warmup_mb": round(after[0], 1), "rss_end_mb": round(after[-1], 1),
              "growth_mb": round(max(after) - min(after), 1), "samples": samples}
    log(f"Soak: {report['frames']} frames in {elapsed / 60:.1f} min; resident memory after {warmup} frames "
        f"{report['rss_at_warmup_mb']:.0f} MB, at the end {report['rss_end_mb']:.0f} MB, "
        f"range after warm-up {report['growth_mb']:.1f} MB")
    return report
