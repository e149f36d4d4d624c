"""Issue 13, failures 1 and 2: a dead or a frozen engine process.

1. A restarted engine must run what the controls show (it ran the defaults), the "engine stopped"
   message must clear when training resumes, Ctrl+S must save what the controls show.
2. A frozen engine (SIGSTOP) must be reported in words, replaced on Reset, never block the GUI
   (sends are queued, not written from the GUI thread), and never keep the app from exiting.
"""
import os
import signal
import time

import pytest

from desktop import engine_commands, engine_process
from desktop.engine_process import EngineProcessController
from desktop.scenarios import bundled_scenarios, load_scenario
from engine.byol import BYOLSimulation
from widgets.controls import ParamCheck
from window_helpers import wait_snapshot

START_MS = 60_000  # spawning Python and importing numpy takes seconds on a loaded runner
FROZEN_AFTER_S = 1.5  # the watchdog's limit in these tests (the app's is HEARTBEAT_TIMEOUT_S)


def break_it():
    return next(s for s in bundled_scenarios() if s.name == "Break it: all guards off")


def control_values(panel) -> dict:
    return {name: (control.isChecked() if isinstance(control, ParamCheck) else control.value())
            for name, control in panel.controls.items()}


def engine_params_match_controls(panel, snapshot) -> bool:
    return all(snapshot["params"][name] == value for name, value in control_values(panel).items())


@pytest.fixture
def process_window(qtbot, monkeypatch, open_window):
    monkeypatch.setenv("DISTILL_LAB_ENGINE", "process")
    monkeypatch.setattr(engine_process, "HEARTBEAT_TIMEOUT_S", FROZEN_AFTER_S)
    window = open_window(pages=())
    controller = window.controllers["byol"]
    qtbot.waitUntil(lambda: controller.engine_pid is not None, timeout=START_MS)
    controller.step(1)
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 1, timeout=START_MS)
    yield window
    window.close()


def kill_engine(qtbot, controller) -> int:
    pid = controller.engine_pid
    process = controller._host._process
    with qtbot.waitSignal(controller.message, timeout=10_000,
                          check_params_cb=lambda text: "stopped unexpectedly" in text):
        os.kill(pid, signal.SIGKILL)
    process.join(5)
    return pid


def restart_with_reset(qtbot, window, old_pid):
    panel, controller = window.panels["byol"], window.controllers["byol"]
    window._reset_current()
    qtbot.waitUntil(lambda: controller.engine_pid not in (None, old_pid), timeout=START_MS)
    controller.step(3)
    return wait_snapshot(qtbot, controller, lambda s: s["step"] == 3, timeout=START_MS)


@pytest.mark.soak  # over ~5 s: restarts an engine process
@pytest.mark.parametrize("state", ["idle", "training", "after a toggle", "mid scenario load",
                                   "just after a scenario load"])
def test_a_restarted_engine_runs_what_the_controls_show(qtbot, process_window, state, tmp_path):
    window = process_window
    panel, controller = window.panels["byol"], window.controllers["byol"]
    if state == "training":
        window.apply_scenario(break_it())
        controller.play()
        wait_snapshot(qtbot, controller, lambda s: s["running"] and s["step"] > 5, timeout=START_MS)
    elif state == "after a toggle":
        window.apply_scenario(break_it())
        window.toggle_param("ema")  # back on: a value that is neither the default nor the scenario's
    elif state == "mid scenario load":
        real_set_param = controller.set_param
        calls = []

        def dies_on_the_third(name, value):
            calls.append(name)
            if len(calls) == 3:
                os.kill(controller.engine_pid, signal.SIGKILL)
                controller._host._process.join(5)
            real_set_param(name, value)

        controller.set_param = dies_on_the_third
        window.apply_scenario(break_it())
        del controller.set_param
    elif state == "just after a scenario load":
        window.apply_scenario(break_it())
    else:
        panel.apply_param("predictor", False)
        panel.apply_param("learning_rate", 0.2)
        wait_snapshot(qtbot, controller, lambda s: s["params"]["learning_rate"] == 0.2)
    if state == "mid scenario load":
        qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=10_000)
        old_pid = None
    else:
        old_pid = kill_engine(qtbot, controller)
    assert panel.message.isVisible() and "Reset" in panel.message.text()
    expected = control_values(panel)
    snapshot = restart_with_reset(qtbot, window, old_pid)
    assert engine_params_match_controls(panel, snapshot), (snapshot["params"], expected)
    assert control_values(panel) == expected
    # The words about the stopped engine go once it trains again.
    assert not panel.message.isVisible(), panel.message.text()
    # Ctrl+S saves what the controls show, not the defaults.
    path = tmp_path / "saved.json"
    assert window.save_scenario(str(path))
    saved = load_scenario(str(path)).params
    assert all(saved[name] == value for name, value in expected.items()), saved


@pytest.mark.soak  # over ~5 s: waits out the heartbeat
def test_a_frozen_engine_is_reported_never_blocks_and_reset_replaces_it(qtbot, process_window):
    window = process_window
    panel, controller = window.panels["byol"], window.controllers["byol"]
    panel.apply_param("stop_gradient", False)
    frozen_pid = controller.engine_pid
    frozen = controller._host._process
    os.kill(frozen_pid, signal.SIGSTOP)
    try:
        controller.play()
        qtbot.waitUntil(lambda: "not answered" in panel.message.text(), timeout=15_000)
        assert panel.message.isVisible() and "Reset" in panel.message.text()
        assert not controller.running
        # Far more control changes than a pipe holds (it filled after ~1,024 and blocked the GUI).
        started = time.monotonic()
        for i in range(5000):
            panel.apply_param("learning_rate", 0.01 + (i % 50) / 1000)
        assert time.monotonic() - started < 5.0
        panel.apply_param("learning_rate", 0.123)
        window._reset_current()
        qtbot.waitUntil(lambda: controller.engine_pid not in (None, frozen_pid), timeout=START_MS)
        assert not frozen.is_alive()  # replaced: killed, not left behind
        controller.step(2)
        snapshot = wait_snapshot(qtbot, controller, lambda s: s["step"] == 2, timeout=START_MS)
        assert snapshot["params"]["learning_rate"] == 0.123
        assert snapshot["params"]["stop_gradient"] is False
        assert not panel.message.isVisible()
    finally:
        if frozen.is_alive():
            frozen.kill()


@pytest.mark.soak  # over ~5 s: waits out the heartbeat
def test_an_engine_that_answers_again_is_brought_up_to_date(qtbot, monkeypatch):
    monkeypatch.setattr(engine_process, "HEARTBEAT_TIMEOUT_S", FROZEN_AFTER_S)
    controller = EngineProcessController(BYOLSimulation)
    messages = []
    controller.message.connect(messages.append)
    try:
        controller.ensure_started()
        qtbot.waitUntil(lambda: controller.engine_pid is not None, timeout=START_MS)
        controller.step(1)
        wait_snapshot(qtbot, controller, lambda s: s["step"] == 1, timeout=START_MS)
        pid = controller.engine_pid
        os.kill(pid, signal.SIGSTOP)
        qtbot.waitUntil(lambda: any("not answered" in m for m in messages), timeout=15_000)
        for value in (0.3, 0.2, 0.07):  # dropped while it is frozen, kept by the controller
            controller.set_param("learning_rate", value)
        controller.set_param("predictor", False)
        os.kill(pid, signal.SIGCONT)
        snapshot = wait_snapshot(qtbot, controller, lambda s: s["params"]["learning_rate"] == 0.07
                                 and s["params"]["predictor"] is False, timeout=15_000)
        assert controller.engine_pid == pid and not snapshot["running"]
        qtbot.waitUntil(lambda: messages[-1] == "", timeout=5000)
    finally:
        controller.shutdown()


def test_closing_never_waits_long_on_a_frozen_engine(qtbot):
    controller = EngineProcessController(BYOLSimulation)
    controller.ensure_started()
    qtbot.waitUntil(lambda: controller.engine_pid is not None, timeout=START_MS)
    controller.step(1)
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 1, timeout=START_MS)
    process = controller._host._process
    os.kill(process.pid, signal.SIGSTOP)
    started = time.monotonic()
    controller.shutdown()
    assert time.monotonic() - started < engine_process.EXIT_LIMIT_S + 0.5
    assert not process.is_alive()


def test_the_engine_refuses_a_command_outside_the_closed_set(qtbot):
    controller = EngineProcessController(BYOLSimulation)
    try:
        controller.ensure_started()
        qtbot.waitUntil(lambda: controller.engine_pid is not None, timeout=START_MS)
        with qtbot.waitSignal(controller.message, timeout=START_MS) as message:
            controller._host.send(controller._key, ("set_param", "learning_rate", 0.3))  # the old wire form
        assert "refused" in message.args[0] and "tuple" in message.args[0]
        with qtbot.waitSignal(controller.message, timeout=10_000) as message:
            controller._host.send(controller._key, engine_commands.Step(-5))
        assert "count" in message.args[0]
        controller.step(2)  # and it lives on
        wait_snapshot(qtbot, controller, lambda s: s["step"] == 2, timeout=START_MS)
    finally:
        controller.shutdown()


def test_command_check_accepts_the_set_and_nothing_else():
    for command in (engine_commands.SetRunning(True), engine_commands.Step(3), engine_commands.Reset(None),
                    engine_commands.SetParam("x", 1), engine_commands.SetSpeed(30.0), engine_commands.SetSpeed("lecture"),
                    engine_commands.Taken(), engine_commands.Stop(),
                    engine_commands.Open(BYOLSimulation, {}), engine_commands.Configure({"seed": 1})):
        assert engine_commands.check(command) is command
    for bad in ("reset", ("step", 1), engine_commands.SetRunning(1), engine_commands.Step(True),
                engine_commands.Reset("0"), engine_commands.SetSpeed(float("nan")), engine_commands.SetSpeed("fast"),
                engine_commands.Open(print, {}), engine_commands.Configure({1: 2})):
        with pytest.raises(engine_commands.CommandError):
            engine_commands.check(bad)


LAUNCHER = """
from PySide6 import QtCore
from desktop.engine_process import EngineProcessController
from engine.byol import BYOLSimulation


def main():
    app = QtCore.QCoreApplication([])
    controller = EngineProcessController(BYOLSimulation)
    controller.message.connect(lambda text: print("message:", text, flush=True))

    def check():
        latest = controller.latest
        if latest is not None and latest["step"] >= 2:
            print("trained", latest["step"], flush=True)
            app.quit()

    controller.snapshot.connect(lambda _: check())
    controller.step(2)
    QtCore.QTimer.singleShot(90_000, app.quit)
    app.exec()
    controller.shutdown()


if __name__ == "__main__":
    main()
"""


def test_the_engine_process_imports_nothing_from_the_launch_folder(tmp_path):
    """Failure 5: a threading.py where the app is started ran in the engine and resource tracker."""
    import subprocess
    import sys
    from pathlib import Path

    launch_folder = tmp_path / "lecture"
    launch_folder.mkdir()
    marker = tmp_path / "imported.txt"
    for module in ("threading", "signal", "numpy"):
        (launch_folder / f"{module}.py").write_text(
            f"open({str(marker)!r}, 'a').write('{module} imported\\n')\n"
            f"raise ImportError('the launch folder was on the path')\n")
    script = tmp_path / "bin" / "distill-lab-launcher.py"  # as a console script: not in the launch folder
    script.parent.mkdir()
    script.write_text(LAUNCHER)
    worktree = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=worktree, QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONSAFEPATH", None)
    result = subprocess.run([sys.executable, str(script)], cwd=launch_folder, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "trained 2" in result.stdout, (result.stdout, result.stderr)
    assert not marker.exists(), marker.read_text()
    assert "Traceback" not in result.stderr, result.stderr


def test_a_thread_that_cannot_start_is_said_in_words_and_never_waited_on(qtbot, monkeypatch):
    """Failure 8 (thread engine under `ulimit -v`): "QThread::start: Thread creation error", then a
    deadlock. Qt's start() then returns with the thread not running; simulated here."""
    from PySide6 import QtCore

    from desktop.engine_thread import EngineController

    monkeypatch.setattr(QtCore.QThread, "start", lambda self, *args: None)
    controller = EngineController(BYOLSimulation)
    messages = []
    controller.message.connect(messages.append)
    controller.ensure_started()  # what the window does when the page is shown
    assert "could not start a thread" in messages[-1] and "memory" in messages[-1]
    assert not controller.running
    controller.play()  # queued for a thread that never runs: nothing blocks
    started = time.monotonic()
    assert controller.shutdown()
    assert time.monotonic() - started < 1.0
