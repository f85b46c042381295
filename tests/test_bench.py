"""bench.run_bench on a short generated video: report structure (not timing figures)."""

from __future__ import annotations

import json

import pytest

from asl_live import bench
from asl_live.synthvideo import labels_path


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
    for key in ("fps", "baseline_fps", "ratio", "stages", "frames", "score"):
        assert key in on_disk
    assert on_disk["fps"] > 0 and on_disk["baseline_fps"] > 0 and on_disk["ratio"] > 0
    for stage in ("landmarks", "crop", "classify", "smooth", "draw", "total", "frame", "baseline_landmarks"):
        st = on_disk["stages"][stage]
        assert 0 <= st["median"] <= st["p95"]
    assert on_disk["frames_total"] == len(synth_video.labels)


def test_one_frame_entry_per_frame(report, synth_video):
    frames = report[0]["frames"]
    assert [f["index"] for f in frames] == list(range(len(synth_video.labels)))
    for f in frames:
        assert set(f) >= {"index", "digit", "confidence"}
        assert f["digit"] is None or f["digit"] in range(10)
        assert (f["digit"] is None) == (f["state"] != "digit")
        assert 0.0 <= f["confidence"] <= 1.0
    nohand = [i for i, lab in enumerate(synth_video.labels) if lab is None][-3:]
    assert all(frames[i]["digit"] is None and frames[i]["state"] == "none" for i in nohand)


def test_score_per_segment(report, synth_video):
    score = report[0]["score"]
    segs = score["segments"]
    assert [s["digit"] for s in segs] == [d for d in synth_video.labels[:1]] + [
        b for a, b in zip(synth_video.labels, synth_video.labels[1:]) if a != b]
    assert score["no_hand_accuracy"] == 1.0
    assert 0.0 <= score["accuracy"] <= 1.0 and score["scored_frames"] > 0
    assert all(s["changes"] >= 0 for s in segs)


def test_table_printed(report):
    table = report[2]
    for word in ("landmarks", "classify", "median", "p95", "FPS", "ratio", "accuracy", "decision changes"):
        assert word in table


def test_max_frames_and_no_labels(synth_video, quick_bundle, hand_model_path, tmp_path):
    copy = tmp_path / "nolabels.mp4"
    copy.write_bytes(synth_video.path.read_bytes())
    assert not labels_path(copy).exists()
    rep = bench.run_bench(copy, quick_bundle, hand_model_path, max_frames=8, log=lambda s: None, interleave=False)
    assert len(rep["frames"]) == 8 and "score" not in rep and rep["interleaved"] is False


def test_cli(synth_video, quick_bundle, hand_model_path, tmp_path, capsys):
    out = tmp_path / "cli.json"
    rc = bench.main(["--source", str(synth_video.path), "--model", str(quick_bundle),
                     "--hand-model", str(hand_model_path), "--json", str(out), "--max-frames", "5"])
    assert rc == 0 and len(json.loads(out.read_text())["frames"]) == 5
    assert "FPS" in capsys.readouterr().out
    assert bench.main(["--source", str(tmp_path / "missing.mp4"), "--model", str(quick_bundle),
                       "--hand-model", str(hand_model_path)]) == 1


# -- the benchmark's input: asl_live.synthvideo ------------------------------------------------
def test_synth_video_labels_file(synth_video):
    from asl_live.synthvideo import load_labels

    meta = load_labels(synth_video.path)
    assert meta["labels"] == synth_video.labels and meta["fps"] == synth_video.fps
    assert len(meta["sources"]) == len(meta["digits"])
    per = round(meta["seconds_per"] * meta["fps"])
    assert synth_video.labels == [d for d in meta["digits"] for _ in range(per)]


def test_synth_cli_and_digit_parsing(tmp_path, kaggle_root, capsys):
    from asl_live.source import FrameSource
    from asl_live.synthvideo import load_labels, main, parse_digits

    assert parse_digits("0, 9,-,3") == [0, 9, None, 3]
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


def test_synth_same_seed_same_video(tmp_path, kaggle_root):
    from asl_live.source import FrameSource
    from asl_live.synthvideo import make_video_file

    videos = []
    for name in ("a.mp4", "b.mp4"):
        make_video_file(tmp_path / name, [1], 0.1, 20, (96, 72), seed=5, data_root=kaggle_root)
        with FrameSource(tmp_path / name, loop=False) as src:
            videos.append([f.rgb for f in src])
    assert len(videos[0]) == 2
    for a, b in zip(*videos):
        assert (a == b).all()


def test_held_out_hand_images_exclude_training_split(kaggle_root, quick_bundle):
    from trainer.bundle import read_meta

    from asl_live.synthvideo import hand_images

    everything = hand_images(kaggle_root)
    unseen = hand_images(kaggle_root, quick_bundle)
    n_all, n_unseen = (sum(map(len, d.values())) for d in (everything, unseen))
    meta = read_meta(quick_bundle)["data"]
    assert 0 < n_unseen < n_all
    assert all(set(unseen[d]) <= set(everything[d]) for d in range(10))
    if list(meta["datasets"]) == [kaggle_root.name]:
        assert n_all - n_unseen == meta["split"]["images"]["train"] + meta["split"]["images"]["val"]
