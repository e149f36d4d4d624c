"""The BYOL guard grid: all 8 combinations of EMA / stop-gradient / predictor, trained side by side.

Every member starts from the same weights (the same seed) and sees the same two views at every
step, exactly as eight separate ``BYOLSimulation`` runs with that seed would. The eight runs are
*batched*: each weight matrix is stored as a stack of shape ``(8, fan_in, fan_out)`` and every
forward and backward pass is one ``np.matmul`` over the stack (activations are
``(member, 2 x batch, features)``, the two views as rows), so Python and numpy call overheads are
paid once for all eight runs instead of eight times. Each member follows
``BYOLSimulation._train_step`` for its guard setting operation for operation (same products on the
same rows, gradients summed over the views in the same order); the loss is
``engine.losses.cosine_loss`` itself, over the stacked arrays.

The grid trains in float32; single pages (``BYOLSimulation``) train in float64. ``dtype`` is an
explicit option: ``BYOLGrid(dtype=np.float64)`` reproduces each ``BYOLSimulation`` with the same
guards and seed bit for bit (tests/engine/test_byol_grid.py checks it to 1e-10). In float32 every array
of a training step is float32 (weights, gradients, velocities, activations, losses; the views are
drawn in float64, as a single run draws them, then cast), so the members follow the float64 runs
only approximately; their verdicts were checked to equal float64's (docs/performance.md section
4; a phenomena test checks seed 0). The collapse metrics behind the verdict (spread, effective
rank, singular values) are computed in float64 from the float32 projections, with
``BYOLSimulation``'s code; the kNN accuracy in the grid's dtype. A float32 member overflows to
infinity sooner (beyond 3.4e38) than a float64 run would; it then stops alone as any diverged
member does, and its reason says float32.

Why float32: batching cannot cut the floating-point work (the grid does every product the 8 runs
do), and at the default batch of 128 the matrix products dominate; float32 products and
elementwise passes move half the bytes. The measured costs are in docs/performance.md section 4
(benchmarks/bench_byol_grid.py --dtype both). Members with EMA off run no teacher forward pass at
all (the teacher stack holds the EMA members only).

How the guards map onto the stacks:

- Predictor off: the member's predictor is the identity and is never updated, so ``q = z @ I = z``
  and ``dL/dz = dL/dq @ I = dL/dq``, exactly.
- EMA on: the member has its own teacher in the teacher stack (EMA members only). EMA off: the
  teacher *is* the student; its targets are the student's own projections.
- Stop-gradient off: the loss gradient with respect to the targets is back-propagated through the
  teacher branch: into the teacher's own weights (EMA on, then an SGD step before the EMA) or, with
  EMA off, through the student a second time and added to its gradient (byol.py's docstring).

Each member's outcome is shown beside what the papers found (``engine.published``); a member
whose toy verdict differs from the paper is reported with ``agrees = False``, never hidden.
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import asdict

import numpy as np

from engine.byol import BYOL_PARAMS, BYOLSimulation, byol_verdict
from engine.history import BoundedHistory
from engine.losses import cosine_loss, l2_normalize
from engine.metrics import effective_rank, singular_values, std_normalized
from engine.params import ParameterError, spec_table, validate_params
from engine.verdicts import BYOL_RULES, EARLY, UNTRAINED
from engine.published import (
    GUARD_NAMES,
    PUBLISHED_OUTCOMES,
    PublishedOutcome,
    agrees_with_paper,
)

GUARDS = ("ema", "stop_gradient", "predictor")
# Members in a fixed order: all guards first, no guard last (EMA members first, so the EMA
# members, the predictor members, etc. are slices of the stacks).
GUARD_COMBINATIONS: tuple[tuple[bool, bool, bool], ...] = tuple(
    itertools.product((True, False), repeat=3))
# The grid's own parameters: BYOL's, without the guards (each member fixes its own).
GRID_PARAMS = tuple(spec for spec in BYOL_PARAMS if spec.name not in GUARDS)

# -- batched building blocks ----------------------------------------------------------------
def _slice_of(indices: list[int]) -> slice:
    """The indices as a slice, so that stack[slice] is a view that in-place updates can write."""
    if not indices:
        return slice(0, 0)
    if len(indices) == 1:
        return slice(indices[0], indices[0] + 1)
    step = indices[1] - indices[0]
    if step <= 0 or any(b - a != step for a, b in zip(indices, indices[1:])):
        raise ValueError(f"members {indices} are not evenly spaced")
    return slice(indices[0], indices[-1] + 1, step)


class _FlatStack:
    """Parameter lists of several networks in one (members, n) array, with per-layer views.

    The views have the shapes ``(members, fan_in, fan_out)`` and ``(members, fan_out)``; an
    optimiser or EMA step on the flat array updates every layer of every member in one operation.
    """

    def __init__(self, shapes: list[tuple[int, ...]], members: int, per_view: bool = False,
                 dtype: type = np.float64):
        sizes = [int(np.prod(shape)) for shape in shapes]
        # per_view: (members, 2, n), a gradient for each view (views (members, 2, fan_in, ...)).
        self.flat = np.zeros((members,) + ((2,) if per_view else ()) + (sum(sizes),), dtype=dtype)
        self.views = self.views_of(self.flat, shapes)
        self.shapes = shapes

    @staticmethod
    def views_of(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
        views, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            view = flat[..., start:start + size].reshape(flat.shape[:-1] + shape)
            assert np.shares_memory(view, flat)  # a view, never a copy
            views.append(view)
            start += size
        return views


def _forward(params: list[np.ndarray], x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """``mlp_forward`` for a stack of networks.

    ``x`` is (rows, in), shared by every member, or (members, rows, in); the output is
    (members, rows, out). The two views are stacked as rows [view 1; view 2]: one matrix product
    per member and layer for both (each row is computed exactly as in a per-view product).
    """
    cache = [x]
    h = x
    num_layers = len(params) // 2
    for layer in range(num_layers):
        h = h @ params[2 * layer]
        h += params[2 * layer + 1][:, None, :]
        if layer < num_layers - 1:
            np.maximum(h, 0.0, out=h)
            cache.append(h)
    return h, cache


def _by_view(a: np.ndarray) -> np.ndarray:
    """(..., 2 x batch, d) as (..., 2, batch, d): rows [view 1; view 2] split by view (a view)."""
    return a.reshape(a.shape[:-2] + (2, a.shape[-2] // 2, a.shape[-1]))


def _backward(params: list[np.ndarray], cache: list[np.ndarray], grad_output: np.ndarray,
              view_grads: list[np.ndarray], input_grad: bool = True) -> np.ndarray | None:
    """``mlp_backward`` for a stack of networks, one weight gradient per view.

    The weight gradients of view 1 and view 2 are written into ``view_grads`` (views of a
    per-view ``_FlatStack``, shapes (members, 2, ...)); the caller adds the two views for every
    layer at once (view 1 + view 2, as BYOLSimulation accumulates them). Returns dLoss/dinput, or
    None without ``input_grad`` (the encoder's input gradient, which nobody needs).
    """
    num_layers = len(params) // 2
    g = grad_output
    for layer in reversed(range(num_layers)):
        layer_input = cache[layer]
        g_by_view = _by_view(g)
        np.matmul(_by_view(layer_input).swapaxes(-1, -2), g_by_view, out=view_grads[2 * layer])
        np.add.reduce(g_by_view, axis=2, out=view_grads[2 * layer + 1])
        if layer == 0 and not input_grad:
            return None
        g = g @ params[2 * layer].swapaxes(-1, -2)
        if layer > 0:
            # ReLU passes gradient only where its output was positive.
            g *= layer_input > 0.0
    return g


def knn_accuracy_fast(features: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """``engine.metrics.knn_accuracy``, with the same result, at about half the cost.

    The k nearest neighbours are found with a value partition and a threshold instead of an
    index partition (``np.argpartition`` dominates knn_accuracy's cost). Where the k-th and
    (k+1)-th similarities of a row tie, its neighbour set is not unique, and the row falls back to
    ``np.argpartition`` exactly as knn_accuracy does, so ties (common in collapsed
    representations) are broken the same way.
    """
    normalized = l2_normalize(features)
    similarity = normalized @ normalized.T
    np.fill_diagonal(similarity, -np.inf)
    negated = np.negative(similarity, out=similarity)
    num_classes = int(labels.max()) + 1
    smallest = np.partition(negated, k, axis=1)  # the k smallest first, then the (k+1)-th
    kth = smallest[:, :k].max(axis=1, keepdims=True)
    one_hot = (labels[:, None] == np.arange(num_classes)).astype(np.float32)
    # Votes per (sample, class): small whole numbers, exact in float32.
    counts = (negated <= kth).astype(np.float32) @ one_hot
    for row in np.nonzero(~(kth[:, 0] < smallest[:, k]))[0]:
        neighbours = np.argpartition(negated[row], k)[:k]
        counts[row] = np.bincount(labels[neighbours], minlength=num_classes)
    # Ties go to the smallest label, as in knn_accuracy.
    return float(np.mean(np.argmax(counts, axis=1) == labels))


# -- the grid ---------------------------------------------------------------------------------
class BYOLGrid:
    """Eight BYOL runs, one per guard combination, trained side by side as one batched run.

    The interface mirrors ``Simulation``: ``step``, ``run``, ``reset``, ``set_param``,
    ``snapshot``, ``summary``. Per member: ``latest[k]`` (the same METRICS as BYOLSimulation, on
    the same fixed evaluation set), ``history[k]`` (a BoundedHistory), ``diverged_at_step[k]``,
    ``verdict(k)``, ``published(k)`` and ``agrees(k)``.

    ``dtype`` (float32 by default, or float64) is the dtype the networks train in; with float64
    every member is bit-for-bit a ``BYOLSimulation`` (see the module docstring).
    """

    NAME = "byol_grid"
    PARAMS = GRID_PARAMS
    METRICS = BYOLSimulation.METRICS
    EVAL_INTERVAL = BYOLSimulation.EVAL_INTERVAL
    KNN_INTERVAL = BYOLSimulation.KNN_INTERVAL
    DEFAULT_STEPS = BYOLSimulation.DEFAULT_STEPS
    COMBINATIONS = GUARD_COMBINATIONS
    HISTORY_POINTS = 1024  # per member (BoundedHistory's max_points)

    def __init__(self, *, dtype: type = np.float32, **params: object):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ParameterError(f"dtype must be float32 or float64, not {self.dtype}")
        self.params = validate_params(self.PARAMS, params)
        self._specs = spec_table(self.PARAMS)
        self.num_members = len(self.COMBINATIONS)
        members = range(self.num_members)
        ema = [k for k in members if self.COMBINATIONS[k][0]]
        self._ema = _slice_of(ema)
        self._no_ema = _slice_of([k for k in members if not self.COMBINATIONS[k][0]])
        self._predictor = _slice_of([k for k in members if self.COMBINATIONS[k][2]])
        no_stop_gradient = [k for k in members if not self.COMBINATIONS[k][1]]
        # Members without stop-gradient, by how their teacher branch is trained.
        self._teacher_trained = _slice_of([ema.index(k) for k in no_stop_gradient if k in ema])
        self._ema_trained_members = _slice_of([k for k in no_stop_gradient if k in ema])
        self._student_twice = _slice_of([k for k in no_stop_gradient if k not in ema])
        self.reset()

    # -- parameters -----------------------------------------------------------------------
    def set_param(self, name: str, value: object) -> None:
        """Validate and apply one shared parameter; live ones act from the next step."""
        if name not in self._specs:
            raise ParameterError(f"unknown parameter {name!r} for {self.NAME}")
        self.params[name] = self._specs[name].validate(value)

    def member_params(self, member: int) -> dict:
        """The full BYOLSimulation parameters member ``member`` runs with."""
        ema, stop_gradient, predictor = self.COMBINATIONS[member]
        guards = {"ema": ema, "stop_gradient": stop_gradient, "predictor": predictor}
        return {spec.name: (guards[spec.name] if spec.name in guards else self.params[spec.name])
                for spec in BYOL_PARAMS}

    # -- life cycle -----------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Fresh networks and data from the seed, for every member."""
        if seed is not None:
            self.params["seed"] = self._specs["seed"].validate(seed)
        self.step_count = 0
        # The papers report trained networks: the live page compares with them from the length of a
        # default run; a headless run() is judged at its end (the whole training asked for).
        self.judge_from_step = self.DEFAULT_STEPS
        m = self.num_members
        self.diverged_at_step: list[int | None] = [None] * m
        self.divergence_reasons = [""] * m
        self._loss_sum = np.zeros(m)
        self._loss_count = np.zeros(m, dtype=int)
        self.history = [BoundedHistory(self.METRICS, self.HISTORY_POINTS) for _ in range(m)]
        self._build()
        self._knn_step = -1
        self._knn = np.full(m, np.nan)
        # As Simulation.reset: the step-0 metrics (loss NaN: nothing trained yet) are recorded.
        with np.errstate(all="ignore"):
            self.latest = self._evaluate(np.full(m, np.nan), list(range(m)))
        for k in range(m):
            self.history[k].record(0, self.latest[k])

    def _build(self) -> None:
        # BYOLSimulation builds the world, the initial weights and the evaluation set, so every
        # member starts exactly where a BYOLSimulation with this seed starts.
        template = BYOLSimulation(**self.member_params(0))
        self.batch_size = template.batch_size  # fixed until the next reset, as in BYOLSimulation
        self.world = template.world
        self.eval_inputs, self.eval_labels = template.eval_inputs, template.eval_labels
        self.dim = template.dim
        m, e = self.num_members, len(range(self.num_members)[self._ema])
        network = template.encoder + template.projector
        self._encoder_layers = len(template.encoder)
        shapes = [w.shape for w in network]
        dtype = self.dtype
        self.student = _FlatStack(shapes, m, dtype=dtype)
        for view, w in zip(self.student.views, network):
            view[...] = w
        self.teacher = _FlatStack(shapes, e, dtype=dtype)  # EMA members only
        self.teacher.flat[...] = self.student.flat[self._ema]
        self.predictor = _FlatStack([template.predictor_weights.shape], m, dtype=dtype)
        self.predictor.views[0][...] = np.eye(template.PROJECTION_DIM)  # q = z without predictor
        self.predictor.views[0][self._predictor] = template.predictor_weights
        # Gradients and SGD velocities (engine.optim.SGD's) in the same flat layout.
        self._momentum = template.student_optimizer.momentum
        self._student_grad = np.zeros_like(self.student.flat)
        self._student_view_grads = _FlatStack(shapes, m, per_view=True, dtype=dtype)
        self._student_velocity = np.zeros_like(self.student.flat)
        self._predictor_grad = np.zeros_like(self.predictor.flat)
        self._predictor_velocity = np.zeros_like(self.predictor.flat[self._predictor])
        self._teacher_grad = np.zeros_like(self.teacher.flat)
        self._teacher_view_grads = _FlatStack(shapes, e, per_view=True, dtype=dtype)
        self._teacher_velocity = np.zeros_like(self.teacher.flat[self._teacher_trained])
        self._sgd_scratch = np.zeros_like(self.student.flat)  # SGD's temporaries, reused

    # -- stepping -------------------------------------------------------------------------
    @property
    def active(self) -> np.ndarray:
        """Members still training (not diverged)."""
        return np.array([step is None for step in self.diverged_at_step])

    @property
    def _overflow_note(self) -> str:
        if self.dtype == np.float64:
            return ""
        return (f" (the grid trains in {self.dtype.name}, which overflows to infinity beyond "
                f"{float(np.finfo(self.dtype).max):.1e}; a single run, in float64, goes further)")

    @property
    def diverged(self) -> bool:
        """True when every member has diverged (the engine thread stops then)."""
        return not self.active.any()

    @property
    def divergence_reason(self) -> str:
        return "; ".join(f"{GUARD_NAMES[self.COMBINATIONS[k]]}: {reason}"
                         for k, reason in enumerate(self.divergence_reasons) if reason)

    def step(self, count: int = 1) -> None:
        """Run up to ``count`` steps of every member; a member that diverges stops there, the
        others go on."""
        for _ in range(count):
            active = self.active
            if not active.any():
                return
            with np.errstate(all="ignore"):
                losses = self._train_step()
            self.step_count += 1
            finite = np.isfinite(losses) & self._weights_finite()
            for k in np.nonzero(active & ~finite)[0]:
                self.diverged_at_step[k] = self.step_count
                self.divergence_reasons[k] = (
                    f"the loss or the weights became infinite or NaN at step {self.step_count}; "
                    f"the learning rate ({self.params['learning_rate']:g}) is the likely cause"
                    + self._overflow_note)
            training = active & finite
            self._loss_sum[training] += losses[training]
            self._loss_count[training] += 1
            if self.step_count % self.EVAL_INTERVAL == 0:
                self._record()

    def _train_step(self) -> np.ndarray:
        """One step of every member (BYOLSimulation._train_step, batched); the members' losses."""
        p = self.params
        _, content = self.world.sample_content(self.batch_size)
        # Sampled in float64 (the same draws as BYOLSimulation's), then cast to the grid's dtype.
        views = np.concatenate([self.world.augment(content), self.world.augment(content)])
        views = views.astype(self.dtype, copy=False)

        student = self.student.views
        # Both views as rows [view 1; view 2] of one (2 x batch, in) input shared by every member.
        z, student_cache = self._network_forward(student, views)  # (members, 2 x batch, dim)
        predictor = self.predictor.views[0]
        q = z @ predictor
        teacher_z, teacher_cache = self._network_forward(self.teacher.views, views)
        # Symmetrised: view 1 predicts the teacher on view 2 and vice versa. The targets are
        # copied with the teacher's views swapped, so the loss reads contiguous arrays.
        targets = np.empty_like(_by_view(z))
        targets[self._ema] = _by_view(teacher_z)[:, ::-1]
        targets[self._no_ema] = _by_view(z[self._no_ema])[:, ::-1]  # the teacher is the student
        loss, grad_q, grad_target = cosine_loss(_by_view(q), targets)
        losses = 0.5 * loss[:, 0] + 0.5 * loss[:, 1]
        grad_q *= 0.5
        grad_q = grad_q.reshape(z.shape)
        grad_target *= 0.5
        grad_target = grad_target[:, ::-1].reshape(z.shape)  # rows by teacher view

        per_view = _by_view(z).swapaxes(-1, -2) @ _by_view(grad_q)
        np.add(per_view[:, 0], per_view[:, 1],
               out=self._predictor_grad.reshape(predictor.shape))
        grad_z = grad_q @ predictor.swapaxes(-1, -2)
        # Each backward pass writes the per-view gradients of every layer; one add over the flat
        # stacks then sums the two views of all layers (what BYOLSimulation does layer by layer).
        view_grads = self._student_view_grads
        self._backward_network(student, student_cache, grad_z, view_grads.views)
        np.add(view_grads.flat[:, 0], view_grads.flat[:, 1], out=self._student_grad)

        if self._ema_trained_members != slice(0, 0):
            # EMA on, stop-gradient off: the teacher's own weights get the target gradient.
            sl = self._teacher_trained
            cache = [c[sl] if c.ndim == 3 else c for c in teacher_cache]
            teacher_view_grads = self._teacher_view_grads
            self._backward_network([w[sl] for w in self.teacher.views], cache,
                                   grad_target[self._ema_trained_members],
                                   [g[sl] for g in teacher_view_grads.views])
            np.add(teacher_view_grads.flat[sl, 0], teacher_view_grads.flat[sl, 1],
                   out=self._teacher_grad[sl])
        if self._student_twice != slice(0, 0):
            # EMA off, stop-gradient off: the teacher is the student, so the student gets both.
            sl = self._student_twice
            cache = [c[sl] if c.ndim == 3 else c for c in student_cache]
            self._backward_network([w[sl] for w in student], cache, grad_target[sl],
                                   [g[sl] for g in view_grads.views])
            self._student_grad[sl] += view_grads.flat[sl, 0] + view_grads.flat[sl, 1]

        lr, wd = p["learning_rate"], p["weight_decay"]
        scratch = self._sgd_scratch
        _sgd(self.student.flat, self._student_grad, self._student_velocity, lr, wd,
             self._momentum, scratch)
        sl = self._predictor
        _sgd(self.predictor.flat[sl], self._predictor_grad[sl], self._predictor_velocity,
             lr * p["predictor_lr_multiplier"], wd, self._momentum, scratch)
        sl = self._teacher_trained
        if sl != slice(0, 0):
            _sgd(self.teacher.flat[sl], self._teacher_grad[sl], self._teacher_velocity,
                 lr, wd, self._momentum, scratch)
        # engine.optim.ema_update, on every EMA member's whole network at once.
        momentum = p["ema_momentum"]
        self.teacher.flat *= momentum
        student_part = np.multiply(self.student.flat[self._ema], 1.0 - momentum,
                                   out=scratch[:self.teacher.flat.shape[0]])
        self.teacher.flat += student_part
        return losses

    def _network_forward(self, params, x):
        """Encoder then projector (no ReLU between them); the projection and both caches."""
        split = self._encoder_layers
        h, encoder_cache = _forward(params[:split], x)
        z, projector_cache = _forward(params[split:], h)
        return z, encoder_cache + projector_cache

    def _backward_network(self, params, cache, grad_z, view_grads):
        """Back-propagate dLoss/dz through projector then encoder of the given stack, writing
        each view's weight gradients into ``view_grads``."""
        split = self._encoder_layers
        grad_h = _backward(params[split:], cache[split // 2:], grad_z, view_grads[split:])
        _backward(params[:split], cache[:split // 2], grad_h, view_grads[:split],
                  input_grad=False)

    def _weights_finite(self) -> np.ndarray:
        finite = (np.isfinite(self.student.flat).all(axis=1)
                  & np.isfinite(self.predictor.flat).all(axis=1))
        finite[self._ema] &= np.isfinite(self.teacher.flat).all(axis=1)
        return finite

    # -- metrics --------------------------------------------------------------------------
    def embed(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every member's representation and projection of ``inputs``: (members, n, dim), in the
        grid's dtype (``inputs`` are cast to it)."""
        split = self._encoder_layers
        h, _ = _forward(self.student.views[:split], inputs.astype(self.dtype, copy=False))
        z, _ = _forward(self.student.views[split:], h)
        return h, z

    def _record(self) -> None:
        active = np.nonzero(self.active)[0]
        mean_loss = self._loss_sum / np.maximum(self._loss_count, 1)
        self._loss_sum[:] = 0.0
        self._loss_count[:] = 0
        self._record_members(mean_loss, active)

    def _record_members(self, mean_loss: np.ndarray, members) -> None:
        members = list(members)
        if not members:
            return
        with np.errstate(all="ignore"):
            metrics = self._evaluate(mean_loss, members)
        for k, values in zip(members, metrics):
            if all(math.isfinite(v) for v in values.values() if isinstance(v, float)):
                self.latest[k] = values
                self.history[k].record(self.step_count, values)

    def _evaluate(self, mean_loss: np.ndarray, members: list[int]) -> list[dict]:
        # The networks run in the grid's dtype. The collapse metrics (spread, rank, singular
        # values: the verdict) are computed in float64 from the projections, with
        # BYOLSimulation's code; the kNN accuracy in the grid's dtype (float32 halves its cost,
        # and votes between neighbours whose similarities differ by less than float32 resolves
        # are the only difference).
        representation, projection = self.embed(self.eval_inputs)
        projection = projection.astype(np.float64, copy=False)
        self._eval_projection = projection
        self._singular_values = None  # computed when a snapshot asks for them
        if self.step_count % self.KNN_INTERVAL == 0 or self.step_count == 0:
            self._refresh_knn(representation, members)
        return [{
            "loss": float(mean_loss[k]),
            "std_normalized": std_normalized(projection[k]),
            "effective_rank": effective_rank(projection[k]),
            "knn_accuracy": float(self._knn[k]),
            "dim": self.dim,
        } for k in members]

    def _refresh_knn(self, representation: np.ndarray, members: list[int]) -> None:
        self._knn_step = self.step_count
        if members:
            for k in members:
                self._knn[k] = knn_accuracy_fast(representation[k], self.eval_labels)

    def run(self, steps: int) -> float:
        """Train every member ``steps`` steps headless; returns the wall time in seconds."""
        start = time.perf_counter()
        self.step(steps)
        if self.step_count % self.EVAL_INTERVAL:
            self._record()
        self.refresh_latest()
        self.judge_from_step = min(self.judge_from_step, self.step_count)
        return time.perf_counter() - start

    def refresh_latest(self) -> None:
        """Bring the kNN accuracy of the latest metrics up to the current step."""
        if self._knn_step == self.step_count:
            return
        members = [int(k) for k in np.nonzero(self.active)[0]]
        if not members:
            return
        representation, _ = self.embed(self.eval_inputs)
        self._refresh_knn(representation, members)
        for k in members:
            self.latest[k]["knn_accuracy"] = float(self._knn[k])

    # -- outcomes -------------------------------------------------------------------------
    @property
    def judged(self) -> bool:
        """Trained long enough to be compared with the papers (never at step 0)."""
        return self.step_count >= max(self.judge_from_step, 1)

    def verdict(self, member: int) -> str:
        """byol_verdict from the member's latest metrics; untrained at step 0."""
        if self.step_count == 0:
            return UNTRAINED
        latest = self.latest[member]
        raw = byol_verdict(latest["std_normalized"], self.dim, latest["effective_rank"])
        if not self.judged:  # while training live: the single page's words for young runs
            if raw == "healthy" and self.step_count < BYOL_RULES.healthy_after:
                return EARLY
            if self.step_count < BYOL_RULES.transient_steps:
                return BYOL_RULES.transients.get(raw, raw)
        return raw

    def published(self, member: int) -> PublishedOutcome:
        return PUBLISHED_OUTCOMES[self.COMBINATIONS[member]]

    def agrees(self, member: int) -> bool | None:
        """Does the member's verdict match the paper? None where no paper ran the combination, or
        before the runs have trained (``judged``)."""
        if not self.judged:
            return None
        return agrees_with_paper(self.verdict(member), self.published(member))

    def outcome_rows(self) -> list[dict]:
        """One row a member for the table: guards, final metrics, verdict, paper, agreement."""
        rows = []
        for k, combination in enumerate(self.COMBINATIONS):
            latest = self.latest[k]
            rows.append({
                "member": k,
                "name": GUARD_NAMES[combination],
                **dict(zip(GUARDS, combination)),
                "spread": latest["std_normalized"] * math.sqrt(self.dim),
                "std_normalized": latest["std_normalized"],
                "effective_rank": latest["effective_rank"],
                "knn_accuracy": latest["knn_accuracy"],
                "verdict": self.verdict(k),
                "published": asdict(self.published(k)),
                "agrees": self.agrees(k),
                "judged": self.judged,
                "judge_from_step": self.judge_from_step,
                "diverged_at_step": self.diverged_at_step[k],
            })
        return rows

    # -- for tests and panels -------------------------------------------------------------
    def member_weights(self, member: int) -> dict[str, list[np.ndarray] | np.ndarray | None]:
        """Copies of one member's weights, laid out as BYOLSimulation's attributes."""
        split = self._encoder_layers
        weights = [w[member].copy() for w in self.student.views]
        teacher = None
        if self.COMBINATIONS[member][0]:
            position = range(self.num_members)[self._ema].index(member)
            teacher = [w[position].copy() for w in self.teacher.views]
        return {
            "encoder": weights[:split],
            "projector": weights[split:],
            "predictor_weights": (self.predictor.views[0][member].copy()
                                  if self.COMBINATIONS[member][2] else None),
            "teacher_encoder": teacher[:split] if teacher else None,
            "teacher_projector": teacher[split:] if teacher else None,
        }

    def snapshot(self) -> dict:
        """Fresh arrays for the panels: they never see the live training state."""
        members = []
        for k, row in enumerate(self.outcome_rows()):
            history = self.history[k]
            members.append({
                **row,
                "latest": dict(self.latest[k]),
                "history": {"step": history.steps(),
                            **{name: history.column(name) for name in self.METRICS}},
                "divergence_reason": self.divergence_reasons[k],
            })
        return {
            "simulation": self.NAME,
            "step": self.step_count,
            "params": dict(self.params),
            "dim": self.dim,
            "members": members,
            # Of each member's projection of the evaluation set (dimensional collapse).
            "singular_values": self._projection_singular_values().copy(),
            "diverged_at_step": None,
            "divergence_reason": self.divergence_reason,
        }

    def _projection_singular_values(self) -> np.ndarray:
        if self._singular_values is None:
            with np.errstate(all="ignore"):
                self._singular_values = np.array([
                    singular_values(p) if np.isfinite(p).all() else np.full(self.dim, np.nan)
                    for p in self._eval_projection])
        return self._singular_values

    def summary(self, seconds: float) -> dict:
        """One record a run, like BYOLSimulation.summary, with the verdict and the paper's outcome.

        ``seconds`` is the wall time of the whole batched grid, which its runs share.
        """
        runs = []
        for k, row in enumerate(self.outcome_rows()):
            diverged = self.diverged_at_step[k] is not None
            runs.append({
                "simulation": BYOLSimulation.NAME,
                "name": row["name"],
                "config": self.member_params(k),
                "steps": self.diverged_at_step[k] if diverged else self.step_count,
                "seconds": round(seconds, 4),
                "diverged": diverged,
                "diverged_at_step": self.diverged_at_step[k],
                "final": dict(self.latest[k]),
                "verdict": row["verdict"],
                "published": row["published"],
                "agrees": row["agrees"],
                "history": self.history[k].as_dict(),
            })
        return {"simulation": self.NAME, "config": dict(self.params), "steps": self.step_count,
                "seconds": round(seconds, 4), "runs": runs}


def _sgd(params: np.ndarray, grads: np.ndarray, velocity: np.ndarray, learning_rate: float,
         weight_decay: float, momentum: float, scratch: np.ndarray) -> None:
    """engine.optim.SGD.step on flat stacks (``params`` a view of the live weights).

    ``scratch`` (at least as many rows as ``params``) holds the temporaries, so no step allocates;
    the operations and their order are SGD.step's (``wd * w + g`` is ``g + wd * w``: addition
    commutes exactly).
    """
    scratch = scratch[:params.shape[0], :params.shape[1]]
    if weight_decay:
        grads = np.add(grads, np.multiply(params, weight_decay, out=scratch), out=scratch)
    velocity *= momentum
    velocity += grads
    params -= np.multiply(velocity, learning_rate, out=scratch)
