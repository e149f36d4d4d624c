"""Benchmark: the batched BYOL guard grid against the 8 BYOLSimulation runs it replaces.

Times, in alternating rounds (so a busy machine slows both sides alike), the grid stepping all 8
guard combinations N steps and the 8 BYOLSimulation runs stepping N steps one after another, with
the same settings. Both go through ``step()``, so both include the evaluations (every 10 steps)
and kNN accuracies (every 50) that a live run does; the training step alone is timed as well.
The goal: the grid costs less than half of the 8 separate runs. With the training step, the
grid's matrix products alone (same shapes, stand-in arrays) are timed too: no batching in numpy
gets under that floor, since the grid does the products of all 8 runs, bit for bit.

Wall time gives the steps per second; the cost ratio is given both in wall time and in CPU time
of this process (``time.process_time``), which other programs on a shared machine disturb less.

The grid trains in float32 by default (``BYOLGrid``'s ``dtype``); ``--dtype float64`` times it in
float64, where it is bit-exact with the single runs. The 8 runs it is compared against are always
BYOLSimulation's, in float64, as the app's single pages run them. ``--dtype both`` times the grid
in both dtypes in the same alternating rounds.

    python benchmarks/bench_byol_grid.py [--steps N] [--rounds R] [--seed S] [--batch-size B]
                                         [--dtype float32|float64|both]
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
import numpy as np  # noqa: E402
from engine.byol import BYOL_PARAMS, BYOLSimulation  # noqa: E402
from engine.byol_grid import GUARD_COMBINATIONS, BYOLGrid  # noqa: E402
from engine.params import spec_table  # noqa: E402


def time_grid(steps: int, settings: dict, train_only: bool) -> tuple[float, float]:
    """Wall and CPU seconds of the grid stepping ``steps`` steps (``settings["dtype"]``)."""
    grid = BYOLGrid(**settings)
    wall, cpu = time.perf_counter(), time.process_time()
    if train_only:
        for _ in range(steps):
            grid._train_step()
    else:
        grid.step(steps)
    return time.perf_counter() - wall, time.process_time() - cpu


def grid_products(grid: BYOLGrid):
    """A function doing only the matrix products of one grid training step, on stand-in arrays
    of the same shapes: the floor that batching in numpy cannot go under (the separate runs do
    the same products, 2 x fewer rows at a time)."""
    generator = np.random.default_rng(0)

    class rng:  # stand-ins in the grid's dtype, as its live arrays
        @staticmethod
        def standard_normal(shape):
            return generator.standard_normal(shape).astype(grid.dtype)

    rows = 2 * grid.batch_size
    data = rng.standard_normal((rows, grid.student.shapes[0][0]))
    predictor = grid.predictor.views[0]
    z = rng.standard_normal((grid.num_members, rows, predictor.shape[-1]))

    def network(weights):
        """Forward and backward products of one stack of networks (as _train_step's passes)."""
        members = weights[0].shape[0]
        matrices = weights[0::2]
        inputs = [data] + [rng.standard_normal((members, rows, w.shape[1])) for w in matrices[1:]]
        grads = [rng.standard_normal((members, rows, w.shape[2])) for w in matrices]
        by_view = [x.reshape(x.shape[:-2] + (2, rows // 2, x.shape[-1])) for x in inputs]

        def forward():
            for x, w in zip(inputs, matrices):
                x @ w

        def backward():
            for layer, (x, g, w) in enumerate(zip(by_view, grads, matrices)):
                x.swapaxes(-1, -2) @ g.reshape(g.shape[:-2] + (2, rows // 2, g.shape[-1]))
                if layer > 0:
                    grads[layer] @ w.swapaxes(-1, -2)
        return forward, backward

    student_forward, student_backward = network(grid.student.views)
    teacher_forward, _ = network(grid.teacher.views)
    _, trained_backward = network([w[grid._teacher_trained] for w in grid.teacher.views])
    _, twice_backward = network([w[grid._student_twice] for w in grid.student.views])

    def products():
        student_forward()
        teacher_forward()
        q = z @ predictor
        _ = z.reshape(z.shape[:-2] + (2, rows // 2, z.shape[-1])).swapaxes(-1, -2) @ \
            q.reshape(z.shape[:-2] + (2, rows // 2, z.shape[-1]))
        _ = q @ predictor.swapaxes(-1, -2)
        student_backward()
        trained_backward()
        twice_backward()
    return products


def time_grid_products(steps: int, settings: dict, train_only: bool) -> tuple[float, float]:
    """Wall and CPU seconds of the grid's matrix products alone for ``steps`` steps."""
    products = grid_products(BYOLGrid(**settings))
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        products()
    return time.perf_counter() - wall, time.process_time() - cpu


def time_separate(steps: int, settings: dict, train_only: bool) -> tuple[float, float]:
    """Wall and CPU seconds of the 8 BYOLSimulation runs stepping ``steps`` steps each."""
    settings = {name: value for name, value in settings.items() if name != "dtype"}
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
    parser.add_argument("--dtype", choices=("float32", "float64", "both"), default="float32",
                        help="the grid's dtype (default float32, BYOLGrid's); the 8 runs are "
                             "always float64")
    args = parser.parse_args(argv)
    settings = {"seed": args.seed, "batch_size": args.batch_size}
    dtypes = ("float32", "float64") if args.dtype == "both" else (args.dtype,)

    # The machine may be shared: the load average says how busy it was around the timings.
    print("load average before: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    # Warm up every code path (imports, allocator, BLAS buffers).
    for dtype in dtypes:
        time_grid(20, {**settings, "dtype": dtype}, False)
    time_separate(20, settings, False)

    separate = ("8 runs", time_separate, settings)
    for train_only, title in ((False, "step() with evaluation (as a live run)"),
                              (True, "training step only")):
        # (label, timer, settings): the grid in each dtype, the 8 float64 runs, the products.
        timers = [(f"grid {dtype}", time_grid, {**settings, "dtype": dtype}) for dtype in dtypes]
        timers.append(separate)
        if train_only:
            timers += [(f"grid {dtype}'s matrix products alone", time_grid_products,
                        {**settings, "dtype": dtype}) for dtype in dtypes]
        times: dict = {label: [] for label, _, _ in timers}
        for round_index in range(args.rounds):
            order = timers if round_index % 2 == 0 else timers[::-1]  # alternate who goes first
            for label, timer, timer_settings in order:
                times[label].append(timer(args.steps, timer_settings, train_only))
        separate_times = times[separate[0]]
        separate_s = statistics.median(s[0] for s in separate_times)
        print(f"{title}: {args.steps} steps x {args.rounds} rounds, seed {args.seed}, "
              f"batch {args.batch_size}")
        for dtype in dtypes:
            grid_s = statistics.median(g[0] for g in times[f"grid {dtype}"])
            print(f"  grid {dtype}, 8 members batched : {args.steps / grid_s:8.1f} grid steps/s "
                  f"({8 * args.steps / grid_s:8.1f} member steps/s)")
        print(f"  8 BYOLSimulation runs (float64)  : {args.steps / separate_s:8.1f} steps/s of "
              f"all 8 ({8 * args.steps / separate_s:8.1f} run steps/s)")
        for label, _, _ in timers:
            if label == separate[0]:
                continue
            for name, index in (("wall", 0), ("CPU ", 1)):
                ratios = [n[index] / s[index] for n, s in zip(times[label], separate_times)]
                print(f"  cost ratio {label} / 8 runs, {name}: median "
                      f"{statistics.median(ratios):.3f} "
                      f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})  goal < 0.5")
    print("load average after: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
