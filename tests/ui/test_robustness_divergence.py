"""Divergence: real settings that blow training up, and what the engine, the CLI and the page do then.

The engine stops at the step where a NaN or an infinity appears and names the likely cause; the page
says DIVERGED in words with that step and cause while its plots keep the last finite state (no NaN
reaches pyqtgraph); Play is refused until Reset, and Reset recovers.

Measured (seed 0; the same on seeds 1 and 2, since the blow-up comes from the weight decay alone):
BYOL, learning rate 10, weight decay 0.1, predictor LR x10 -> step 342; x20 -> 246; x4 -> 1746;
learning rate 5, weight decay 0.1 -> 695; learning rate 10, weight decay 0.05 -> 694. The predictor
trains at lr x multiplier and SGD with momentum 0.9 on the decay alone is unstable once
rate x decay > 3.8: 10 x 10 x 0.1 = 10 diverges, 2 x 10 x 0.1 = 2 does not.
DINO: no valid setting found that diverges (its logits are cosines, so they are bounded); the page's
path is checked by poisoning one weight, as tests/cli/test_cli.py does for BYOL.
"""
import json
import math
import os

import numpy as np
import pytest
from PySide6 import QtCore

from desktop.cli import main
from desktop.scenarios import Scenario
from engine.byol import BYOLSimulation
from engine.params import validate_params
from engine.registry import SIMULATIONS
from robustness_helpers import QtMessages, non_finite_plots, plotted_arrays
from window_helpers import wait_snapshot

BYOL_DIVERGING = dict(learning_rate=10.0, weight_decay=0.1)
BYOL_DIVERGES_AT = 342


# -- engine: BYOL with real settings ------------------------------------------------------------

@pytest.mark.parametrize("settings, at", [
    (dict(learning_rate=10.0, weight_decay=0.1), 342),
    (dict(learning_rate=10.0, weight_decay=0.1, predictor_lr_multiplier=20.0), 246),
    (dict(learning_rate=10.0, weight_decay=0.1, seed=2), 342),
])
def test_byol_real_settings_diverge_at_the_measured_step(settings, at):
    simulation = BYOLSimulation(**settings)
    simulation.step(at + 50)
    assert simulation.diverged_at_step == at and simulation.step_count == at
    reason = simulation.divergence_reason
    # The cause named is the predictor's effective rate, with the numbers that make it.
    lr, multiplier = simulation.params["learning_rate"], simulation.params["predictor_lr_multiplier"]
    assert f"step {at}" in reason and "predictor's effective learning rate" in reason
    assert f"{lr:g} x {multiplier:g} = {lr * multiplier:g}" in reason
    assert "weight decay 0.1" in reason


def test_byol_below_the_stability_bound_does_not_diverge():
    # 2 x 10 x 0.1 = 2 < 3.8: the same weight decay, a fifth of the rate, trains on.
    simulation = BYOLSimulation(learning_rate=2.0, weight_decay=0.1, batch_size=32)
    simulation.run(600)
    assert not simulation.diverged
    assert all(math.isfinite(v) for v in simulation.latest.values())


def test_byol_a_blow_up_within_the_stable_bound_blames_the_learning_rates(monkeypatch):
    original = BYOLSimulation._train_step

    def poisoned(self):
        if self.step_count == 20:
            self.encoder[0][0, 0] = np.inf
        return original(self)

    monkeypatch.setattr(BYOLSimulation, "_train_step", poisoned)
    simulation = BYOLSimulation(batch_size=16)
    simulation.step(40)
    assert simulation.diverged_at_step == 21
    reason = simulation.divergence_reason
    assert "step 21" in reason and "learning rate (0.05)" in reason
    assert "predictor's effective rate is 0.05 x 10 = 0.5" in reason
    assert "unstable" not in reason  # 0.5 x 0.003 is far inside the stable bound


def test_cli_reports_a_real_divergence_in_json_and_exits_1(capsys):
    code = main(["run", "byol", "--lr", "10", "--weight-decay", "0.1", "--steps", "600", "--json"])
    captured = capsys.readouterr()
    assert code == 1
    summary = json.loads(captured.out)  # strict JSON: no NaN token
    assert summary["diverged"] is True and summary["diverged_at_step"] == BYOL_DIVERGES_AT
    assert summary["steps"] == BYOL_DIVERGES_AT
    final = dict(summary["final"])
    assert final.pop("verdict") == "diverged"  # the page's word, not the collapse its last metrics suggest
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in final.values())
    assert max(summary["history"]["step"]) <= BYOL_DIVERGES_AT
    assert "predictor's effective learning rate" in captured.err
    assert len(captured.err.strip().splitlines()) == 1


# -- engine: DINO -------------------------------------------------------------------------------

def dino_class():
    return SIMULATIONS.get("dino")


needs_dino = pytest.mark.skipif(dino_class() is None, reason="DINO simulation not registered yet")


@needs_dino
@pytest.mark.parametrize("settings", [
    # The most extreme corners a lecturer can reach: huge rate, coldest and hottest temperatures,
    # centre and teacher momenta at their fastest, tiny batch.
    dict(learning_rate=10.0, weight_decay=0.1, student_temperature=0.01, teacher_temperature=0.01,
         center_momentum=0.0, ema_momentum=0.9, batch_size=8),
    dict(learning_rate=10.0, weight_decay=0.0, student_temperature=0.01, teacher_temperature=1.0,
         center_momentum=0.0, ema_momentum=0.9999, batch_size=8, num_prototypes=256),
    dict(learning_rate=10.0, weight_decay=0.1, student_temperature=1.0, teacher_temperature=0.01,
         centering=False, batch_size=8, num_prototypes=2),
])
def test_dino_extreme_valid_settings_stay_finite(settings):
    simulation = dino_class()(**settings)
    simulation.run(300)
    assert not simulation.diverged, simulation.divergence_reason
    assert all(math.isfinite(v) for v in simulation.latest.values())
    snapshot = simulation.snapshot()
    for key, value in snapshot.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.isfinite(value).all(), key


def poison_at(monkeypatch, simulation_class, step: int) -> None:
    """From ``step`` on, one student weight is infinite *before* the step's forward pass, as a real
    blow-up would be: the loss, the teacher (by EMA) and DINO's centre all turn non-finite."""
    original = simulation_class._train_step

    def poisoned(self):
        if self.step_count == step - 1:
            weights = self.encoder if hasattr(self, "encoder") else self.student.backbone
            weights[0][0, 0] = np.inf
        return original(self)

    monkeypatch.setattr(simulation_class, "_train_step", poisoned)


@needs_dino
def test_dino_divergence_stops_at_that_step_and_keeps_the_last_finite_state(monkeypatch):
    poison_at(monkeypatch, dino_class(), 57)
    simulation = dino_class()(batch_size=16)
    simulation.step(100)
    assert simulation.diverged_at_step == 57 and simulation.step_count == 57
    assert "step 57" in simulation.divergence_reason and "learning rate" in simulation.divergence_reason
    assert all(math.isfinite(v) for v in simulation.latest.values())
    snapshot = simulation.snapshot()
    for key, value in snapshot.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.isfinite(value).all(), f"snapshot[{key!r}] is not finite after the divergence"
    assert snapshot["history"]["step"].max() <= 57


# -- the page -----------------------------------------------------------------------------------

def training_pages():
    pages = ["byol"]
    if dino_class() is not None:
        pages.append("dino")
    return pages


@pytest.mark.soak  # over ~5 s: trains to the divergence in the app
@pytest.mark.parametrize("page", training_pages())
def test_the_page_says_diverged_keeps_finite_plots_refuses_play_and_reset_recovers(
        qtbot, window, monkeypatch, page):
    if page != "byol" and os.environ.get("DISTILL_LAB_ENGINE", "process").strip().lower() != "thread":
        pytest.skip("the divergence is made by poisoning a weight in this process: a worker process cannot see it")
    panel, controller = window.panels[page], window.controllers[page]
    window.show_page(page)  # a page's engine starts when the page is first shown
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 0)
    specs = SIMULATIONS[page].PARAMS
    if page == "byol":
        # Real settings, arriving the way a lecturer's scenario file brings them.
        params, at, cause = BYOL_DIVERGING, BYOL_DIVERGES_AT, "predictor's effective learning rate"
    else:
        params, at, cause = {}, 57, "learning rate"
        poison_at(monkeypatch, SIMULATIONS[page], at)
    window.apply_scenario(Scenario("Too hot", page, "", validate_params(specs, params)))
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 0 and s["params"]["seed"] == 0)

    with QtMessages() as qt_messages:
        panel.transport.play_button.click()
        diverged = wait_snapshot(qtbot, controller, lambda s: s["diverged_at_step"] is not None)
        qtbot.waitUntil(lambda: not controller.running, timeout=5000)
        qtbot.waitUntil(lambda: panel.snapshot is not None
                        and panel.snapshot["diverged_at_step"] is not None, timeout=5000)
        qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=5000)

        # The engine stopped at the step where it happened.
        assert diverged["diverged_at_step"] == at and diverged["step"] == at
        # The page says so in words: what, at which step, the likely cause.
        assert panel.verdict.text().startswith(f"DIVERGED at step {at}")
        assert cause in panel.caption.text() and f"step {at}" in panel.caption.text()
        assert "Training diverged" in panel.message.text() and "Reset" in panel.message.text()
        assert not panel.transport.play_button.isChecked()
        # The last finite plots stay: curves hold data up to the divergence, and nothing non-finite.
        assert non_finite_plots(panel) == []
        curves = dict(plotted_arrays(panel))
        last_steps = [values.max() for name, values in curves.items()
                      if name.endswith("PlotDataItem.x") and values.size]
        assert last_steps and max(last_steps) <= at and max(last_steps) >= at - 2 * SIMULATIONS[page].EVAL_INTERVAL
        window.grab()  # paint it: no exception, no Qt warning

        # Play is refused until Reset.
        panel.show_message("")
        panel.transport.play_button.click()
        qtbot.waitUntil(lambda: "press Reset" in panel.message.text(), timeout=5000)
        qtbot.wait(200)
        assert not controller.running and controller.latest["step"] == at
        assert not panel.transport.play_button.isChecked()

        # Reset recovers: a fresh run from step 0, the warning gone; safe settings then train on.
        panel.transport.reset_button.click()
        wait_snapshot(qtbot, controller, lambda s: s["step"] == 0 and s["diverged_at_step"] is None)
        qtbot.waitUntil(lambda: panel.snapshot["diverged_at_step"] is None, timeout=5000)
        assert not panel.verdict.text().startswith("DIVERGED")
        assert not panel.message.isVisible(), panel.message.text()
        monkeypatch.undo()
        panel.apply_param("learning_rate", 0.05)
        panel.apply_param("weight_decay", 1e-3)
        controller.step(at + 20)
        recovered = wait_snapshot(qtbot, controller, lambda s: s["step"] == at + 20, timeout=60000)
        assert recovered["diverged_at_step"] is None
        qtbot.waitUntil(lambda: panel.snapshot["step"] == at + 20, timeout=5000)
        assert non_finite_plots(panel) == []
    assert qt_messages.problems() == []


@pytest.mark.soak  # over ~5 s: steps to the divergence in the app
@pytest.mark.parametrize("how", ["step button", "right arrow"])
def test_a_divergence_reached_by_stepping_gets_the_same_words_as_one_reached_by_play(qtbot, window, how):
    # The lecturer steps up to the blow-up instead of pressing Play: the page must still say what
    # diverged, where, and the likely cause, not only the headline.
    panel, controller = window.panels["byol"], window.controllers["byol"]
    window.show_page("byol")
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 0)
    window.apply_scenario(Scenario("Too hot", "byol", "", validate_params(SIMULATIONS["byol"].PARAMS, BYOL_DIVERGING)))
    wait_snapshot(qtbot, controller, lambda s: s["step"] == 0 and s["params"]["learning_rate"] == 10.0)
    with QtMessages() as qt_messages:
        controller.step(BYOL_DIVERGES_AT - 1)
        wait_snapshot(qtbot, controller, lambda s: s["step"] == BYOL_DIVERGES_AT - 1, timeout=60000)
        qtbot.waitUntil(lambda: panel.snapshot["step"] == BYOL_DIVERGES_AT - 1, timeout=5000)
        assert panel.snapshot["diverged_at_step"] is None and not panel.message.isVisible()

        def press_step():
            if how == "step button":
                panel.transport.step_button.click()
            else:
                window.activateWindow()
                qtbot.waitUntil(window.isActiveWindow, timeout=5000)
                qtbot.keyClick(window, QtCore.Qt.Key_Right)

        press_step()
        qtbot.waitUntil(lambda: panel.snapshot["diverged_at_step"] == BYOL_DIVERGES_AT, timeout=10000)
        qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=5000)
        text = panel.message.text()
        assert panel.verdict.text().startswith(f"DIVERGED at step {BYOL_DIVERGES_AT}")
        assert "Training diverged" in text and f"step {BYOL_DIVERGES_AT}" in text, text
        assert "predictor's effective learning rate" in text and "Reset" in text, text
        assert non_finite_plots(panel) == []

        # Stepping on is refused in words, as Play is.
        panel.show_message("")
        press_step()
        qtbot.waitUntil(lambda: "press Reset" in panel.message.text(), timeout=5000)
        assert controller.latest["step"] == BYOL_DIVERGES_AT
    assert qt_messages.problems() == []
