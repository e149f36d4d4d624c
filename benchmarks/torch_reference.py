"""The same training steps as engine/byol.py and engine/dino.py, written in PyTorch (eager, CPU).

This is the obvious alternative to the hand-written numpy engine, written the way a PyTorch user
would: nn.Linear layers, autograd, torch.optim.SGD (momentum 0.9, weight decay), a no-grad EMA.
Sizes, batch, loss, optimiser and EMA match the engine's defaults; each model starts from a
simulation's own initial weights, so ``verify_*`` can check that both take the same step.

torch is only needed for benchmarking (the optional ``bench`` extra), never at run time.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

_EPS = 1e-12  # the engine's epsilon in l2_normalize and cosine_loss


def _mlp(params: list[np.ndarray], dtype: torch.dtype) -> nn.Sequential:
    """nn.Sequential of Linear/ReLU holding the engine's ``[W1, b1, W2, b2, ...]`` weights."""
    layers: list[nn.Module] = []
    num_layers = len(params) // 2
    for layer in range(num_layers):
        weight, bias = params[2 * layer], params[2 * layer + 1]
        linear = nn.Linear(weight.shape[0], weight.shape[1], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight.T.copy()))  # torch stores out x in
            linear.bias.copy_(torch.from_numpy(bias))
        layers.append(linear)
        if layer < num_layers - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _frozen_copy(module: nn.Module) -> nn.Module:
    teacher = copy.deepcopy(module)
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    return teacher


@torch.no_grad()
def _ema(teacher: list[torch.Tensor], student: list[torch.Tensor], momentum: float) -> None:
    torch._foreach_mul_(teacher, momentum)
    torch._foreach_add_(teacher, student, alpha=1.0 - momentum)


def _normalize(x: torch.Tensor, dim: int) -> torch.Tensor:
    return x / (x.norm(dim=dim, keepdim=True) + _EPS)


class TorchToyWorld:
    """The engine's ToyWorld sampler in torch (same centres and mixing, torch's own RNG)."""

    def __init__(self, world, dtype: torch.dtype, seed: int = 0):
        self.config = world.config
        self.centres = torch.tensor(world.class_centres, dtype=dtype)
        self.mixing = torch.tensor(world.mixing, dtype=dtype)
        self.dtype = dtype
        self.generator = torch.Generator().manual_seed(seed)

    def sample_content(self, batch: int) -> torch.Tensor:
        c = self.config
        labels = torch.randint(0, c.num_classes, (batch,), generator=self.generator)
        noise = torch.randn(batch, c.content_dim, generator=self.generator, dtype=self.dtype)
        return self.centres[labels] + noise * c.within_class_std

    def augment(self, content: torch.Tensor) -> torch.Tensor:
        c = self.config
        jitter = torch.randn(content.shape, generator=self.generator, dtype=self.dtype)
        nuisance = torch.randn(content.shape[0], c.nuisance_dim, generator=self.generator,
                               dtype=self.dtype)
        return torch.cat([content + jitter * c.content_jitter_std,
                          nuisance * c.nuisance_std], dim=1) @ self.mixing


class TorchBYOL:
    """BYOL with all three guards on (the default workload): the engine's step in PyTorch."""

    def __init__(self, simulation, dtype: torch.dtype = torch.float64):
        p = simulation.params
        self.params = p
        self.batch_size = simulation.batch_size
        self.dtype = dtype
        self.world = TorchToyWorld(simulation.world, dtype)
        self.encoder = _mlp(simulation.encoder, dtype)
        self.projector = _mlp(simulation.projector, dtype)
        dim = simulation.predictor_weights.shape[0]
        self.predictor = nn.Linear(dim, dim, bias=False, dtype=dtype)
        with torch.no_grad():
            self.predictor.weight.copy_(torch.from_numpy(simulation.predictor_weights.T.copy()))
        self.teacher_encoder = _frozen_copy(self.encoder)
        self.teacher_projector = _frozen_copy(self.projector)
        self.student_params = list(self.encoder.parameters()) + list(self.projector.parameters())
        self.teacher_params = (list(self.teacher_encoder.parameters())
                               + list(self.teacher_projector.parameters()))
        lr = p["learning_rate"]
        self.optimizer = torch.optim.SGD(
            [{"params": self.student_params},
             {"params": self.predictor.parameters(), "lr": lr * p["predictor_lr_multiplier"]}],
            lr=lr, momentum=0.9, weight_decay=p["weight_decay"])

    def sample_views(self) -> tuple[torch.Tensor, torch.Tensor]:
        content = self.world.sample_content(self.batch_size)
        return self.world.augment(content), self.world.augment(content)

    @staticmethod
    def loss_fn(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """2 - 2 cos, averaged over the batch."""
        cos = (_normalize(prediction, 1) * _normalize(target, 1)).sum(dim=1)
        return (2.0 - 2.0 * cos).mean()

    def step(self, views: tuple[torch.Tensor, torch.Tensor] | None = None) -> float:
        x1, x2 = views if views is not None else self.sample_views()
        q1 = self.predictor(self.projector(self.encoder(x1)))
        q2 = self.predictor(self.projector(self.encoder(x2)))
        with torch.no_grad():  # stop-gradient: the teacher's outputs are fixed targets
            t1 = self.teacher_projector(self.teacher_encoder(x1))
            t2 = self.teacher_projector(self.teacher_encoder(x2))
        loss = 0.5 * (self.loss_fn(q1, t2) + self.loss_fn(q2, t1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        _ema(self.teacher_params, self.student_params, self.params["ema_momentum"])
        return loss.item()

    def arrays(self) -> dict[str, list[np.ndarray]]:
        """Weights in the engine's layout, for comparison."""
        def engine_layout(module: nn.Module) -> list[np.ndarray]:
            return [(p.detach().T if p.ndim == 2 else p.detach()).numpy().copy()
                    for p in module.parameters()]
        return {"encoder": engine_layout(self.encoder), "projector": engine_layout(self.projector),
                "predictor": [self.predictor.weight.detach().T.numpy().copy()],
                "teacher_encoder": engine_layout(self.teacher_encoder),
                "teacher_projector": engine_layout(self.teacher_projector)}


class _DINONet(nn.Module):
    """Backbone MLP, head MLP, l2-normalised bottleneck, weight-normalised prototypes (no bias)."""

    def __init__(self, network, dtype: torch.dtype):
        super().__init__()
        self.backbone = _mlp(network.backbone, dtype)
        self.head = _mlp(network.head, dtype)
        self.prototypes = nn.Parameter(torch.tensor(network.prototypes, dtype=dtype))

    def arrays(self) -> list[torch.Tensor]:
        """Every weight in the engine's order: backbone, head, prototypes."""
        return list(self.backbone.parameters()) + list(self.head.parameters()) + [self.prototypes]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        unit = _normalize(self.head(self.backbone(x)), 1)
        return unit @ _normalize(self.prototypes, 0)


class TorchDINO:
    """DINO with centering and sharpening (the default workload): the engine's step in PyTorch."""

    def __init__(self, simulation, dtype: torch.dtype = torch.float64):
        p = simulation.params
        self.params = p
        self.batch_size = p["batch_size"]
        self.world = TorchToyWorld(simulation.world, dtype)
        self.student = _DINONet(simulation.student, dtype)
        self.teacher = _frozen_copy(self.student)
        self.student_params = self.student.arrays()
        self.teacher_params = self.teacher.arrays()
        self.center = torch.tensor(simulation.center, dtype=dtype)
        self.optimizer = torch.optim.SGD(self.student_params, lr=p["learning_rate"], momentum=0.9,
                                         weight_decay=p["weight_decay"])

    def sample_views(self) -> torch.Tensor:
        content = self.world.sample_content(self.batch_size)
        return torch.cat([self.world.augment(content), self.world.augment(content)])

    def step(self, views: torch.Tensor | None = None) -> float:
        p = self.params
        views = views if views is not None else self.sample_views()
        batch = views.shape[0] // 2
        with torch.no_grad():
            teacher_logits = self.teacher(views)
            scores = teacher_logits - self.center if p["centering"] else teacher_logits
            teacher_probs = torch.softmax(scores / p["teacher_temperature"], dim=1)
            targets = torch.cat([teacher_probs[batch:], teacher_probs[:batch]])
        log_p = torch.log_softmax(self.student(views) / p["student_temperature"], dim=1)
        loss = -(targets * log_p).sum(dim=1).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        _ema(self.teacher_params, self.student_params, p["ema_momentum"])
        m = p["center_momentum"]
        self.center = m * self.center + (1.0 - m) * teacher_logits.mean(dim=0)
        return loss.item()


def verify_byol(simulation_class, steps: int = 5) -> dict:
    """Run the engine and the torch reference on the same views from the same weights; return the
    largest differences in loss and weights (float64: they should agree to rounding)."""
    simulation = simulation_class()
    world = copy.deepcopy(simulation.world)  # same RNG state: the same views the engine draws
    reference = TorchBYOL(simulation, torch.float64)
    loss_diff = 0.0
    for _ in range(steps):
        _, content = world.sample_content(simulation.batch_size)
        views = (torch.from_numpy(world.augment(content)), torch.from_numpy(world.augment(content)))
        loss_diff = max(loss_diff, abs(reference.step(views) - simulation._train_step()))
    ours = {"encoder": simulation.encoder, "projector": simulation.projector,
            "predictor": [simulation.predictor_weights],
            "teacher_encoder": simulation.teacher_encoder,
            "teacher_projector": simulation.teacher_projector}
    theirs = reference.arrays()
    weight_diff = max(float(np.max(np.abs(a - b)))
                      for key in ours for a, b in zip(ours[key], theirs[key]))
    return {"steps": steps, "max_loss_diff": loss_diff, "max_weight_diff": weight_diff}


def verify_dino(simulation_class, steps: int = 5) -> dict:
    """As verify_byol, for DINO (centre included)."""
    simulation = simulation_class()
    world = copy.deepcopy(simulation.world)
    reference = TorchDINO(simulation, torch.float64)
    batch = simulation.params["batch_size"]
    loss_diff = 0.0
    for _ in range(steps):
        _, content = world.sample_content(batch)
        views = torch.from_numpy(np.concatenate([world.augment(content), world.augment(content)]))
        loss_diff = max(loss_diff, abs(reference.step(views) - simulation._train_step()))
    ours = simulation.student.arrays + simulation.teacher.arrays + [simulation.center]
    theirs = []
    for net in (reference.student, reference.teacher):
        for parameter in net.arrays():
            value = parameter.detach()
            is_linear_weight = value.ndim == 2 and parameter is not net.prototypes
            theirs.append((value.T if is_linear_weight else value).numpy())
    theirs.append(reference.center.numpy())
    weight_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs))
    return {"steps": steps, "max_loss_diff": loss_diff, "max_weight_diff": weight_diff}
