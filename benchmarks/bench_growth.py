"""Benchmark: how costs grow. Engine time per training step against batch size and network width;
a frame's cost (the panel's draw plus the paints Qt then does) against the length of the history
shown, including after a very long run, where BoundedHistory caps it at 1024 points.

Times are CPU seconds of the measuring thread (time.thread_time), the median of several blocks,
so other processes on a shared machine disturb them less than wall time.

    python benchmarks/bench_growth.py [--json] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import engine  # noqa: E402,F401  (single-threaded BLAS, set before numpy loads)
import numpy as np  # noqa: E402

from bench_engine_vs_torch import byol_step_flops, dino_available, dino_step_flops  # noqa: E402
from engine.byol import BYOLSimulation  # noqa: E402

BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)
WIDTHS = (16, 32, 64, 128, 256, 512)
HISTORY_LENGTHS = (10, 100, 300, 1024, 4096, 16384)  # beyond 1024: if the history were not capped


def _cpu_per_call(fn, calls: int, blocks: int) -> float:
    fn()
    samples = []
    for _ in range(blocks):
        start = time.thread_time()
        for _ in range(calls):
            fn()
        samples.append((time.thread_time() - start) / calls)
    return statistics.median(samples)


def _with_width(simulation_class, width: int):
    return type(f"{simulation_class.__name__}W{width}", (simulation_class,), {"HIDDEN": width})


def engine_growth(simulation_class, flops_fn, quick: bool) -> dict:
    """CPU time of one training step against batch size (width 64) and hidden width (batch 128)."""
    blocks = 2 if quick else 3
    rows = {"batch": [], "width": []}
    for batch in BATCH_SIZES:
        simulation = simulation_class(batch_size=batch)
        calls = max(5, int((20 if quick else 60) * 128 / max(batch, 32)))
        seconds = _cpu_per_call(simulation._train_step, calls, blocks)
        rows["batch"].append({"batch_size": batch, "ms_per_step": round(seconds * 1e3, 3),
                              "us_per_sample": round(seconds * 1e6 / batch, 2),
                              "gflops": round(flops_fn(simulation) / seconds / 1e9, 2)})
    for width in WIDTHS:
        simulation = _with_width(simulation_class, width)()
        calls = max(5, int((20 if quick else 60) * 64 / max(width, 64)))
        seconds = _cpu_per_call(simulation._train_step, calls, blocks)
        rows["width"].append({"hidden_width": width, "ms_per_step": round(seconds * 1e3, 3),
                              "gflops": round(flops_fn(simulation) / seconds / 1e9, 2)})
    return {"simulation": simulation_class.NAME, **rows}


def _synthetic_history(snapshot: dict, length: int) -> dict:
    """The snapshot's history stretched to ``length`` points (smooth curves with some noise)."""
    rng = np.random.default_rng(length)
    history = {"step": np.arange(length, dtype=float) * 10}
    for name, column in snapshot["history"].items():
        if name == "step":
            continue
        finite = column[np.isfinite(column)]
        level = float(finite[-1]) if len(finite) else 1.0
        history[name] = level * (1 + 0.2 * np.exp(-np.arange(length) / max(length / 5, 1))
                                 + 0.01 * rng.standard_normal(length))
    return {**snapshot, "history": history}


def frame_growth(quick: bool) -> list[dict]:
    """CPU time of one frame (draw_snapshot, then the paints) for each training page."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import application
    from desktop.main_window import MainWindow
    from widgets.theme import LIGHT

    app = application()
    window = MainWindow(theme=LIGHT, zoom=1.0)
    window.resize(1280, 760)
    window.show()
    results = []
    rounds = 2 if quick else 3
    frames = 8 if quick else 20
    from engine.simulation import Simulation

    for page in window.pages:
        simulation_class = page.simulation_class
        if not (isinstance(simulation_class, type) and issubclass(simulation_class, Simulation)):
            continue  # no training, or not a Simulation (no bounded history to grow)
        window.show_page(page.key)
        panel = window.panels[page.key]
        for _ in range(10):
            app.processEvents()
        simulation = page.simulation_class()
        simulation.run(300)
        base = simulation.snapshot()
        base["running"] = True
        cases = {f"{n} points": _synthetic_history(base, n) for n in HISTORY_LENGTHS}
        # A real simulation's history after a very long run: a million steps of evaluations.
        for index in range(100_000):
            simulation.history.record(simulation.step_count + 10 * (index + 1), simulation.latest)
        long_run = simulation.snapshot()
        long_run["running"] = True
        cases["after 1,000,000 steps (BoundedHistory)"] = long_run
        costs: dict[str, list[float]] = {name: [] for name in cases}

        def frame(snapshot: dict) -> None:
            snapshot["step"] += 10  # a new step count: the caption changes as it does live
            panel.draw_snapshot(snapshot)
            app.processEvents()

        for snapshot in cases.values():
            frame(snapshot)
        names = list(cases)
        for round_index in range(rounds):
            for name in (names if round_index % 2 == 0 else names[::-1]):
                costs[name].append(_cpu_per_call(lambda s=cases[name]: frame(s), frames, 1))
        for name in names:
            results.append({"page": page.key, "history": name,
                            "points": int(len(cases[name]["history"]["step"])),
                            "frame_ms_cpu": round(statistics.median(costs[name]) * 1e3, 2)})
    window.shutdown()
    window.hide()
    return results


def print_report(report: dict) -> None:
    """The report as text."""
    print(f"load average {report['load_average_start'][0]:.1f} at the start, "
          f"{report['load_average_end'][0]:.1f} at the end; CPU time of the measuring thread")
    for growth in report["engine"]:
        print(f"\n{growth['simulation']}: one training step against batch size (hidden width 64)")
        for row in growth["batch"]:
            print(f"  batch {row['batch_size']:5d}: {row['ms_per_step']:8.3f} ms/step "
                  f"{row['us_per_sample']:8.2f} us/sample {row['gflops']:7.2f} GFLOP/s")
        print(f"{growth['simulation']}: one training step against hidden width (batch 128)")
        for row in growth["width"]:
            print(f"  width {row['hidden_width']:5d}: {row['ms_per_step']:8.3f} ms/step "
                  f"{row['gflops']:7.2f} GFLOP/s")
    if report["frames"]:
        print("\nframe cost (panel draw + paints) against the history shown")
        for row in report["frames"]:
            print(f"  {row['page']:6s} {row['history']:40s} {row['points']:6d} points "
                  f"{row['frame_ms_cpu']:8.2f} ms CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--skip-frames", action="store_true", help="engine growth only (no Qt)")
    args = parser.parse_args(argv)
    report = {"load_average_start": os.getloadavg(), "engine": [], "frames": []}
    plan = [(BYOLSimulation, byol_step_flops)]
    dino_class, reason = dino_available()
    if dino_class is not None:
        plan.append((dino_class, dino_step_flops))
    report["dino_unavailable"] = reason
    for simulation_class, flops_fn in plan:
        report["engine"].append(engine_growth(simulation_class, flops_fn, args.quick))
    if not args.skip_frames:
        report["frames"] = frame_growth(args.quick)
    report["load_average_end"] = os.getloadavg()
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
