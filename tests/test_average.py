"""`asl-train average`: several training runs of one recipe as one bundle, on small real subsets."""

import json
import shutil

import numpy as np
import pytest

from trainer.classifier import Classifier, softmax
from trainer.cli import main
from trainer.examples import HELDOUT_FILE, load_examples

from _paths import HAND_MODEL, KAGGLE, LETTERS, SLD

DATA = ["--data", str(KAGGLE), "--data", str(SLD), "--negatives", str(LETTERS), "--hand-model", str(HAND_MODEL)]


def _train(out, seed: int, per_class: int = 8) -> None:
    assert main(["train", *DATA, "--out", str(out), "--limit-per-class", str(per_class), "--epochs", "1",
                 "--train-variants", "none", "--train-seed", str(seed)]) == 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two real runs of one recipe, training seeds 1 and 2, averaged."""
    base = tmp_path_factory.mktemp("average")
    for seed in (1, 2):
        _train(base / f"seed{seed}", seed)
    assert main(["average", *DATA, "--model", str(base / "seed1"), "--model", str(base / "seed2"),
                 "--out", str(base / "avg")]) == 0
    return base


def test_the_average_is_the_mean_of_the_runs_calibrated_probabilities(runs):
    avg, one, two = (Classifier.load(runs / n) for n in ("avg", "seed1", "seed2"))
    obs = [e.observation for e in load_examples(runs / "avg" / HELDOUT_FILE)][:40]
    assert len(obs) >= 20
    mean = (one.predict_batch(obs) + two.predict_batch(obs)) / 2
    assert np.allclose(softmax(avg.logits_batch(obs)), mean, atol=1e-4)  # before its own temperature
    assert avg.predict_batch(obs).shape == (len(obs), 11)


def test_the_averaged_bundle_records_its_runs_and_their_validation_figures(runs, capsys):
    meta = json.loads((runs / "avg" / "bundle.json").read_text())
    assert [r["train_seed"] for r in meta["training"]["averaged_runs"]] == [1, 2]
    assert meta["training"]["stopped"] == "averaged"
    val = meta["metrics"]["validation"]
    assert val["hands"] > 0 and len(val["runs"]) == 2
    assert all(0 <= f["errors"] <= val["hands"] for f in [*val["runs"], val["average"]])
    first = json.loads((runs / "seed1" / "bundle.json").read_text())
    assert set(meta["metrics"]["test"]) == {"asl-digits-kaggle", "sign-language-digits", "all"}
    assert meta["metrics"]["test"]["all"]["images"] == first["metrics"]["test"]["all"]["images"]  # same split
    assert meta["data"] == first["data"]
    assert {"model.keras", "model.tflite", "confusion.png", "heldout.npz", "rehearsal.npz"} <= {
        p.name for p in (runs / "avg").iterdir()}
    assert not [p for p in runs.iterdir() if p.name.startswith(".")]  # no temp leftovers
    assert "Average of 2 runs (training seeds 1, 2)" in (runs / "avg" / "report.md").read_text()


def test_only_runs_of_the_same_data_are_averaged(runs, tmp_path, capsys):
    _train(tmp_path / "fewer", 3, per_class=5)
    cases = [
        (["--model", str(runs / "seed1"), "--model", str(tmp_path / "fewer")], "differ in their data"),
        (["--model", str(runs / "seed1")], "at least two"),
    ]
    for extra, why in cases:
        assert main(["average", *DATA, *extra, "--out", str(tmp_path / "o")]) == 2
        assert why in capsys.readouterr().err.strip().splitlines()[-1]
    other_data = ["--data", str(KAGGLE), "--hand-model", str(HAND_MODEL)]
    assert main(["average", *other_data, "--model", str(runs / "seed1"), "--model", str(runs / "seed2"),
                 "--out", str(tmp_path / "o")]) == 2
    assert "fingerprint" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_an_averaged_bundle_can_be_fine_tuned(runs, tmp_path):
    """Retrain fine-tunes the current bundle; an averaged one trains all its runs together."""
    from trainer.bundle import load_keras_model
    from trainer.pipeline import TrainJob, run_training
    from trainer.train import TrainSettings

    base = tmp_path / "base"  # with a not-a-digit offset, which the fine-tuned bundle keeps
    shutil.copytree(runs / "avg", base)
    meta = json.loads((base / "bundle.json").read_text())
    (base / "bundle.json").write_text(json.dumps({**meta, "not_digit_offset": -0.5}))
    job = TrainJob(data=[KAGGLE], out=tmp_path / "tuned", hand_model=HAND_MODEL, limit_per_class=4,
                   train=TrainSettings(epochs=1), train_variants=(), base_model=base, rehearsal_from=base)
    run_training(job, log=lambda *a, **k: None)
    assert Classifier.load(job.out).meta.not_digit_offset == -0.5
    before, after = load_keras_model(runs / "avg"), load_keras_model(job.out)
    assert after.name == "asl_digits_averaged"
    assert not all(np.allclose(a, b) for a, b in zip(before.get_weights(), after.get_weights()))
    assert Classifier.load(job.out).num_classes == 11
