"""The `asl-live` entry point: flags, start-up rules, the real app started and closed by a
signal, and start-up problems that must become messages in the window (and on stderr)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asl_live import main as main_module
from asl_live.options import model_name, resolve_options, retrained_model_dir, shipped_model_dir
from asl_live.settings import AppSettings

from _paths import REPO

NOISE = ("XNNPACK", "Read-only tensor", "cuda", "CUDA", "oneDNN", "absl::InitializeLog", "W0000", "I0000")


def parse(*argv: str) -> argparse.Namespace:
    return main_module.build_parser().parse_args(list(argv))


def test_flags() -> None:
    args = parse("--camera", "2", "--model", "m", "--hand-model", "h.task")
    assert (args.camera, args.source, args.model, args.hand_model, args.command) == (2, None, "m", "h.task", None)
    args = parse("--source", "clip.mp4", "--no-loop")
    assert (args.source, args.no_loop) == (Path("clip.mp4"), True)
    bench = parse("bench", "--source", "clip.mp4", "--json", "o.json", "--max-frames", "9")
    assert (bench.command, bench.source, bench.json, bench.max_frames) == ("bench", Path("clip.mp4"), Path("o.json"), 9)
    with pytest.raises(SystemExit):
        parse("--camera", "1", "--source", "clip.mp4")  # one or the other


def test_help_and_parsing_import_nothing_heavy() -> None:
    out = subprocess.run([sys.executable, "-m", "asl_live", "--help"], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert out.returncode == 0 and "--camera N" in out.stdout and "bench" in out.stdout
    code = ("import sys; from asl_live.main import build_parser; build_parser().parse_args(['--camera', '1']); "
            "print(sorted(m for m in ('PySide6', 'tensorflow', 'mediapipe', 'cv2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_options_precedence(user_dirs) -> None:
    settings = AppSettings(camera=3, model=str(user_dirs["data"] / "models" / "gone"))
    opts = resolve_options(parse(), settings)
    assert opts.source == 3 and opts.model == shipped_model_dir() and "gone" in opts.notes[0]
    assert opts.retrain.out == retrained_model_dir() and opts.retrain.out.is_relative_to(user_dirs["data"])
    assert opts.retrain.samples_dir == user_dirs["data"] / "samples"
    retrained = retrained_model_dir()
    retrained.mkdir(parents=True)
    opts = resolve_options(parse("--source", "a.mp4", "--no-loop"), AppSettings(model=str(retrained)))
    # paths given on the command line are kept absolute: saved, they still work from another folder
    assert opts.source == Path.cwd() / "a.mp4" and not opts.loop and opts.model == retrained and not opts.notes
    assert resolve_options(parse("--camera", "0", "--model", "x"), AppSettings(camera=5)).source == 0
    assert resolve_options(parse("--camera", "0", "--model", "x"), AppSettings()).model == Path.cwd() / "x"
    assert resolve_options(parse(), AppSettings(source="/v/clip.mp4", loop=False)).loop is False


def test_models_are_named_not_shown_as_paths(user_dirs, tmp_path) -> None:
    assert model_name(shipped_model_dir()) == "the shipped model"
    assert model_name(retrained_model_dir()) == "your retrained model"
    assert model_name(tmp_path / "my-hands") == "“my-hands”"


def test_out_of_range_settings_are_clamped_with_a_note(user_dirs) -> None:
    user_dirs["data"].mkdir(parents=True)
    (user_dirs["data"] / "settings.json").write_text(json.dumps({"smoothing_threshold": 7.5, "smoothing_window": 1}))
    opts = resolve_options(parse())
    assert (opts.settings.smoothing_threshold, opts.settings.smoothing_window) == (0.95, 2)
    assert any("smoothing_threshold = 7.5" in n and "0.95" in n for n in opts.notes), opts.notes
    assert any("smoothing_window = 1" in n for n in opts.notes)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_real_app_starts_plays_and_closes_cleanly_on_a_signal(sig, synth_video, quick_bundle,
                                                                  hand_model_path, user_dirs) -> None:
    """`asl-live --source FILE` as a user starts it; Ctrl-C (SIGINT) or SIGTERM close the
    window properly: exit 0, settings saved with the source that played, nothing on stderr
    but our own lines."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "asl_live", "--source", str(synth_video.path), "--model",
                             str(quick_bundle), "--hand-model", str(hand_model_path)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    settings = user_dirs["data"] / "settings.json"
    try:
        time.sleep(6)  # start-up: Qt, MediaPipe, the model, the first frames
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    saved = json.loads(settings.read_text())
    assert saved["source"] == str(synth_video.path) and saved["geometry"]
    # MediaPipe's LiteRT runner now and then notes, while frames run, that it copied a tensor
    # to align it: a performance note from inside the library, not start-up noise of ours.
    err = "\n".join(line for line in err.splitlines() if "Input tensor memory is not aligned" not in line)
    assert "Traceback" not in err and not [n for n in NOISE if n in err], err[-2000:]


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
    qtbot.waitUntil(lambda: window.session.state.classifier is not None, timeout=60_000)  # the rest still works
    assert window.isVisible() and window.live_view.video.image is None


def test_corrupt_model_file_is_a_message(qtbot, window_for, synth_video, quick_bundle, hand_model_path,
                                         tmp_path, capfd) -> None:
    corrupt = tmp_path / "corrupt"
    shutil.copytree(quick_bundle, corrupt)
    (corrupt / "model.tflite").write_bytes((quick_bundle / "model.tflite").read_bytes()[:5000])  # truncated
    window = window_for("--source", str(synth_video.path), "--model", str(corrupt),
                        "--hand-model", str(hand_model_path))
    qtbot.waitUntil(lambda: "No usable model" in window.messages.text(), timeout=60_000)
    assert str(corrupt / "model.tflite") in window.messages.text()
    assert "No usable model" in capfd.readouterr().err
    qtbot.waitUntil(lambda: window.live_view.video.image is not None, timeout=30_000)  # the video still plays
    assert window.isVisible() and window.session.state.classifier is None


@pytest.mark.parametrize("content", ["[1, 2, 3]", '{"format_version": 1, "classes": "digits"}',
                                     '{"format_version": 1, "temperature": "hot"}',
                                     '{"format_version": 1, "crop_settings": {"size": "64"}}'])
def test_bundle_metadata_of_the_wrong_shape_is_a_message(qtbot, window_for, synth_video, quick_bundle,
                                                         hand_model_path, tmp_path, content) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(quick_bundle, odd)
    (odd / "bundle.json").write_text(content)
    window = window_for("--source", str(synth_video.path), "--model", str(odd), "--hand-model", str(hand_model_path))
    qtbot.waitUntil(lambda: "No usable model" in window.messages.text(), timeout=60_000)
    assert str(odd / "bundle.json") in window.messages.text() and "Traceback" not in window.messages.text()


def test_settings_file_that_is_garbage_does_not_stop_the_app(qtbot, window_for, synth_video, quick_bundle,
                                                             hand_model_path, user_dirs) -> None:
    user_dirs["data"].mkdir(parents=True)
    (user_dirs["data"] / "settings.json").write_text("{not json")
    window = window_for("--source", str(synth_video.path), "--model", str(quick_bundle),
                        "--hand-model", str(hand_model_path))
    assert "could not be read" in window.messages.text()
    qtbot.waitUntil(lambda: window.live_view.video.image is not None, timeout=30_000)
    window.close()
    assert json.loads((user_dirs["data"] / "settings.json").read_text())["smoothing_window"] >= 2


def test_stale_retrain_staging_is_cleaned_at_start(qtbot, window_for, synth_video, quick_bundle,
                                                   hand_model_path, user_dirs) -> None:
    """A retrain killed mid-write leaves a hidden staging folder; the next start removes it
    (a live process's folder is left alone)."""
    models = user_dirs["data"] / "models"
    finished = subprocess.Popen(["true"])
    finished.wait()  # a process that has ended: its pid names a dead writer
    dead = models / f".retrained.candidate.{finished.pid}.abc"
    live = models / f".retrained.candidate.{os.getpid()}.xyz"
    for d in (dead, live):
        d.mkdir(parents=True)
        (d / "model.keras").write_bytes(b"half written")
    window_for("--source", str(synth_video.path), "--model", str(quick_bundle), "--hand-model", str(hand_model_path))
    assert not dead.exists() and live.exists()


def test_startup_and_responsiveness_benchmarks_report_their_figures(synth_video, quick_bundle, hand_model_path,
                                                                    tmp_path) -> None:
    """`asl-live bench --startup` times real launches to the first decision; `--responsiveness`
    the window's longest event-loop stall while it plays. (The figures are benchmarks, printed;
    here only that the commands measure.)"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    common = ["--source", str(synth_video.path), "--model", str(quick_bundle), "--hand-model", str(hand_model_path)]
    startup = subprocess.run([sys.executable, "-m", "asl_live", "bench", "--startup", "--runs", "1", *common,
                              "--json", str(tmp_path / "s.json")], capture_output=True, text=True, cwd=REPO,
                             env=env, timeout=300)
    assert startup.returncode == 0, startup.stderr[-2000:]
    report = json.loads((tmp_path / "s.json").read_text())
    assert 0 < report["median_s"] < 60 and set(report["steps_s"]) >= {"native libraries", "first decision"}
    assert "Launch to first decision" in startup.stdout
    stalls = subprocess.run([sys.executable, "-m", "asl_live", "bench", "--responsiveness", *common,
                             "--json", str(tmp_path / "r.json")], capture_output=True, text=True, cwd=REPO,
                            env=env, timeout=300)
    assert stalls.returncode == 0, stalls.stderr[-2000:]
    phases = json.loads((tmp_path / "r.json").read_text())["phases"]
    assert phases[0]["ticks"] > 200 and phases[0]["max_ms"] > 0 and "longest stall" in stalls.stdout
    assert phases[1]["phase"].startswith("practising") and phases[1]["fps"] > 0  # a round, its hands drawn


# -- bench and practice: bad --json, Ctrl-C ------------------------------------------------------

@pytest.mark.parametrize("command", ["bench", "practice"])
def test_a_json_report_that_must_not_be_written_is_refused_before_the_run(command, synth_video, quick_bundle,
                                                                          tmp_path, capsys) -> None:
    video = tmp_path / "clip.mp4"
    shutil.copy(synth_video.path, video)
    before = video.read_bytes()
    bundle = tmp_path / "model"
    shutil.copytree(quick_bundle, bundle)
    extra = ["--prompts", "1,2"] if command == "practice" else []
    for target, says in ((video, "the video itself"), (tmp_path, "is a folder"),
                         (bundle / "bundle.json", "inside the model bundle")):
        code = main_module.main([command, "--source", str(video), "--model", str(quick_bundle), *extra,
                                 "--json", str(target)])
        err = capsys.readouterr().err
        assert code == 2 and says in err and "Traceback" not in err
    assert video.read_bytes() == before
    assert json.loads((bundle / "bundle.json").read_text())  # still the bundle's own
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": "keep me"}')
    code = main_module.main([command, "--source", str(video), "--model", str(quick_bundle), *extra,
                             "--json", str(notes)])
    assert code == 2 and "is not an asl-live report" in capsys.readouterr().err and "keep me" in notes.read_text()
    assert main_module.json_out_problem(notes, video, force=True) is None  # --force: the user said so
    notes.write_text(json.dumps({"written_by": f"asl-live {command}", "fps": 1.0}))
    assert main_module.json_out_problem(notes, video) is None  # an earlier report of ours is replaced
    # a place nothing can be written (even as root): /proc, a folder under a file
    for target in (Path("/proc/asl-live/report.json"), notes / "sub" / "report.json"):
        assert "cannot be written there" in main_module.json_out_problem(target, video)


@pytest.mark.parametrize("command", ["bench", "practice"])
def test_ctrl_c_in_bench_and_practice_exits_130_in_one_line(command, synth_video, quick_bundle, hand_model_path,
                                                             tmp_path, monkeypatch, capsys) -> None:
    """Ctrl-C a few frames into the run: one line, exit 130, no report half written."""
    from asl_live import source

    frames = source.FrameSource.__iter__

    def interrupted(self):
        for i, frame in enumerate(frames(self)):
            if i == 5:
                raise KeyboardInterrupt
            yield frame

    monkeypatch.setattr(source.FrameSource, "__iter__", interrupted)
    out = tmp_path / "report.json"
    extra = ["--prompts", "1,2"] if command == "practice" else []
    code = main_module.main([command, "--source", str(synth_video.path), "--model", str(quick_bundle),
                             "--hand-model", str(hand_model_path), *extra, "--json", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130 and err == [f"asl-live {command}: interrupted; nothing written"]
    assert not out.exists()
