"""Averaging training runs: one bundle whose model outputs the mean of several runs' calibrated
probabilities.

Runs of one recipe that differ only in their training seed can disagree on a photo or two;
where they do, the average settles it by their confidence. Whether that wins is measured on
validation, which this command prints (for the shipped recipe it did not: README, averaging
study). It costs one more classifier pass per run and frame (0.6 ms on one core in the bench).
The averaged model is an ordinary bundle: the app, `evaluate`, the bench and Retrain (which
fine-tunes all runs together) use it unchanged.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np

from .bundle import load_keras_model, write_bundle
from .bundle_meta import BundleError, BundleMeta
from .data import ScanReport, SplitSettings, split
from .examples import HELDOUT_FILE, REHEARSAL_FILE
from .progress import Progress, ShouldStop, never_stop, no_progress
from .quiet import import_keras
from .train import fit_temperature, nll

keras = import_keras()


@keras.saving.register_keras_serializable(package="asl_live")
class MeanProbs(keras.layers.Layer):
    """Several runs' logits -> log of the mean of their probabilities, each run's own
    calibration temperature applied first: logits again, as the bundle format expects."""

    def __init__(self, temperatures, **kwargs):
        super().__init__(**kwargs)
        self.temperatures = [float(t) for t in temperatures]

    def call(self, inputs):
        ops = keras.ops
        logp = ops.stack([ops.log_softmax(x / t, axis=-1) for x, t in zip(inputs, self.temperatures)], axis=0)
        top = ops.max(logp, axis=0)
        return top + ops.log(ops.mean(ops.exp(logp - top), axis=0))

    def get_config(self):
        return {**super().get_config(), "temperatures": self.temperatures}


def ensemble_model(models: list, temperatures: list[float]):
    """One Keras model with the runs inside (each keeps its weights, so it can be fine-tuned)."""
    first = models[0]
    inputs = {t.name: keras.Input(t.shape[1:], name=t.name) for t in first.inputs}
    for i, m in enumerate(models):
        m.name = f"run_{i + 1}"  # one model may hold runs that were all called "asl_digits_fused"
    outputs = MeanProbs(temperatures, name="logits")([m(inputs) for m in models])
    return keras.Model(inputs, outputs, name="asl_digits_averaged")


def _same_recipe_data(metas: list[BundleMeta], paths: list[Path]) -> None:
    """Runs can be averaged only when they read the same inputs and held out the same images."""
    first = metas[0]
    keys = {
        "classes": lambda m: m.classes,
        "crop settings": lambda m: m.crop_settings.to_dict(),
        "landmark input": lambda m: (m.upright, m.tilt, m.landmark_features),
        "train/validation/test split": lambda m: m.data.split and (m.data.split.val, m.data.split.test,
                                                                   m.data.split.seed, m.data.split.folds,
                                                                   m.data.split.fold),
        "data": lambda m: (m.data.fingerprint, m.data.limit_per_class),
    }
    for what, key in keys.items():
        for m, p in zip(metas[1:], paths[1:]):
            if key(m) != key(first):
                raise BundleError(f"{p} and {paths[0]} differ in their {what}: only runs trained on the same data "
                                  "with the same split and inputs can be averaged (train them with the same "
                                  "command and another --train-seed).")
    if first.data.split is None:
        raise BundleError(f"{paths[0]} does not record its split, so no validation images to calibrate on.")
    if any(m.gate for m in metas):
        raise BundleError("runs with a landmark gate cannot be averaged (the gate would be kept for one run only).")


def run_ensemble(members: list[Path], roots: list[Path], hand_model: Path, out: Path, negatives: list[Path] = (),
                 cache_root: Path | None = None, progress: Progress = no_progress,
                 should_stop: ShouldStop = never_stop, log=print) -> BundleMeta:
    """Average the bundles `members` (same data, split and inputs; trained with different seeds)
    into a new bundle at `out`: the temperature refitted on their common validation split, the
    held-out test split scored as `asl-train train` scores it. The validation figures of every
    run and of the average (errors, log-likelihood) are logged and recorded under
    metrics["validation"], so the choice between them can be made there, never on the test split."""
    from .crops import CropResult, crop_samples
    from .pipeline import _fingerprint, _inputs, finish_bundle, load_samples

    if len(members) < 2:
        raise BundleError("averaging needs at least two model bundles (--model A --model B)")
    metas = [BundleMeta.read(p) for p in members]
    _same_recipe_data(metas, members)
    first = metas[0]
    report = ScanReport()
    samples = load_samples(roots, report, first.data.limit_per_class, first.data.split.seed, negatives)
    log(f"Data: {report.summary()}")
    crops = crop_samples(samples, hand_model, first.crop_settings, cache_root=cache_root, progress=progress,
                         should_stop=should_stop)
    if _fingerprint(crops.samples) != first.data.fingerprint:
        raise BundleError(f"the images in {', '.join(map(str, [*roots, *negatives]))} are not those the runs were "
                          "trained on (their fingerprint differs): give the same --data and --negatives folders.")
    settings = SplitSettings.from_record(first.data.split)
    parts = split(crops.samples, settings)
    obs_of = {s.digest: o for s, o in zip(crops.samples, crops.observations)}
    xva, yva = _inputs([(s, obs_of[s.digest]) for s in parts["val"]], first.upright, first.tilt)
    if len(yva) == 0:
        raise BundleError("the runs' validation split has no hands to calibrate the average on")

    models = [load_keras_model(p) for p in members]
    temps = [m.temperature for m in metas]
    figures = []
    for path, model, t in zip(members, models, temps):
        z = model.predict(xva, verbose=0, batch_size=256)
        figures.append({"model": str(path), "errors": int((z.argmax(1) != yva).sum()), "nll": nll(z, yva, t)})
    model = ensemble_model(models, temps)
    z = model.predict(xva, verbose=0, batch_size=256)
    temperature = fit_temperature(z, yva)
    averaged = {"errors": int((z.argmax(1) != yva).sum()), "nll": nll(z, yva, temperature)}
    for f in figures:
        log(f"Validation ({len(yva)} hands): {f['model']}: {f['errors']} errors, log-loss {f['nll']:.4f}")
    log(f"Validation ({len(yva)} hands): average of {len(members)}: {averaged['errors']} errors, "
        f"log-loss {averaged['nll']:.4f} (temperature {temperature:.3f})")

    runs = [{"model": str(p), "train_seed": m.training.settings.get("seed"), "temperature": m.temperature,
             "best_epoch": m.training.best_epoch} for p, m in zip(members, metas)]
    meta = replace(first, temperature=temperature, metrics={"validation": {"hands": len(yva), "runs": figures,
                                                                           "average": averaged}},
                   training=replace(first.training, settings={**first.training.settings, "averaged_runs": runs},
                                    stopped="averaged", base_model=None))
    test = CropResult(samples=parts["test"], observations=[obs_of[s.digest] for s in parts["test"]])

    def finish(tmp: Path, classifier) -> None:
        finish_bundle(tmp, classifier, meta, test, first.training.history)
        for name in (HELDOUT_FILE, REHEARSAL_FILE):  # the same split: the first run's examples hold
            if (members[0] / name).is_file():
                shutil.copy2(members[0] / name, tmp / name)

    write_bundle(out, model, meta, finish)
    return meta
