"""The trainer's two jobs end to end, for the CLI and the app's Retrain button alike:
image folders -> crops -> split -> train -> evaluate -> bundle, and bundle + folders -> figures."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .backgrounds import crop_hand_mask
from .bundle import load_keras_model, write_bundle
from .bundle_meta import (CONFUSION_FILE, HELDOUT_FILE, REHEARSAL_FILE, TRAINING_PLOT_FILE, BundleError, BundleMeta,
                          DataRecord, SplitRecord, TrainingRecord)
from .classes import DIGITS, NOT_DIGIT, NOT_DIGIT_NAME, NUM_DIGITS, SHOW_THRESHOLD
from .classifier import Classifier
from .crops import CropResult, crop_samples
from .data import DataError, Sample, ScanReport, SplitSettings, scan_many, scan_negatives, split
from .evaluate import NO_HAND, evaluate, evaluate_negatives
from .examples import Example, balanced, load_examples, save_examples
from .features import batch_inputs
from .finger_states import matching_digits, read_hand
from .gate import LandmarkGate, gate_features
from .hard_negatives import make_hard_negatives
from .hands import CropSettings, HandObservation
from .outdir import interrupted_path
from .plots import plot_confusion, plot_history
from .progress import Cancelled, Progress, ShouldStop, never_stop, no_progress
from .train import TrainSettings, train
from .variants import TRAIN_VARIANTS


@dataclass
class TrainJob:
    data: list[Path]
    out: Path
    hand_model: Path
    negatives: list[Path] = field(default_factory=list)  # folders of hands that are no digit
    crop: CropSettings = field(default_factory=CropSettings)
    split: SplitSettings = field(default_factory=SplitSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    limit_per_class: int | None = None  # per dataset; for quick runs and tests
    cache_root: Path | None = None
    base_model: Path | None = None  # fine-tune this bundle instead of starting fresh
    # Also train on what the landmarker makes of altered copies of the training images
    # (names from trainer.variants): its landmarks on grey or mirrored photos are not those
    # on the originals, and pixel augmentation alone cannot teach that.
    train_variants: tuple[str, ...] = TRAIN_VARIANTS
    upright: bool = True  # turn landmarks upright (trainer.features); a fine-tune keeps its base's form
    # Give the model the hand's tilt beside the upright landmarks (trainer.features.hand_tilt),
    # so a hand pointing sideways or down can be told from a digit; a fine-tune keeps its base's
    # form. With "not a digit" decided by the landmarks alone (TrainSettings.not_digit_from) it
    # is what tells G and H from 1 and 2: 218 signers -> letters validation split shown as a
    # digit 3.8% without it, 0.6% with it (and tilt_jitter_deg 50).
    tilt: bool = True
    # A landmark gate beside the classifier (trainer.gate), its threshold at `gate_margin` times
    # this quantile of the validation digits' distances; None: no gate. Needs the "not a digit"
    # class. On validation it cut unseen letters shown as a digit from 19% to 4-7%, but with
    # 0.999 and 1.25 the full recipe's model turned away one of 293 held-out 218-signer test
    # photos (a bad landmark fit the crop had right), 98.98% < the 99% target: an option, off.
    gate_quantile: float | None = None
    gate_margin: float = 1.25
    # Also train on this bundle's rehearsal set and keep its held-out set (trainer.examples):
    # a fine-tune on a few digits, or a retrain without the datasets the bundle learned from,
    # then does not forget the classes missing from the new data.
    rehearsal_from: Path | None = None
    # A training stopped early (Ctrl-C, cancel) writes its best epoch beside `out` (never over
    # it) when True; the app's Retrain keeps nothing of a cancelled run.
    keep_interrupted: bool = True


def limit_samples(samples: list[Sample], per_class: int, seed: int) -> list[Sample]:
    """A small subset with whole participant groups, up to `per_class` images per class and dataset."""
    def order(s: Sample) -> str:
        return hashlib.sha256(f"{seed}:{s.group}".encode()).hexdigest()

    counts: dict[tuple[str, int], int] = defaultdict(int)
    out = []
    for s in sorted(samples, key=lambda s: (order(s), str(s.path))):
        if counts[(s.dataset, s.label)] < per_class:
            counts[(s.dataset, s.label)] += 1
            out.append(s)
    return out


def load_samples(roots, report: ScanReport, limit_per_class: int | None = None, seed: int = 0,
                 negatives=()) -> list[Sample]:
    """Digit images from `roots` and non-digit hands from `negatives`, deduplicated."""
    samples = scan_many(list(roots), report) if roots else []
    for root in negatives:
        samples += scan_negatives(root, report)
    return limit_samples(samples, limit_per_class, seed) if limit_per_class else samples


def predict(classifier: Classifier, crops: CropResult,
            batch: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cropped sample: the predicted class (NO_HAND where no hand was found), its
    probability, and the digit the shape check turned away (-1: none; trainer.classifier)."""
    pred = np.full(len(crops.observations), NO_HAND, dtype=int)
    conf = np.zeros(len(crops.observations), dtype=np.float32)
    turned = np.full(len(crops.observations), -1, dtype=int)
    idx = [i for i, o in enumerate(crops.observations) if o is not None]
    for start in range(0, len(idx), batch):
        chunk = idx[start:start + batch]
        probs, away = classifier.predict_batch_explained([crops.observations[i] for i in chunk])
        pred[chunk] = probs.argmax(axis=1)
        conf[chunk] = probs.max(axis=1)
        turned[chunk] = [-1 if d is None else d for d in away]
    return pred, conf, turned


def score(classifier: Classifier, crops: CropResult, threshold: float = SHOW_THRESHOLD) -> dict:
    """Figures per digit dataset (plus "all" when there are several) and, when there are
    non-digit hands among the samples, `"negatives"`: how many the app would show as a digit."""
    pred, conf, turned = predict(classifier, crops)
    labels = np.array([s.label for s in crops.samples], dtype=int)
    names = np.array([s.dataset for s in crops.samples])
    fingers = [set() if o is None else set(matching_digits(read_hand(o.landmarks, o.handedness)))
               for o in crops.observations]
    digit = labels != NOT_DIGIT

    def pick(m: np.ndarray) -> list[set[int]]:
        return [f for f, keep in zip(fingers, m) if keep]

    out: dict = {"datasets": {}}
    for name in sorted(set(names[digit].tolist())):
        m = digit & (names == name)
        out["datasets"][name] = evaluate(labels[m], pred[m], conf[m], classifier.num_classes, pick(m), turned[m])
    if len(out["datasets"]) > 1:
        out["datasets"]["all"] = evaluate(labels[digit], pred[digit], conf[digit], classifier.num_classes, pick(digit),
                                          turned[digit])
    if (~digit).any():
        folders = [f"{s.dataset}/{s.path.parent.name}" if s.path.parent.name != s.dataset else s.dataset
                   for s, d in zip(crops.samples, digit) if not d]
        out["negatives"] = evaluate_negatives(pred[~digit], conf[~digit], folders, threshold, pick(~digit),
                                              turned[~digit])
    return out


HELDOUT_PER_CLASS = 60  # held-out examples kept in a bundle, per class (trainer.examples)
REHEARSAL_PER_CLASS = 100  # training examples kept in a bundle for fine-tunes to rehearse


def _examples(pairs: list[tuple[Sample, HandObservation | None]]) -> list[Example]:
    return [Example(s.label, s.dataset, o) for s, o in pairs if o is not None]


def _keep(new: list[Example], old: list[Example], per_class: int, seed: int) -> list[Example]:
    """A bundle's example set: the new examples, topped up with the base bundle's."""
    return balanced(balanced(new, per_class, seed) + old, per_class, seed)


def _fingerprint(samples: list[Sample]) -> str:
    return hashlib.sha256("".join(sorted(s.digest for s in samples)).encode()).hexdigest()[:16]


def _inputs(pairs: list[tuple[Sample, HandObservation | None]], upright: bool, tilt: bool = False):
    kept = [(s, o) for s, o in pairs if o is not None]
    if not kept:
        return {}, np.zeros(0, dtype=int)
    return batch_inputs([o for _, o in kept], upright, tilt), np.array([s.label for s, _ in kept])


def _room_bank(pairs: list[tuple[Sample, HandObservation | None]], size: int, seed: int) -> np.ndarray:
    """Room patches (trainer.backgrounds) from the photos of hands that are no digit among
    `pairs` (the training split's originals with their own fits: never a validation or test photo)."""
    from .backgrounds import background_bank
    from .images import read_rgb

    items = []
    for s, o in pairs:
        if s.label == NOT_DIGIT and o is not None:
            rgb = read_rgb(s.path)
            if rgb is not None:
                items.append((rgb, o))
    return background_bank(items, size, seed=seed)


def _fit_gate(train_pairs, val_pairs, quantile: float, margin: float = 1.0) -> LandmarkGate | None:
    """The landmark gate of the training digits (originals and altered copies: the landmarker's
    fits of all of them are digits), threshold on the validation digits."""
    def digits(pairs):
        kept = [(s, o) for s, o in pairs if o is not None and s.label != NOT_DIGIT]
        return gate_features([o for _, o in kept]), np.array([s.label for s, _ in kept], dtype=int)

    (x, y), (xv, _) = digits(train_pairs), digits(val_pairs)
    return LandmarkGate.fit(x, y, xv, quantile, margin)


def finish_bundle(tmp: Path, classifier: Classifier, meta: BundleMeta, test_crops: CropResult,
                  history: dict[str, list[float]]) -> None:
    """Score the exported model on the held-out split, as the app will run it, into `meta`,
    and draw the bundle's plots into the staging folder `tmp`."""
    figures = score(classifier, test_crops) if test_crops.samples else {"datasets": {}}
    meta.metrics["test"] = figures["datasets"]
    meta.metrics.pop("negatives", None)
    if "negatives" in figures:
        meta.metrics["negatives"] = figures["negatives"]
    plot_history(history, tmp / TRAINING_PLOT_FILE)
    tests = meta.metrics["test"]
    if tests:
        key = "all" if "all" in tests else next(iter(tests))
        plot_confusion(tests[key], tmp / CONFUSION_FILE, f"Held-out test ({key})")


def run_training(job: TrainJob, progress: Progress = no_progress, should_stop: ShouldStop = never_stop,
                 log=print) -> BundleMeta:
    """Train and write the bundle; returns its metadata. Raises Cancelled if stopped before a
    model exists; a stop during training keeps the best epoch so far."""
    started = time.monotonic()
    report = ScanReport()
    samples = load_samples(job.data, report, job.limit_per_class, job.split.seed, job.negatives)
    log(f"Data: {report.summary()}")
    base = BundleMeta.read(job.base_model) if job.base_model is not None else None
    rehearsal = load_examples(job.rehearsal_from / REHEARSAL_FILE) if job.rehearsal_from is not None else []
    base_heldout = load_examples(job.rehearsal_from / HELDOUT_FILE) if job.rehearsal_from is not None else []
    with_not_digit = base.has_not_digit if base is not None else any(
        x.label == NOT_DIGIT for x in [*samples, *rehearsal])
    if not with_not_digit and any(s.label == NOT_DIGIT for s in samples):
        samples = [s for s in samples if s.label != NOT_DIGIT]
        log("The base model has no 'not a digit' class: its samples are left out of this fine-tune.")
    crops = crop_samples(samples, job.hand_model, job.crop, cache_root=job.cache_root,
                         progress=progress, should_stop=should_stop)
    log(f"Crops: {crops.summary()}")
    parts = split(crops.samples, job.split)
    obs_of = {s.digest: o for s, o in zip(crops.samples, crops.observations)}
    upright = base.upright if base is not None else job.upright
    tilt = base.tilt if base is not None else job.tilt

    train_pairs = [(s, obs_of[s.digest]) for s in parts["train"]]
    if not any(o is not None for _, o in train_pairs):  # rehearsal alone would teach nothing new
        raise DataError(f"No training images with a detectable hand in {', '.join(str(p) for p in job.data)}: "
                        f"{crops.summary()}. Check the data folders.")
    if not with_not_digit:
        rehearsal = [e for e in rehearsal if e.label != NOT_DIGIT]
    for variant in job.train_variants:
        extra = crop_samples(parts["train"], job.hand_model, job.crop, cache_root=job.cache_root, variant=variant,
                             progress=progress, should_stop=should_stop)
        log(f"Crops ({variant} copies of the training split): {extra.summary()}")
        train_pairs += list(zip(extra.samples, extra.observations))
    if rehearsal:
        log(f"Rehearsal: {len(rehearsal)} examples of {job.rehearsal_from.name}'s training data, so no class is "
            "forgotten")
        train_pairs += [(Sample(Path("rehearsal"), e.label, e.dataset, "rehearsal", ""), e.observation)
                        for e in rehearsal]
    (xtr, ytr), (xva, yva) = _inputs(train_pairs, upright, tilt), _inputs(
        [(s, obs_of[s.digest]) for s in parts["val"]], upright, tilt)
    if not (ytr != NOT_DIGIT).any():
        raise DataError("No training images of digits with a detectable hand: check the data folders.")
    if len(yva) == 0:
        xva = {k: v[:0] for k, v in xtr.items()}
    log(f"Split: train {len(parts['train'])}, validation {len(parts['val'])}, test {len(parts['test'])} images "
        f"(by participant where known); {len(ytr)} training crops")
    if job.train.background_swap > 0:
        kept = [o for _, o in train_pairs if o is not None]  # the order _inputs stacked them in
        xtr["mask"] = np.stack([crop_hand_mask(o, job.crop.size) for o in kept])
    if job.train.hard_negatives > 0 and with_not_digit:
        src, made = make_hard_negatives(xtr["landmarks"], ytr, job.train.hard_negatives, job.train.seed,
                                        job.train.hard_negative_kinds)
        xtr = {k: np.concatenate([v, made if k == "landmarks" else v[src]]) for k, v in xtr.items()}
        ytr = np.concatenate([ytr, np.full(len(src), NOT_DIGIT)])
        log(f"Hard negatives: {len(src)} copies of training digits made into near-digit shapes "
            f"({', '.join(job.train.hard_negative_kinds)}), as 'not a digit'")
    rooms = None
    if job.train.room_backgrounds > 0 and any(s.label == NOT_DIGIT for s in parts["train"]):
        rooms = _room_bank([(s, obs_of[s.digest]) for s in parts["train"]], job.crop.size, job.split.seed)
        log(f"Room backgrounds: {len(rooms)} patches from the training split's photos of hands that are no digit")
    initial = load_keras_model(job.base_model) if job.base_model is not None else None
    if should_stop():
        raise Cancelled("cancelled before training")
    num_classes = NUM_DIGITS + with_not_digit
    result = train(xtr, ytr, xva, yva, job.train, initial_model=initial, num_classes=num_classes, rooms=rooms,
                   progress=progress, should_stop=should_stop)
    if result.best_epoch == 0:
        raise Cancelled("cancelled before the first epoch finished")
    temperature = result.temperature
    if base is not None and temperature < base.temperature:
        # A fine-tune validates on a few held-out captures of the learner's digits, all near copies of
        # what it trained on: sharper confidence than the base model's is not to be trusted from them.
        temperature = base.temperature
    log(f"Training {result.stopped}; best epoch {result.best_epoch}, temperature {temperature:.3f}"
        + (f" (fitted {result.temperature:.3f}; never sharper than the base model's)" if temperature != result.temperature
           else ""))
    stopped_early = result.stopped in ("interrupted", "cancelled")
    if stopped_early and not job.keep_interrupted:
        raise Cancelled(f"training {result.stopped}; nothing was written")
    out = interrupted_path(job.out) if stopped_early else job.out

    meta = BundleMeta(
        classes=[*DIGITS, *([NOT_DIGIT_NAME] if with_not_digit else [])],
        crop_settings=job.crop,
        temperature=temperature,
        upright=upright,
        tilt=tilt,
        landmark_features=int(xtr["landmarks"].shape[1]),
        data=DataRecord(
            roots=[str(p) for p in job.data],
            fingerprint=_fingerprint(crops.samples),
            datasets={k: int(v) for k, v in zip(*np.unique([s.dataset for s in crops.samples], return_counts=True))},
            split=SplitRecord(job.split.val, job.split.test, job.split.seed, {k: len(v) for k, v in parts.items()}),
            limit_per_class=job.limit_per_class,
            train_variants=list(job.train_variants),
            negatives=[str(p) for p in job.negatives],
            scan=report.summary(), crops=crops.summary(),
        ),
        training=TrainingRecord(settings=job.train.to_dict(), best_epoch=result.best_epoch, stopped=result.stopped,
                                history=result.history, base_model=str(job.base_model) if job.base_model else None),
    )
    test_crops = CropResult(samples=parts["test"], observations=[obs_of[s.digest] for s in parts["test"]])

    def finish(tmp: Path, classifier: Classifier) -> None:
        finish_bundle(tmp, classifier, meta, test_crops, result.history)
        seed = job.split.seed
        # Up to HELDOUT_PER_CLASS of this run's held-out images (the learner's own captures after
        # a fine-tune) beside as many of the base bundle's, not drawn from one pool where the
        # learner's few could be crowded out: the next Retrain is judged on both.
        heldout = _examples(list(zip(test_crops.samples, test_crops.observations)))
        save_examples(tmp / HELDOUT_FILE, balanced(heldout, HELDOUT_PER_CLASS, seed) +
                      balanced(base_heldout, HELDOUT_PER_CLASS, seed))
        save_examples(tmp / REHEARSAL_FILE, _keep(_examples([(s, obs_of[s.digest]) for s in parts["train"]]),
                                                  rehearsal, REHEARSAL_PER_CLASS, seed))
        meta.training.wall_time_s = round(time.monotonic() - started, 1)

    gate = None
    if job.gate_quantile is not None and with_not_digit:
        gate = _fit_gate(train_pairs, [(s, obs_of[s.digest]) for s in parts["val"]], job.gate_quantile,
                         job.gate_margin)
        if gate is None and base is not None and base.gate:
            gate = LandmarkGate.load(job.base_model / base.gate["file"])
            log("Landmark gate: too few digits to fit one; the base model's gate is kept")
        elif gate is None:
            log("Landmark gate: too few training hands of some digit (or no validation digits); no gate")
        else:
            log(f"Landmark gate: threshold {gate.threshold:.1f} ({gate.margin:g} x quantile {gate.quantile} of the "
                "validation digits' distances)")
    write_bundle(out, result.model, meta, finish, gate)
    log(f"Wall time {meta.training.wall_time_s / 60:.1f} min")
    if stopped_early:
        raise Cancelled(f"training {result.stopped}: the best epoch so far ({result.best_epoch}) is in {out}; "
                        f"{job.out} was left as it was")
    return meta


def bundle_split(meta: BundleMeta, samples: list[Sample], which: str) -> list[Sample]:
    """The samples of the bundle's own `which` split ("test" or "val"), recomputed from the
    split settings it recorded: exactly the images it held out at training time."""
    if meta.data.split is None:
        raise BundleError("the bundle does not record its train/test split, so its held-out images are unknown; "
                          "evaluate with --split all")
    settings = SplitSettings.from_record(meta.data.split)
    if meta.data.limit_per_class:
        samples = limit_samples(samples, meta.data.limit_per_class, settings.seed)
    return split(samples, settings)[which]


def run_evaluation(bundle_dir: Path, roots: list[Path], hand_model: Path, which: str = "all",
                   cache_root: Path | None = None, variant: str = "plain", negatives: list[Path] = (),
                   negatives_split: str | None = None, threshold: float = SHOW_THRESHOLD,
                   progress: Progress = no_progress, should_stop: ShouldStop = never_stop, log=print) -> dict:
    """Figures for a bundle on image folders: every image (`which="all"`), or the held-out
    test split the bundle was trained with (`which="test"`, same split settings; "val" for its
    validation split), optionally through an image `variant` (mirrored, grey, 64 px, dark, bright).

    Non-digit hands (`negatives`) are scored on their held-out test split when the bundle was
    trained on them (`negatives_split` overrides: "all", "test", "val"), else on every image.
    """
    classifier = Classifier.load(bundle_dir)
    report = ScanReport()
    samples = load_samples(roots, report)
    if which in ("test", "val"):
        samples = bundle_split(classifier.meta, samples, which)
    neg_split = negatives_split
    for root in negatives:
        found = scan_negatives(root, report)
        trained_on = bool(found) and found[0].dataset in classifier.meta.data.datasets
        chosen = neg_split or ("test" if trained_on else "all")
        samples += bundle_split(classifier.meta, found, chosen) if chosen != "all" else found
        neg_split = neg_split or chosen
    if not samples:
        raise DataError(f"No images to evaluate: {report.summary()}" + (
            f"; the {which} split of these folders is empty" if which != "all" else ""))
    log(f"Data: {report.summary()}; evaluating {len(samples)} images ({which})")
    crops = crop_samples(samples, hand_model, classifier.crop_settings, cache_root=cache_root,
                         variant=variant, progress=progress, should_stop=should_stop)
    log(f"Crops: {crops.summary()}")
    if not crops.samples:
        raise DataError(f"No readable images among the {len(samples)} given: {crops.summary()}")
    figures = score(classifier, crops, threshold)
    out = {"model": str(bundle_dir), "split": which, "variant": variant, "unreadable": len(crops.unreadable),
           "datasets": figures["datasets"]}
    if "negatives" in figures:
        out["negatives"] = {**figures["negatives"], "split": neg_split}
    return out

