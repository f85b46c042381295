"""What the Retrain button trains on, the training run itself (called on a Task thread), and
whether its model may replace the current one.

A retrain never leaves the app worse than before: the new model is written beside the one in
use (`<out>.candidate`), both are scored on the new bundle's held-out examples (the user's
held-out captures and the held-out images of the data the current model learned from, which
travel inside every bundle: trainer.examples), and the new one is taken only if no class got
worse by more than MARGIN. Otherwise it stays aside, and the user may still choose it.

Qt-free: the window wraps `retrain` in a gui Task. Parameters are plain fields so tests can
ask for a one-epoch run on ten images per class.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from trainer.atomicio import clean_stale_staging, previous_path
from trainer.bundle_meta import HELDOUT_FILE, BundleMeta
from trainer.classes import NOT_DIGIT, SHOW_THRESHOLD
from trainer.classifier import Classifier
from trainer.data import dataset_name
from trainer.evaluate import shown_as_digit
from trainer.examples import Example, load_examples
from trainer.progress import Cancelled, Progress, ShouldStop
from trainer.train import TrainSettings

FRESH_EPOCHS = TrainSettings.epochs  # a new model on datasets: as `asl-train train`
FINE_TUNE_EPOCHS = 12  # the current model on the user's own samples only
FINE_TUNE_LR = 2e-4  # small steps, so a few hundred samples adapt the model without wrecking it
# A class may lose this share of its held-out examples (and at least one example) before the
# new model counts as worse: one image of sixty moves a class by 1.7 points.
MARGIN = 0.03


@dataclass
class RetrainConfig:
    samples_dir: Path  # the app's captured samples (<d>/*.png)
    datasets_dir: Path  # every folder inside is a dataset (the Kaggle download lands here)
    out: Path  # the retrained bundle the app uses (never the shipped assets/); candidates go beside it
    extra_roots: list[Path] = field(default_factory=list)  # folders the user added
    epochs: int | None = None  # None: FRESH_EPOCHS or FINE_TUNE_EPOCHS
    limit_per_class: int | None = None  # per dataset; tests and quick runs
    cache_root: Path | None = None


@dataclass
class RetrainPlan:
    roots: list[Path]
    base_model: Path | None  # fine-tune this bundle; None: train a new model

    def describe(self) -> str:
        names = ", ".join(p.name for p in self.roots) or "nothing"
        from .options import model_name  # named, not a path of this machine

        how = f"fine-tune the current model ({model_name(self.base_model)})" if self.base_model else "train a new model"
        return f"Will {how} on: {names}"


def has_images(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.rglob("*") if not p.name.startswith("."))


def dataset_roots(datasets_dir: Path) -> list[Path]:
    """Each folder in `datasets_dir` is one dataset; hidden ones are unfinished downloads."""
    if not datasets_dir.is_dir():
        return []
    return sorted(p for p in datasets_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def plan(config: RetrainConfig, current_model: Path | None) -> RetrainPlan:
    """Samples plus every dataset present and every added folder train a new model; with the
    user's samples alone there is too little for that, so the current model is fine-tuned."""
    others = [*dataset_roots(config.datasets_dir), *config.extra_roots]
    samples = [config.samples_dir] if has_images(config.samples_dir) else []
    if others:
        return RetrainPlan([*samples, *others], None)
    if not samples:
        raise ValueError("Nothing to train on: capture samples (hold a digit key while showing that digit), "
                         "download the Kaggle dataset, or add a folder of digit images.")
    if current_model is None:
        raise ValueError("Only captured samples are available, and there is no current model to fine-tune: "
                         "download the Kaggle dataset or add a folder of digit images.")
    return RetrainPlan(samples, current_model)


@dataclass
class ClassFigure:
    """One class of the held-out comparison: the share each model got right."""

    label: int  # a digit or NOT_DIGIT
    images: int
    old: float | None  # None: there was no model before
    new: float

    @property
    def name(self) -> str:
        return OWN if self.label == OWN_LABEL else "not a digit" if self.label == NOT_DIGIT else str(self.label)

    @property
    def worse(self) -> bool:
        return self.old is not None and self.new < self.old - max(MARGIN, 1.0 / self.images)


OWN = "your own captures"
OWN_LABEL = -1  # the ClassFigure of the learner's own held-out captures, all classes together


@dataclass
class Verdict:
    accepted: bool
    summary: str
    figures: list[ClassFigure] = field(default_factory=list)  # per class; the learner's own captures first


@dataclass
class RetrainResult:
    meta: BundleMeta  # meta.test_metrics has the new figures
    classifier: Classifier  # loaded here, on the task's thread
    path: Path  # where the new bundle is: `out` if taken, the candidate folder if kept aside
    verdict: Verdict


def candidate_dir(out: Path) -> Path:
    """Where a retrained model waits until it is taken (or stays, when it was worse)."""
    return out.with_name(f"{out.name}.candidate")


def clean_stale(config: RetrainConfig) -> list[Path]:
    """Staging folders a killed retrain left behind (removed at start-up)."""
    return [*clean_stale_staging(config.out), *clean_stale_staging(candidate_dir(config.out))]


def load_classifier(path: Path) -> Classifier:
    """Load a bundle and run one prediction, so the first hand the live view sees pays no set-up;
    its digit drawings for the Practice tab are worked out here too (on the loading thread, not
    the window's)."""
    from .hand3d import digit_shapes

    classifier = Classifier.load(path)
    classifier.warm_up()
    digit_shapes(str(path))
    return classifier


def right(classifier: Classifier, examples: list[Example], threshold: float = SHOW_THRESHOLD) -> np.ndarray:
    """Per example, whether the model got it right: a digit named as that digit; a hand that is
    no digit not shown as a digit (the app shows "not a digit" or "?")."""
    if not examples:
        return np.zeros(0, dtype=bool)
    # In small batches: the task thread then lets the window's thread run between them.
    probs = np.concatenate([classifier.predict_batch([e.observation for e in examples[i:i + 64]])
                            for i in range(0, len(examples), 64)])
    top, conf = probs.argmax(axis=1), probs.max(axis=1)
    labels = np.array([e.label for e in examples])
    shown_digit = shown_as_digit(top, conf, threshold)
    return np.where(labels == NOT_DIGIT, ~shown_digit, top == labels)


def compare(old: Classifier | None, new: Classifier, examples: list[Example], own: str | None = None) -> Verdict:
    """Per class, old versus new on held-out examples; accepted unless a class got worse, or the
    learner's own held-out captures (the examples of dataset `own`) did."""
    if not examples:
        return Verdict(old is None, "There are no held-out images to compare the models on" +
                       ("; the new model is kept aside." if old is not None else "."))
    labels = np.array([e.label for e in examples])
    new_right = right(new, examples)
    old_right = right(old, examples) if old is not None else None

    def figure(label: int, m: np.ndarray) -> ClassFigure:
        return ClassFigure(label, int(m.sum()), None if old_right is None else float(old_right[m].mean()),
                           float(new_right[m].mean()))

    mine = np.array([e.dataset == own for e in examples])
    figures = [figure(OWN_LABEL, mine)] if mine.any() else []
    figures += [figure(int(label), labels == label) for label in sorted(set(labels.tolist()))]
    worse = [f for f in figures if f.worse]
    n = len(examples)
    yours = ""
    if mine.any():
        f = figures[0]
        was = "" if f.old is None else f"{100 * f.old:.0f}% before, "
        yours = f" Your own held-out captures ({f.images}): {was}{100 * f.new:.0f}% now."
    if worse:
        detail = ", ".join(f"{f.name} {100 * f.new:.0f}% (was {100 * f.old:.0f}%)" for f in worse)
        return Verdict(False, f"on {n} held-out images it is worse for {detail}.{yours}", figures)
    if old_right is None:
        return Verdict(True, f"{100 * new_right.mean():.1f}% right on {n} held-out images.{yours}", figures)
    return Verdict(True, f"No class got worse on {n} held-out images ({100 * old_right.mean():.1f}% right before, "
                         f"{100 * new_right.mean():.1f}% now).{yours}", figures)


def comparison_rows(verdict: Verdict) -> tuple[list[str], list[list[object]]]:
    """The verdict as a table for the window: one row per class."""
    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}%"

    rows = [[f.name, f.images, pct(f.old), pct(f.new), "worse" if f.worse else ""] for f in verdict.figures]
    return ["class", "images", "before", "after", ""], rows


def promote(candidate: Path, out: Path) -> Path:
    """Make the candidate the retrained model in use, replacing the previous one whole (it is
    `<out>.previous` until the new one is in place)."""
    old = previous_path(out)
    if out.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
    os.replace(candidate, out)
    shutil.rmtree(old, ignore_errors=True)
    return out


def take_kept_aside(result: RetrainResult, out: Path) -> RetrainResult:
    """The user chose a model that was kept aside: promote it to `out` and load it from there."""
    path = promote(result.path, out)
    return replace(result, classifier=load_classifier(path), path=path)


def retrain(config: RetrainConfig, the_plan: RetrainPlan, hand_model: Path, current: Classifier | None,
            progress: Progress, should_stop: ShouldStop, log: Callable[[str], None] = lambda s: None) -> RetrainResult:
    """Train a candidate beside `config.out`, compare it with `current`, and promote it to
    `config.out` only if it is not worse. A cancel leaves everything as it was.

    Training runs in a child process: Keras holds Python's GIL for long stretches, which on a
    thread of the app's own process would freeze the window for hundreds of milliseconds.
    """
    candidate = candidate_dir(config.out)
    rehearse_from = current.path if current is not None and current.path is not None else None
    meta = _train_in_child(config, the_plan, hand_model, candidate, rehearse_from, progress, should_stop, log)
    if should_stop():
        shutil.rmtree(candidate, ignore_errors=True)
        raise Cancelled("cancelled during training")
    progress("Comparing with the current model", 0, None)
    new = load_classifier(candidate)
    verdict = compare(current, new, load_examples(candidate / HELDOUT_FILE), own=dataset_name(config.samples_dir))
    log(("Taken: " if verdict.accepted else "Kept aside: ") + verdict.summary)
    if not verdict.accepted:
        return RetrainResult(meta, new, candidate, verdict)
    path = promote(candidate, config.out)
    return RetrainResult(meta, load_classifier(path), path, verdict)


def _train_in_child(config: RetrainConfig, the_plan: RetrainPlan, hand_model: Path, out: Path,
                    rehearse_from: Path | None, progress: Progress, should_stop: ShouldStop,
                    log: Callable[[str], None]) -> BundleMeta:
    """Run `_child_main` in a fresh process, relaying its progress and forwarding a cancel."""
    import multiprocessing as mp
    import queue as queue_mod

    ctx = mp.get_context("spawn")  # no fork of a process that runs Qt and TensorFlow threads
    messages = ctx.Queue()
    stop = ctx.Event()
    child = ctx.Process(target=_child_main, args=(config, the_plan, hand_model, out, rehearse_from, messages, stop),
                        name="asl-live-retrain", daemon=True)
    child.start()
    try:
        while True:
            if should_stop():
                stop.set()
            try:
                kind, *payload = messages.get(timeout=0.1)
            except queue_mod.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"training process ended unexpectedly (exit code {child.exitcode})") from None
                continue
            if kind == "progress":
                progress(*payload)
            elif kind == "log":
                log(payload[0])
            elif kind == "done":
                return payload[0]
            elif kind == "cancelled":
                raise Cancelled(payload[0])
            else:
                raise RuntimeError(payload[0])
    finally:
        stop.set()
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()


def _child_main(config: RetrainConfig, the_plan: RetrainPlan, hand_model: Path, out: Path,
                rehearse_from: Path | None, messages, stop) -> None:
    """Entry point of the training process: the trainer's pipeline, reporting through `messages`."""
    from trainer.pipeline import TrainJob, run_training
    from trainer.train import TrainSettings

    fine_tune = the_plan.base_model is not None
    settings = TrainSettings(epochs=config.epochs or (FINE_TUNE_EPOCHS if fine_tune else FRESH_EPOCHS))
    if fine_tune:
        settings = replace(settings, learning_rate=FINE_TUNE_LR)
    job = TrainJob(data=the_plan.roots, out=out, hand_model=hand_model, train=settings,
                   limit_per_class=config.limit_per_class, cache_root=config.cache_root,
                   base_model=the_plan.base_model, rehearsal_from=rehearse_from, keep_interrupted=False)
    try:
        meta = run_training(job, progress=lambda *a: messages.put(("progress", *a)), should_stop=stop.is_set,
                            log=lambda m: messages.put(("log", m)))
        messages.put(("done", meta))
    except Cancelled as e:
        messages.put(("cancelled", str(e) or "cancelled"))
    except Exception as e:  # reported in the window; the current model stays
        messages.put(("error", f"{type(e).__name__}: {e}"))


def download_datasets(datasets_dir: Path, progress: Progress) -> Path:
    """The Kaggle set into `datasets_dir` (where `plan` finds it), reporting bytes."""
    from trainer.kaggle_fetch import download_kaggle

    return download_kaggle(datasets_dir, progress=lambda done, total: progress("Downloading", done, total))
