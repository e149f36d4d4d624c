"""Plays a guided lesson in the main window: entering a step sets its page's state (page,
controls, reset, play) through the same controls a lecturer would move, then waits for the step's
event in the page's snapshots and pauses training when it comes, so the hall can look."""
from __future__ import annotations

from PySide6 import QtCore

from desktop.lessons import Lesson, LessonStep

RESET_MARGIN = 50  # steps


class LessonRunner(QtCore.QObject):
    """The lesson in progress, its step, and the wait of that step."""

    step_entered = QtCore.Signal(int)  # the step's index
    status_changed = QtCore.Signal(str)
    paused_at_event = QtCore.Signal(int)  # the step whose event paused training
    finished = QtCore.Signal()

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.lesson: Lesson | None = None
        self.index = -1
        self._listening = None  # the controller whose snapshots the wait watches
        self._armed = False  # False until a snapshot of the step's fresh state has arrived
        self._entry_step = 0
        self._seen_other_verdict = False
        self.waiting = False

    @property
    def active(self) -> bool:
        return self.lesson is not None

    @property
    def step(self) -> LessonStep | None:
        return self.lesson.steps[self.index] if self.lesson is not None else None

    def start(self, lesson: Lesson) -> None:
        self.stop()
        self.lesson = lesson
        self.enter(0)

    def next(self) -> None:
        if self.lesson is None:
            return
        if self.index + 1 >= len(self.lesson.steps):
            self.stop()
            self.finished.emit()
        else:
            self.enter(self.index + 1)

    def previous(self) -> None:
        if self.lesson is not None and self.index > 0:
            self.enter(self.index - 1)

    def stop(self) -> None:
        self._stop_listening()
        self.lesson, self.index = None, -1

    # -- one step --------------------------------------------------------------------------------
    def enter(self, index: int) -> None:
        """Set the page's state for step ``index`` and start waiting for its event."""
        self._stop_listening()
        self.index = index
        step = self.step
        window = self.window
        window.show_page(step.page)
        panel = window.panels[step.page]
        controller = window.controllers.get(step.page)
        # Snapshots of the old run may still be on their way after a reset: the new run's are told
        # apart by their step count, which starts again from 0 (see _on_snapshot).
        self._entry_step = controller.latest["step"] if controller is not None and controller.latest else 0
        if controller is not None:
            if step.params or step.reset:
                controller.pause()
            for name, value in step.params.items():
                if name in panel.controls:
                    panel.apply_param(name, value)  # as if the lecturer had moved it
                else:
                    controller.set_param(name, value)
            if step.reset:
                controller.reset(panel.transport.seed.value())
            if step.play:
                controller.play()  # the engine applies the commands in order: it plays the new run
        self.step_entered.emit(index)
        self.waiting = step.wait is not None and controller is not None
        if self.waiting:
            self._listening = controller
            self._armed = not step.reset
            self._seen_other_verdict = False
            controller.snapshot.connect(self._on_snapshot)
        self.status_changed.emit(f"Waiting for {step.wait.describe()}…" if self.waiting else "")
        if self.waiting and self._armed and controller.latest is not None:
            self._on_snapshot(controller.latest)

    def _on_snapshot(self, snapshot: dict) -> None:
        step = self.step
        if step is None or step.wait is None or not self.waiting:
            return
        if not self._armed:
            # The new run counts from 0; the old one had reached _entry_step. An old run younger
            # than RESET_MARGIN steps cannot be told apart, and its state is close to a fresh one.
            self._armed = (snapshot["step"] < self._entry_step or snapshot["step"] == 0
                           or self._entry_step < RESET_MARGIN)
            if not self._armed:
                return
        if any(snapshot["params"].get(name) != value for name, value in step.params.items()):
            return  # made before the step's settings reached the engine
        panel = self.window.panels[step.page]
        words = {panel.live_state(snapshot)[1], str(snapshot.get("verdict", ""))}
        if step.wait.until == "verdict" and step.wait.verdict not in words:
            self._seen_other_verdict = True
        if snapshot.get("diverged_at_step") is not None:
            self._finish_wait(f"Training diverged at step {snapshot['diverged_at_step']}: press Reset.")
        elif step.wait.met(snapshot, words) and (step.wait.until != "verdict" or self._seen_other_verdict):
            # A verdict wait waits for the verdict to change to its word: a fresh network can
            # look healthy at step 0 before training first squeezes it.
            self._finish_wait(f"Paused at step {snapshot['step']}: {step.wait.describe()} reached. Look!")
        elif step.wait.gave_up(snapshot):
            self._finish_wait(f"Paused at step {snapshot['step']}: {step.wait.describe()} did not come "
                              "in this run (the toy does not always reproduce it).")

    def _finish_wait(self, text: str) -> None:
        controller = self._listening
        self._stop_listening()
        controller.pause()
        self.status_changed.emit(text)
        self.paused_at_event.emit(self.index)

    def _stop_listening(self) -> None:
        if self._listening is not None:
            try:
                self._listening.snapshot.disconnect(self._on_snapshot)
            except (RuntimeError, TypeError):
                pass
        self._listening = None
        self.waiting = False
