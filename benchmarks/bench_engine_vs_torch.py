"""Benchmark: the numpy engine's training step against the same step in PyTorch (eager, CPU).

For BYOL (and DINO, when engine/dino.py imports and trains) it times, in alternating rounds:

- the engine's training step (numpy, BLAS single-threaded as engine/__init__.py sets it);
- the PyTorch reference (benchmarks/torch_reference.py) in float64 and float32, each with 1
  thread and with torch's default thread count; the fastest of the four is "torch at its best";
- the engine's ``step()`` as the app runs it (metrics every 10 steps, kNN every 50), compared
  with torch at its best without any metrics;
- a 1024x1024 float64 matmul in numpy on one thread: this machine's matmul throughput.

Before timing, both sides take 20 steps from the same weights on the same views, and the largest
difference in loss and weights is printed: the reference must compute the same thing.
It also counts the FLOPs of one step (the engine's matmuls, counted from the layer sizes, and
torch's own FlopCounterMode) and what fraction of the measured matmul throughput that reaches.

    pip install torch==2.13.0          # or: pip install -e .[bench]
    python benchmarks/bench_engine_vs_torch.py [--rounds 7] [--steps 200] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import engine  # noqa: E402,F401  (single-threaded BLAS, set before numpy loads)
import numpy as np  # noqa: E402

from engine.byol import BYOLSimulation  # noqa: E402
from timing import Contender, paired_ratio, run_rounds  # noqa: E402

MATMUL_SIZE = 1024


# -- FLOPs ----------------------------------------------------------------------------------
def _mlp_macs(rows: int, sizes: list[int]) -> int:
    return rows * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def byol_step_flops(simulation: BYOLSimulation) -> int:
    """Matmul FLOPs (2 per multiply-add) of one engine BYOL step with all guards on.

    Per view: student encoder+projector+predictor forward, teacher encoder+projector forward, and
    the student's backward pass (a weight gradient and an input gradient per layer: twice the
    forward). Plus the two augmentations (a rotation of the input each).
    """
    b, world = simulation.batch_size, simulation.WORLD
    encoder = [world.input_dim, simulation.HIDDEN, simulation.REPRESENTATION_DIM]
    projector = [simulation.REPRESENTATION_DIM, simulation.HIDDEN, simulation.PROJECTION_DIM]
    predictor = b * simulation.PROJECTION_DIM ** 2
    student = _mlp_macs(b, encoder) + _mlp_macs(b, projector) + predictor
    teacher = _mlp_macs(b, encoder) + _mlp_macs(b, projector)
    augment = b * world.input_dim ** 2
    return 2 * 2 * (augment + student + teacher + 2 * student)


def dino_step_flops(simulation) -> int:
    """Matmul FLOPs of one engine DINO step: both views in one batch of 2B rows, teacher and
    student forward, student backward (twice the forward), two augmentations."""
    b, world = simulation.params["batch_size"], simulation.WORLD
    rows = 2 * b
    backbone = [world.input_dim, simulation.HIDDEN, simulation.REPRESENTATION_DIM]
    head = [simulation.REPRESENTATION_DIM, simulation.HIDDEN, simulation.BOTTLENECK_DIM]
    forward = (_mlp_macs(rows, backbone) + _mlp_macs(rows, head)
               + rows * simulation.BOTTLENECK_DIM * simulation.num_prototypes)
    augment = 2 * b * world.input_dim ** 2
    return 2 * (augment + forward + forward + 2 * forward)


def torch_counted_flops(model) -> int:
    """FLOPs of one reference step as torch's FlopCounterMode counts them (matmuls only)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        model.step()
    return int(counter.get_total_flops())


# -- contenders -----------------------------------------------------------------------------
def torch_default_threads() -> int:
    """The thread count torch picks with no OMP/MKL variables set (engine/__init__ sets them)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                         env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def dino_available() -> tuple[type | None, str]:
    """DINOSimulation if engine/dino.py imports and trains a few finite steps, else the reason."""
    try:
        from engine.dino import DINOSimulation

        simulation = DINOSimulation()
        simulation.step(3)
        if simulation.diverged:
            return None, "DINOSimulation diverged in 3 default steps"
        return DINOSimulation, ""
    except Exception as error:  # another engineer may be mid-edit: benchmark BYOL and say so
        return None, f"{type(error).__name__}: {error}"


def engine_train_steps(simulation):
    def run(n: int) -> None:
        with np.errstate(all="ignore"):
            for _ in range(n):
                simulation._train_step()
    return run


def engine_app_steps(simulation):
    def run(n: int) -> None:
        simulation.step(n)
    return run


def torch_steps(model):
    def run(n: int) -> None:
        for _ in range(n):
            model.step()
    return run


def matmul_blocks():
    a = np.random.default_rng(0).standard_normal((MATMUL_SIZE, MATMUL_SIZE))
    out = np.empty_like(a)

    def run(n: int) -> None:
        for _ in range(n):
            np.matmul(a, a, out=out)
    return run


def bench(simulation_class, reference_class, flops_fn, rounds: int, steps: int,
          default_threads: int) -> dict:
    import torch

    def threads(n: int):
        return lambda: torch.set_num_threads(n)

    engine_sim = simulation_class()
    app_sim = simulation_class()
    contenders = [
        Contender("engine (numpy)", engine_train_steps(engine_sim), steps),
        Contender("torch f64, 1 thread", torch_steps(reference_class(simulation_class(), torch.float64)),
                  steps, before_block=threads(1)),
        # Fewer steps a block: on a loaded machine, torch's thread pool can crawl.
        Contender(f"torch f64, {default_threads} threads (default)",
                  torch_steps(reference_class(simulation_class(), torch.float64)),
                  max(10, steps // 4), before_block=threads(default_threads)),
        Contender("torch f32, 1 thread", torch_steps(reference_class(simulation_class(), torch.float32)),
                  steps, before_block=threads(1)),
        Contender(f"torch f32, {default_threads} threads (default)",
                  torch_steps(reference_class(simulation_class(), torch.float32)),
                  max(10, steps // 4), before_block=threads(default_threads)),
        Contender("engine step() with live metrics", engine_app_steps(app_sim), steps),
        Contender(f"numpy matmul {MATMUL_SIZE}^3 f64, 1 thread", matmul_blocks(), 4),
    ]
    load = run_rounds(contenders, rounds)
    engine_c, t1, tdef, t32, t32def, app_c, mm = contenders
    torches = (t1, tdef, t32, t32def)
    # By CPU time (what a step costs): on a shared machine wall time mostly measures the others.
    best = max(torches, key=lambda c: c.rate_cpu())
    flops = flops_fn(engine_sim)
    matmul_flops = 2 * MATMUL_SIZE ** 3
    torch.set_num_threads(1)
    result = {
        "simulation": simulation_class.NAME,
        "rounds": rounds,
        "steps_per_block": steps,
        "load_average": load,
        "steps_per_second_wall": {c.name: round(c.rate_wall(), 1) for c in contenders[:6]},
        "steps_per_second_cpu": {c.name: round(c.rate_cpu(), 1) for c in contenders[:6]},
        "ratio_engine_over_torch_wall": {
            c.name: round(paired_ratio(engine_c, c, "wall"), 2) for c in torches},
        "ratio_engine_over_torch_cpu": {
            c.name: round(paired_ratio(engine_c, c, "cpu"), 2) for c in torches},
        # The app's step (live metrics included) against torch at its best, without metrics.
        "torch_best": best.name,
        "ratio_app_step_over_torch_best_wall": round(paired_ratio(app_c, best, "wall"), 2),
        "ratio_app_step_over_torch_best_cpu": round(paired_ratio(app_c, best, "cpu"), 2),
        "ratio_engine_over_torch_best_wall": round(paired_ratio(engine_c, best, "wall"), 2),
        "ratio_engine_over_torch_best_cpu": round(paired_ratio(engine_c, best, "cpu"), 2),
        "flops_per_step_engine": flops,
        "flops_per_step_torch_counted": torch_counted_flops(reference_class(simulation_class(), torch.float64)),
        "matmul_gflops_wall": round(mm.rate_wall() * matmul_flops / 1e9, 2),
        "matmul_gflops_cpu": round(mm.rate_cpu() * matmul_flops / 1e9, 2),
        "engine_gflops_wall": round(engine_c.rate_wall() * flops / 1e9, 2),
        "engine_gflops_cpu": round(engine_c.rate_cpu() * flops / 1e9, 2),
    }
    result["engine_fraction_of_matmul_wall"] = round(
        paired_ratio(engine_c, mm, "wall") * flops / matmul_flops, 3)
    result["engine_fraction_of_matmul_cpu"] = round(
        paired_ratio(engine_c, mm, "cpu") * flops / matmul_flops, 3)
    return result


def machine() -> dict:
    import torch

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch.__version__,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}


def print_report(report: dict) -> None:
    m = report["machine"]
    print(f"machine: {m['cpus']} CPUs, {m['cpu_model']}; Python {m['python']}, numpy {m['numpy']}, "
          f"torch {m['torch']} (torch default threads {report['torch_default_threads']})")
    for check in report["verification"]:
        print(f"same step? {check['simulation']}: {check['steps']} steps from the same weights on the "
              f"same views: max |loss diff| {check['max_loss_diff']:.1e}, "
              f"max |weight diff| {check['max_weight_diff']:.1e}")
    if report["dino_unavailable"]:
        print(f"DINO not benchmarked: {report['dino_unavailable']}")
    for r in report["results"]:
        load = r["load_average"]
        print(f"\n== {r['simulation']}: {r['rounds']} rounds x {r['steps_per_block']} steps, "
              f"load average {load['load_1min_min']:.1f}-{load['load_1min_max']:.1f} on "
              f"{m['cpus']} CPUs; medians")
        print(f"  {'':42s} {'steps/s wall':>13s} {'steps/s CPU':>12s} "
              f"{'engine/x wall':>14s} {'engine/x CPU':>13s}")
        for name, wall in r["steps_per_second_wall"].items():
            cpu = r["steps_per_second_cpu"][name]
            ratio_w = r["ratio_engine_over_torch_wall"].get(name)
            ratio_c = r["ratio_engine_over_torch_cpu"].get(name)
            print(f"  {name:42s} {wall:13.1f} {cpu:12.1f} "
                  f"{'' if ratio_w is None else f'{ratio_w:.2f}x':>14s} "
                  f"{'' if ratio_c is None else f'{ratio_c:.2f}x':>13s}")
        print(f"  FLOPs a step: engine {r['flops_per_step_engine'] / 1e6:.2f} M (matmuls it does), "
              f"torch FlopCounterMode {r['flops_per_step_torch_counted'] / 1e6:.2f} M")
        print(f"  matmul {MATMUL_SIZE}^3 f64, 1 thread: {r['matmul_gflops_wall']:.1f} GFLOP/s wall, "
              f"{r['matmul_gflops_cpu']:.1f} GFLOP/s CPU")
        print(f"  engine reaches {r['engine_gflops_cpu']:.2f} GFLOP/s CPU = "
              f"{r['engine_fraction_of_matmul_cpu']:.0%} of the matmul throughput "
              f"({r['engine_fraction_of_matmul_wall']:.0%} by wall time)")
        best = r["ratio_engine_over_torch_best_cpu"]
        print(f"  torch at its best here (by CPU time): {r['torch_best']}; engine {best:.2f}x CPU "
              f"({r['ratio_engine_over_torch_best_wall']:.2f}x wall), engine with live metrics "
              f"{r['ratio_app_step_over_torch_best_cpu']:.2f}x CPU "
              f"({r['ratio_app_step_over_torch_best_wall']:.2f}x wall; torch without metrics)")
        print(f"  goal engine >= 2x torch at its best (CPU time): "
              f"{'MET' if best >= 2 else 'NOT MET'} ({best:.2f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=200, help="steps a block (default 200)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", choices=("byol", "dino"), default=None)
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.stderr.write("torch is not installed: pip install torch==2.13.0 (the bench extra)\n")
        return 2
    from torch_reference import TorchBYOL, TorchDINO, verify_byol, verify_dino

    started = time.time()
    dino_class, dino_reason = dino_available()
    report = {"machine": machine(), "torch_default_threads": torch_default_threads(),
              "dino_unavailable": dino_reason, "verification": [], "results": []}
    plan = [("byol", BYOLSimulation, TorchBYOL, byol_step_flops, verify_byol)]
    if dino_class is not None:
        plan.append(("dino", dino_class, TorchDINO, dino_step_flops, verify_dino))
    for name, simulation_class, reference_class, flops_fn, verify in plan:
        if args.only and name != args.only:
            continue
        report["verification"].append({"simulation": name, **verify(simulation_class, 20)})
        report["results"].append(bench(simulation_class, reference_class, flops_fn, args.rounds,
                                       args.steps, report["torch_default_threads"]))
    report["seconds"] = round(time.time() - started, 1)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
