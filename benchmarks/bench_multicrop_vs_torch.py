"""Benchmark: one multi-crop training step of the numpy engine against the same step in PyTorch eager.

The network part of a step (engine/multicrop_training.py, MultiCropLearner.train_step): the
teacher's forward pass on the 2 global crops, the student's forward and backward pass on every
crop, DINO's multi-pair loss, SGD with momentum and weight decay, the EMA teacher and the centre.
The same step is written in PyTorch (autograd, eager) on the same weights and the same inputs, and
timed in float32 and float64 with 1 and 2 threads; the engine runs in float32 with BLAS on one
thread (engine/__init__.py). Before timing, both take 20 steps from the same weights and the
largest difference in loss is printed: the reference must compute the same thing.

The whole simulation step (cropping, DINO's photometric augmentations, the run and its twin) is
timed too, for scale: that is what the page's speed follows.

    PYTHONPATH=. python benchmarks/bench_multicrop_vs_torch.py [--rounds 7] [--steps 40] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import engine  # noqa: E402,F401  (single-threaded BLAS, set before numpy loads)
import numpy as np  # noqa: E402

from desktop.photo_training import PhotoMultiCropSimulation  # noqa: E402
from timing import Contender, machine_load, run_rounds  # noqa: E402


def engine_inputs(simulation: PhotoMultiCropSimulation) -> tuple[np.ndarray, np.ndarray]:
    """One step's augmented (2, B, D) global and (N, B, D) local inputs, as the simulation makes them."""
    p = simulation.params
    photos, size = simulation.photos, simulation.input_size
    indices = np.arange(len(photos))
    from engine.photos import crops, sample_photo_views

    views = sample_photo_views(photos, indices, simulation.crop_config(), simulation.global_rng)
    global_inputs = simulation._augmented_inputs(crops(photos, indices, views, slice(0, 2), size),
                                                 ["global1", "global2"], simulation.global_rng)
    local_inputs = simulation._augmented_inputs(crops(photos, indices, views, slice(2, None), size),
                                                ["local"] * p["num_local"], simulation.local_rng)
    return global_inputs, local_inputs


class TorchLearner:
    """MultiCropLearner in PyTorch: the same layers, head, loss, optimiser, EMA and centre."""

    def __init__(self, learner, dtype):
        import torch

        self.torch = torch
        self.dtype = dtype
        self.student = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in learner.student.arrays]
        self.teacher = [torch.tensor(a, dtype=dtype) for a in learner.teacher.arrays]
        self.center = torch.tensor(learner.center, dtype=dtype)
        self.num_backbone = len(learner.student.backbone)
        self.num_head = len(learner.student.head)
        self.velocity = [torch.zeros_like(p) for p in self.student]

    def forward(self, arrays, x):
        torch = self.torch
        nb, nh = self.num_backbone, self.num_head

        def mlp(params, h):
            layers = len(params) // 2
            for i in range(layers):
                h = h @ params[2 * i] + params[2 * i + 1]
                if i < layers - 1:
                    h = torch.relu(h)
            return h

        z = mlp(arrays[nb:nb + nh], mlp(arrays[:nb], x))
        unit = z / (z.norm(dim=1, keepdim=True) + 1e-12)
        v = arrays[-1]
        return unit @ (v / (v.norm(dim=0, keepdim=True) + 1e-12))

    def train_step(self, global_inputs, local_inputs, params) -> float:
        torch = self.torch
        num_global, batch = global_inputs.shape[:2]
        views = torch.cat([global_inputs, local_inputs])
        num_views = views.shape[0]
        with torch.no_grad():
            teacher_logits = self.forward(self.teacher, global_inputs.reshape(num_global * batch, -1))
            scores = teacher_logits - self.center if params["centering"] else teacher_logits
            teacher = torch.softmax(scores / params["teacher_temperature"], dim=1).reshape(num_global, batch, -1)
        student_logits = self.forward(self.student, views.reshape(num_views * batch, -1))
        log_s = torch.log_softmax(student_logits / params["student_temperature"], dim=1).reshape(num_views, batch, -1)
        total, terms = 0.0, 0
        for g in range(num_global):
            for v in range(num_views):
                if v != g:
                    total = total - (teacher[g] * log_s[v]).sum() / batch
                    terms += 1
        loss = total / terms
        grads = torch.autograd.grad(loss, self.student)
        with torch.no_grad():
            lr, wd, m = params["learning_rate"], params["weight_decay"], params["ema_momentum"]
            for p, g, vel in zip(self.student, grads, self.velocity):
                vel.mul_(0.9).add_(g + wd * p)
                p.sub_(lr * vel)
            for t, p in zip(self.teacher, self.student):
                t.mul_(m).add_((1 - m) * p)
            c = params["center_momentum"]
            self.center = c * self.center + (1 - c) * teacher_logits.mean(dim=0)
        return float(loss.detach())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=40, help="steps a timed block")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import torch

    simulation = PhotoMultiCropSimulation(seed=0)
    params = simulation.params
    global_np, local_np = engine_inputs(simulation)

    # Same weights, same inputs, 20 steps: the two must agree.
    reference = TorchLearner(simulation.learner, torch.float64)
    check_engine = PhotoMultiCropSimulation(photos=simulation.photos, seed=0).learner
    g64, l64 = torch.tensor(global_np, dtype=torch.float64), torch.tensor(local_np, dtype=torch.float64)
    differences = []
    for _ in range(20):
        engine_loss, _ = check_engine.train_step(global_np, local_np, params)
        torch_loss = reference.train_step(g64, l64, params)
        differences.append(abs(engine_loss - torch_loss))

    contenders = []
    learner = PhotoMultiCropSimulation(photos=simulation.photos, seed=0).learner
    contenders.append(Contender("engine float32, 1 thread (network step)",
                                lambda n: [learner.train_step(global_np, local_np, params) for _ in range(n)],
                                args.steps, before_block=lambda: torch.set_num_threads(1)))
    for dtype, name in ((torch.float32, "float32"), (torch.float64, "float64")):
        for threads in (1, 2):
            torch_learner = TorchLearner(simulation.learner, dtype)
            g, l_ = torch.tensor(global_np, dtype=dtype), torch.tensor(local_np, dtype=dtype)
            contenders.append(Contender(
                f"torch {name}, {threads} thread{'s' if threads > 1 else ''} (network step)",
                lambda n, tl=torch_learner, g=g, l_=l_: [tl.train_step(g, l_, params) for _ in range(n)],
                args.steps, before_block=lambda t=threads: torch.set_num_threads(t)))
    whole = PhotoMultiCropSimulation(photos=simulation.photos, seed=0)
    contenders.append(Contender("engine whole simulation step (crops, augmentations, run + twin)",
                                whole.step, args.steps))
    contenders[-1].before_block = lambda: torch.set_num_threads(1)
    load_before = machine_load()
    run_rounds(contenders, args.rounds)
    load_after = machine_load()
    report = {
        "load_before": load_before, "load_after": load_after,
        "largest_loss_difference_20_steps": max(differences),
        "photos": len(simulation.photos), "num_local": params["num_local"], "input_size": simulation.input_size,
        "ms_per_step": {c.name: {"wall": 1000 / c.rate_wall(), "cpu": 1000 / c.rate_cpu()} for c in contenders},
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"load {load_before} -> {load_after}; {report['photos']} photos x (2 + {report['num_local']}) crops "
          f"of {report['input_size']} px; largest loss difference over 20 steps: {max(differences):.2e}")
    for name, times in report["ms_per_step"].items():
        print(f"  {name:66s} {times['wall']:7.2f} ms wall  {times['cpu']:7.2f} ms cpu")


if __name__ == "__main__":
    main()
