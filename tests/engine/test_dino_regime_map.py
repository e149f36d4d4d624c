"""The DINO regime map: each run is a DINOSimulation; cells hold several seeds; it fills in run by
run (here or in worker processes, with the same results) and resumes."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine.dino import DINOSimulation
from engine.dino_regime_map import (
    DEFAULT_CENTER_MOMENTA,
    DEFAULT_TEACHER_TEMPERATURES,
    RECORDED,
    REGIMES,
    DINORegimeMap,
    fractions,
    majority,
)
from engine.params import ParameterError
from engine.published import PAPER_POINTS, regime_agrees

SMALL = dict(teacher_temperatures=(0.04, 0.08), center_momenta=(0.0, 0.9, 0.999), steps=20,
             seeds=1, workers=1)


@pytest.mark.soak  # over ~5 s: trains every cell
def test_each_cell_is_a_dino_simulation():
    regime_map = DINORegimeMap(teacher_temperatures=(0.03, 0.2), center_momenta=(0.9, 0.999),
                               steps=60, seed=3, seeds=2, workers=1)
    regime_map.run()
    assert sorted({cell.seed for cell in regime_map.results}) == [3, 4]
    for cell in regime_map.results:
        sim = DINOSimulation(seed=cell.seed, teacher_temperature=cell.teacher_temperature,
                             center_momentum=cell.center_momentum)
        sim.run(60)
        for name in ("teacher_entropy", "usage_entropy", "kl_teacher_student", "knn_accuracy"):
            assert getattr(cell, name) == pytest.approx(sim.latest[name], rel=1e-12), name
        assert cell.steps == 60 and cell.regime in REGIMES


def test_fills_in_cell_by_cell_and_resumes():
    regime_map = DINORegimeMap(**SMALL)
    assert regime_map.cells_done == 0 and not regime_map.finished
    regime_map.step(25)  # one cell and 5 steps of the next
    snapshot = regime_map.snapshot()
    assert snapshot["cells_done"] == 1 and snapshot["cells_total"] == 6
    assert snapshot["current"] == {"row": 0, "column": 1, "step": 5, "steps": 20}
    assert snapshot["regime"][0, 0] in range(len(REGIMES))
    assert (snapshot["regime"].ravel()[1:] == -1).all()
    assert math.isfinite(snapshot["teacher_entropy"][0, 0])
    assert np.isnan(snapshot["teacher_entropy"].ravel()[1:]).all()

    second = regime_map.step_cell()  # finishes the cell that was under way
    assert (second.row, second.column, second.steps) == (0, 1, 20)
    rest = list(regime_map.cells())
    assert [(cell.row, cell.column) for cell in rest] == [(0, 2), (1, 0), (1, 1), (1, 2)]
    assert regime_map.finished and regime_map.step_cell() is None
    regime_map.step(10)  # nothing left to do
    assert regime_map.step_count == 6 * 20

    in_one_go = DINORegimeMap(**SMALL)
    in_one_go.run()
    for cell, cell_again in zip(regime_map.results, in_one_go.results, strict=True):
        for name in RECORDED:
            assert getattr(cell, name) == getattr(cell_again, name)


def test_snapshot_arrays_are_fresh():
    regime_map = DINORegimeMap(**SMALL)
    regime_map.step_cell()
    snapshot = regime_map.snapshot()
    snapshot["teacher_entropy"][:] = -1.0
    snapshot["regime"][:] = 2
    again = regime_map.snapshot()
    assert again["teacher_entropy"][0, 0] >= 0.0 and again["regime"][0, 1] == -1


def test_default_axes_hold_every_app_d_setting_exactly():
    assert len(DEFAULT_TEACHER_TEMPERATURES) >= 6 and len(DEFAULT_CENTER_MOMENTA) >= 6
    assert {0.02, 0.04, 0.06, 0.08} <= set(DEFAULT_TEACHER_TEMPERATURES)
    assert {0.0, 0.9, 0.99, 0.999} <= set(DEFAULT_CENTER_MOMENTA)
    assert list(DEFAULT_TEACHER_TEMPERATURES) == sorted(DEFAULT_TEACHER_TEMPERATURES)
    regime_map = DINORegimeMap(steps=1, workers=1)
    assert all(p["cell"] is not None for p in regime_map.paper_points())
    assert regime_map.num_seeds == 3 and regime_map.seeds == [0, 1, 2]


def test_summary_is_json_serialisable():
    regime_map = DINORegimeMap(**SMALL)
    seconds = regime_map.run()
    summary = json.loads(json.dumps(regime_map.summary(seconds)))
    assert summary["cells_done"] == summary["cells_total"] == 6 and len(summary["runs"]) == 6
    assert len(summary["cells"]) == 6 and all(sum(c["fractions"].values()) == 1 for c in summary["cells"])
    for run in summary["runs"]:
        assert run["simulation"] == "dino" and run["regime"] in REGIMES
        assert run["config"]["teacher_temperature"] in SMALL["teacher_temperatures"]
        assert run["config"]["center_momentum"] in SMALL["center_momenta"]
        assert set(RECORDED) <= set(run["final"])


def test_parameters_are_validated():
    with pytest.raises(ParameterError):
        DINORegimeMap(teacher_temperatures=(0.001,))
    with pytest.raises(ParameterError):
        DINORegimeMap(center_momenta=(1.5,))
    with pytest.raises(ParameterError):
        DINORegimeMap(steps=0)
    with pytest.raises(ParameterError):
        DINORegimeMap(seeds=0)
    with pytest.raises(ParameterError):
        DINORegimeMap(workers=0)
    regime_map = DINORegimeMap(**SMALL)
    with pytest.raises(ParameterError):
        regime_map.set_param("teacher_temperature", 0.05)  # an axis of the map, not a setting
    regime_map.set_param("learning_rate", 0.02)
    regime_map.reset(seed=7)
    assert regime_map.cell_params(1, 2) == {**regime_map.params, "teacher_temperature": 0.08,
                                            "center_momentum": 0.999}
    assert regime_map.cell_params(1, 2)["learning_rate"] == 0.02
    assert regime_map.cell_params(1, 2)["seed"] == 7


def test_regime_agreement():
    assert regime_agrees("healthy", "healthy")
    assert regime_agrees("uniform", "collapse")
    assert regime_agrees("one prototype dominates", "collapse")
    assert not regime_agrees("healthy", "collapse") and not regime_agrees("uniform", "healthy")
    assert {p.outcome for p in PAPER_POINTS} == {"healthy", "collapse"}


@pytest.mark.phenomena
def test_app_d_collapses_and_the_default_appear_on_the_map():
    regime_map = DINORegimeMap(teacher_temperatures=(0.04, 0.08), center_momenta=(0.9, 0.999),
                               seed=0, seeds=1)
    regime_map.run()
    regimes = {(cell.teacher_temperature, cell.center_momentum): cell.regime
               for cell in regime_map.results}
    assert regimes[(0.04, 0.9)] == "healthy", regimes
    assert regimes[(0.04, 0.999)] == "one prototype dominates", regimes
    # DINO App. D found teacher temperature 0.08 collapses; this toy stays healthy there (its
    # uniform collapse starts higher, see README). The map must say so, not hide it.
    for point in regime_map.paper_points():
        if point["cell"] is not None:
            cell_regime = regimes[(point["teacher_temperature"], point["center_momentum"])]
            assert point["regime"] == cell_regime, point
            expected = (cell_regime != "healthy") if point["outcome"] == "collapse" else (cell_regime == "healthy")
            assert point["agrees"] is expected, point


def test_fractions_and_majority():
    assert fractions([]) == [0.0, 0.0, 0.0] and majority([]) is None
    assert fractions(["healthy", "uniform", "uniform"]) == [0.0, 1 / 3, 2 / 3]
    assert majority(["healthy", "uniform", "uniform"]) == "uniform"
    assert majority(["healthy", "uniform"]) == "healthy"  # a tie goes to healthy


def test_cells_hold_every_seed_and_paper_points_report_the_fraction():
    regime_map = DINORegimeMap(teacher_temperatures=(0.04, 0.08), center_momenta=(0.9, 0.999),
                               steps=20, seeds=3, workers=1)
    regime_map.step(20 * 4)  # the whole map for the first seed
    snapshot = regime_map.snapshot()
    assert (snapshot["seeds_done"] == 1).all() and snapshot["cells_done"] == 0
    regime_map.step(20 * 4 * 2)  # and for the other two
    snapshot = regime_map.snapshot()
    assert snapshot["seeds_done"][0, 0] == 3 and snapshot["cells_done"] == 4
    assert snapshot["runs_done"] == 12 and snapshot["runs_total"] == 12
    regimes = regime_map.cell_regimes(0, 0)
    np.testing.assert_allclose(snapshot["regime_fractions"][0, 0], fractions(regimes))
    assert snapshot["regime"][0, 0] == REGIMES.index(majority(regimes))
    point = next(p for p in regime_map.paper_points()
                 if (p["teacher_temperature"], p["center_momentum"]) == (0.04, 0.9))
    agreeing = sum(regime_agrees(r, point["outcome"]) for r in regimes)
    assert point["seeds_done"] == 3 and point["agree_fraction"] == agreeing / 3
    assert point["agrees"] == (agreeing >= 2)


def test_worker_processes_give_the_same_runs_and_resume_after_close():
    settings = dict(teacher_temperatures=(0.04, 0.08), center_momenta=(0.9,), steps=30, seeds=2)
    in_process = DINORegimeMap(workers=1, **settings)
    in_process.run()
    in_workers = DINORegimeMap(workers=2, **settings)
    in_workers.step(1)  # starts the workers
    in_workers.close()  # cut short: those runs start again on resume
    assert in_workers.snapshot()["in_flight"] == [] and not in_workers.finished
    in_workers.run()
    assert in_workers.finished and in_workers.step_count == 4 * 30
    for cell, cell_again in zip(in_process.results, in_workers.results, strict=True):
        assert (cell.row, cell.column, cell.seed) == (cell_again.row, cell_again.column, cell_again.seed)
        for name in RECORDED:
            assert getattr(cell, name) == getattr(cell_again, name)


def test_cells_yields_every_run_once_with_workers():
    regime_map = DINORegimeMap(teacher_temperatures=(0.04, 0.2), center_momenta=(0.9, 0.999),
                               steps=10, seeds=2, workers=2)
    yielded = list(regime_map.cells())
    assert len(yielded) == regime_map.runs_total == 8
    assert len({(r.row, r.column, r.seed) for r in yielded}) == 8
    assert regime_map.step_cell() is None
