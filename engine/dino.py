"""DINO: a student matches an EMA teacher's sharpened, centred distribution over K prototypes.

Student and teacher are the same network, backbone -> DINO head: an MLP to a small bottleneck,
l2-normalisation, and a weight-normalised last layer without bias whose K columns are the learned
prototypes (DINO's ``DINOHead`` with ``norm_last_layer=True``). Its outputs are cosines in [-1, 1].

    P_s = softmax(s / student_temperature)
    P_t = softmax((t - c) / teacher_temperature)      (no gradient flows into the teacher)
    loss = H(P_t(view a), P_s(view b)), over the two views with a != b (same-view pairs skipped)
    c <- center_momentum c + (1 - center_momentum) mean(teacher outputs)   (DINOLoss.update_center)
    teacher <- ema_momentum teacher + (1 - ema_momentum) student

Sharpening (a teacher temperature below the student's) alone drives every sample to one
prototype; centering alone drives the output to uniform; together they balance (DINO Fig. 7).
Nothing here looks at which regime it is in: the regimes come from the gradients, the EMA and the
centre.
"""
from __future__ import annotations

import math

import numpy as np

from engine.data import ToyWorld, ToyWorldConfig
from engine.metrics import knn_accuracy
from engine.mlp import copy_params, init_mlp, mlp_backward, mlp_forward
from engine.optim import SGD, ema_update
from engine.params import ParamSpec
from engine.simulation import Simulation, all_finite
from engine.verdicts import DINO_RULES, dino_verdict

EVALUATION_SIZE = 256  # samples, two fixed views each

DINO_PARAMS = (
    ParamSpec("teacher_temperature", float, 0.04, "Teacher temperature",
              "Sharpening: the teacher's softmax temperature. Below the student's it makes the "
              "targets more confident than the student; at or above it, nothing sharpens and "
              "centering alone flattens the output to uniform.",
              0.01, 1.0, log_scale=True, flag="teacher_temp"),
    ParamSpec("student_temperature", float, 0.1, "Student temperature",
              "The student's softmax temperature (DINO: 0.1).",
              0.01, 1.0, log_scale=True, flag="student_temp"),
    ParamSpec("centering", bool, True, "Centering",
              "Subtract a running mean of the teacher's outputs before its softmax, so no "
              "prototype can win for every sample. Off: sharpening alone collapses the output "
              "onto one prototype."),
    ParamSpec("center_momentum", float, 0.9, "Centre momentum",
              "centre <- momentum x centre + (1 - momentum) x batch mean of the teacher's "
              "outputs (DINO: 0.9; 0.999 is too slow to stop a collapse).", 0.0, 0.999),
    ParamSpec("ema_momentum", float, 0.99, "EMA momentum",
              "Teacher <- momentum x teacher + (1 - momentum) x student, after every step.",
              0.9, 0.9999),
    ParamSpec("num_prototypes", int, 16, "Prototypes (K)",
              "Size K of the output distribution; the uniform output has entropy log K "
              "(takes effect on reset).", 2, 256, live=False, flag="prototypes"),
    ParamSpec("learning_rate", float, 0.1, "Learning rate",
              "SGD step size (momentum 0.9).", 1e-4, 10.0, log_scale=True, flag="lr"),
    ParamSpec("weight_decay", float, 1e-3, "Weight decay",
              "L2 penalty on every student weight.", 0.0, 0.1),
    ParamSpec("teacher_temperature_warmup", bool, False, "Teacher temperature warm-up",
              "Raise the teacher temperature linearly from the warm-up start value to the "
              "teacher temperature over the first warm-up steps (DINO: 0.04 -> 0.07).",
              flag="teacher_temp_warmup"),
    ParamSpec("warmup_start_temperature", float, 0.04, "Warm-up start temperature",
              "The teacher temperature at step 0 when the warm-up is on.",
              0.01, 1.0, log_scale=True, flag="warmup_start_temp"),
    ParamSpec("warmup_steps", int, 500, "Warm-up steps",
              "Steps over which the warm-up reaches the teacher temperature.", 1, 100_000),
    ParamSpec("batch_size", int, 128, "Batch size",
              "Samples per step, two augmented views each (takes effect on reset).",
              8, 1024, live=False),
    ParamSpec("seed", int, 0, "Seed",
              "Same seed, same initial networks and same data.", 0, 2**31 - 1, live=False),
    ParamSpec("chosen_sample", int, 0, "Sample shown",
              "Which evaluation sample's teacher and student distributions are shown "
              "(display only: training ignores it).", 0, EVALUATION_SIZE - 1),
)


# -- softmax and cross-entropy ------------------------------------------------------------------
def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature``."""
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    e = np.exp(scaled)
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise log-softmax of ``logits / temperature``."""
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    return scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))


def cross_entropy_to_student(
    teacher_probs: np.ndarray, student_logits: np.ndarray, student_temperature: float
) -> tuple[float, np.ndarray]:
    """Mean over the batch of H(P_t, softmax(s / tau_s)), and its gradient wrt the logits ``s``.

    The teacher's probabilities are a fixed target: no gradient is returned for them.
    """
    batch = student_logits.shape[0]
    log_p = log_softmax(student_logits, student_temperature)
    loss = float(-np.sum(teacher_probs * log_p) / batch)
    grad = (np.exp(log_p) - teacher_probs) / (student_temperature * batch)
    return loss, grad


def entropy(probs: np.ndarray) -> np.ndarray:
    """Entropy in nats of each row (0 log 0 = 0)."""
    return -np.sum(probs * np.log(np.where(probs > 0.0, probs, 1.0)), axis=-1)


# -- the DINO head ------------------------------------------------------------------------------
def l2_normalize_forward(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``z`` scaled to unit length, and the row norms (for the backward pass)."""
    norms = np.linalg.norm(z, axis=1, keepdims=True) + 1e-12
    return z / norms, norms


def l2_normalize_backward(unit: np.ndarray, norms: np.ndarray, grad_unit: np.ndarray) -> np.ndarray:
    """dLoss/dz from dLoss/d(z/|z|): the radial part is removed and the rest scaled by 1/|z|."""
    radial = np.sum(grad_unit * unit, axis=1, keepdims=True)
    return (grad_unit - radial * unit) / norms


def weight_norm_forward(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns of ``v`` scaled to unit length (weight normalisation with the gain fixed at 1)."""
    norms = np.linalg.norm(v, axis=0, keepdims=True) + 1e-12
    return v / norms, norms


def weight_norm_backward(w: np.ndarray, norms: np.ndarray, grad_w: np.ndarray) -> np.ndarray:
    """dLoss/dv from dLoss/dw, w = v / |v| column-wise."""
    radial = np.sum(grad_w * w, axis=0, keepdims=True)
    return (grad_w - radial * w) / norms


def head_forward(
    mlp: list[np.ndarray], prototypes: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """DINO head: MLP -> l2-normalised bottleneck -> weight-normalised prototypes (no bias).

    Returns the logits (cosines between the bottleneck and each prototype) and a cache.
    """
    z, mlp_cache = mlp_forward(mlp, x)
    unit, z_norms = l2_normalize_forward(z)
    w, w_norms = weight_norm_forward(prototypes)
    return unit @ w, (mlp_cache, unit, z_norms, w, w_norms)


def head_backward(
    mlp: list[np.ndarray], prototypes: np.ndarray, cache: tuple, grad_logits: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Gradients of the head's MLP weights, its prototype matrix and its input."""
    mlp_cache, unit, z_norms, w, w_norms = cache
    grad_prototypes = weight_norm_backward(w, w_norms, unit.T @ grad_logits)
    grad_z = l2_normalize_backward(unit, z_norms, grad_logits @ w.T)
    mlp_grads, grad_x = mlp_backward(mlp, mlp_cache, grad_z)
    return mlp_grads, grad_prototypes, grad_x


class DINONetwork:
    """Backbone MLP and DINO head, as plain arrays so the teacher can be an EMA of the student."""

    def __init__(self, backbone: list[np.ndarray], head: list[np.ndarray], prototypes: np.ndarray):
        self.backbone = backbone
        self.head = head
        self.prototypes = prototypes

    @property
    def arrays(self) -> list[np.ndarray]:
        """Every weight, in a fixed order (for the optimiser and the EMA)."""
        return self.backbone + self.head + [self.prototypes]

    def copy(self) -> "DINONetwork":
        """An independent copy (the teacher starts as a copy of the student)."""
        return DINONetwork(copy_params(self.backbone), copy_params(self.head),
                           self.prototypes.copy())

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        """Representation (backbone output), logits and the cache for ``backward``."""
        representation, backbone_cache = mlp_forward(self.backbone, x)
        logits, head_cache = head_forward(self.head, self.prototypes, representation)
        return representation, logits, (backbone_cache, head_cache)

    def backward(self, cache: tuple, grad_logits: np.ndarray) -> list[np.ndarray]:
        """Gradients of every weight (in ``arrays`` order) from dLoss/dlogits."""
        backbone_cache, head_cache = cache
        head_grads, prototype_grad, grad_representation = head_backward(
            self.head, self.prototypes, head_cache, grad_logits)
        backbone_grads, _ = mlp_backward(self.backbone, backbone_cache, grad_representation)
        return backbone_grads + head_grads + [prototype_grad]


class DINOSimulation(Simulation):
    """DINO on the toy world, with centering, sharpening and their momenta as live controls."""

    NAME = "dino"
    PARAMS = DINO_PARAMS
    METRICS = ("loss", "teacher_entropy", "usage_entropy", "kl_teacher_student", "knn_accuracy")
    DEFAULT_STEPS = 1500
    # Less nuisance than BYOL's world: with nuisance_std 3 a random network's outputs are mostly
    # nuisance, which cross-view matching flattens, and some seeds sit near uniform for >1500
    # steps before sharpening finds the classes.
    WORLD = ToyWorldConfig(nuisance_std=2.0)
    HIDDEN = 64
    REPRESENTATION_DIM = 32
    # DINO's head: a 3-layer MLP to a small bottleneck, then l2-norm and the prototypes. With one
    # hidden layer, sharpening alone often splits the classes between two prototypes instead.
    HEAD_HIDDEN_LAYERS = 2
    BOTTLENECK_DIM = 16
    EVALUATION_SIZE = EVALUATION_SIZE
    VERDICT_RULES = DINO_RULES
    DISPLAY_PARAMS = ("chosen_sample",)

    def _build(self) -> None:
        seed = self.params["seed"]
        self.num_prototypes = self.params["num_prototypes"]
        self.world = ToyWorld(self.WORLD, seed)
        rng = np.random.default_rng([seed, 20])
        backbone = init_mlp([self.WORLD.input_dim, self.HIDDEN, self.REPRESENTATION_DIM], rng)
        head = init_mlp([self.REPRESENTATION_DIM] + [self.HIDDEN] * self.HEAD_HIDDEN_LAYERS
                        + [self.BOTTLENECK_DIM], rng)
        prototypes = rng.standard_normal((self.BOTTLENECK_DIM, self.num_prototypes))
        self.student = DINONetwork(backbone, head, prototypes)
        self.teacher = self.student.copy()
        self.optimizer = SGD(self.student.arrays)
        self.center = np.zeros(self.num_prototypes)
        # Two fixed views of each evaluation sample; the first is ToyWorld.evaluation_set's view.
        eval_rng = np.random.default_rng([seed, 3])
        self.eval_labels, eval_content = self.world.sample_content(self.EVALUATION_SIZE, eval_rng)
        # Rows [view 1; view 2], as in a training batch.
        self.eval_inputs = np.concatenate([self.world.augment(eval_content, eval_rng),
                                           self.world.augment(eval_content, eval_rng)])

    def teacher_temperature_now(self) -> float:
        """The teacher temperature this step, following the linear warm-up when it is on."""
        p = self.params
        if not p["teacher_temperature_warmup"] or self.step_count >= p["warmup_steps"]:
            return p["teacher_temperature"]
        fraction = self.step_count / p["warmup_steps"]
        start = p["warmup_start_temperature"]
        return start + fraction * (p["teacher_temperature"] - start)

    def _teacher_scores(self, teacher_logits: np.ndarray) -> np.ndarray:
        # The centre is subtracted only when centering is on.
        return teacher_logits - self.center if self.params["centering"] else teacher_logits

    def teacher_probabilities(self, teacher_logits: np.ndarray) -> np.ndarray:
        """P_t = softmax((t - c) / tau_t), at this step's teacher temperature."""
        return softmax(self._teacher_scores(teacher_logits), self.teacher_temperature_now())

    def teacher_log_probabilities(self, teacher_logits: np.ndarray) -> np.ndarray:
        """log P_t, computed stably (for entropies and KL)."""
        return log_softmax(self._teacher_scores(teacher_logits), self.teacher_temperature_now())

    # -- one step -------------------------------------------------------------------------
    def _train_step(self) -> float:
        p = self.params
        _, content = self.world.sample_content(p["batch_size"])
        # Both views in one batch: rows [view 1; view 2], one forward and one backward pass.
        views = np.concatenate([self.world.augment(content), self.world.augment(content)])

        _, teacher_logits, _ = self.teacher.forward(views)
        teacher_probs = self.teacher_probabilities(teacher_logits)
        loss, grads = self.student_loss_and_gradients(views, teacher_probs)

        self.optimizer.step(self.student.arrays, grads, p["learning_rate"], p["weight_decay"])
        ema_update(self.teacher.arrays, self.student.arrays, p["ema_momentum"])
        m = p["center_momentum"]
        # The centre is tracked even while centering is off, so switching it on starts current.
        self.center = m * self.center + (1.0 - m) * teacher_logits.mean(axis=0)
        return loss

    def student_loss_and_gradients(
        self, views: np.ndarray, teacher_probs: np.ndarray
    ) -> tuple[float, list[np.ndarray]]:
        """DINO's loss for a batch of view pairs, and its gradient for every student weight.

        ``views`` holds rows [view 1; view 2] and ``teacher_probs`` the teacher's P_t for the same
        rows. Each view's student output predicts the teacher on the *other* view of its sample
        (same-view pairs are skipped); the mean over the 2B rows is DINOLoss's average of its two
        terms. The teacher's probabilities are a fixed target: no gradient reaches the teacher.
        """
        batch = views.shape[0] // 2
        _, student_logits, cache = self.student.forward(views)
        other_view_targets = np.concatenate([teacher_probs[batch:], teacher_probs[:batch]])
        loss, grad_logits = cross_entropy_to_student(
            other_view_targets, student_logits, self.params["student_temperature"])
        return loss, self.student.backward(cache, grad_logits)

    def _weights_finite(self) -> bool:
        return all_finite(self.student.arrays + self.teacher.arrays + [self.center])

    # -- metrics --------------------------------------------------------------------------
    def _evaluate(self, loss: float) -> dict[str, float]:
        n = self.EVALUATION_SIZE
        _, teacher_logits, _ = self.teacher.forward(self.eval_inputs)
        log_t = self.teacher_log_probabilities(teacher_logits)
        t = np.exp(log_t)
        representation, student_logits, _ = self.student.forward(self.eval_inputs)
        log_s = log_softmax(student_logits, self.params["student_temperature"])
        # Cross-view, as in the loss: H(P_t(a), P_s(b)) = h(P_t(a)) + KL(P_t(a) || P_s(b)).
        log_s_other_view = np.concatenate([log_s[n:], log_s[:n]])
        teacher_entropy = float(np.mean(-np.sum(t * log_t, axis=1)))
        kl = float(np.mean(np.sum(t * (log_t - log_s_other_view), axis=1)))
        usage = t.mean(axis=0)
        metrics = {
            "loss": float(loss),
            "teacher_entropy": teacher_entropy,
            "usage_entropy": float(entropy(usage)),
            "kl_teacher_student": max(kl, 0.0),
            "knn_accuracy": knn_accuracy(representation[:n], self.eval_labels),
            "num_prototypes": self.num_prototypes,
        }
        if all(math.isfinite(v) for k, v in metrics.items() if k != "loss"):
            # Kept for snapshot() only when finite, like the metrics the base class records.
            self._eval_usage = usage
            self._eval_teacher_probs = t[:n]
            self._eval_student_probs = np.exp(log_s[n:])
        return metrics

    def raw_verdict(self, metrics: dict) -> str:
        return dino_verdict(metrics["teacher_entropy"], metrics["usage_entropy"], self.num_prototypes)

    def snapshot(self) -> dict:
        """Fresh arrays for the panels: they never see the live training state."""
        chosen = self.params["chosen_sample"]
        latest = dict(self.latest)
        return {
            "simulation": self.NAME,
            "step": self.step_count,
            "params": dict(self.params),
            "latest": latest,
            "history": {"step": self.history.steps(),
                        **{name: self.history.column(name) for name in self.METRICS}},
            "num_prototypes": self.num_prototypes,
            "log_k": math.log(self.num_prototypes),
            "teacher_temperature_now": self.teacher_temperature_now(),
            "prototype_usage": self._eval_usage.copy(),
            # The teacher on the sample's first view and the student on its second view: the
            # distribution the student is trained to match, and its attempt.
            "teacher_distribution": self._eval_teacher_probs[chosen].copy(),
            "student_distribution": self._eval_student_probs[chosen].copy(),
            "chosen_label": int(self.eval_labels[chosen]),
            "center": self.center.copy(),
            "verdict": self.verdict,
            "raw_verdict": self.raw_verdict(latest),
            "diverged_at_step": self.diverged_at_step,
            "divergence_reason": self.divergence_reason,
        }
