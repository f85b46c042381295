"""The Retrain button's controller: what to train on, the Kaggle download, the training task,
and whether the new model is taken (asl_live.retrain decides; this shows it on the panel)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from asl_live.gui.tasks import TaskRunner
from asl_live.gui.train_panel import TrainPanel
from asl_live.retrain import (
    RetrainConfig,
    RetrainResult,
    comparison_rows,
    dataset_roots,
    download_datasets,
    plan,
    retrain,
    take_kept_aside,
)
from asl_live.session import LiveSession
from trainer.extras import DOWNLOAD, TRAINING, unavailable


class Retrainer(QObject):
    model_taken = Signal(object)  # RetrainResult whose model is now in use

    def __init__(self, config: RetrainConfig, session: LiveSession, tasks: TaskRunner, panel: TrainPanel,
                 hand_model: Callable[[], Path | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config, self.session, self.tasks, self.panel = config, session, tasks, panel
        self._hand_model = hand_model  # the resolved hand model, or the one named at launch
        self._kept_aside: RetrainResult | None = None
        panel.show_samples_folder(config.samples_dir)
        panel.add_folder_clicked.connect(self._choose_folder)
        panel.remove_folder_clicked.connect(self.remove_folder)
        panel.download_clicked.connect(self.download_kaggle)
        panel.retrain_clicked.connect(self.start)
        panel.cancel_clicked.connect(self.cancel)
        panel.use_rejected_clicked.connect(self.use_kept_aside)
        self.refresh()

    # -- what would be trained on ----------------------------------------------------------------
    def _current_model(self) -> Path | None:
        classifier = self.session.state.classifier
        return classifier.path if classifier is not None else None

    def refresh(self) -> None:
        """List what Retrain would use and say what it would do."""
        self.panel.show_roots([*dataset_roots(self.config.datasets_dir), *self.config.extra_roots])
        try:
            self.panel.show_plan(plan(self.config, self._current_model()).describe())
        except ValueError as e:
            self.panel.show_plan(str(e))

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.parent(), "Folder of digit images (0/…9/ or the Kaggle layout)")
        if path:
            self.add_folder(Path(path))

    def add_folder(self, path: Path) -> None:
        if path not in self.config.extra_roots:
            self.config = replace(self.config, extra_roots=[*self.config.extra_roots, path])
        self.refresh()

    def remove_folder(self, path: Path) -> None:
        self.config = replace(self.config, extra_roots=[p for p in self.config.extra_roots if p != path])
        self.refresh()

    def download_kaggle(self) -> None:
        if self.tasks.get("download") is not None:
            return
        lacking = unavailable("The Kaggle download", DOWNLOAD)
        if lacking:
            self.panel.download_finished(lacking)
            return
        dest = self.config.datasets_dir
        self.panel.show_download(0, -1)

        def ended(message: str) -> None:
            self.panel.download_finished(message)
            self.refresh()

        self.tasks.start("download", lambda t: download_datasets(dest, t.progress),
                         progressed=lambda _s, done, total, _m: self.panel.show_download(done, total),
                         succeeded=lambda root: ended(f"Kaggle dataset ready in {root}."),
                         failed=lambda msg: ended(f"Download failed: {msg}"))

    # -- training -------------------------------------------------------------------------------
    def start(self) -> None:
        """Retrain on a task (the training itself runs in a child process); the live model is
        swapped only when the new one is at least as good."""
        if self.tasks.get("retrain") is not None:
            return
        lacking = unavailable("Retraining", TRAINING)
        if lacking:
            self.panel.training_finished(lacking, ok=False)
            return
        config = self.config
        try:
            the_plan = plan(config, self._current_model())
        except ValueError as e:
            self.panel.training_finished(str(e), ok=False)
            return
        current = self.session.state.classifier
        hand_model = self._hand_model()

        def job(task) -> RetrainResult:
            from trainer.handmodel import resolve_hand_model

            return retrain(config, the_plan, resolve_hand_model(hand_model), current, task.progress,
                           task.should_stop, task.log)

        self.panel.set_training(True)
        self.panel.append_log(the_plan.describe())
        self.panel.show_progress("Starting", 0, -1, "")
        self.tasks.start("retrain", job, progressed=self.panel.show_progress, logged=self.panel.append_log,
                         succeeded=self._finished,
                         failed=lambda msg: self.panel.training_finished(
                             f"Retraining failed: {msg} The current model is still in use.", ok=False),
                         cancelled=lambda _m: self.panel.training_finished(
                             "Retraining cancelled; the current model is still in use.", ok=False))

    def cancel(self) -> None:
        task = self.tasks.get("retrain")
        if task is not None:
            task.cancel()
            self.panel.show_progress("Cancelling after the current step", 0, -1, "")

    def _finished(self, result: RetrainResult) -> None:
        self.panel.show_comparison(*comparison_rows(result.verdict))
        if result.verdict.accepted:
            self._take(result, f"Retrained model in use. {result.verdict.summary}")
        else:
            self._kept_aside = result
            self.panel.training_finished(
                f"The retrained model was kept aside, not used: {result.verdict.summary} "
                "“Use it anyway” switches to it.", ok=False, can_use_anyway=True, where=result.path)
        self.refresh()

    def use_kept_aside(self) -> None:
        if self._kept_aside is None or self.tasks.get("retrain") is not None:
            return
        result, self._kept_aside = self._kept_aside, None
        out = self.config.out
        self.tasks.start("retrain", lambda _t: take_kept_aside(result, out),
                         succeeded=lambda taken: self._take(taken, "Using the retrained model you chose."),
                         failed=lambda msg: self.panel.training_finished(f"Could not switch to it: {msg}", ok=False))

    def _take(self, result: RetrainResult, message: str) -> None:
        self.panel.training_finished(message, ok=True, where=result.path)
        self.session.update(classifier=result.classifier)
        self.model_taken.emit(result)
        self.refresh()
