"""Bad input against the command-line tools, as a hostile new user would give it (issue 32).

    python scripts/bad_input_probes.py --shared ../shared [--keep DIR]

Each probe runs `asl-live` or `asl-train` in a fresh process on files made for it (a short
video made from shared hands, a copy of the shipped bundle doctored one key at a time, symlink
loops, folders of a user's own files) and checks what a user meets: the exit code (2 for bad
input, 130 for Ctrl-C), no traceback, a message that names the problem in at most a few lines,
and that nothing the user had was changed (files are hashed before and after). It prints one
line per probe and exits non-zero if any probe broke. The window's cases (a corrupt
settings.json, a locked practice history, an unwritable capture folder, a NaN threshold) are
tests: tests/test_settings.py, tests/test_history.py, tests/test_gui.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthvideo import make_video_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAX_LINES = 6  # a message, not a log: a bad input is said once


@dataclass
class Probe:
    name: str
    argv: list[str]
    rc: int = 2
    says: str = ""  # a word the message must hold (case-insensitive)
    untouched: list[Path] = field(default_factory=list)  # files that must not change
    interrupt_after_s: float | None = None  # Ctrl-C after this long
    not_said: tuple[str, ...] = ("Traceback", "FFmpeg", "ffmpeg")


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def run(probe: Probe, env: dict[str, str]) -> tuple[bool, str]:
    before = {p: digest(p) for p in probe.untouched}
    started = time.monotonic()
    proc = subprocess.Popen(probe.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if probe.interrupt_after_s is not None:
        time.sleep(probe.interrupt_after_s)
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    took = time.monotonic() - started
    text = out + err
    problems = []
    if proc.returncode != probe.rc:
        problems.append(f"exit {proc.returncode}, expected {probe.rc}")
    problems += [f"says {word!r}" for word in probe.not_said if word in text]
    if probe.says and probe.says.lower() not in text.lower():
        problems.append(f"does not say {probe.says!r}")
    if probe.rc != 0 and len(err.strip().splitlines()) > MAX_LINES:
        problems.append(f"{len(err.strip().splitlines())} lines on stderr")
    problems += [f"{p.name} changed" for p, h in before.items() if digest(p) != h]
    said = (err.strip().splitlines() or out.strip().splitlines() or [""])[-1][:150]
    return not problems, f"{took:5.1f}s rc={proc.returncode:<3} {'; '.join(problems) or 'ok'}: {said}"


def doctored(bundle: Path, where: Path, **changes) -> Path:
    """A copy of `bundle` with bundle.json keys replaced."""
    shutil.copytree(bundle, where)
    meta = json.loads((where / "bundle.json").read_text())
    meta.update(changes)
    (where / "bundle.json").write_text(json.dumps(meta))
    return where


def probes(tmp: Path, shared: Path) -> list[Probe]:
    hand = shared / "models" / "hand_landmarker.task"
    kaggle = shared / "datasets" / "asl-digits-kaggle"
    live, train = [str(BIN / "asl-live")], [str(BIN / "asl-train")]
    video = make_video_file(tmp / "v.mp4", [1, 2], 1.0, 15, seed=3, data_root=kaggle, hand_model=hand).path
    long = make_video_file(tmp / "long.mp4", list(range(10)), 1.5, 30, seed=4, data_root=kaggle, hand_model=hand).path
    bundle = ROOT / "assets" / "model"
    meta = json.loads((bundle / "bundle.json").read_text())
    short = doctored(bundle, tmp / "short", classes=meta["classes"][:-1])
    extra = doctored(bundle, tmp / "extra", classes=[*meta["classes"], "spare"])
    landmarks = doctored(bundle, tmp / "landmarks", input={**meta["input"], "landmarks": meta["input"]["landmarks"] + 3})
    (tmp / "folder").mkdir()
    notes = tmp / "notes.txt"
    notes.write_text("my notes\n")
    broken = tmp / "broken.mp4"
    broken.write_bytes(os.urandom(4096))
    (tmp / "loop").symlink_to(tmp / "loop")
    mine = tmp / "my-bundle"
    mine.mkdir()
    (mine / "bundle.json").write_text("{}")
    (mine / "thesis.docx").write_text("my work")
    data = tmp / "data"
    for d in range(10):
        (data / str(d)).mkdir(parents=True)
    bench = [*live, "bench", "--hand-model", str(hand)]
    practice = [*live, "practice", "--hand-model", str(hand), "--prompts", "1,2"]
    fit = [*train, "train", "--hand-model", str(hand), "--data", str(kaggle), "--limit-per-class", "2"]
    return [
        Probe("bench --json onto its own video", [*bench, "--source", str(video), "--json", str(video)],
              says="video", untouched=[video]),
        Probe("bench --json onto a bundle.json", [*bench, "--source", str(video), "--json", str(short / "bundle.json")],
              says="bundle", untouched=[short / "bundle.json"]),
        Probe("bench --json onto a folder", [*bench, "--source", str(video), "--json", str(tmp / "folder")],
              says="folder"),
        Probe("bench --json onto a user's file", [*bench, "--source", str(video), "--json", str(notes)],
              says="--force", untouched=[notes]),
        Probe("bench --json where nothing can be written", [*bench, "--source", str(video), "--json",
                                                           "/proc/asl-live/report.json"], says="/proc"),
        Probe("bench --source missing", [*bench, "--source", str(tmp / "missing.mp4")], says="missing.mp4",
              not_said=("Traceback", "FFmpeg", "--camera")),
        Probe("bench --source not a video", [*bench, "--source", str(broken)], says="broken.mp4",
              not_said=("Traceback", "FFmpeg", "--camera")),
        Probe("bench --source http://", [*bench, "--source", "http://example.com/v.mp4"], says="stream"),
        Probe("bench on one frame", [*bench, "--source", str(video), "--max-frames", "1"], says="frame",
              not_said=("Traceback", "0.0 FPS")),
        Probe("bench --model missing", [*bench, "--source", str(video), "--model", str(tmp / "nomodel")],
              says="nomodel"),
        Probe("bundle: classes one short of the model", [*bench, "--source", str(video), "--model", str(short)],
              says="classes"),
        Probe("bundle: one class more than the model", [*practice, "--source", str(video), "--model", str(extra)],
              says="classes"),
        Probe("bundle: wrong landmark count", [*bench, "--source", str(video), "--model", str(landmarks)],
              says="landmark"),
        Probe("evaluate: classes one short", [*train, "evaluate", "--hand-model", str(hand), "--model", str(short),
                                               "--data", str(kaggle)], says="classes"),
        Probe("practice --json onto its own video", [*practice, "--source", str(video), "--json", str(video)],
              says="video", untouched=[video]),
        Probe("Ctrl-C in bench", [*bench, "--source", str(long), "--json", str(tmp / "b.json")], rc=130,
              interrupt_after_s=5.0),
        Probe("Ctrl-C in practice", [*practice, "--source", str(long)], rc=130, interrupt_after_s=5.0),
        Probe("train --batch-size 0", [*fit, "--out", str(tmp / "m1"), "--batch-size", "0"], says="batch"),
        Probe("train --epochs 0", [*fit, "--out", str(tmp / "m2"), "--epochs", "0"], says="epochs"),
        Probe("train --data a symlink loop", [*train, "train", "--data", str(tmp / "loop"), "--out", str(tmp / "m3")],
              says="loop"),
        Probe("train --out a symlink loop", [*fit, "--out", str(tmp / "loop")], says="loop"),
        Probe("train --out a folder of the user's files", [*fit, "--out", str(mine)], says="thesis.docx",
              untouched=[mine / "thesis.docx", mine / "bundle.json"]),
        Probe("train --data digit folders without images", [*train, "train", "--hand-model", str(hand), "--data",
                                                            str(data), "--out", str(tmp / "m4")], says="data"),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--keep", type=Path, help="make the probes' files here and keep them")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="asl-probes-")) if args.keep is None else args.keep
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ASL_LIVE_DATA_DIR": str(tmp / "appdata"), "QT_QPA_PLATFORM": "offscreen"}
    broken = 0
    try:
        for probe in probes(tmp, args.shared.resolve()):
            ok, line = run(probe, env)
            broken += not ok
            print(f"{'ok    ' if ok else 'BROKEN'} {probe.name:45s} {line}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
