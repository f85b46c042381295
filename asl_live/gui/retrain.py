"""What the Retrain button trains on, and the training run itself (called on a Task thread).

Qt-free: the window wraps `retrain` in a workers.Task. Parameters are plain fields so tests
can ask for a one-epoch run on ten images per class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from trainer.progress import Cancelled, Progress, ShouldStop
from trainer.train import TrainSettings

FRESH_EPOCHS = TrainSettings.epochs  # a new model on datasets: as `asl-train train`
FINE_TUNE_EPOCHS = 12  # the current model on the user's own samples only
FINE_TUNE_LR = 2e-4  # small steps, so a few hundred samples adapt the model without wrecking it


@dataclass
class RetrainConfig:
    samples_dir: Path  # the app's captured samples (<d>/*.png)
    datasets_dir: Path  # every folder inside is a dataset (the Kaggle download lands here)
    out: Path  # where the retrained bundle goes (never the shipped assets/)
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
        how = f"fine-tune the current model ({self.base_model})" if self.base_model else "train a new model"
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
class RetrainResult:
    meta: dict  # bundle metadata, meta["metrics"]["test"] has the new figures
    classifier: object  # trainer.bundle.Classifier, loaded here so the GUI never waits on Keras
    path: Path


def load_classifier(path: Path):
    """Load a bundle and run one prediction, so TensorFlow traces the model here (on a worker
    thread, while "Loading" is shown) instead of on the first hand the live view sees."""
    from trainer.bundle import Classifier

    classifier = Classifier.load(path)
    classifier.warm_up()
    return classifier


def retrain(config: RetrainConfig, the_plan: RetrainPlan, hand_model: Path, progress: Progress,
            should_stop: ShouldStop, log: Callable[[str], None] = lambda s: None) -> RetrainResult:
    """Train into a staging folder that replaces `config.out` only when training finished;
    a cancel (even one that lets run_training keep its best epoch) leaves `out` untouched.

    Training runs in a child process: Keras holds Python's GIL for long stretches, which on a
    thread of the app's own process would freeze the window for hundreds of milliseconds.
    """
    from trainer.atomicio import atomic_dir

    with atomic_dir(config.out) as staging:
        # The child writes its bundle atomically onto `staging` (replacing the empty folder);
        # leaving this block normally then moves the whole bundle onto config.out.
        meta = _train_in_child(config, the_plan, hand_model, staging, progress, should_stop, log)
        if should_stop() or meta.get("training", {}).get("stopped") == "cancelled":
            raise Cancelled("cancelled during training")
    return RetrainResult(meta, load_classifier(config.out), config.out)


def _train_in_child(config: RetrainConfig, the_plan: RetrainPlan, hand_model: Path, out: Path,
                    progress: Progress, should_stop: ShouldStop, log: Callable[[str], None]) -> dict:
    """Run `_child_main` in a fresh process, relaying its progress and forwarding a cancel."""
    import multiprocessing as mp
    import queue as queue_mod

    ctx = mp.get_context("spawn")  # no fork of a process that runs Qt and TensorFlow threads
    messages = ctx.Queue()
    stop = ctx.Event()
    child = ctx.Process(target=_child_main, args=(config, the_plan, hand_model, out, messages, stop),
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


def _child_main(config: RetrainConfig, the_plan: RetrainPlan, hand_model: Path, out: Path, messages, stop) -> None:
    """Entry point of the training process: the trainer's pipeline, reporting through `messages`."""
    from trainer.pipeline import TrainJob, run_training
    from trainer.train import TrainSettings

    fine_tune = the_plan.base_model is not None
    settings = TrainSettings(epochs=config.epochs or (FINE_TUNE_EPOCHS if fine_tune else FRESH_EPOCHS))
    if fine_tune:
        settings = replace(settings, learning_rate=FINE_TUNE_LR)
    job = TrainJob(data=the_plan.roots, out=out, hand_model=hand_model, train=settings,
                   limit_per_class=config.limit_per_class, cache_root=config.cache_root,
                   base_model=the_plan.base_model)
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
