"""BYOL and its collapse guards: EMA teacher, stop-gradient, predictor.

The student (online network) is encoder -> projector -> predictor; the teacher (target network) is
encoder -> projector. The loss is BYOL's ``2 - 2 cos(q(z1), z2')``, symmetrised over the two views.
Each guard can be switched off while training runs:

- EMA off: the teacher *is* the student (SimSiam when the stop-gradient is on).
- Stop-gradient off: the loss gradient also flows through the teacher branch. With EMA on the
  teacher's own weights take gradient steps as well; with EMA off both branches train the student.
- Predictor off: the student's projection is compared with the teacher's directly.

Nothing here looks at which guards are on except to decide which gradients to compute: collapse,
when it comes, comes from the gradients.
"""
from __future__ import annotations

import numpy as np

from engine.data import ToyWorld, ToyWorldConfig
from engine.losses import cosine_loss
from engine.metrics import (
    effective_rank,
    knn_accuracy,
    projection_2d,
    singular_values,
    std_normalized,
)
from engine.mlp import copy_params, init_mlp, mlp_backward, mlp_forward
from engine.optim import SGD, ema_update
from engine.params import ParamSpec
from engine.simulation import Simulation, all_finite
from engine.verdicts import BYOL_RULES, byol_verdict, spread

BYOL_PARAMS = (
    ParamSpec("ema", bool, True, "EMA teacher",
              "The teacher is a slow moving average of the student. Off: the teacher is the "
              "student itself (SimSiam, when the stop-gradient is on)."),
    ParamSpec("stop_gradient", bool, True, "Stop-gradient",
              "The teacher's output is a fixed target. Off: the gradient also flows through the "
              "teacher branch, so the loss can be lowered by moving the target, and a constant "
              "output makes it zero.", flag="stop_grad"),
    ParamSpec("predictor", bool, True, "Predictor",
              "An extra MLP on the student side only. Off: the student's projection is compared "
              "with the teacher's directly."),
    ParamSpec("ema_momentum", float, 0.99, "EMA momentum",
              "Teacher <- momentum x teacher + (1 - momentum) x student, after every step.",
              0.9, 0.9999, log_scale=False),
    ParamSpec("predictor_lr_multiplier", float, 10.0, "Predictor LR x",
              "The predictor learns this many times faster than the rest (BYOL App. I: without "
              "EMA a fast predictor is what keeps BYOL alive).", 1.0, 20.0),
    ParamSpec("learning_rate", float, 0.05, "Learning rate",
              "SGD step size (momentum 0.9).", 1e-4, 10.0, log_scale=True, flag="lr"),
    ParamSpec("weight_decay", float, 3e-3, "Weight decay",
              "L2 penalty on every weight; larger values widen the basin of collapse "
              "(DirectPred, Thm. 2).", 0.0, 0.1),
    ParamSpec("batch_size", int, 128, "Batch size",
              "Samples per step, two augmented views each (takes effect on reset).",
              8, 1024, live=False),
    ParamSpec("seed", int, 0, "Seed",
              "Same seed, same initial networks and same data.", 0, 2**31 - 1, live=False),
)


class BYOLSimulation(Simulation):
    """BYOL on the toy world, with the three guards as live switches."""

    NAME = "byol"
    PARAMS = BYOL_PARAMS
    METRICS = ("loss", "std_normalized", "effective_rank", "knn_accuracy")
    DEFAULT_STEPS = 1500
    WORLD = ToyWorldConfig()
    HIDDEN = 64
    REPRESENTATION_DIM = 32
    PROJECTION_DIM = 16
    EVALUATION_SIZE = 512
    KNN_INTERVAL = 50  # kNN costs more than all other metrics together; refresh it less often
    VERDICT_RULES = BYOL_RULES

    def _build(self) -> None:
        seed = self.params["seed"]
        self.batch_size = self.params["batch_size"]  # fixed until the next reset
        self.world = ToyWorld(self.WORLD, seed)
        rng = np.random.default_rng([seed, 10])
        self.encoder = init_mlp([self.WORLD.input_dim, self.HIDDEN, self.REPRESENTATION_DIM], rng)
        self.projector = init_mlp([self.REPRESENTATION_DIM, self.HIDDEN, self.PROJECTION_DIM], rng)
        # A linear predictor without bias (as in DirectPred): it cannot output a constant on its
        # own, so a trivial solution has to collapse the projection it reads. Starts near identity.
        self.predictor_weights = np.eye(self.PROJECTION_DIM) + 0.1 * rng.standard_normal(
            (self.PROJECTION_DIM, self.PROJECTION_DIM)) / np.sqrt(self.PROJECTION_DIM)
        self.teacher_encoder = copy_params(self.encoder)
        self.teacher_projector = copy_params(self.projector)
        self.student_optimizer = SGD(self.encoder + self.projector)
        self.predictor_optimizer = SGD([self.predictor_weights])
        self.teacher_optimizer = SGD(self.teacher_encoder + self.teacher_projector)
        self.eval_inputs, self.eval_labels = self.world.evaluation_set(self.EVALUATION_SIZE, seed)

    @property
    def dim(self) -> int:
        return self.PROJECTION_DIM

    def _on_param_changed(self, name: str, old: object, new: object) -> None:
        if name == "ema" and new:
            # A teacher switched back on starts from the student as it is now.
            self.teacher_encoder = copy_params(self.encoder)
            self.teacher_projector = copy_params(self.projector)
            self.teacher_optimizer = SGD(self.teacher_encoder + self.teacher_projector)

    # -- one step -------------------------------------------------------------------------
    def _train_step(self) -> float:
        p = self.params
        _, content = self.world.sample_content(self.batch_size)
        views = (self.world.augment(content), self.world.augment(content))

        student = []
        for x in views:
            h, enc_cache = mlp_forward(self.encoder, x)
            z, proj_cache = mlp_forward(self.projector, h)
            q = z @ self.predictor_weights if p["predictor"] else z
            student.append((q, z, enc_cache, proj_cache))

        if p["ema"]:
            teacher_encoder, teacher_projector = self.teacher_encoder, self.teacher_projector
            teacher = []
            for x in views:
                h, enc_cache = mlp_forward(teacher_encoder, x)
                z, proj_cache = mlp_forward(teacher_projector, h)
                teacher.append((z, enc_cache, proj_cache))
        else:
            # The teacher is the student: same weights, same forward pass.
            teacher_encoder, teacher_projector = self.encoder, self.projector
            teacher = [(z, enc_cache, proj_cache) for _, z, enc_cache, proj_cache in student]

        # Symmetrised loss: view 1 predicts the teacher on view 2 and vice versa.
        loss_total = 0.0
        grad_student_q = []
        grad_teacher_z = []
        for i, j in ((0, 1), (1, 0)):
            loss, grad_q, grad_target = cosine_loss(student[i][0], teacher[j][0])
            loss_total += 0.5 * loss
            grad_student_q.append(0.5 * grad_q)
            grad_teacher_z.append((j, 0.5 * grad_target))

        encoder_grads = [np.zeros_like(w) for w in self.encoder]
        projector_grads = [np.zeros_like(w) for w in self.projector]
        predictor_grad = np.zeros_like(self.predictor_weights)
        for view, grad_q in enumerate(grad_student_q):
            _, z, enc_cache, proj_cache = student[view]
            if p["predictor"]:
                predictor_grad += z.T @ grad_q
                grad_z = grad_q @ self.predictor_weights.T
            else:
                grad_z = grad_q
            g_proj, grad_h = mlp_backward(self.projector, proj_cache, grad_z)
            g_enc, _ = mlp_backward(self.encoder, enc_cache, grad_h)
            _accumulate(projector_grads, g_proj)
            _accumulate(encoder_grads, g_enc)

        teacher_grads = None
        if not p["stop_gradient"]:
            teacher_enc_grads = [np.zeros_like(w) for w in teacher_encoder]
            teacher_proj_grads = [np.zeros_like(w) for w in teacher_projector]
            for view, grad_z in grad_teacher_z:
                _, enc_cache, proj_cache = teacher[view]
                g_proj, grad_h = mlp_backward(teacher_projector, proj_cache, grad_z)
                g_enc, _ = mlp_backward(teacher_encoder, enc_cache, grad_h)
                _accumulate(teacher_proj_grads, g_proj)
                _accumulate(teacher_enc_grads, g_enc)
            if p["ema"]:
                teacher_grads = teacher_enc_grads + teacher_proj_grads
            else:
                # Teacher and student are the same weights: both branches train them.
                _accumulate(encoder_grads, teacher_enc_grads)
                _accumulate(projector_grads, teacher_proj_grads)

        lr, wd = p["learning_rate"], p["weight_decay"]
        self.student_optimizer.step(self.encoder + self.projector, encoder_grads + projector_grads, lr, wd)
        if p["predictor"]:
            self.predictor_optimizer.step(
                [self.predictor_weights], [predictor_grad], lr * p["predictor_lr_multiplier"], wd
            )
        if p["ema"]:
            teacher_params = self.teacher_encoder + self.teacher_projector
            if teacher_grads is not None:
                self.teacher_optimizer.step(teacher_params, teacher_grads, lr, wd)
            ema_update(teacher_params, self.encoder + self.projector, p["ema_momentum"])
        return loss_total

    def _weights_finite(self) -> bool:
        return all_finite(self.encoder + self.projector + [self.predictor_weights]
                          + self.teacher_encoder + self.teacher_projector)

    def _divergence_cause(self) -> str:
        """The likely cause in words; the predictor trains at learning rate x its multiplier."""
        p = self.params
        lr, wd, multiplier = p["learning_rate"], p["weight_decay"], p["predictor_lr_multiplier"]
        predictor_rate = lr * multiplier
        # SGD with heavy-ball momentum m on the weight decay alone grows without bound once
        # rate x decay > 2 (1 + m): each step overshoots zero by more than it started from.
        limit = 2.0 * (1.0 + self.predictor_optimizer.momentum)
        if p["predictor"] and predictor_rate * wd > limit:
            return (f"the predictor's weights became infinite or NaN at step {self.step_count}. Likely "
                    f"cause: the predictor's effective learning rate, learning rate x predictor LR "
                    f"multiplier = {lr:g} x {multiplier:g} = {predictor_rate:g}, is too high for weight "
                    f"decay {wd:g} (SGD with momentum is unstable once rate x decay > {limit:g}; here "
                    f"{predictor_rate * wd:g}). Lower the learning rate, the multiplier or the weight decay")
        cause = (f"the loss or the weights became infinite or NaN at step {self.step_count}; the "
                 f"learning rate ({lr:g}) is the likely cause")
        if p["predictor"] and multiplier > 1:
            cause += f" (the predictor's effective rate is {lr:g} x {multiplier:g} = {predictor_rate:g})"
        return cause

    # -- metrics --------------------------------------------------------------------------
    def embed(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The student's representation (encoder output) and projection for ``inputs``."""
        h, _ = mlp_forward(self.encoder, inputs)
        z, _ = mlp_forward(self.projector, h)
        return h, z

    def _evaluate(self, loss: float) -> dict[str, float]:
        representation, projection = self.embed(self.eval_inputs)
        self._eval_projection = projection
        per_dimension_std = std_normalized(projection)
        if self.step_count % self.KNN_INTERVAL == 0 or self.step_count == 0:
            self._knn = (self.step_count, knn_accuracy(representation, self.eval_labels))
        return {
            "loss": float(loss),
            "std_normalized": per_dimension_std,
            "spread": spread(per_dimension_std, self.dim),  # the one unit the app and the CLI show
            "effective_rank": effective_rank(projection),
            "knn_accuracy": self._knn[1],
            "dim": self.dim,
        }

    def raw_verdict(self, metrics: dict) -> str:
        return byol_verdict(metrics["std_normalized"], self.dim, metrics["effective_rank"])

    def refresh_latest(self) -> None:
        """Bring the kNN accuracy of the latest metrics up to the current step."""
        if self._knn[0] != self.step_count and not self.diverged:
            representation, _ = self.embed(self.eval_inputs)
            self._knn = (self.step_count, knn_accuracy(representation, self.eval_labels))
            self.latest["knn_accuracy"] = self._knn[1]

    def _branch_spreads(self, projection: np.ndarray) -> dict[str, float]:
        """The spread of each branch's output on the evaluation set, for the live diagram: the
        student's prediction q and the teacher's projection z' (the two sides of the loss)."""
        # After a divergence the weights hold the last finite state but may overflow here: NaN then.
        with np.errstate(all="ignore"):
            prediction = projection @ self.predictor_weights if self.params["predictor"] else projection
            if self.params["ema"]:
                hidden, _ = mlp_forward(self.teacher_encoder, self.eval_inputs)
                teacher, _ = mlp_forward(self.teacher_projector, hidden)
            else:
                teacher = projection  # the teacher is the student
            return {"prediction_std_normalized": float(std_normalized(prediction)),
                    "teacher_std_normalized": float(std_normalized(teacher))}

    def snapshot(self) -> dict:
        """Fresh arrays for the panels: they never see the live training state."""
        projection = self._eval_projection
        return {
            "simulation": self.NAME,
            "step": self.step_count,
            "params": dict(self.params),
            "dim": self.dim,
            "latest": dict(self.latest),
            "verdict": self.verdict,
            "history": {"step": self.history.steps(),
                        **{name: self.history.column(name) for name in self.METRICS}},
            "singular_values": singular_values(projection),
            "embedding_2d": projection_2d(projection),
            **self._branch_spreads(projection),
            "labels": self.eval_labels.copy(),
            "diverged_at_step": self.diverged_at_step,
            "divergence_reason": self.divergence_reason,
        }


SLOW_PREDICTOR = 2.0  # a predictor multiplier below this is "at the base learning rate"


def describe_guards(params: dict) -> str:
    """The guard settings in words, and what the papers say they lead to."""
    on = lambda flag: "on" if params[flag] else "OFF"  # noqa: E731
    settings = (f"EMA teacher {on('ema')} · stop-gradient {on('stop_gradient')} · "
                f"predictor {on('predictor')}")
    if not params["stop_gradient"]:
        consequence = ("no stop-gradient: the loss can reach zero by giving every input the same "
                       "output (SimSiam Fig. 2, BYOL Table 19)")
    elif not params["predictor"]:
        consequence = ("no predictor: student and teacher are compared directly; collapse is the "
                       "easy way down (BYOL Table 5b, SimSiam Table 1)")
    elif not params["ema"] and params["predictor_lr_multiplier"] < SLOW_PREDICTOR:
        speed = params["predictor_lr_multiplier"]
        # The papers disagree here; the toy's rate is `distill-lab reproduce` on seeds 1000-1011.
        consequence = (f"predictor {speed:g}x: BYOL App. I says collapse, SimSiam Table 1 healthy; "
                       "toy at 1x: 1 of 12 held-out seeds collapse, 5 partly, 6 healthy")
    elif not params["ema"]:
        speed = params["predictor_lr_multiplier"]
        consequence = (f"SimSiam: the teacher is the student; the predictor learns {speed:g}x as fast. "
                       "A fast predictor keeps it alive, a slow one may not (BYOL App. I)")
    else:
        consequence = ("BYOL: the student predicts a slow-moving teacher; nothing rewards a "
                       "constant output (BYOL Table 5)")
    return f"{settings}  →  {consequence}"


def _accumulate(total: list[np.ndarray], extra: list[np.ndarray]) -> None:
    for t, e in zip(total, extra):
        t += e
