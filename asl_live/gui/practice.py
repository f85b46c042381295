"""The Practice tab's controller: rounds drawn from the learner's history, the judge as a
session frame observer (asl_live.practice), results recorded (asl_live.history), progress
and CSV export for a teacher.

The history is a file another program may hold locked (a second window, a sync tool): every
access from here waits at most BUSY_WAIT_S, so the window never freezes; results that could
not be written are kept and written by a retry every RETRY_MS once the file is free.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QWidget

from asl_live.gui.practice_panel import DRILLS, PracticePanel
from asl_live.gui.progress_view import ProgressDialog
from asl_live.hand3d import digit_shapes, upright_3d
from asl_live.handshape import hinted_digits
from asl_live.history import DEFAULT_LEARNER, History, HistoryBusy, choose_prompts
from asl_live.practice import PracticeObserver, make_number
from asl_live.session import LiveSession
from asl_live.walkthrough import FIRST_SIGNS, Walkthrough

if TYPE_CHECKING:
    from asl_live.live import FrameResult

ROUND_LENGTH = 10
BUSY_WAIT_S = 0.05  # the longest the GUI thread waits for another program's lock
RETRY_MS = 5000
BUSY_NOTICE = ("The practice history is in use by another program: your results are kept and will be saved "
               "once it is free.")

Say = Callable[..., None]


class PracticeController(QObject):
    def __init__(self, session: LiveSession, panel: PracticePanel, say: Say, parent: QWidget | None = None,
                 first_run: bool = False, first_run_done: Callable[[], None] = lambda: None) -> None:
        super().__init__(parent)
        self.session, self.panel, self.say = session, panel, say
        # the first run's guide; done, skipped, or Start pressed: never again (first_run_done)
        self.walkthrough: Walkthrough | None = Walkthrough() if first_run else None
        self._first_run_done = first_run_done
        self.observer = PracticeObserver()
        session.add_frame_observer(self.observer)
        self.hints = hinted_digits()
        self._rng = np.random.default_rng()
        self._mode: str | None = None
        self._learner = DEFAULT_LEARNER
        self._recorded = 0  # prompts of the current round already written to the history
        self._last_prompt: int | None = None
        self.history: History | None = None
        self._pending: list[tuple] = []  # results waiting for a locked history
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self.retry)
        self._open_history()
        learners = self._ask(lambda h: h.learners(), [])
        panel.show_learners(learners, learners[0] if learners else DEFAULT_LEARNER)
        panel.start_clicked.connect(self.start)
        panel.guide_next.connect(self._guide_next)
        panel.guide_skip.connect(self._end_walkthrough)
        panel.show_guide(self.walkthrough.view() if self.walkthrough else None)
        panel.stop_clicked.connect(self.stop)
        panel.skip_clicked.connect(self.observer.skip)
        panel.undo_clicked.connect(self.observer.undo)
        panel.progress_clicked.connect(self.show_progress)
        panel.export_clicked.connect(self.export)

    # -- rounds ----------------------------------------------------------------------------------
    def start(self, learner: str, mode: str, prompts: list[int] | None = None, number: str | None = None,
              guided: bool = False) -> None:
        """A round of `mode` ("Digits", a drill of DRILLS, or "Numbers") for `learner`: the given
        prompts (or number), else digits drawn from the learner's history, weak ones more often
        (a drill: only its digits, never one twice in a row)."""
        if self.walkthrough is not None and not guided:  # Start pressed: the learner goes ahead
            self._end_walkthrough()
        among = DRILLS.get(mode)
        mode = "Digits" if among is not None else mode
        self._learner, self._mode, self._recorded = learner, mode, 0
        if mode == "Numbers":
            self.observer.start_number(number or make_number(self._rng))
        else:
            if prompts is None:
                stats = self._ask(lambda h: h.digit_stats(learner), {})
                prompts = choose_prompts(stats, ROUND_LENGTH, self._rng, previous=self._last_prompt, among=among)
            self.observer.start_round(prompts)
        self.panel.show_learners(self._ask(lambda h: h.learners(), []), learner)
        self.panel.set_running(mode)

    def stop(self) -> None:
        self.observer.stop()
        self._mode = None
        self.panel.set_running(None)

    def undo(self) -> None:
        self.observer.undo()

    # -- the first run ------------------------------------------------------------------------------
    def _guide_next(self) -> None:
        if self.walkthrough is None:
            return
        if self.walkthrough.next() == "signs":
            self.start(self.panel.learner_name(), "Digits", prompts=list(FIRST_SIGNS), guided=True)
        self.panel.show_guide(self.walkthrough.view())

    def _end_walkthrough(self) -> None:
        if self.walkthrough is None:
            return
        self.walkthrough = None
        self.panel.show_guide(None)
        self._first_run_done()

    def refresh(self, result: FrameResult | None = None) -> None:
        """Called for every frame the window shows (`result`: that frame): copy the judge's
        state onto the panel and write what was decided since."""
        if self.walkthrough is not None and result is not None:
            self.walkthrough.see(result.observation is not None, result.timestamp_ms)
            self.panel.show_guide(self.walkthrough.view(result.coach))
        if self._mode is None and result is not None:  # between rounds: the learner's hand, as a mirror
            obs = result.observation
            self.panel.show_idle_hand(None if obs is None else upright_3d(obs.landmarks, obs.handedness))
        if self._mode == "Digits":
            view = self.observer.round_view()
            if view is None:
                return
            for r in [r for r in view.results if r.closed][self._recorded:]:
                self._record(r.digit, r.accepted, r.time_ms, "digits")
                self._recorded += 1
                self._last_prompt = r.digit
            target = view.target
            classifier = self.session.state.classifier
            templates = digit_shapes(str(classifier.path)) if classifier is not None and classifier.path else {}
            self.panel.show_prompt(view, templates.get(target) if target is not None else None, target in self.hints)
            if view.done:
                self.panel.show_summary(view)
                self._finish()
                if self.walkthrough is not None and self.walkthrough.step == "signs":
                    self.walkthrough.round_finished()
                    self._end_walkthrough()
                    self.panel.status.setText(self.panel.status.text() + " You are ready: press Start for a "
                                              "round of ten.")
        elif self._mode == "Numbers":
            number = self.observer.number_view()
            if number is None:
                return
            self.panel.show_number(number.target, number.entered)
            if number.complete:
                for d, t, ms in zip(number.entered, number.target, number.times_ms()):
                    self._record(int(t), d == int(t), ms if d == int(t) else None, "numbers")
                self._finish()

    def _finish(self) -> None:
        self.observer.stop()
        self._mode = None
        self.panel.set_running(None)
        if self.history is not None:
            self.panel.show_learners(self._ask(lambda h: h.learners(), []), self._learner)

    # -- the history file -------------------------------------------------------------------------
    def _open_history(self) -> None:
        try:
            self.history = History.open(timeout=BUSY_WAIT_S)
        except HistoryBusy:
            self._busy()
            return
        except OSError as e:
            self.say("history", f"Practice results cannot be saved: {e}", "warning")
            return
        if self.history.notice:
            self.say("history", self.history.notice, "warning")

    def _busy(self) -> None:
        self.say("history", BUSY_NOTICE, "warning")
        if not self._retry.isActive():
            self._retry.start()

    def _ask(self, read, default):
        """A read of the history, or `default` while it is locked (or missing)."""
        if self.history is None:
            return default
        try:
            return read(self.history)
        except HistoryBusy:
            self._busy()
            return default

    def _record(self, digit: int, success: bool, time_ms: int | None, mode: str) -> None:
        self._pending.append((self._learner, digit, success, time_ms if success else None, mode, time.time()))
        if not self._retry.isActive():
            self._flush()

    def _flush(self) -> bool:
        """Write the pending results; False while the history is locked (a retry is scheduled)."""
        while self.history is not None and self._pending:
            learner, digit, success, time_ms, mode, when = self._pending[0]
            try:
                self.history.record(learner, digit, success, time_ms, mode, when)
            except HistoryBusy:
                self._busy()
                return False
            except (OSError, ValueError) as e:
                self.say("history", f"A practice result could not be saved: {e}", "warning")
            self._pending.pop(0)
        return True

    def retry(self) -> None:
        """The timer's try: open the history if it was locked, then write what waited."""
        if self.history is None:
            self._open_history()
            if self.history is None:
                return
        if self._flush():
            self._retry.stop()
            self.say("history", "")
            if self._mode is None:
                self.panel.show_learners(self._ask(lambda h: h.learners(), []), self._learner)

    # -- progress and export ---------------------------------------------------------------------
    def show_progress(self, learner: str) -> ProgressDialog | None:
        if self.history is None:
            self.say("history", "There is no practice history to show.", "warning")
            return None
        daily = self._ask(lambda h: h.daily(learner), None)
        if daily is None:
            return None
        dialog = ProgressDialog(learner, daily, self.panel)
        dialog.show()
        return dialog

    def export(self, learner: str, path: str | Path | None = None) -> Path | None:
        if self.history is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.panel, "Export practice results", f"practice-{learner}.csv",
                                                  "CSV files (*.csv)")
        if not path:
            return None
        try:
            out = self.history.export_csv(path, learner)
        except HistoryBusy:
            self._busy()
            return None
        except OSError as e:
            self.say("history", f"Could not export: {e}", "error")
            return None
        self.say("history", f"Practice results of {learner} exported to {out}.")
        return out

    def close(self) -> None:
        self.observer.stop()
        self._retry.stop()
        if self.history is not None:
            self._flush()  # a last try: what is still locked out is reported, not waited for
            self.history.close()
