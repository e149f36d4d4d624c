"""What the published work found, reproduced by real training with the default settings.

| guards                                   | expected  | source                              |
|------------------------------------------|-----------|-------------------------------------|
| EMA + stop-gradient + predictor          | healthy   | BYOL Table 5                        |
| no stop-gradient (any EMA / predictor)   | collapse  | SimSiam Fig. 2; BYOL Table 19       |
| no predictor                             | collapse  | BYOL Table 5b; SimSiam Table 1      |
| no EMA, predictor (lr x10) + stop-grad   | healthy   | SimSiam; BYOL App. I                |
| no guards at all                         | collapse  | -                                   |

Spread s = std of the l2-normalised projections x sqrt(d): about 1 spread over the sphere, 0 for
complete collapse (SimSiam Fig. 2).

Each (setting, seed) is trained once, for ``BYOLSimulation.DEFAULT_STEPS`` steps, and shared by the
tests that need it. The runs go to a pool of worker processes (one per core, single-threaded BLAS,
which is also much faster than a multi-threaded BLAS on these tiny matrices when the machine is
busy); only the runs the selected tests need are trained.
"""
from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from engine.byol import BYOLSimulation

pytestmark = pytest.mark.phenomena

SEEDS = (0, 1, 2)
SETTINGS = {
    "all_guards": dict(ema=True, stop_gradient=True, predictor=True),
    "no_predictor": dict(ema=True, stop_gradient=True, predictor=False),
    "simsiam": dict(ema=False, stop_gradient=True, predictor=True),
    "no_stop_gradient": dict(ema=True, stop_gradient=False, predictor=True),
    "no_stop_gradient_no_predictor": dict(ema=True, stop_gradient=False, predictor=False),
    "no_stop_gradient_no_ema": dict(ema=False, stop_gradient=False, predictor=True),
    "no_guards": dict(ema=False, stop_gradient=False, predictor=False),
}
NO_STOP_GRADIENT = [name for name, guards in SETTINGS.items() if not guards["stop_gradient"]]
# Settings each test reads besides its own ``setting`` parameter, if it has one.
EXTRA_SETTINGS = {
    "test_all_guards_are_healthy": ["all_guards"],
    "test_no_predictor_collapses": ["no_predictor", "all_guards"],
    "test_simsiam_without_ema_is_healthy": ["simsiam"],
    "test_no_guards_collapses": ["no_guards"],
}
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def train(setting: str, seed: int) -> dict:
    """One default-length run; the final metrics as plain numbers (picklable)."""
    sim = BYOLSimulation(seed=seed, **SETTINGS[setting])
    seconds = sim.run(BYOLSimulation.DEFAULT_STEPS)
    latest = sim.latest
    return {
        "spread": latest["std_normalized"] * math.sqrt(sim.dim),
        "effective_rank": latest["effective_rank"],
        "knn_accuracy": latest["knn_accuracy"],
        "loss": latest["loss"],
        "steps": sim.step_count,
        "diverged_at_step": sim.diverged_at_step,
        "seconds": seconds,
    }


class Runs:
    """Final metrics by (setting, seed): from the worker pool when there is one, else trained here."""

    def __init__(self, futures):
        self._futures = futures
        self._results = {}

    def __call__(self, setting: str, seed: int) -> dict:
        key = (setting, seed)
        if key not in self._results:
            future = self._futures.get(key)
            try:
                result = future.result() if future is not None else None
            except Exception:  # a broken pool: train here, where a real error has a traceback
                result = None
            self._results[key] = result if result is not None else train(setting, seed)
        result = self._results[key]
        assert result["diverged_at_step"] is None, f"{key} diverged: {result}"
        assert result["steps"] == BYOLSimulation.DEFAULT_STEPS
        return result


def _needed_runs(session) -> list[tuple[str, int]]:
    """The (setting, seed) pairs of the selected tests of this file, in test order."""
    here = Path(__file__).resolve()
    needed = {}
    for item in session.items:
        if Path(str(item.fspath)).resolve() != here or not hasattr(item, "callspec"):
            continue
        params = item.callspec.params
        names = EXTRA_SETTINGS.get(item.originalname, [])
        if "setting" in params:
            names = [params["setting"], *names]
        for name in names:
            needed[(name, params["seed"])] = None
    return list(needed)


@pytest.fixture(scope="module")
def runs(request):
    keys = _needed_runs(request.session)
    workers = min(os.cpu_count() or 1, len(keys))
    if workers < 2:
        yield Runs({})
        return
    saved = {name: os.environ.get(name) for name in SINGLE_THREADED}
    os.environ.update(SINGLE_THREADED)  # inherited by the spawned workers
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        futures = {key: pool.submit(train, *key) for key in keys}
    except Exception:
        pool, futures = None, {}
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        yield Runs(futures)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def describe(result: dict) -> str:
    return (f"s={result['spread']:.3f} erank={result['effective_rank']:.2f} "
            f"knn={result['knn_accuracy']:.3f} loss={result['loss']:.4f}")


def assert_healthy(result: dict) -> None:
    assert result["spread"] >= 0.3, describe(result)
    assert result["effective_rank"] >= 2.0, describe(result)
    assert result["knn_accuracy"] >= 0.5, describe(result)  # chance is 1/8


def assert_collapsed(result: dict) -> None:
    assert result["spread"] < 0.1, describe(result)


@pytest.mark.parametrize("seed", SEEDS)
def test_all_guards_are_healthy(runs, seed):
    assert_healthy(runs("all_guards", seed))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("setting", NO_STOP_GRADIENT)
def test_no_stop_gradient_collapses(runs, setting, seed):
    assert_collapsed(runs(setting, seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_no_predictor_collapses(runs, seed):
    without = runs("no_predictor", seed)
    with_all = runs("all_guards", seed)
    assert without["spread"] < 0.1 or without["spread"] < 0.5 * with_all["spread"], (
        f"no predictor: {describe(without)}; all guards: {describe(with_all)}")


@pytest.mark.parametrize("seed", SEEDS)
def test_simsiam_without_ema_is_healthy(runs, seed):
    defaults = {spec.name: spec.default for spec in BYOLSimulation.PARAMS}
    assert defaults["predictor_lr_multiplier"] == 10.0
    assert_healthy(runs("simsiam", seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_no_guards_collapses(runs, seed):
    assert_collapsed(runs("no_guards", seed))
