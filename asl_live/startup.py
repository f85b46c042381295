"""How long the app takes from launch to its first decision on a video source.

`asl-live bench --startup --source FILE` starts the real app (the window, offscreen when there
is no display) in fresh processes, each timed from the moment it is spawned to the first frame
the window has recognised, and prints the median with the steps' share of it. A process is
fresh each time, so every run pays the imports a user's launch pays (the OS's file cache, as
after any earlier launch, is warm).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = ("python and imports", "Qt application", "native libraries", "window", "models", "first decision")


def measure(source: Path, model: Path | None, hand_model: Path | None, runs: int = 5, log=print) -> dict:
    """Start the app `runs` times; figures in seconds. The launches keep their settings in a
    temporary folder, so the user's own are left alone."""
    totals, breakdowns = [], []
    scratch = tempfile.TemporaryDirectory(prefix="asl-live-startup-")
    env = {**os.environ, "ASL_LIVE_DATA_DIR": scratch.name}
    if not env.get("DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    argv = [sys.executable, "-m", "asl_live.startup", str(source), str(model) if model else "",
            str(hand_model) if hand_model else ""]
    for i in range(runs):
        t0 = time.time()
        run = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
        if run.returncode != 0:
            raise RuntimeError(f"the app did not reach a decision: {run.stderr.strip()[-1500:]}")
        marks = json.loads(run.stdout.strip().splitlines()[-1])
        times = [marks[0] - t0, *(b - a for a, b in zip(marks, marks[1:]))]
        totals.append(marks[-1] - t0)
        breakdowns.append(times)
        log(f"run {i + 1}: {totals[-1]:.2f} s")
    scratch.cleanup()
    median = statistics.median(totals)
    steps = {name: round(statistics.median(b[k] for b in breakdowns), 3) for k, name in enumerate(STEPS)}
    report = {"runs": totals, "median_s": median, "min_s": min(totals), "max_s": max(totals), "steps_s": steps}
    log(f"Launch to first decision: median {median:.2f} s (min {min(totals):.2f}, max {max(totals):.2f}, "
        f"{runs} runs)")
    for name, s in steps.items():
        log(f"  {name:<20}{s:6.2f} s")
    return report


def _child(source: str, model: str, hand_model: str) -> int:
    """One launch: the real start-up path (asl_live.gui.app), until the first recognised frame."""
    marks = [time.time()]  # interpreter up, this module imported
    import argparse

    from PySide6.QtWidgets import QApplication

    from asl_live.gui.app import create_window, preload_libraries
    from asl_live.options import resolve_options
    from asl_live.settings import AppSettings

    app = QApplication([sys.argv[0]])
    marks.append(time.time())
    preload_libraries()
    marks.append(time.time())
    args = argparse.Namespace(source=source, camera=None, no_loop=False, model=model or None,
                              hand_model=hand_model or None)
    window = create_window(resolve_options(args, settings=AppSettings()))
    window.show()
    marks.append(time.time())
    ready: list[float] = []  # when both models were loaded
    window.session.subscribe(lambda old, new: ready.append(time.time()) if new.ready and not ready else None)
    seen: list[float] = []  # when the first frame was recognised
    window.session.add_frame_observer(lambda result, s: seen.append(time.time()) if not seen else None)
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: app.quit() if seen else None)
    timer.start(5)
    app.exec()
    window.close()
    marks += [ready[0] if ready else seen[0], seen[0]]
    print(json.dumps(marks))
    return 0


if __name__ == "__main__":
    sys.exit(_child(*sys.argv[1:4]))
