"""The engine in a worker process (the app's default): the same behaviour as the engine thread,
behind the same signals, and it recovers when the process dies.

Most GUI tests drive the thread engine (conftest: it starts at once); these drive real processes.
"""
import os
import time

import pytest

from desktop import engine_process
from desktop.engine_process import EngineProcessController, controller_class
from desktop.engine_thread import EngineController
from desktop.main_window import MainWindow
from engine.ablation import AblationSimulation
from engine.byol import BYOLSimulation
from engine.dino import DINOSimulation

START_S = 60_000  # ms: spawning Python and importing numpy takes seconds on a loaded runner


def test_the_app_uses_the_process_engine_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("DISTILL_LAB_ENGINE", raising=False)
    assert controller_class() is EngineProcessController
    monkeypatch.setenv("DISTILL_LAB_ENGINE", "thread")
    assert controller_class() is EngineController
    monkeypatch.setenv("DISTILL_LAB_ENGINE", "process")
    assert controller_class() is EngineProcessController


@pytest.fixture
def byol_engine(qtbot):
    controller = EngineProcessController(BYOLSimulation)
    controller.ensure_started()
    qtbot.waitUntil(lambda: controller.latest is not None, timeout=START_S)
    yield controller
    controller.shutdown()


def test_trains_applies_parameters_and_steps_like_the_thread(qtbot, byol_engine):
    engine = byol_engine
    assert engine.latest["step"] == 0 and engine.engine_pid != os.getpid()
    engine.play()
    qtbot.waitUntil(lambda: engine.running and engine.latest["step"] > 20, timeout=20_000)
    engine.set_param("stop_gradient", False)
    qtbot.waitUntil(lambda: engine.latest["params"]["stop_gradient"] is False, timeout=5000)
    engine.pause()
    qtbot.waitUntil(lambda: not engine.running and not engine.latest["running"], timeout=5000)
    paused_at = engine.latest["step"]
    engine.step(7)
    qtbot.waitUntil(lambda: engine.latest["step"] == paused_at + 7, timeout=5000)
    engine.reset(3)
    qtbot.waitUntil(lambda: engine.latest["step"] == 0 and engine.latest["params"]["seed"] == 3,
                    timeout=5000)


def test_a_refused_parameter_comes_back_in_words(qtbot, byol_engine):
    with qtbot.waitSignal(byol_engine.message, timeout=5000) as message:
        byol_engine.set_param("learning_rate", float("nan"))
    assert "learning_rate" in message.args[0] and "not nan" in message.args[0]


def test_a_divergence_is_reported_with_its_step(qtbot, byol_engine):
    engine = byol_engine
    engine.set_param("learning_rate", 10.0)
    engine.set_param("weight_decay", 0.1)
    engine.play()
    qtbot.waitUntil(lambda: engine.latest.get("diverged_at_step") is not None, timeout=60_000)
    assert not engine.latest["running"]
    assert "learning rate" in engine.latest["divergence_reason"]


def test_a_killed_engine_is_reported_and_reset_starts_a_new_one(qtbot, byol_engine):
    engine = byol_engine
    first_pid = engine.engine_pid
    with qtbot.waitSignal(engine.message, timeout=10_000) as message:
        engine._process.kill()
    assert "stopped unexpectedly" in message.args[0] and "Reset" in message.args[0]
    engine.play()  # nothing to play: ignored, no exception
    engine.reset(0)
    qtbot.waitUntil(lambda: engine.engine_pid not in (None, first_pid), timeout=START_S)
    engine.step(3)
    qtbot.waitUntil(lambda: engine.latest["step"] == 3, timeout=START_S)


@pytest.mark.parametrize("simulation_class", [DINOSimulation, AblationSimulation])
def test_every_page_simulation_runs_in_a_process(qtbot, simulation_class):
    engine = EngineProcessController(simulation_class)
    try:
        engine.step(2)  # the first command starts the process
        qtbot.waitUntil(lambda: engine.latest is not None and engine.latest["step"] >= 2,
                        timeout=START_S)
    finally:
        assert engine.shutdown()


def test_engines_start_when_their_page_is_first_shown(qtbot, monkeypatch):
    monkeypatch.setenv("DISTILL_LAB_ENGINE", "process")
    window = MainWindow()
    qtbot.addWidget(window)
    first = window.current_page().key
    started = {key: controller._process is not None for key, controller in window.controllers.items()}
    assert started == {key: key == first for key in window.controllers}
    for key in window.controllers:
        window.show_page(key)
        qtbot.waitUntil(lambda: window.controllers[key].latest is not None, timeout=START_S)
    window.close()


def test_closing_the_window_ends_every_engine_process_within_a_second(qtbot, monkeypatch):
    monkeypatch.setenv("DISTILL_LAB_ENGINE", "process")
    window = MainWindow()
    qtbot.addWidget(window)
    for key in window.controllers:
        window.show_page(key)
    processes = [controller._process for controller in window.controllers.values()]
    assert len(processes) == 3 and all(process is not None for process in processes)
    for controller in window.controllers.values():
        qtbot.waitUntil(lambda: controller.latest is not None, timeout=START_S)
    window.show_page("byol")
    window.controllers["byol"].play()
    qtbot.wait(300)
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 1.0
    assert not any(process.is_alive() for process in processes)


def test_sends_the_next_snapshot_only_after_the_last_was_taken(qtbot, byol_engine, monkeypatch):
    engine = byol_engine
    taken = []
    real_send = engine._send
    monkeypatch.setattr(engine, "_send", lambda command: (taken.append(command[0]), real_send(command)))
    drawn = []
    engine.snapshot.connect(lambda snapshot: drawn.append(snapshot["step"]))
    engine.play()
    qtbot.waitUntil(lambda: len(drawn) >= 10, timeout=20_000)
    engine.pause()
    # Each drawn snapshot was answered once; the steps only go forward (latest wins, no backlog).
    assert taken.count("taken") >= len(drawn) - 1
    assert drawn == sorted(drawn)
    assert engine_process.STOP_TIMEOUT_S < 1.0
