"""The cheap invariants behind the app's performance, checked without timing anything.

- The metric history stays bounded however long a lecture runs, so a frame's cost cannot grow.
- The engine worker emits no more snapshots than SNAPSHOT_INTERVAL_S allows (driven by a fake
  clock, so the count is exact and a slow machine cannot make the test flaky).
- The mailbox holds at most one snapshot: the latest wins, and the GUI is signalled once until it
  takes it, so no queue can grow behind a slow GUI.
- Snapshots are copies: a panel can never touch training state, and two snapshots share nothing.
"""
from __future__ import annotations

import numpy as np
import pytest

from desktop import engine_thread
from desktop.engine_thread import MIN_SNAPSHOT_GAP_S, SLICE_BUDGET_S, SNAPSHOT_INTERVAL_S, EngineWorker
from engine.byol import BYOLSimulation
from engine.history import BoundedHistory


# -- bounded history ---------------------------------------------------------------------------
def test_history_stays_bounded_over_a_very_long_run_and_keeps_the_whole_run():
    history = BoundedHistory(("loss",), max_points=1024)
    offered = 200_000  # 2,000,000 steps at one evaluation every 10 steps: a very long lecture
    for index in range(offered):
        history.record(index * 10, {"loss": float(index)})
        assert len(history) <= 1024
    steps = history.steps()
    assert len(steps) > 512  # halving keeps at least half: the plot stays detailed
    assert steps[0] == 0  # the start of the run is still shown
    assert steps[-1] >= (offered - 1) * 10 - 2 * 10 * (offered // 512)  # and the recent past
    assert np.all(np.diff(steps) > 0)


@pytest.mark.parametrize("max_points", [4, 16, 64])
def test_history_bound_holds_for_small_caps(max_points):
    history = BoundedHistory(("a", "b"), max_points=max_points)
    for index in range(10_000):
        history.record(index, {"a": 1.0, "b": 2.0})
        assert len(history) <= max_points


def test_snapshot_history_is_bounded_after_a_long_run():
    simulation = BYOLSimulation(batch_size=8)
    for index in range(50_000):  # as if 500,000 steps had been evaluated
        simulation.history.record(index * 10, simulation.latest)
    snapshot = simulation.snapshot()
    lengths = {len(column) for column in snapshot["history"].values()}
    assert len(lengths) == 1 and lengths.pop() <= simulation.history.max_points


# -- the engine worker, driven by a fake clock -------------------------------------------------
class FakeClock:
    """Stands in for engine_thread.time: every reading advances the clock by ``tick`` seconds."""

    def __init__(self, tick: float):
        self.now = 1000.0
        self.tick = tick

    def perf_counter(self) -> float:
        self.now += self.tick
        return self.now


@pytest.fixture
def worker(qapp, monkeypatch):
    clock = FakeClock(tick=0.002)
    monkeypatch.setattr(engine_thread, "time", clock)
    worker = EngineWorker(lambda: BYOLSimulation(batch_size=8))
    worker.start()  # in this thread: builds the simulation and publishes the first snapshot
    snapshots_made = []
    real_snapshot = worker.simulation.snapshot

    def counting_snapshot():
        snapshots_made.append(clock.now)
        worker.last_snapshot_step = worker.simulation.step_count
        return real_snapshot()

    worker.simulation.snapshot = counting_snapshot
    worker.clock = clock
    worker.snapshots_made = snapshots_made
    worker.signals = []
    worker.snapshot_available.connect(lambda: worker.signals.append(clock.now))
    yield worker
    worker.stop()


def test_worker_emits_no_more_snapshots_than_the_interval_allows(worker):
    worker.set_running(True)
    worker.snapshots_made.clear()
    start = worker.clock.now
    for _ in range(150):
        worker._tick()
        worker.take_snapshot()  # a GUI that keeps up: every signal may be answered
    elapsed = worker.clock.now - start
    assert worker.simulation.step_count > 150  # it trained (several steps a slice)
    allowed = elapsed / SNAPSHOT_INTERVAL_S + 1
    assert 2 <= len(worker.snapshots_made) <= allowed
    gaps = np.diff(worker.snapshots_made)
    assert np.all(gaps >= SNAPSHOT_INTERVAL_S - SLICE_BUDGET_S)  # sooner by at most half a slice


def test_slow_steps_still_give_a_snapshot_every_step_near_the_interval(worker, monkeypatch):
    """A step longer than the slice budget (multi-crop: ~20 ms) once gave a snapshot every second
    step; now each snapshot comes when it lands nearer the interval, never sooner than the floor."""
    real_step = worker.simulation.step

    def slow_step(count=1):
        worker.clock.now += 0.020 - worker.clock.tick  # with the clock's own tick, 20 ms a step
        real_step(count)

    monkeypatch.setattr(worker.simulation, "step", slow_step)
    worker.set_running(True)
    worker.snapshots_made.clear()
    for _ in range(60):
        worker._tick()
        worker.take_snapshot()
    gaps = np.diff(worker.snapshots_made)
    assert np.all(gaps >= MIN_SNAPSHOT_GAP_S)
    assert np.median(gaps) < 0.030  # not 40 ms, every second step


def test_mailbox_holds_one_snapshot_and_signals_once_until_taken(worker):
    worker.take_snapshot()
    worker.signals.clear()
    worker.set_running(True)  # publishes (forced) once
    for _ in range(100):  # a GUI that never takes: snapshots are made, none queue up
        worker._tick()
    assert len(worker.snapshots_made) > 2
    assert len(worker.signals) == 1
    latest = worker.take_snapshot()
    assert latest is not None
    assert latest["step"] == worker.last_snapshot_step  # the latest made won, not the first
    assert worker.take_snapshot() is None  # nothing else was kept
    worker._tick()
    worker._publish(force=True)
    assert len(worker.signals) == 2  # taken, so the next snapshot signals again


def test_forced_snapshots_after_commands_are_not_throttled(worker):
    # A control change must show at once, even right after a throttled snapshot.
    worker.take_snapshot()
    before = len(worker.snapshots_made)
    worker.set_param("ema_momentum", 0.995)
    snapshot = worker.take_snapshot()
    assert len(worker.snapshots_made) == before + 1
    assert snapshot["params"]["ema_momentum"] == 0.995


# -- snapshots are copies ----------------------------------------------------------------------
def _arrays(snapshot: dict) -> list[np.ndarray]:
    found = []
    for value in snapshot.values():
        if isinstance(value, np.ndarray):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(_arrays(value))
    return found


def test_snapshots_are_copies_that_share_no_memory():
    simulation = BYOLSimulation(batch_size=8)
    simulation.run(30)
    first, second = simulation.snapshot(), simulation.snapshot()
    state = (simulation.encoder + simulation.projector + [simulation.predictor_weights]
             + simulation.teacher_encoder + simulation.teacher_projector
             + [simulation.eval_inputs, simulation.eval_labels, simulation._eval_projection,
                simulation.history._rows])
    for array in _arrays(first):
        for other in _arrays(second) + state:
            assert not np.shares_memory(array, other)
    assert first["params"] is not simulation.params and first["latest"] is not simulation.latest
    # Scribbling on a snapshot changes nothing the simulation or the next snapshot sees.
    for array in _arrays(first):
        array[...] = 0
    first["params"]["learning_rate"] = 123.0
    third = simulation.snapshot()
    for a, b in zip(_arrays(second), _arrays(third)):
        np.testing.assert_array_equal(a, b)
    assert simulation.params["learning_rate"] != 123.0


def test_worker_snapshots_are_copies(worker):
    worker.set_running(True)
    for _ in range(20):
        worker._tick()
    one = worker.take_snapshot()
    worker._publish(force=True)
    two = worker.take_snapshot()
    assert one is not two
    for a in _arrays(one):
        for b in _arrays(two):
            assert not np.shares_memory(a, b)


# -- BLAS threads ------------------------------------------------------------------------------
@pytest.mark.parametrize("module", ["desktop.cli", "desktop.main_window", "desktop.app"])
def test_importing_the_app_keeps_numpy_blas_single_threaded(module):
    # engine/__init__ sets OPENBLAS_NUM_THREADS=1, but only if it runs before numpy is imported;
    # OpenBLAS reads it once, when numpy loads. A module that imports numpy first starts BLAS
    # worker threads, which fight the GUI thread for the cores (seen: several times slower steps).
    import subprocess
    import sys
    from pathlib import Path

    if not Path("/proc/self/task").is_dir():
        pytest.skip("counts threads through Linux /proc")
    code = (f"import os, {module}, numpy; "
            "print(len(os.listdir('/proc/self/task')))")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[2], check=True)
    assert out.stdout.strip() == "1", f"importing {module} started BLAS worker threads"


# -- the bench command runs (structure only: nothing here is timed) ----------------------------
@pytest.mark.soak  # over ~5 s: the bench trains and draws for seconds
def test_bench_command_reports_every_goal(qapp, capsys, monkeypatch, tmp_path):
    import argparse
    import json

    from desktop.commands.bench import GOALS, add_bench_parser, run_bench

    parser = argparse.ArgumentParser()
    add_bench_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bench", "--json", "--seconds", "1", "--rounds", "1", "--page", "byol"])
    assert run_bench(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["goals"]) == set(GOALS)
    page = report["pages"][0]
    assert page["page"] == "byol"
    assert page["fps"] > 0 and page["headless_steps_per_s"] > 0
    assert report["peak_rss_mb"] > 0
