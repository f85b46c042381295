"""`asl-live bench` on generated videos: report structure, scoring, streaming memory."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from asl_live import bench
from asl_live.video_labels import labels_path, load_labels
from trainer.classes import NOT_DIGIT

from _paths import REPO


@pytest.fixture(scope="module")
def report(synth_video, quick_bundle, hand_model_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    lines: list[str] = []
    rep = bench.run_bench(synth_video.path, quick_bundle, hand_model_path, json_out=out, log=lines.append)
    return rep, out, "\n".join(lines)


def test_json_written_with_required_keys(report, synth_video):
    rep, out, _ = report
    on_disk = json.loads(out.read_text())
    assert on_disk == json.loads(json.dumps(rep))
    for key in ("fps", "baseline_fps", "ratio", "stages", "frames", "score", "peak_rss_mb"):
        assert key in on_disk
    stages = on_disk["stages"]
    for stage in ("landmarks", "crop", "classify", "smooth", "draw", "total", "frame", "baseline_landmarks"):
        assert 0 <= stages[stage]["median"] <= stages[stage]["p95"]
    # The figures are what the stages say: FPS from the mean time per frame, the ratio of the
    # two means, the whole frame at least the landmarker's share of it.
    assert on_disk["fps"] == pytest.approx(1000 / stages["frame"]["mean"])
    assert on_disk["ratio"] == pytest.approx(stages["frame"]["mean"] / stages["baseline_landmarks"]["mean"])
    assert stages["frame"]["mean"] >= stages["landmarks"]["mean"] > 0
    assert on_disk["frames_total"] == len(synth_video.labels)
    assert on_disk["frames_timed"] == len(synth_video.labels) - bench.WARMUP_FRAMES
    assert 50 < on_disk["peak_rss_mb"] < 4000


def test_one_frame_entry_per_frame(report, synth_video):
    frames = report[0]["frames"]
    assert [f["index"] for f in frames] == list(range(len(synth_video.labels)))
    for f in frames:
        assert set(f) == {"index", "digit", "confidence", "state", "found_by"}
        assert f["state"] in ("none", "unsure", "digit", "not_digit")
        assert f["found_by"] in bench.FOUND_BY
        assert f["found_by"] == "none" or f["state"] != "none"  # a found hand always gets a decision
        assert (f["digit"] is not None) == (f["state"] == "digit")
        assert f["digit"] is None or f["digit"] in range(10)
        assert 0.0 <= f["confidence"] <= 1.0
    nohand = [i for i, lab in enumerate(synth_video.labels) if lab is None][-3:]
    assert all(frames[i]["digit"] is None and frames[i]["state"] == "none" for i in nohand)
    # the summary counts the frames by the look that found the hand
    found_by = report[0]["found_by"]
    assert found_by == {k: sum(f["found_by"] == k for f in frames) for k in bench.FOUND_BY}
    assert found_by["mediapipe"] > 0.5 * len(frames)  # the video's hands are ones MediaPipe finds


def test_score_per_segment(report, synth_video):
    score = report[0]["score"]
    segs = score["segments"]
    runs = [synth_video.labels[0]] + [b for a, b in zip(synth_video.labels, synth_video.labels[1:]) if a != b]
    assert [s["label"] for s in segs] == ["not_digit" if r == NOT_DIGIT else r for r in runs]
    assert score["no_hand_accuracy"] == 1.0
    frames = report[0]["frames"]
    skip = int(round(bench.SETTLE_S * synth_video.fps))
    for s in segs:  # each figure recomputed from the per-frame decisions
        shown = frames[s["start"] + skip:s["end"]]
        if isinstance(s["label"], int):
            assert s["accuracy"] == pytest.approx(np.mean([f["digit"] == s["label"] for f in shown]))
        elif s["label"] == "not_digit":
            assert s["accuracy"] == pytest.approx(np.mean([f["state"] in ("not_digit", "unsure") for f in shown]))
        changes = sum((a["state"], a["digit"]) != (b["state"], b["digit"]) for a, b in zip(shown, shown[1:]))
        assert s["changes"] == changes
    digit_segs = [s for s in segs if isinstance(s["label"], int)]
    assert score["scored_frames"] == sum(s["scored_frames"] for s in digit_segs)
    assert score["not_digit_frames"] == sum(s["scored_frames"] for s in segs if s["label"] == "not_digit")


def test_score_rules_on_made_up_decisions():
    def f(state, digit=None):
        return {"state": state, "digit": digit}

    labels = [3] * 10 + [NOT_DIGIT] * 10 + [None] * 8
    frames = ([f("unsure")] * 5 + [f("digit", 3)] * 4 + [f("digit", 5)]
              + [f("digit", 2)] * 5 + [f("not_digit")] * 3 + [f("unsure")] * 2 + [f("none")] * 8)
    sc = bench.score(frames, labels, fps=10)  # 0.5 s = 5 frames left out of each segment
    assert sc["accuracy"] == pytest.approx(4 / 5) and sc["changes"] == 1
    assert sc["not_digit_accuracy"] == 1.0 and sc["no_hand_accuracy"] == 1.0


def test_table_printed(report):
    table = report[2]
    for word in ("landmarks", "classify", "median", "p95", "FPS", "ratio", "decision changes", "not a digit",
                 "peak memory"):
        assert word in table


def test_max_frames_and_no_labels(synth_video, quick_bundle, hand_model_path, tmp_path):
    copy = tmp_path / "nolabels.mp4"
    copy.write_bytes(synth_video.path.read_bytes())
    assert not labels_path(copy).exists()
    rep = bench.run_bench(copy, quick_bundle, hand_model_path, max_frames=14, log=lambda s: None, interleave=False)
    assert len(rep["frames"]) == 14 and "score" not in rep and rep["interleaved"] is False
    assert rep["frames_timed"] == 14 - bench.WARMUP_FRAMES


def test_cli(synth_video, quick_bundle, hand_model_path, tmp_path):
    out = tmp_path / "cli.json"
    run = subprocess.run([sys.executable, "-m", "asl_live", "bench", "--source", str(synth_video.path), "--model",
                          str(quick_bundle), "--hand-model", str(hand_model_path), "--json", str(out),
                          "--max-frames", "13"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert run.returncode == 0, run.stderr
    assert len(json.loads(out.read_text())["frames"]) == 13
    assert "FPS" in run.stdout and "Read-only tensor" not in run.stderr and "XNNPACK" not in run.stderr
    missing = subprocess.run([sys.executable, "-m", "asl_live", "bench", "--source", str(tmp_path / "missing.mp4"),
                              "--model", str(quick_bundle), "--hand-model", str(hand_model_path)],
                             capture_output=True, text=True, cwd=REPO, timeout=300)
    assert missing.returncode == 2 and "not found" in missing.stderr and "Traceback" not in missing.stderr
    assert "--camera" not in missing.stderr  # a file was asked for: no camera probing, no camera advice
    short = subprocess.run([sys.executable, "-m", "asl_live", "bench", "--source", str(synth_video.path), "--model",
                            str(quick_bundle), "--hand-model", str(hand_model_path), "--max-frames", "1"],
                           capture_output=True, text=True, cwd=REPO, timeout=300)
    assert short.returncode == 2 and "nothing was measured" in short.stderr and "0.0 FPS" not in short.stdout
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    bad = subprocess.run([sys.executable, "-m", "asl_live", "bench", "--source", str(broken), "--model",
                          str(quick_bundle), "--hand-model", str(hand_model_path)],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        f"asl-live bench: {broken} is not a readable video (corrupt or unsupported format): try another file."]
    for command in (["bench"], ["practice", "--prompts", "1"], []):
        url = subprocess.run([sys.executable, "-m", "asl_live", *command, "--source", "http://example.com/v.mp4"],
                             capture_output=True, text=True, cwd=REPO, timeout=300)
        assert url.returncode == 2 and "network streams are not supported" in url.stderr, url.stderr


def test_long_video_benches_in_flat_memory(quick_bundle, hand_model_path, tmp_path):
    """A video is decoded, timed and dropped frame by frame: 1,500 frames (1.4 GB as decoded
    640x480 frames) bench in a process that never holds more than a few hundred MB."""
    import cv2

    video = tmp_path / "long.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (480, 640, 3), dtype=np.uint8) for _ in range(4)]
    for i in range(1500):
        writer.write(frames[i % 4])
    writer.release()
    code = ("import json, sys; from asl_live.bench import run_bench\n"
            f"r = run_bench({str(video)!r}, {str(quick_bundle)!r}, {str(hand_model_path)!r}, log=lambda s: None)\n"
            "print(json.dumps({'frames': r['frames_total'], 'peak': r['peak_rss_mb']}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["frames"] == 1500
    assert out["peak"] < 700, out  # holding the decoded frames would need 1.4 GB more


# -- the benchmark's input: scripts/synthvideo.py ----------------------------------------------
def test_synth_video_labels_file(synth_video):
    meta = load_labels(synth_video.path)
    assert meta["labels"] == synth_video.labels and meta["fps"] == synth_video.fps
    assert len(meta["sources"]) == len(meta["digits"])
    per = round(meta["seconds_per"] * meta["fps"])
    digits = [NOT_DIGIT if d == "not_digit" else d for d in meta["digits"]]
    assert synth_video.labels == [d for d in digits for _ in range(per)]
    assert json.loads(labels_path(synth_video.path).read_text())["labels"].count("not_digit") == per


def test_synth_cli_and_digit_parsing(tmp_path, kaggle_root):
    from synthvideo import main, parse_digits

    from asl_live.source import FrameSource

    assert parse_digits("0, 9,-,3,x") == [0, 9, None, 3, NOT_DIGIT]
    with pytest.raises(Exception):
        parse_digits("0,12")
    out = tmp_path / "cli.mp4"
    assert main(["--out", str(out), "--digits", "4,-", "--seconds", "0.2", "--fps", "10", "--size", "160x120",
                 "--data", str(kaggle_root), "--seed", "3"]) == 0
    assert load_labels(out)["labels"] == [4, 4, None, None]
    with FrameSource(out, loop=False) as src:
        frames = list(src)
    assert len(frames) == 4 and frames[0].rgb.shape == (120, 160, 3)
    assert main(["--out", str(tmp_path / "x.mp4"), "--data", str(tmp_path / "nowhere")]) == 1
    assert main(["--out", str(tmp_path / "y.mp4"), "--digits", "x", "--data", str(kaggle_root)]) == 1  # no negatives


def test_synth_same_seed_same_video(tmp_path, kaggle_root):
    from synthvideo import make_video_file

    from asl_live.source import FrameSource

    videos = []
    for name in ("a.mp4", "b.mp4"):
        make_video_file(tmp_path / name, [1], 0.1, 20, (96, 72), seed=5, data_root=kaggle_root)
        with FrameSource(tmp_path / name, loop=False) as src:
            videos.append([f.rgb for f in src])
    assert len(videos[0]) == 2
    for a, b in zip(*videos):
        assert (a == b).all()


def test_held_out_hand_images_exclude_training_split(kaggle_root, quick_bundle):
    from synthvideo import hand_images

    from trainer.bundle_meta import BundleMeta
    from trainer.data import scan
    from trainer.pipeline import bundle_split

    everything = hand_images(kaggle_root)
    unseen = hand_images(kaggle_root, quick_bundle)
    n_all, n_unseen = (sum(map(len, d.values())) for d in (everything, unseen))
    assert 0 < n_unseen < n_all
    assert all(set(unseen[d]) <= set(everything[d]) for d in range(10))
    meta = BundleMeta.read(quick_bundle)
    samples = scan(kaggle_root)
    trained = {s.path for which in ("train", "val") for s in bundle_split(meta, samples, which)}
    assert not trained & {p for paths in unseen.values() for p in paths}
    assert n_all - n_unseen == len(trained)


def test_peak_memory_is_the_process_own_not_its_parents():
    """Started from a big process (pytest with TensorFlow loaded is 1.6 GB), the bench must not
    report the parent's size: ru_maxrss survives exec, the memory's own high-water mark does not."""
    code = ("import subprocess, sys\n"
            "big = bytearray(800 << 20)\n"
            "big[::4096] = b'x' * len(big[::4096])\n"
            "print(subprocess.run([sys.executable, '-c', 'from asl_live.bench import peak_rss_mb; print(peak_rss_mb())'],"
            " capture_output=True, text=True, check=True).stdout)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert 5 < float(run.stdout.split()[-1]) < 400
