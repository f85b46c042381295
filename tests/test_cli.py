"""`asl-train` end to end on small real subsets, and every bad input it must explain."""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from trainer.classifier import Classifier
from trainer.cli import main
from trainer.hands import HandCropper
from trainer.images import read_rgb

from _paths import HAND_MODEL, KAGGLE, LETTERS, REPO, SLD, kaggle_image, sld_images


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("ASL_LIVE_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("ASL_LIVE_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("ASL_LIVE_HAND_MODEL", str(HAND_MODEL))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One real `asl-train train` on ~400 digit images and some hands that are no digit, two epochs."""
    out = tmp_path_factory.mktemp("bundle") / "model"
    os.environ.setdefault("ASL_LIVE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    code = main(["train", "--data", str(KAGGLE), "--data", str(SLD), "--negatives", str(LETTERS),
                 "--hand-model", str(HAND_MODEL), "--out", str(out), "--limit-per-class", "20", "--epochs", "2",
                 "--train-variants", "none"])
    assert code == 0
    return out


def test_train_writes_a_complete_bundle(trained):
    files = {p.name for p in trained.iterdir()}
    assert {"model.keras", "model.tflite", "bundle.json", "report.md", "confusion.png", "training.png",
            "heldout.npz", "rehearsal.npz"} <= files
    assert not [p for p in trained.parent.iterdir() if p.name.startswith(".")]  # no temp leftovers
    meta = json.loads((trained / "bundle.json").read_text())
    assert meta["classes"] == [*range(10), "not_digit"]
    assert meta["input"]["crop"] == [64, 64, 3] and meta["input"]["upright"] is True
    assert meta["crop_settings"]["size"] == 64
    assert len(meta["data"]["fingerprint"]) == 16
    assert set(meta["data"]["datasets"]) == {"asl-digits-kaggle", "sign-language-digits", "asl-letters-dlee"}
    assert meta["data"]["negatives"] == [str(LETTERS)]
    assert {"tensorflow", "keras", "mediapipe", "ai-edge-litert"} <= set(meta["versions"])
    assert set(meta["metrics"]["test"]) == {"asl-digits-kaggle", "sign-language-digits", "all"}
    assert len(meta["metrics"]["test"]["all"]["confusion"][0]) == 11  # a "not a digit" column
    neg = meta["metrics"]["negatives"]
    assert neg["images"] > 0 and 0 <= neg["rate"] <= 1 and neg["threshold"] == 0.6
    assert meta["training"]["best_epoch"] in (1, 2)
    report = (trained / "report.md").read_text()
    assert "Held-out hands that are no digit" in report and "shown as a digit" in report


def test_bundle_loads_without_tensorflow_and_predicts(trained):
    code = ("import sys, numpy as np; from trainer.classifier import Classifier\n"
            f"c = Classifier.load({str(trained)!r}); c.warm_up()\n"
            "print(c.num_classes, c.has_not_digit, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.stdout.split() == ["11", "True", "False", "False"], out.stderr[-2000:]
    clf = Classifier.load(trained)
    with HandCropper(HAND_MODEL, clf.crop_settings) as cropper:
        obs = cropper.observe(read_rgb(kaggle_image(7, 3)))
    probs = clf.predict(obs)
    assert probs.shape == (11,) and probs.sum() == pytest.approx(1, abs=1e-4) and (probs >= 0).all()
    assert np.allclose(clf.predict_batch([obs, obs]), probs, atol=1e-5)


def test_bundles_without_newer_keys_load_as_they_were_trained(trained, tmp_path):
    """Bundles from before `input.upright` used the untilted landmarks, and ten classes."""
    from trainer.bundle_meta import BundleMeta

    old = json.loads((trained / "bundle.json").read_text())
    del old["input"]["upright"]
    del old["data"]["negatives"]
    old["classes"] = list(range(10))
    meta = BundleMeta.from_dict(old)
    assert meta.upright is False and not meta.has_not_digit and meta.data.negatives == []
    assert BundleMeta.from_dict(json.loads(json.dumps(meta.to_dict()))) == meta


def test_the_app_runs_what_keras_trained(good_bundle):
    """The shipped model's LiteRT file gives the Keras model's logits (not just probabilities,
    which saturate) on real hands of every digit."""
    import keras

    from trainer.bundle_meta import MODEL_FILE

    clf = Classifier.load(good_bundle)
    model = keras.saving.load_model(good_bundle / MODEL_FILE, compile=False)
    with HandCropper(HAND_MODEL, clf.crop_settings) as cropper:
        observations = [cropper.observe(read_rgb(sld_images(d)[5])) for d in range(10)]
    observations = [o for o in observations if o is not None]
    assert len(observations) >= 8
    from trainer.features import batch_inputs

    x = batch_inputs(observations, clf.upright, clf.meta.tilt)
    x["crop"] = x["crop"].astype(np.float32)
    keras_logits = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(clf.logits_batch(observations), keras_logits, atol=1e-3, rtol=1e-3)
    assert np.ptp(keras_logits, axis=1).min() > 1  # logits that tell classes apart, not noise


def test_a_bundle_without_its_lite_model_is_refused(trained, tmp_path, capsys):
    incomplete = tmp_path / "incomplete"
    shutil.copytree(trained, incomplete)
    (incomplete / "model.tflite").unlink()
    assert main(["evaluate", "--model", str(incomplete), "--data", str(SLD)]) == 2
    assert "model.tflite is missing" in capsys.readouterr().err


def test_evaluate_json_and_table(trained, capsys):
    assert main(["evaluate", "--model", str(trained), "--data", str(SLD), "--negatives", str(LETTERS),
                 "--split", "test", "--json"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert {"model", "split", "variant", "unreadable", "images", "accuracy", "accuracy_with_hand", "no_hand",
            "macro_f1", "ece", "per_class", "confusion", "datasets", "negatives"} <= set(report)
    assert sorted(report["per_class"]) == [str(d) for d in range(10)]
    assert set(report["per_class"]["4"]) == {"precision", "recall", "f1", "support", "no_hand"}
    assert np.array(report["confusion"]).shape == (10, 11)
    assert set(report["datasets"]) == {"sign-language-digits"}  # and, with one dataset, the top level too
    assert report["datasets"]["sign-language-digits"]["accuracy"] == report["accuracy"]
    # --split test reproduces the held-out split the bundle was scored on at training time
    meta = json.loads((trained / "bundle.json").read_text())
    recorded = meta["metrics"]["test"]["sign-language-digits"]
    assert report["images"] == recorded["images"] and report["accuracy"] == recorded["accuracy"]
    neg = report["negatives"]
    assert set(neg) >= {"images", "shown_as_digit", "rate", "per_folder", "split"} and neg["split"] == "test"
    assert neg["images"] == meta["metrics"]["negatives"]["images"]  # the held-out letters, as at training
    assert sum(f["images"] for f in neg["per_folder"].values()) == neg["images"]
    # both judges per letter: the model, the finger states, and both on the same digit
    for f in [neg, *neg["per_folder"].values()]:
        assert f["both_say_digit"] <= min(f["shown_as_digit"], f["fingers_say_digit"]) <= f["images"]
    assert set(report["fingers"]) == {"agree", "both_right", "right_held_back_any", "right_held_back_flat"}
    assert 0.8 <= report["fingers"]["agree"] <= 1.0 and report["fingers"]["both_right"] <= report["accuracy"]
    assert "Cropping hands" in out.err  # progress goes to stderr, stdout stays JSON

    assert main(["evaluate", "--model", str(trained), "--data", str(SLD), "--negatives", str(LETTERS),
                 "--split", "test"]) == 0
    table = capsys.readouterr().out
    assert "precision" in table and "confusion (rows: true digit" in table and "shown as a digit" in table

    assert main(["evaluate", "--model", str(trained), "--data", str(KAGGLE), "--data", str(SLD),
                 "--split", "val", "--json"]) == 0
    val = json.loads(capsys.readouterr().out)
    assert val["split"] == "val" and set(val["datasets"]) == {"asl-digits-kaggle", "sign-language-digits"}


def test_evaluate_variants_score_altered_images(trained, capsys):
    figures = {}
    for variant in ("plain", "mirror", "gray", "low64"):
        assert main(["evaluate", "--model", str(trained), "--data", str(SLD), "--split", "test",
                     "--variant", variant, "--json"]) == 0
        figures[variant] = json.loads(capsys.readouterr().out)
        assert figures[variant]["variant"] == variant
    assert len({f["images"] for f in figures.values()}) == 1  # the same photos each time
    # but not the same predictions: other answers or, from a two-epoch model that may still call
    # most hands "not a digit", other confidences
    assert len({json.dumps([f["confusion"], f["ece"]]) for f in figures.values()}) > 1


@pytest.mark.parametrize("fusion", ["crop", "landmarks"])
def test_a_study_changes_the_recipe_through_scripts_not_the_product(fusion, tmp_path, capsys):
    """Single-input models and the near-digit options are research: scripts/train_study.py
    sets TrainSettings fields; the bundle records them and evaluates like any other."""
    sys.path.insert(0, str(REPO / "scripts"))
    from train_study import main as study

    out = tmp_path / fusion
    assert study(["--data", str(KAGGLE), "--negatives", str(LETTERS), "--out", str(out), "--limit-per-class", "6",
                  "--epochs", "1", "--train-variants", "none", "--set", f"fusion={fusion}", "--set", "geometry=true",
                  "--set", "hard_negatives=0.5", "--set", "upright=false"]) == 0
    meta = json.loads((out / "bundle.json").read_text())
    assert (meta["training"]["fusion"], meta["training"]["geometry"], meta["training"]["hard_negatives"]) == (
        fusion, True, 0.5)
    assert meta["input"]["upright"] is False
    capsys.readouterr()
    assert main(["evaluate", "--model", str(out), "--data", str(KAGGLE), "--split", "test", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["images"] > 0
    with pytest.raises(SystemExit):
        study(["--data", str(KAGGLE), "--out", str(tmp_path / "x"), "--set", "no_such_knob=1"])
    assert "unknown setting 'no_such_knob'" in capsys.readouterr().err


def test_the_product_cli_offers_what_users_run_and_refuses_nonsense(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "download" in text and "train" in text and "evaluate" in text and "average" not in text
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for research in ("--holdout-fold", "--fusion", "--landmark-gate", "--not-digit-from", "--thumb-jitter",
                     "--hard-negatives", "--train-seed"):
        assert research not in text
    for bad in (["--epochs", "0"], ["--batch-size", "0"], ["--limit-per-class", "-3"], ["--holdout-fold", "1/3"]):
        with pytest.raises(SystemExit) as stop:
            main(["train", "--data", str(SLD), "--out", str(tmp_path / "o"), *bad])
        assert stop.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "--model", str(tmp_path), "--data", str(SLD), "--split", "fold"])
    assert stop.value.code == 2 and not (tmp_path / "o").exists()


def test_bad_inputs_exit_2_with_a_message(tmp_path, trained, capsys):
    unreadable, few = tmp_path / "inputs" / "unreadable", tmp_path / "inputs" / "few"
    for d in range(10):
        (unreadable / str(d)).mkdir(parents=True)
        (unreadable / str(d) / "x.jpg").write_bytes(b"\xff\xd8 garbage " + bytes([d]))
    for d in range(3):  # three photos: too few to hold any out
        (few / str(d)).mkdir(parents=True)
        shutil.copy(kaggle_image(d, 1), few / str(d) / "a.jpeg")
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    cases = [
        (["train", "--data", str(tmp_path / "loop_a"), "--out", str(tmp_path / "o")], "point --data at a real folder"),
        (["train", "--data", str(SLD), "--out", str(tmp_path / "loop_a")], "point --out at a real folder"),
        (["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")], "not a directory"),
        (["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")], "no digit folders"),
        (["evaluate", "--model", str(tmp_path), "--data", str(SLD)], "bundle.json is missing"),
        (["evaluate", "--model", str(tmp_path / "typo"), "--data", str(SLD)], "that folder does not exist"),
        (["evaluate", "--model", str(trained), "--data", str(SLD), "--hand-model", str(tmp_path / "x.task")],
         "x.task"),
        (["evaluate", "--model", str(trained), "--data", str(unreadable)], "No readable images"),
        (["evaluate", "--model", str(trained), "--data", str(few), "--split", "test"], "No images to evaluate"),
        (["evaluate", "--model", str(trained), "--negatives", str(tmp_path / "empty")], "not a directory"),
    ]
    for argv, why in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        last = err.strip().splitlines()[-1]
        assert last.startswith("asl-train: ") and why in last and "Traceback" not in err, (argv, err)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content", ["[1, 2, 3]", '{"format_version": 1, "temperature": "x"}',
                                     '{"format_version": 1, "data": {"split": {"val": 0.15, "test": 2, "seed": 1}}}',
                                     '{"format_version": 7}'])
def test_bundle_metadata_of_the_wrong_shape_names_file_and_key(trained, tmp_path, capsys, content):
    odd = tmp_path / "odd"
    shutil.copytree(trained, odd)
    (odd / "bundle.json").write_text(content)
    assert main(["evaluate", "--model", str(odd), "--data", str(SLD), "--split", "test"]) == 2
    err = capsys.readouterr().err
    assert str(odd / "bundle.json") in err and "Traceback" not in err, err


@pytest.mark.parametrize("change, key", [
    (lambda m: m.update(classes=m["classes"][:-1]), "'classes' says 10 classes listed, but model.tflite outputs 11"),
    (lambda m: m["input"].update(landmarks=42, tilt=False), "'input.landmarks' says 42 landmark numbers, but model.tflite takes 44"),
    (lambda m: (m["crop_settings"].update(size=96), m["input"].update(crop=[96, 96, 3])),
     "'input.crop' says [96, 96, 3] crop, but model.tflite takes [64, 64, 3]"),
])
def test_bundle_json_that_does_not_fit_its_model_is_refused_naming_both(trained, tmp_path, capsys, change, key):
    """bundle.json and model.tflite are checked against each other on load (evaluate, bench,
    practice and the window all load through Classifier.load): no IndexError, no runtime error."""
    odd = tmp_path / "odd"
    shutil.copytree(trained, odd)
    meta = json.loads((odd / "bundle.json").read_text())
    change(meta)
    (odd / "bundle.json").write_text(json.dumps(meta))
    assert main(["evaluate", "--model", str(odd), "--data", str(SLD), "--split", "test"]) == 2
    err = capsys.readouterr().err
    assert key in err and "Traceback" not in err, err
    ten = subprocess.run([sys.executable, "-m", "asl_live", "practice", "--source", "nothing.mp4", "--prompts", "1",
                          "--model", str(odd)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert ten.returncode != 0 and key in ten.stderr and "Traceback" not in ten.stderr


def test_out_is_never_destroyed(tmp_path, trained, capsys):
    """--out may be a new folder or an existing bundle; anything else is refused before any
    work, with exit 2, and is left exactly as it was."""
    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"precious")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    base = ["train", "--data", str(KAGGLE), "--limit-per-class", "4", "--epochs", "1", "--train-variants", "none"]
    cases = [(mine, "other files"), (a_file, "is a file"), (Path("."), "not the current folder")]
    if os.geteuid() != 0:  # root may write anywhere
        cases.append((locked / "model", "cannot write"))
    for out, why in cases:
        assert main([*base, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert why in err and "Cropping" not in err, err  # refused before any work
    assert (mine / "holiday.jpg").read_bytes() == b"precious" and a_file.read_text() == "keep me"
    # a bundle folder with a user's file in it, and a folder of user files that holds a bundle.json
    kept = tmp_path / "kept"
    shutil.copytree(trained, kept)
    (kept / "my-notes.txt").write_text("mine")
    assert main([*base, "--out", str(kept)]) == 2
    assert "my-notes.txt" in capsys.readouterr().err and (kept / "my-notes.txt").read_text() == "mine"
    (mine / "bundle.json").write_text("{}")
    assert main([*base, "--out", str(mine)]) == 2
    assert "holiday.jpg" in capsys.readouterr().err and (mine / "holiday.jpg").read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "locked", "notes.txt", "photos"]  # nothing beside them

    bundle = tmp_path / "bundle"
    shutil.copytree(trained, bundle)
    before = json.loads((bundle / "bundle.json").read_text())["created"]
    assert main([*base, "--out", str(bundle)]) == 0  # an existing bundle is replaced whole
    assert json.loads((bundle / "bundle.json").read_text())["created"] != before
    assert not (tmp_path / "bundle.previous").exists()


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def test_a_bundle_write_removes_what_killed_writers_left_and_nothing_else(tmp_path):
    """A hard kill mid-write (`train`, Retrain) leaves a hidden staging folder; the next write of
    that bundle removes it. A live writer's folder and another bundle's ("out.2") are left alone."""
    from trainer.atomicio import atomic_dir

    finished = subprocess.Popen(["true"])
    finished.wait()  # a process that has ended: its pid names a dead writer
    dead = tmp_path / f".out.{finished.pid}.abc"
    kept = [tmp_path / f".out.{os.getpid()}.xyz", tmp_path / f".out.2.{finished.pid}.abc"]
    for d in (dead, *kept):
        d.mkdir()
        (d / "model.keras").write_bytes(b"half written")
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "bundle.json").write_text("{}")
    assert not dead.exists() and all(d.exists() for d in kept)
    assert (tmp_path / "out" / "bundle.json").read_text() == "{}"


def test_ctrl_c_keeps_the_best_epoch_beside_out_and_exits_130(tmp_path, trained):
    out = tmp_path / "model"
    shutil.copytree(trained, out)
    before = (out / "bundle.json").read_text()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer.cli", "train", "--data", str(KAGGLE), "--out", str(out),
         "--limit-per-class", "12", "--epochs", "200", "--train-variants", "none"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # as from a terminal: a suite started in the background (`cmd &`) inherits SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True).start()
    seen = ""
    try:
        while "epoch 2:" not in seen:
            line = lines.get(timeout=300)  # never hang the suite on a trainer that stopped talking
            assert line is not None, f"trainer ended early: {seen[-2000:]}"
            seen += line
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    while (line := lines.get(timeout=10)) is not None:
        seen += line
    assert proc.returncode == 130, seen[-2000:]
    assert "Stopping after the current step" in seen
    assert "model.interrupted" in seen and "left as it was" in seen
    assert (out / "bundle.json").read_text() == before  # the previous bundle is untouched
    meta = json.loads((tmp_path / "model.interrupted" / "bundle.json").read_text())
    assert meta["training"]["stopped"] == "cancelled" and meta["training"]["best_epoch"] >= 1


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
    assert main(["train", "--data", str(root), "--out", str(out), "--epochs", "1", "--train-variants", "none"]) == 0
    err = capsys.readouterr().err
    assert "skipped: 1 empty, 1 not an image" in err
    assert "1 unreadable files skipped" in err
    assert (out / "model.tflite").exists()


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
    from trainer.train import TrainSettings
    from trainer.variants import TRAIN_VARIANTS

    args = build_parser().parse_args(["train", "--data", "d", "--out", "o"])
    assert args.train_variants == TRAIN_VARIANTS == ("mirror", "gray", "low64", "gray64")
    assert TrainJob(data=[], out=Path("o"), hand_model=Path("h")).train_variants == TRAIN_VARIANTS
    defaults = TrainSettings()
    assert (args.epochs, args.batch_size) == (defaults.epochs, defaults.batch_size)
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


