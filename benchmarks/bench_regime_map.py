"""Benchmark: the DINO regime map over seeds, in one process and in worker processes.

Times a map of R x C cells and S seeds (default 6 x 6 x 3, 1500 steps a run, DINO App. D's
temperatures and momenta among the axes) with 1 worker (in this process) and with W worker
processes, alternating, and how the time grows with cells and with seeds (smaller maps).
Prints wall and CPU seconds (CPU of this process and its children) and the load average.

    python benchmarks/bench_regime_map.py [--steps 1500] [--workers 2] [--rounds 1] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402,F401  (single-threaded BLAS)
from engine.dino_regime_map import DINORegimeMap  # noqa: E402

TEMPERATURES = (0.01, 0.02, 0.04, 0.06, 0.08, 0.2)
MOMENTA = (0.0, 0.5, 0.9, 0.99, 0.997, 0.999)


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_map(rows: int, columns: int, seeds: int, steps: int, workers: int) -> dict:
    load = os.getloadavg()[0]
    regime_map = DINORegimeMap(TEMPERATURES[:rows], MOMENTA[:columns], steps=steps, seeds=seeds,
                               workers=workers)
    cpu = cpu_seconds()
    wall = regime_map.run()
    return {"cells": rows * columns, "shape": [rows, columns], "seeds": seeds, "steps": steps,
            "workers": workers, "wall_s": round(wall, 2), "cpu_s": round(cpu_seconds() - cpu, 2),
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--growth-steps", type=int, default=300,
                        help="steps a run for the growth measurements (default 300)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = {"cpus": os.cpu_count(), "main": [], "growth": []}
    for _ in range(args.rounds):
        for workers in (1, args.workers):
            report["main"].append(time_map(6, 6, 3, args.steps, workers))
            if not args.json:
                print(report["main"][-1], flush=True)
    for shape, seeds in (((2, 2), 1), ((2, 2), 3), ((4, 4), 1), ((6, 6), 1)):
        report["growth"].append(time_map(*shape, seeds, args.growth_steps, args.workers))
        if not args.json:
            print(report["growth"][-1], flush=True)
    if args.json:
        print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
