"""The trainer's two jobs end to end, for the CLI and the app's Retrain button alike:
image folders -> crops -> split -> train -> evaluate -> bundle, and bundle + folders -> figures."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bundle import Classifier, save_bundle
from .crops import CropResult, crop_samples
from .data import Sample, ScanReport, SplitSettings, scan_many, split
from .evaluate import NO_HAND, evaluate, plot_confusion, plot_history
from .features import batch_inputs
from .hands import CropSettings, HandObservation
from .progress import Cancelled, Progress, ShouldStop, never_stop, no_progress
from .train import TrainSettings, train
from .variants import TRAIN_VARIANTS


@dataclass
class TrainJob:
    data: list[Path]
    out: Path
    hand_model: Path
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


def limit_samples(samples: list[Sample], per_class: int, seed: int) -> list[Sample]:
    """A small subset with whole participant groups, up to `per_class` images per digit and dataset."""
    def order(s: Sample) -> str:
        return hashlib.sha256(f"{seed}:{s.group}".encode()).hexdigest()

    counts: dict[tuple[str, int], int] = defaultdict(int)
    out = []
    for s in sorted(samples, key=lambda s: (order(s), str(s.path))):
        if counts[(s.dataset, s.label)] < per_class:
            counts[(s.dataset, s.label)] += 1
            out.append(s)
    return out


def load_samples(roots, report: ScanReport, limit_per_class: int | None = None, seed: int = 0) -> list[Sample]:
    samples = scan_many(list(roots), report)
    return limit_samples(samples, limit_per_class, seed) if limit_per_class else samples


def predict(classifier: Classifier, crops: CropResult, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Predicted digit (NO_HAND where none was found) and its probability, per cropped sample."""
    pred = np.full(len(crops.observations), NO_HAND, dtype=int)
    conf = np.zeros(len(crops.observations), dtype=np.float32)
    idx = [i for i, o in enumerate(crops.observations) if o is not None]
    for start in range(0, len(idx), batch):
        chunk = idx[start:start + batch]
        probs = classifier.predict_batch([crops.observations[i] for i in chunk])
        pred[chunk] = probs.argmax(axis=1)
        conf[chunk] = probs.max(axis=1)
    return pred, conf


def evaluate_by_dataset(classifier: Classifier, crops: CropResult) -> dict[str, dict]:
    """One report per dataset, plus "all" when there are several."""
    pred, conf = predict(classifier, crops)
    labels = np.array([s.label for s in crops.samples], dtype=int)
    names = np.array([s.dataset for s in crops.samples])
    out = {}
    for name in sorted(set(names.tolist())):
        m = names == name
        out[name] = evaluate(labels[m], pred[m], conf[m])
    if len(out) > 1:
        out["all"] = evaluate(labels, pred, conf)
    return out


def _fingerprint(samples: list[Sample]) -> str:
    return hashlib.sha256("".join(sorted(s.digest for s in samples)).encode()).hexdigest()[:16]


def run_training(job: TrainJob, progress: Progress = no_progress, should_stop: ShouldStop = never_stop,
                 log=print) -> dict:
    """Train and write the bundle. Returns its metadata. Raises Cancelled if stopped before a
    model exists; a stop during training keeps the best epoch so far."""
    started = time.monotonic()
    report = ScanReport()
    samples = load_samples(job.data, report, job.limit_per_class, job.split.seed)
    log(f"Data: {report.summary()}")
    crops = crop_samples(samples, job.hand_model, job.crop, cache_root=job.cache_root,
                         progress=progress, should_stop=should_stop)
    log(f"Crops: {crops.summary()}")
    parts = split(crops.samples, job.split)
    obs_of = {s.digest: o for s, o in zip(crops.samples, crops.observations)}
    base = Classifier.load(job.base_model) if job.base_model is not None else None
    upright = base.upright if base is not None else job.upright

    def arrays(pairs: list[tuple[Sample, HandObservation | None]]):
        kept = [(s, o) for s, o in pairs if o is not None]
        if not kept:
            return {}, np.zeros(0, dtype=int)
        return batch_inputs([o for _, o in kept], upright), np.array([s.label for s, _ in kept])

    train_pairs = [(s, obs_of[s.digest]) for s in parts["train"]]
    for variant in job.train_variants:
        extra = crop_samples(parts["train"], job.hand_model, job.crop, cache_root=job.cache_root, variant=variant,
                             progress=progress, should_stop=should_stop)
        log(f"Crops ({variant} copies of the training split): {extra.summary()}")
        train_pairs += list(zip(extra.samples, extra.observations))
    (xtr, ytr), (xva, yva) = arrays(train_pairs), arrays([(s, obs_of[s.digest]) for s in parts["val"]])
    if len(ytr) == 0:
        raise ValueError("No training images with a detectable hand: check the data folders.")
    if len(yva) == 0:
        xva = {k: v[:0] for k, v in xtr.items()}
    log(f"Split: train {len(parts['train'])}, validation {len(parts['val'])}, test {len(parts['test'])} images "
        f"(by participant where known); {len(ytr)} training crops")
    initial = base.model if base is not None else None
    if should_stop():
        raise Cancelled("cancelled before training")
    result = train(xtr, ytr, xva, yva, job.train, initial_model=initial, progress=progress, should_stop=should_stop)
    if result.best_epoch == 0:
        raise Cancelled("cancelled before the first epoch finished")
    log(f"Training {result.stopped}; best epoch {result.best_epoch}, temperature {result.temperature:.3f}")

    meta = {
        "classes": list(range(10)),
        "input": {"crop": [job.crop.size, job.crop.size, 3], "landmarks": int(xtr["landmarks"].shape[1]),
                  "upright": upright},
        "crop_settings": job.crop.to_dict(),
        "temperature": result.temperature,
        "data": {
            "roots": [str(p) for p in job.data],
            "fingerprint": _fingerprint(crops.samples),
            "datasets": {k: int(v) for k, v in zip(*np.unique([s.dataset for s in crops.samples], return_counts=True))},
            "scan": report.summary(), "crops": crops.summary(),
            "split": {**job.split.__dict__, "images": {k: len(v) for k, v in parts.items()}},
            "limit_per_class": job.limit_per_class,
            "train_variants": list(job.train_variants),
        },
        "training": {**job.train.to_dict(), "best_epoch": result.best_epoch, "stopped": result.stopped,
                     "history": result.history, "base_model": str(job.base_model) if job.base_model else None},
    }
    classifier = Classifier(result.model, meta)
    test_crops = CropResult(samples=parts["test"], observations=[obs_of[s.digest] for s in parts["test"]])
    meta["metrics"] = {"test": evaluate_by_dataset(classifier, test_crops) if parts["test"] else {}}

    def extras(tmp: Path) -> None:
        plot_history(result.history, tmp / "training.png")
        tests = meta["metrics"]["test"]
        if tests:
            key = "all" if "all" in tests else next(iter(tests))
            plot_confusion(tests[key], tmp / "confusion.png", f"Held-out test ({key})")

    meta["training"]["wall_time_s"] = round(time.monotonic() - started, 1)
    save_bundle(job.out, result.model, meta, extras)
    log(f"Wall time {meta['training']['wall_time_s'] / 60:.1f} min")
    return meta


def run_evaluation(bundle_dir: Path, roots: list[Path], hand_model: Path, which: str = "all",
                   cache_root: Path | None = None, variant: str = "plain", progress: Progress = no_progress,
                   should_stop: ShouldStop = never_stop, log=print) -> dict:
    """Figures for a bundle on image folders: every image (`which="all"`), or the held-out
    test split the bundle was trained with (`which="test"`, same split settings; "val" for its
    validation split), optionally through an image `variant` (mirrored, grey, 64 px, dark, bright)."""
    classifier = Classifier.load(bundle_dir)
    report = ScanReport()
    samples = load_samples(roots, report)
    if which in ("test", "val"):
        split_settings = SplitSettings(**{k: classifier.meta["data"]["split"][k] for k in ("val", "test", "seed")})
        limit = classifier.meta["data"].get("limit_per_class")
        if limit:
            samples = limit_samples(samples, limit, split_settings.seed)
        samples = split(samples, split_settings)[which]
    log(f"Data: {report.summary()}; evaluating {len(samples)} images ({which})")
    crops = crop_samples(samples, hand_model, classifier.crop_settings, cache_root=cache_root,
                         variant=variant, progress=progress, should_stop=should_stop)
    log(f"Crops: {crops.summary()}")
    out = evaluate_by_dataset(classifier, crops)
    return {"model": str(bundle_dir), "split": which, "variant": variant, "unreadable": len(crops.unreadable),
            "datasets": out}
