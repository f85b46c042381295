"""`asl-train` end to end on a small real subset, and every bad input it must explain."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trainer.bundle import Classifier
from trainer.cli import main
from trainer.hands import HandCropper, read_rgb

from _paths import HAND_MODEL, KAGGLE, REPO, SLD, kaggle_image


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("ASL_LIVE_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("ASL_LIVE_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("ASL_LIVE_HAND_MODEL", str(HAND_MODEL))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One real `asl-train train` on ~400 images, two epochs."""
    out = tmp_path_factory.mktemp("bundle") / "model"
    os.environ.setdefault("ASL_LIVE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    code = main(["train", "--data", str(KAGGLE), "--data", str(SLD), "--hand-model", str(HAND_MODEL),
                 "--out", str(out), "--limit-per-class", "20", "--epochs", "2"])
    assert code == 0
    return out


def test_train_writes_a_complete_bundle(trained):
    files = {p.name for p in trained.iterdir()}
    assert {"model.keras", "bundle.json", "report.md", "confusion.png", "training.png"} <= files
    assert not [p for p in trained.parent.iterdir() if p.name.startswith(".")]  # no temp leftovers
    meta = json.loads((trained / "bundle.json").read_text())
    assert meta["classes"] == list(range(10))
    assert meta["input"]["crop"] == [64, 64, 3]
    assert meta["crop_settings"]["size"] == 64
    assert len(meta["data"]["fingerprint"]) == 16
    assert set(meta["data"]["datasets"]) == {"asl-digits-kaggle", "sign-language-digits"}
    assert {"tensorflow", "keras", "mediapipe"} <= set(meta["versions"])
    assert set(meta["metrics"]["test"]) == {"asl-digits-kaggle", "sign-language-digits", "all"}
    assert meta["training"]["best_epoch"] in (1, 2)


def test_bundle_loads_in_one_call_and_predicts(trained):
    clf = Classifier.load(trained)
    with HandCropper(HAND_MODEL, clf.crop_settings) as cropper:
        obs = cropper.observe(read_rgb(kaggle_image(7, 3)))
    probs = clf.predict(obs)
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1, abs=1e-4) and (probs >= 0).all()
    assert np.allclose(clf.predict_batch([obs, obs]), probs, atol=1e-5)
    # The bundle says how its landmarks were normalised; bundles from before that key used
    # the untilted form, and the classifier must feed each model the form it was trained on.
    assert clf.upright is True and clf.meta["input"]["upright"] is True
    old_meta = json.loads((trained / "bundle.json").read_text())
    del old_meta["input"]["upright"]
    assert Classifier(clf.model, old_meta).upright is False


def test_evaluate_json_and_table(trained, capsys):
    assert main(["evaluate", "--model", str(trained), "--data", str(SLD), "--split", "test", "--json"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert {"accuracy", "per_class", "confusion", "no_hand"} <= set(report)
    assert sorted(report["per_class"]) == [str(d) for d in range(10)]
    assert np.array(report["confusion"]).shape == (10, 10)
    # --split test reproduces the held-out split the bundle was scored on at training time
    recorded = json.loads((trained / "bundle.json").read_text())["metrics"]["test"]["sign-language-digits"]
    assert report["images"] == recorded["images"] and report["accuracy"] == recorded["accuracy"]
    assert "Cropping hands" in out.err  # progress goes to stderr, stdout stays JSON
    assert main(["evaluate", "--model", str(trained), "--data", str(SLD), "--split", "test"]) == 0
    table = capsys.readouterr().out
    assert "precision" in table and "confusion (rows: true digit" in table
    # --split val: the validation split, where settings are chosen (never the test split)
    assert main(["evaluate", "--model", str(trained), "--data", str(KAGGLE), "--data", str(SLD),
                 "--split", "val", "--json"]) == 0
    val = json.loads(capsys.readouterr().out)
    meta = json.loads((trained / "bundle.json").read_text())
    assert val["split"] == "val" and val["images"] == meta["data"]["split"]["images"]["val"]


def test_bad_inputs_exit_2_with_a_message(tmp_path, trained, capsys):
    cases = [
        ["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")],
        ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")],  # no digit folders
        ["evaluate", "--model", str(tmp_path), "--data", str(SLD)],  # not a bundle
        ["evaluate", "--model", str(trained), "--data", str(SLD), "--hand-model", str(tmp_path / "x.task")],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("asl-train: ") and len(err) > 30, err
    assert not (tmp_path / "o").exists()


def test_corrupt_model_file_is_explained(tmp_path, trained, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(trained, broken)
    (broken / "model.keras").write_bytes(b"not a model")
    assert main(["evaluate", "--model", str(broken), "--data", str(SLD)]) == 2
    assert "could not be loaded" in capsys.readouterr().err


def test_corrupt_images_are_skipped_and_counted(tmp_path, capsys):
    root = tmp_path / "mine"
    for d in range(10):
        (root / str(d)).mkdir(parents=True)
        for k in (1, 2, 3, 4):
            shutil.copy(kaggle_image(d, k), root / str(d) / f"{k}.jpeg")
    (root / "3" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (root / "4" / "empty.png").write_bytes(b"")
    (root / "5" / "readme.txt").write_text("hi")
    out = tmp_path / "model"
    assert main(["train", "--data", str(root), "--out", str(out), "--epochs", "1"]) == 0
    err = capsys.readouterr().err
    assert "skipped: 1 empty, 1 not an image" in err
    assert "1 unreadable files skipped" in err
    assert (out / "model.keras").exists()


def test_ctrl_c_keeps_the_best_model_so_far(tmp_path):
    out = tmp_path / "model"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer.cli", "train", "--data", str(KAGGLE), "--out", str(out),
         "--limit-per-class", "12", "--epochs", "200"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # as from a terminal: a suite started in the background (`cmd &`) inherits SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = ""
    while "epoch 2:" not in seen:
        line = proc.stderr.readline()
        assert line, f"trainer ended early: {seen[-2000:]}"
        seen += line
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    assert "Training interrupted" in seen + stderr
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["training"]["stopped"] == "interrupted" and meta["training"]["best_epoch"] >= 1


def test_train_variants_add_landmarker_crops_of_altered_images(tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["train", "--data", str(KAGGLE), "--out", str(out), "--limit-per-class", "6", "--epochs", "1",
                 "--train-variants", "mirror"]) == 0
    err = capsys.readouterr().err
    assert "Crops (mirror copies of the training split)" in err
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["data"]["train_variants"] == ["mirror"]
    train_images = meta["data"]["split"]["images"]["train"]
    crops = int(err.split(" training crops")[0].rsplit(" ", 1)[-1])
    assert train_images < crops <= 2 * train_images  # the originals plus their mirrored copies
    with pytest.raises(SystemExit) as e:
        main(["train", "--data", str(KAGGLE), "--out", str(out), "--train-variants", "sepia"])
    assert e.value.code == 2 and "unknown variant(s) sepia" in capsys.readouterr().err


def test_the_default_recipe_trains_on_the_recipe_variants():
    from trainer.cli import build_parser
    from trainer.pipeline import TrainJob
    from trainer.variants import TRAIN_VARIANTS

    args = build_parser().parse_args(["train", "--data", "d", "--out", "o"])
    assert args.train_variants == TRAIN_VARIANTS == ("mirror", "gray", "low64", "gray64")
    assert TrainJob(data=[], out=Path("o"), hand_model=Path("h")).train_variants == TRAIN_VARIANTS
    none = build_parser().parse_args(["train", "--data", "d", "--out", "o", "--train-variants", "none"])
    assert none.train_variants == ()


def test_download_without_credentials_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    dest = tmp_path / "datasets"
    assert main(["download", "--dest", str(dest)]) == 2
    assert "No Kaggle credentials found" in capsys.readouterr().err
    assert not dest.exists() or not any(dest.iterdir())
