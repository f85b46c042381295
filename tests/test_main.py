"""The `asl-live` entry point: flags, the bench subcommand, and start-up problems that must
become messages in the window (and on stderr), never crashes."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asl_live import main as main_module
from asl_live.gui.options import resolve_options, retrained_model_dir, shipped_model_dir
from asl_live.settings import AppSettings

REPO = Path(__file__).resolve().parents[1]


def parse(*argv: str) -> argparse.Namespace:
    return main_module.build_parser().parse_args(list(argv))


def test_flags() -> None:
    args = parse("--camera", "2", "--model", "m", "--hand-model", "h.task")
    assert (args.camera, args.source, args.model, args.hand_model, args.command) == (2, None, "m", "h.task", None)
    args = parse("--source", "clip.mp4", "--no-loop")
    assert (args.source, args.no_loop) == ("clip.mp4", True)
    with pytest.raises(SystemExit):
        parse("--camera", "1", "--source", "clip.mp4")  # one or the other


def test_help_runs_without_qt_or_tensorflow() -> None:
    out = subprocess.run([sys.executable, "-m", "asl_live", "--help"], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert out.returncode == 0 and "--camera N" in out.stdout and "bench" in out.stdout
    code = ("import sys; from asl_live.main import build_parser; build_parser().parse_args(['--camera', '1']); "
            "print(sorted(m for m in ('PySide6', 'tensorflow', 'mediapipe') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_gui_gets_the_parsed_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}
    import asl_live.gui.app as app

    monkeypatch.setattr(app, "run_app", lambda args: seen.setdefault("args", args) and 0)
    assert main_module.main(["--source", "clip.mp4", "--no-loop"]) == 0
    assert seen["args"].source == "clip.mp4" and seen["args"].no_loop


def test_bench_subcommand_delegates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import asl_live.bench as bench

    seen = {}
    monkeypatch.setattr(bench, "run_from_args", lambda args: seen.setdefault("args", args) and 0)
    assert main_module.main(["bench", "--source", "clip.mp4", "--json", str(tmp_path / "o.json")]) == 0
    assert seen["args"].source == Path("clip.mp4") and seen["args"].json == tmp_path / "o.json"


def test_options_precedence(user_dirs) -> None:
    settings = AppSettings(camera=3, model=str(user_dirs["data"] / "models" / "gone"))
    opts = resolve_options(parse(), settings)
    assert opts.source == 3 and opts.model == shipped_model_dir() and "gone" in opts.notes[0]
    assert opts.retrain.out == retrained_model_dir() and opts.retrain.out.is_relative_to(user_dirs["data"])
    assert opts.retrain.samples_dir == user_dirs["data"] / "samples"
    retrained = retrained_model_dir()
    retrained.mkdir(parents=True)
    opts = resolve_options(parse("--source", "a.mp4", "--no-loop"), AppSettings(model=str(retrained)))
    assert opts.source == Path("a.mp4") and not opts.loop and opts.model == retrained and not opts.notes
    assert resolve_options(parse("--camera", "0", "--model", "x"), AppSettings(camera=5)).source == 0
    assert resolve_options(parse("--camera", "0", "--model", "x"), AppSettings()).model == Path("x")


@pytest.fixture()
def window_for(open_window):
    """`asl-live ARGS` up to the open window, without entering the event loop."""
    return lambda *argv: open_window(resolve_options(parse(*argv)))


def test_missing_camera_is_a_message(qtbot, window_for, quick_bundle, hand_model_path, capfd) -> None:
    window = window_for("--camera", "7", "--model", str(quick_bundle), "--hand-model", str(hand_model_path))
    qtbot.waitUntil(lambda: "camera 7" in window.messages.text(), timeout=30_000)
    text = window.messages.text()
    assert "--camera N" in text and "--source FILE" in text and "ameras found" in text
    assert "camera 7" in capfd.readouterr().err
    qtbot.waitUntil(lambda: window.classifier is not None, timeout=60_000)  # the rest still works
    assert window.isVisible() and window.video.image is None


def test_corrupt_model_file_is_a_message(qtbot, window_for, synth_video, quick_bundle, hand_model_path,
                                         tmp_path, capfd) -> None:
    corrupt = tmp_path / "corrupt"
    shutil.copytree(quick_bundle, corrupt)
    (corrupt / "model.keras").write_bytes(b"\0" * 100)
    window = window_for("--source", str(synth_video.path), "--model", str(corrupt),
                        "--hand-model", str(hand_model_path))
    qtbot.waitUntil(lambda: "No usable model" in window.messages.text(), timeout=60_000)
    assert str(corrupt) in window.messages.text()
    assert "No usable model" in capfd.readouterr().err
    qtbot.waitUntil(lambda: window.last_update is not None, timeout=30_000)  # the video still plays
    assert window.isVisible() and window.classifier is None


def test_settings_file_that_is_garbage_does_not_stop_the_app(qtbot, window_for, synth_video, quick_bundle,
                                                             hand_model_path, user_dirs) -> None:
    user_dirs["data"].mkdir(parents=True)
    (user_dirs["data"] / "settings.json").write_text("{not json")
    window = window_for("--source", str(synth_video.path), "--model", str(quick_bundle),
                        "--hand-model", str(hand_model_path))
    qtbot.waitUntil(lambda: window.last_update is not None, timeout=30_000)
    window.close()
    assert json.loads((user_dirs["data"] / "settings.json").read_text())["smoothing_window"] >= 1
