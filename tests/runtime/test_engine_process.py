"""The engine in a worker process (the app's default): the same behaviour as the engine thread,
behind the same signals, and it recovers when the process dies.

Most GUI tests drive the thread engine (conftest: it starts at once); these drive real processes.
"""
import os
import time

import pytest

from desktop import engine_process
from desktop.engine_process import EngineProcessController, controller_factory
from desktop.engine_thread import EngineController
from engine.ablation import AblationSimulation
from engine.byol import BYOLSimulation
from engine.dino import DINOSimulation

START_S = 60_000  # ms: spawning Python and importing numpy takes seconds on a loaded runner


def test_the_app_uses_one_engine_process_unless_told_otherwise(qapp, monkeypatch):
    monkeypatch.delenv("DISTILL_LAB_ENGINE", raising=False)
    make = controller_factory(None)
    first, second = make(BYOLSimulation), make(DINOSimulation)
    assert isinstance(first, EngineProcessController) and first._host is second._host
    first.shutdown()
    monkeypatch.setenv("DISTILL_LAB_ENGINE", "thread")
    thread_engine = controller_factory(None)(BYOLSimulation)
    assert isinstance(thread_engine, EngineController)
    assert thread_engine.shutdown()


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
    engine.step(1)  # the process's own snapshots (the first one shown was computed here)
    qtbot.waitUntil(lambda: engine.latest["step"] == 1, timeout=START_S)
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


@pytest.mark.soak  # over ~5 s: trains to a divergence in a process
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
        engine._host.kill()
    assert "stopped unexpectedly" in message.args[0] and "Reset" in message.args[0]
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


def opened(controller) -> bool:
    return controller._host.is_open(controller._key)


@pytest.mark.soak  # over ~5 s: starts every page's engine
def test_one_process_serves_every_page_each_opened_when_first_shown(qtbot, monkeypatch, open_window):
    monkeypatch.setenv("DISTILL_LAB_ENGINE", "process")
    window = open_window(pages=())
    first = window.current_page().key
    assert {key: opened(c) for key, c in window.controllers.items()} == {
        key: key == first for key in window.controllers}
    # The page in view shows its step-0 state at once, before the process has started.
    assert window.controllers[first].latest["step"] == 0 and window.panels[first].snapshot is not None
    for key in window.controllers:
        window.show_page(key)
        controller = window.controllers[key]
        controller.step(1)
        qtbot.waitUntil(lambda: controller.latest["step"] == 1, timeout=START_S)
    assert len({c.engine_pid for c in window.controllers.values()}) == 1
    window.close()


@pytest.mark.soak  # over ~5 s: starts every page's engine
def test_closing_the_window_ends_every_engine_process_within_a_second(qtbot, monkeypatch, open_window):
    monkeypatch.setenv("DISTILL_LAB_ENGINE", "process")
    window = open_window(pages=())
    for key in window.controllers:
        window.show_page(key)
    assert all(opened(controller) for controller in window.controllers.values())
    process = window.controllers["byol"]._host._process
    for controller in window.controllers.values():
        controller.step(1)
        qtbot.waitUntil(lambda: controller.latest["step"] == 1, timeout=START_S)
    window.show_page("byol")
    window.controllers["byol"].play()
    qtbot.wait(300)
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 1.0
    assert not process.is_alive()


def test_sends_the_next_snapshot_only_after_the_last_was_taken(qtbot, byol_engine, monkeypatch):
    engine = byol_engine
    taken = []
    real_send = engine._host.send
    monkeypatch.setattr(engine._host, "send",
                        lambda key, command: (taken.append(type(command).__name__), real_send(key, command)))
    drawn = []
    engine.snapshot.connect(lambda snapshot: drawn.append(snapshot["step"]))
    engine.play()
    qtbot.waitUntil(lambda: len(drawn) >= 10, timeout=20_000)
    engine.pause()
    # Each drawn snapshot was answered once; the steps only go forward (latest wins, no backlog).
    assert taken.count("Taken") >= len(drawn) - 1
    assert drawn == sorted(drawn)
    assert engine_process.STOP_TIMEOUT_S < 1.0
