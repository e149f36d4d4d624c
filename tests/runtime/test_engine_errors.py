"""An unexpected error inside a simulation's step (a bug, not a divergence) stops training with a
message in words; the engine, thread or process, stays alive and Reset starts again."""
import pytest

from desktop.engine_process import EngineProcessController
from desktop.engine_thread import EngineController
from engine.byol import BYOLSimulation

FAIL_AT_STEP = 5


class FailingSimulation(BYOLSimulation):
    """A BYOL run whose step raises once it reaches FAIL_AT_STEP (until reset)."""

    def step(self, count: int = 1) -> None:
        if self.step_count >= FAIL_AT_STEP:
            raise ValueError("a deliberate fault")
        super().step(count)


@pytest.mark.parametrize("controller_class", [EngineController, EngineProcessController])
def test_an_error_in_a_step_stops_training_with_a_message(qtbot, controller_class, capfd):
    engine = controller_class(FailingSimulation)
    try:
        engine.ensure_started()
        qtbot.waitUntil(lambda: engine.latest is not None, timeout=60_000)
        with qtbot.waitSignal(engine.message, timeout=30_000) as message:
            engine.play()
        assert message.args[0].startswith(f"Training stopped at step {FAIL_AT_STEP} by an error")
        assert "ValueError: a deliberate fault" in message.args[0] and "Reset" in message.args[0]
        qtbot.waitUntil(lambda: not engine.running, timeout=5000)
        engine.reset(1)
        qtbot.waitUntil(lambda: engine.latest["step"] == 0 and engine.latest["params"]["seed"] == 1,
                        timeout=10_000)
        engine.step(2)
        qtbot.waitUntil(lambda: engine.latest["step"] == 2, timeout=10_000)
    finally:
        engine.shutdown()
    assert "ValueError" in capfd.readouterr().err  # the traceback is kept for whoever debugs it


@pytest.mark.parametrize("controller_class", [EngineController, EngineProcessController])
def test_a_snapshot_waiting_for_its_frame_does_not_undo_a_stop_reported_after_it(
        qtbot, controller_class):
    # The engine sent a snapshot while training, then stopped (an error, a pause); the snapshot
    # is drawn after the report, and the page must still show training stopped.
    engine = controller_class(BYOLSimulation)  # never started: the test plays the engine's part
    engine.offer_snapshot({"step": 4, "running": True})  # drawn now; the next one waits a frame
    engine.offer_snapshot({"step": 5, "running": True})
    if controller_class is EngineProcessController:
        engine.engine_event("running", False)
    else:
        engine._worker.running_changed.emit(False)  # as the worker thread reports it
    qtbot.waitUntil(lambda: engine.latest["step"] == 5, timeout=5000)
    assert engine.running is False and engine.latest["running"] is False
    engine.shutdown()
