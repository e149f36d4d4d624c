"""Benchmark: the batched BYOL guard grid against the 8 BYOLSimulation runs it replaces.

Times, in alternating rounds (so a busy machine slows both sides alike), the grid stepping all 8
guard combinations N steps and the 8 BYOLSimulation runs stepping N steps one after another, with
the same settings. Both go through ``step()``, so both include the evaluations (every 10 steps)
and kNN accuracies (every 50) that a live run does; the training step alone is timed as well.
The goal: the grid costs less than half of the 8 separate runs.

Wall time gives the steps per second; the cost ratio is given both in wall time and in CPU time
of this process (``time.process_time``), which other programs on a shared machine disturb less.

    python benchmarks/bench_byol_grid.py [--steps N] [--rounds R] [--seed S] [--batch-size B]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402,F401  (single-threaded BLAS, set before numpy loads)
from engine.byol import BYOL_PARAMS, BYOLSimulation  # noqa: E402
from engine.byol_grid import GUARD_COMBINATIONS, BYOLGrid  # noqa: E402
from engine.params import spec_table  # noqa: E402


def time_grid(steps: int, settings: dict, train_only: bool) -> tuple[float, float]:
    """Wall and CPU seconds of the grid stepping ``steps`` steps."""
    grid = BYOLGrid(**settings)
    wall, cpu = time.perf_counter(), time.process_time()
    if train_only:
        for _ in range(steps):
            grid._train_step()
    else:
        grid.step(steps)
    return time.perf_counter() - wall, time.process_time() - cpu


def time_separate(steps: int, settings: dict, train_only: bool) -> tuple[float, float]:
    """Wall and CPU seconds of the 8 BYOLSimulation runs stepping ``steps`` steps each."""
    runs = [BYOLSimulation(ema=ema, stop_gradient=stop_gradient, predictor=predictor, **settings)
            for ema, stop_gradient, predictor in GUARD_COMBINATIONS]
    wall, cpu = time.perf_counter(), time.process_time()
    for run in runs:
        if train_only:
            for _ in range(steps):
                run._train_step()
        else:
            run.step(steps)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps per round (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    default_batch = spec_table(BYOL_PARAMS)["batch_size"].default
    parser.add_argument("--batch-size", type=int, default=default_batch,
                        help="samples per step (default: BYOLSimulation's)")
    args = parser.parse_args(argv)
    settings = {"seed": args.seed, "batch_size": args.batch_size}

    # The machine may be shared: the load average says how busy it was around the timings.
    print("load average before: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    # Warm up both code paths (imports, allocator, BLAS buffers).
    time_grid(20, settings, False)
    time_separate(20, settings, False)

    for train_only, title in ((False, "step() with evaluation (as a live run)"),
                              (True, "training step only")):
        grid_times, separate_times = [], []
        for round_index in range(args.rounds):
            order = [time_grid, time_separate]
            if round_index % 2:
                order.reverse()  # alternate which side runs first
            for timer in order:
                seconds = timer(args.steps, settings, train_only)
                (grid_times if timer is time_grid else separate_times).append(seconds)
        wall_ratios = [g[0] / s[0] for g, s in zip(grid_times, separate_times)]
        cpu_ratios = [g[1] / s[1] for g, s in zip(grid_times, separate_times)]
        grid_s = statistics.median(g[0] for g in grid_times)
        separate_s = statistics.median(s[0] for s in separate_times)
        print(f"{title}: {args.steps} steps x {args.rounds} rounds, seed {args.seed}, "
              f"batch {args.batch_size}")
        print(f"  grid, 8 members batched : {args.steps / grid_s:8.1f} grid steps/s "
              f"({8 * args.steps / grid_s:8.1f} member steps/s)")
        print(f"  8 BYOLSimulation runs   : {args.steps / separate_s:8.1f} steps/s of all 8 "
              f"({8 * args.steps / separate_s:8.1f} run steps/s)")
        for name, ratios in (("wall", wall_ratios), ("CPU ", cpu_ratios)):
            print(f"  cost ratio grid / 8 runs, {name}: median {statistics.median(ratios):.3f} "
                  f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})  goal < 0.5")
    print("load average after: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
