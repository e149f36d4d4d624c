"""Timing helpers shared by the benchmarks: alternating rounds on a shared, noisy machine.

Every contender runs one block per round, in an order that rotates from round to round, so a
burst of load from another process slows all of them alike. Each block records wall time and CPU
time: wall time is what a lecturer waits for; CPU time (this process, all its threads) is what the
code costs, and barely moves when other processes take the cores. Ratios are taken per round,
between blocks that ran seconds apart, and the median over rounds is reported.
"""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Contender:
    """Something to time: ``run(n)`` does ``n`` units of work (steps, matmuls...)."""

    name: str
    run: Callable[[int], None]
    units: int  # units a block
    wall: list[float] = field(default_factory=list)  # seconds a block
    cpu: list[float] = field(default_factory=list)
    before_block: Callable[[], None] | None = None  # e.g. set torch's thread count

    def rate_wall(self) -> float:
        """Median units per second of wall time."""
        return statistics.median(self.units / w for w in self.wall)

    def rate_cpu(self) -> float:
        """Median units per second of CPU time."""
        return statistics.median(self.units / max(c, 1e-9) for c in self.cpu)


def machine_load() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages (os.getloadavg)."""
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def run_rounds(contenders: list[Contender], rounds: int, pause_s: float = 0.2) -> dict:
    """Time every contender once a round, rotating the order; returns the load seen meanwhile."""
    loads = [machine_load()[0]]
    for contender in contenders:  # warm up: caches, lazy imports, thread pools
        if contender.before_block:
            contender.before_block()
        contender.run(max(1, contender.units // 10))
    for round_index in range(rounds):
        shift = round_index % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            if contender.before_block:
                contender.before_block()
            # Lets idle OpenMP workers of the previous block stop spinning before the next starts.
            time.sleep(pause_s)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            contender.run(contender.units)
            contender.cpu.append(time.process_time() - cpu0)
            contender.wall.append(time.perf_counter() - wall0)
        loads.append(machine_load()[0])
    return {"load_1min_min": min(loads), "load_1min_max": max(loads),
            "load_1min_median": statistics.median(loads)}


def paired_ratio(a: Contender, b: Contender, kind: str = "wall") -> float:
    """Median over rounds of (a's rate / b's rate), each round's blocks compared with each other."""
    times_a = a.wall if kind == "wall" else a.cpu
    times_b = b.wall if kind == "wall" else b.cpu
    return statistics.median((a.units / ta) / (b.units / tb) for ta, tb in zip(times_a, times_b))

