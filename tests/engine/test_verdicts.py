"""Honest verdicts: nothing judged before training, a verdict shown only once it has held, transients
named, no flip-flop in a healthy run. Engine only, no Qt."""
from __future__ import annotations

import pytest

from engine.byol import BYOLSimulation
from engine.dino import DINOSimulation
from engine.verdicts import (DIVERGED, 
    EARLY,
    HEADLINES,
    UNTRAINED,
    VerdictRules,
    VerdictTracker,
    flip_flops,
    headline,
    shown_sequence,
)

RULES = VerdictRules(transients={"partly collapsed": "dipping"}, transient_steps=100,
                     healthy_after=50, hold_steps=30)
JUDGEMENTS = {"healthy", "collapsed", "partly collapsed", "uniform", "one prototype dominates"}


def feed(tracker: VerdictTracker, raws: list[tuple[int, str]]) -> list[str]:
    return [tracker.update(step, raw) for step, raw in raws]


def test_step_zero_is_untrained_and_the_first_steps_are_too_early():
    tracker = VerdictTracker(RULES)
    assert tracker.update(0, "healthy") == UNTRAINED
    assert feed(tracker, [(s, "collapsed") for s in range(1, 30)]) == [EARLY] * 29


def test_a_verdict_shows_only_after_holding_the_stated_steps():
    tracker = VerdictTracker(RULES)
    shown = feed(tracker, [(s, "collapsed") for s in range(1, 40)])
    assert shown.index("collapsed") == 30  # step 31: held from step 1 for 30 steps
    # A short wobble to another reading never reaches the screen.
    wobble = feed(tracker, [(s, "healthy") for s in range(40, 69)])
    assert set(wobble) == {"collapsed"}


def test_healthy_is_not_said_before_healthy_after_steps():
    tracker = VerdictTracker(RULES)
    shown = feed(tracker, [(s, "healthy") for s in range(1, 80)])
    assert "healthy" not in shown[:49] and shown[-1] == "healthy"
    assert shown.index("healthy") + 1 == 50


def test_an_early_dip_is_named_as_a_transient_and_a_late_one_is_not():
    tracker = VerdictTracker(RULES)
    shown = feed(tracker, [(s, "partly collapsed") for s in range(1, 60)])
    assert shown[-1] == "dipping" and "partly collapsed" not in shown
    late = VerdictTracker(RULES)
    shown = feed(late, [(s, "partly collapsed") for s in range(1, 200)])
    assert shown_sequence(shown) == [EARLY, "dipping", "partly collapsed"]
    settled = VerdictTracker(RULES)  # healthy first: a later dip is a real partial collapse
    shown = feed(settled, [(s, "healthy") for s in range(1, 81)] + [(s, "partly collapsed") for s in range(81, 99)])
    shown += feed(settled, [(s, "partly collapsed") for s in range(99, 120)])
    assert shown_sequence(shown)[-1] == "partly collapsed"


def test_flip_flops_count_returns():
    assert flip_flops(["too early", "dipping", "healthy", "healthy"]) == 0
    assert flip_flops(["healthy", "uniform", "healthy"]) == 1


def test_every_shown_verdict_has_words():
    for verdict in (UNTRAINED, EARLY, "healthy", "dipping", "partly collapsed", "collapsed"):
        assert headline(verdict, "byol")[0]
    for verdict in (UNTRAINED, EARLY, "healthy", "uniform phase", "uniform", "one prototype dominates"):
        assert headline(verdict, "dino")[0]
    assert headline("healthy", "dino") != headline("healthy", "byol")
    assert headline(DIVERGED, "byol") == headline(DIVERGED, "dino")
    assert all(kind in ("untrained", "healthy", "transient", "collapsed", "diverged")
               for _, kind in HEADLINES.values())


@pytest.mark.parametrize("simulation_class, settings", [
    (BYOLSimulation, {}),
    (BYOLSimulation, {"ema": False, "stop_gradient": False, "predictor": False}),
    (DINOSimulation, {}),
    (DINOSimulation, {"centering": False}),
])
def test_no_healthy_or_collapsed_verdict_before_training(simulation_class, settings):
    sim = simulation_class(seed=11, **settings)
    assert sim.verdict == UNTRAINED and sim.snapshot()["verdict"] == UNTRAINED
    assert sim.summary(0.0)["final"]["verdict"] == UNTRAINED
    seen = []
    for _ in range(29):
        sim.step(1)
        seen.append(sim.verdict)
    assert not JUDGEMENTS & set(seen)


def test_reset_makes_the_verdict_untrained_again():
    sim = BYOLSimulation(seed=12, ema=False, stop_gradient=False, predictor=False)
    sim.run(60)
    assert sim.verdict == "collapsed"
    sim.reset()
    assert sim.verdict == UNTRAINED


def test_the_json_verdict_is_the_shown_one():
    sim = DINOSimulation(seed=13, centering=False)
    seconds = sim.run(300)
    final = sim.summary(seconds)["final"]
    assert final["verdict"] == sim.verdict == sim.snapshot()["verdict"] == "one prototype dominates"


# Seeds 40-44 are used by no other test; the rules were tuned on seeds 0-9 (BYOL) and 0-3 (DINO).
HELD_OUT_SEEDS = (40, 41, 42, 43, 44)


@pytest.mark.phenomena
@pytest.mark.parametrize("simulation_class", [BYOLSimulation, DINOSimulation])
def test_no_verdict_flip_flop_in_a_healthy_run(simulation_class):
    for seed in HELD_OUT_SEEDS:
        sim = simulation_class(seed=seed)
        shown = [sim.verdict]
        while sim.step_count < 1500:
            sim.step(10)
            shown.append(sim.verdict)
        assert flip_flops(shown) == 0, (seed, shown_sequence(shown))
        assert shown[-1] == "healthy", (seed, shown_sequence(shown))
