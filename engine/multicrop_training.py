"""Multi-crop DINO on real photos: the teacher sees 2 global crops, the student every crop.

Every step takes a batch of photos and, for each, 2 global and N local crops with the page's
sampler (engine/multicrop.py), applies DINO's photometric augmentations and trains a small DINO
(engine/dino.py's network: an MLP backbone, the DINO head, an EMA teacher, centering and
sharpening) with cross-entropy over the 2 x (N + 1) teacher-student pairs (same view skipped).

A *twin* starts from the same weights and, every step, trains on the very same global crops, but
never on a local one: the gap between the two is what the local crops taught.

Part-to-whole accuracy: fresh local crops of every photo (drawn once per reset, never trained
on) are each matched to the nearest of a fixed set of fresh global crops by cosine similarity
of the student's representation; right when that global crop comes from the same photo.
Chance is 1 / number of photos.
"""
from __future__ import annotations

import numpy as np

from engine.dino import DINONetwork, entropy, log_softmax, softmax
from engine.mlp import init_mlp
from engine.multicrop import MultiCropConfig, sample_views
from engine.optim import SGD, ema_update
from engine.params import ParamSpec, ParameterError
from engine.photos import (BLUR_PROBABILITY, PhotoSet, crop_float, crops, network_input,
                           photometric_augment, sample_photo_views)
from engine.simulation import Simulation, all_finite

# The evaluation set: per photo, this many draws of the sampler, each 2 global and 8 local crops.
EVAL_DRAWS = 2
EVAL_LOCALS_PER_DRAW = 8


def _scale_spec(name, default, label, help_text):
    return ParamSpec(name, float, default, label, help_text, 0.01, 1.0)


MULTICROP_TRAINING_PARAMS = (
    ParamSpec("num_local", int, 8, "Local crops",
              "Small crops per photo that only the student sees; each is trained to predict "
              "the teacher's output on both global crops (0 = the twin's setting).", 0, 10,
              flag="locals"),
    _scale_spec("global_scale_min", 0.4, "Global scale min", "Smallest area fraction of a global crop (DINO: 0.4)."),
    _scale_spec("global_scale_max", 1.0, "Global scale max", "Largest area fraction of a global crop (DINO: 1)."),
    _scale_spec("local_scale_min", 0.05, "Local scale min", "Smallest area fraction of a local crop (DINO: 0.05)."),
    _scale_spec("local_scale_max", 0.4, "Local scale max", "Largest area fraction of a local crop (DINO: 0.4)."),
    ParamSpec("teacher_temperature", float, 0.04, "Teacher temperature",
              "Sharpening: the teacher's softmax temperature (DINO: 0.04-0.07).",
              0.01, 1.0, log_scale=True, flag="teacher_temp"),
    ParamSpec("student_temperature", float, 0.1, "Student temperature",
              "The student's softmax temperature (DINO: 0.1).", 0.01, 1.0, log_scale=True,
              flag="student_temp"),
    ParamSpec("centering", bool, True, "Centering",
              "Subtract a running mean of the teacher's outputs before its softmax."),
    ParamSpec("center_momentum", float, 0.9, "Centre momentum",
              "centre <- momentum x centre + (1 - momentum) x batch mean (DINO: 0.9).", 0.0, 0.999),
    ParamSpec("ema_momentum", float, 0.99, "EMA momentum",
              "Teacher <- momentum x teacher + (1 - momentum) x student, after every step.",
              0.9, 0.9999),
    ParamSpec("learning_rate", float, 0.05, "Learning rate", "SGD step size (momentum 0.9).",
              1e-4, 10.0, log_scale=True, flag="lr"),
    ParamSpec("weight_decay", float, 1e-4, "Weight decay", "L2 penalty on every student weight.", 0.0, 0.1),
    ParamSpec("num_prototypes", int, 32, "Prototypes (K)",
              "Size of the output distribution (takes effect on reset).", 2, 256, live=False,
              flag="prototypes"),
    ParamSpec("input_size", int, 16, "Input size (px)",
              "Side of every crop as the network sees it, global and local alike (takes effect "
              "on reset).", 8, 32, live=False),
    ParamSpec("twin", bool, True, "Twin: globals only",
              "Train, beside it, a twin from the same weights on the same global crops and no "
              "local ones.", flag="twin"),
    ParamSpec("seed", int, 0, "Seed", "Same seed, same initial networks, crops and evaluation set.",
              0, 2**31 - 1, live=False),
    ParamSpec("chosen_photo", int, 0, "Photo shown",
              "Which photo's crops are drawn (display only: training ignores it).", 0, 9_999),
    ParamSpec("display_seed", int, 0, "Crops shown",
              "Which set of crops of the shown photo is drawn; Resample draws the next one "
              "(display only).", 0, 2**31 - 1),
    ParamSpec("chosen_crop", int, 0, "Local crop shown",
              "Which of the shown local crops has its distributions shown, L1 = 0 (display only).",
              0, 9),
)


class MultiCropLearner:
    """One DINO student-teacher pair with its optimiser and centre (the run or its twin)."""

    def __init__(self, student: DINONetwork):
        self.student = student
        self.teacher = student.copy()
        self.optimizer = SGD(student.arrays)
        self.center = np.zeros(student.prototypes.shape[1], dtype=student.prototypes.dtype)

    def loss_and_gradients(self, global_inputs: np.ndarray, local_inputs: np.ndarray | None,
                           params: dict) -> tuple[float, np.ndarray, list[np.ndarray], np.ndarray]:
        """DINO's multi-crop loss on (2, B, D) global and (N, B, D) local inputs, and its gradient.

        Returns the loss, the per-pair losses (a row per teacher view G1, G2; a column per student
        view G1, G2, L1..LN; same-view cells NaN), the gradient of every student weight and the
        teacher's logits on the globals (for the centre). No gradient reaches the teacher.
        """
        num_global, batch = global_inputs.shape[:2]
        views = global_inputs if local_inputs is None else np.concatenate([global_inputs, local_inputs])
        num_views = views.shape[0]
        _, teacher_logits, _ = self.teacher.forward(global_inputs.reshape(num_global * batch, -1))
        scores = teacher_logits - self.center if params["centering"] else teacher_logits
        teacher_probs = softmax(scores, params["teacher_temperature"]).reshape(num_global, batch, -1)
        _, student_logits, cache = self.student.forward(views.reshape(num_views * batch, -1))
        log_s = log_softmax(student_logits, params["student_temperature"]).reshape(num_views, batch, -1)

        # DINOLoss: the mean over the 2 x (V - 1) pairs of each pair's batch-mean cross-entropy.
        pair_losses = -np.einsum("gbk,vbk->gv", teacher_probs, log_s) / batch
        for g in range(num_global):
            pair_losses[g, g] = np.nan
        num_pairs = num_global * (num_views - 1)
        loss = float(np.nansum(pair_losses) / num_pairs)
        # d loss / d student logits of view v: the sum over teachers g != v of (P_s(v) - P_t(g)).
        targets = np.broadcast_to(teacher_probs.sum(axis=0), log_s.shape).copy()
        targets[:num_global] -= teacher_probs
        counts = np.full(num_views, float(num_global))
        counts[:num_global] -= 1.0
        grad = counts[:, None, None] * np.exp(log_s) - targets
        grad /= params["student_temperature"] * batch * num_pairs
        grads = self.student.backward(cache, grad.reshape(num_views * batch, -1).astype(log_s.dtype))
        return loss, pair_losses, grads, teacher_logits

    def train_step(self, global_inputs: np.ndarray, local_inputs: np.ndarray | None,
                   params: dict) -> tuple[float, np.ndarray]:
        """One SGD step of the student, then the EMA teacher and the centre; the loss and pair losses."""
        loss, pair_losses, grads, teacher_logits = self.loss_and_gradients(global_inputs, local_inputs, params)
        self.optimizer.step(self.student.arrays, grads, params["learning_rate"], params["weight_decay"])
        ema_update(self.teacher.arrays, self.student.arrays, params["ema_momentum"])
        m = params["center_momentum"]
        self.center = m * self.center + (1.0 - m) * teacher_logits.mean(axis=0)
        return loss, pair_losses

    def finite(self) -> bool:
        return all_finite(self.student.arrays + self.teacher.arrays + [self.center])


def nearest_photo(local_features: np.ndarray, global_features: np.ndarray,
                  global_photo: np.ndarray) -> np.ndarray:
    """For each local row, the photo of the global row with the largest cosine similarity."""
    def unit(rows):
        return rows / (np.linalg.norm(rows, axis=1, keepdims=True) + 1e-12)
    similarity = unit(local_features) @ unit(global_features).T
    return global_photo[np.argmax(similarity, axis=1)]


class MultiCropSimulation(Simulation):
    """DINO with multi-crop on photos, and its 2-global twin."""

    NAME = "multicrop"
    PARAMS = MULTICROP_TRAINING_PARAMS
    METRICS = ("loss", "part_whole_accuracy", "part_whole_accuracy_twin", "local_global_kl_same",
               "local_global_kl_other", "teacher_entropy", "usage_entropy")
    OPTIONAL_METRICS = ("part_whole_accuracy_twin",)
    EVAL_INTERVAL = 25
    DEFAULT_STEPS = 1000
    HIDDEN = 256
    REPRESENTATION_DIM = 128
    HEAD_HIDDEN = 128
    BOTTLENECK_DIM = 32
    MAX_BATCH = 32  # photos per step; with more photos a batch is a random subset

    def __init__(self, photos: PhotoSet | None = None, **params: object):
        if photos is None:
            raise ParameterError("multi-crop training needs photos (a PhotoSet)")
        self.photos = photos
        super().__init__(**params)

    # -- building ---------------------------------------------------------------------------
    def crop_config(self, num_local: int | None = None) -> MultiCropConfig:
        p = self.params
        size = getattr(self, "input_size", p["input_size"])  # the built network's, until a reset
        return MultiCropConfig(
            num_local=p["num_local"] if num_local is None else num_local,
            global_scale=(p["global_scale_min"], p["global_scale_max"]),
            local_scale=(p["local_scale_min"], p["local_scale_max"]),
            global_size=size, local_size=size).validate()

    def _check_scales(self) -> None:
        self.crop_config()

    def _build(self) -> None:
        p = self.params
        self.input_size = p["input_size"]  # input_size and num_prototypes take effect here only
        self._check_scales()
        seed = p["seed"]
        rng = np.random.default_rng([seed, 20])
        input_dim = self.input_size ** 2 * 3
        backbone = init_mlp([input_dim, self.HIDDEN, self.REPRESENTATION_DIM], rng)
        head = init_mlp([self.REPRESENTATION_DIM, self.HEAD_HIDDEN, self.HEAD_HIDDEN, self.BOTTLENECK_DIM], rng)
        prototypes = rng.standard_normal((self.BOTTLENECK_DIM, p["num_prototypes"]))
        student = DINONetwork([a.astype(np.float32) for a in backbone], [a.astype(np.float32) for a in head],
                              prototypes.astype(np.float32))
        self.learner = MultiCropLearner(student)
        self.twin = MultiCropLearner(student.copy())
        # Globals and locals from separate streams: the twin sees exactly the run's global crops.
        self.global_rng = np.random.default_rng([seed, 31])
        self.local_rng = np.random.default_rng([seed, 32])
        self.pair_losses = np.full((2, 2 + p["num_local"]), np.nan)
        self._build_evaluation_set(np.random.default_rng([seed, 3]))
        self.start_accuracy = None

    def _build_evaluation_set(self, rng: np.random.Generator) -> None:
        n = len(self.photos)
        indices = np.arange(n)
        config = self.crop_config(num_local=EVAL_LOCALS_PER_DRAW)
        size = self.input_size
        global_crops, local_crops = [], []
        for _ in range(EVAL_DRAWS):
            views = sample_photo_views(self.photos, indices, config, rng)
            global_crops.append(crops(self.photos, indices, views, slice(0, 2), size))
            local_crops.append(crops(self.photos, indices, views, slice(2, None), size))
        globals_ = np.concatenate(global_crops)  # (2 x draws, n, S, S, 3)
        locals_ = np.concatenate(local_crops)
        self.eval_global_inputs = network_input(globals_.reshape(-1, size, size, 3))
        self.eval_local_inputs = network_input(locals_.reshape(-1, size, size, 3))
        self.eval_global_photo = np.tile(indices, globals_.shape[0])
        self.eval_local_photo = np.tile(indices, locals_.shape[0])

    # -- one step ---------------------------------------------------------------------------
    def _augmented_inputs(self, images: np.ndarray, kinds: list[str], rng) -> np.ndarray:
        views, batch = images.shape[:2]
        out = np.empty((views, batch, images[0, 0].size), dtype=np.float32)
        for v in range(views):
            out[v] = network_input(photometric_augment(images[v], BLUR_PROBABILITY[kinds[v]], rng))
        return out

    def _train_step(self) -> float:
        p = self.params
        n = len(self.photos)
        size = self.input_size
        batch_size = min(n, self.MAX_BATCH)
        photo_indices = self.global_rng.choice(n, batch_size, replace=False) if n > batch_size else np.arange(n)
        views = sample_photo_views(self.photos, photo_indices, self.crop_config(num_local=0), self.global_rng)
        global_images = crops(self.photos, photo_indices, views, slice(0, 2), size)
        global_inputs = self._augmented_inputs(global_images, ["global1", "global2"], self.global_rng)
        local_inputs = None
        if p["num_local"]:
            local_config = self.crop_config()
            local_views = sample_photo_views(self.photos, photo_indices, local_config, self.local_rng)
            local_images = crops(self.photos, photo_indices, local_views, slice(2, None), size)
            local_inputs = self._augmented_inputs(local_images, ["local"] * p["num_local"], self.local_rng)
        loss, self.pair_losses = self.learner.train_step(global_inputs, local_inputs, p)
        if p["twin"]:
            self.twin.train_step(global_inputs, None, p)
        return loss

    def _weights_finite(self) -> bool:
        return self.learner.finite() and (not self.params["twin"] or self.twin.finite())

    def _divergence_cause(self) -> str:
        return (f"the loss or the weights became infinite or NaN at step {self.step_count}; "
                f"the learning rate ({self.params['learning_rate']:g}) is the likely cause")

    def _on_param_changed(self, name: str, old: object, new: object) -> None:
        if name.endswith(("_scale_min", "_scale_max")):
            try:
                self._check_scales()
            except ParameterError:
                self.params[name] = old
                raise
        if name == "num_local":
            self.pair_losses = np.full((2, 2 + new), np.nan)

    # -- metrics ----------------------------------------------------------------------------
    def part_whole_accuracy(self, network: DINONetwork) -> float:
        """Fraction of evaluation local crops whose nearest evaluation global crop is of the same photo."""
        global_features, _, _ = network.forward(self.eval_global_inputs)
        local_features, _, _ = network.forward(self.eval_local_inputs)
        guess = nearest_photo(local_features, global_features, self.eval_global_photo)
        return float(np.mean(guess == self.eval_local_photo))

    def _evaluate(self, loss: float) -> dict[str, float]:
        p = self.params
        n = len(self.photos)
        learner = self.learner
        accuracy = self.part_whole_accuracy(learner.student)
        twin_accuracy = self.part_whole_accuracy(self.twin.student) if p["twin"] else float("nan")
        if self.start_accuracy is None:
            self.start_accuracy = accuracy
        # Teacher on the first two evaluation global crops of each photo; student on the locals.
        _, teacher_logits, _ = learner.teacher.forward(self.eval_global_inputs[: 2 * n])
        scores = teacher_logits - learner.center if p["centering"] else teacher_logits
        log_t = log_softmax(scores, p["teacher_temperature"])
        teacher = np.exp(log_t)
        _, student_logits, _ = learner.student.forward(self.eval_local_inputs)
        log_s = log_softmax(student_logits, p["student_temperature"])
        # KL(P_t(global of photo a) || P_s(local of photo b)) for every global-local pair.
        kl = (np.sum(teacher * log_t, axis=1)[:, None] - teacher @ log_s.T)
        same = self.eval_global_photo[: 2 * n][:, None] == self.eval_local_photo[None, :]
        self._eval_teacher = teacher
        self._eval_student = np.exp(log_s)
        return {
            "loss": float(loss),
            "part_whole_accuracy": accuracy,
            "part_whole_accuracy_twin": twin_accuracy,
            "local_global_kl_same": float(kl[same].mean()),
            "local_global_kl_other": float(kl[~same].mean()),
            "teacher_entropy": float(np.mean(entropy(teacher))),
            "usage_entropy": float(entropy(teacher.mean(axis=0))),
        }

    def summary(self, seconds: float) -> dict:
        out = super().summary(seconds)
        final = out["final"]
        final["part_whole_accuracy_start"] = self.start_accuracy
        final["chance"] = 1.0 / len(self.photos)
        final["num_images"] = len(self.photos)
        if not self.params["twin"]:
            final["part_whole_accuracy_twin"] = None
        return out

    def _display(self) -> dict:
        """The shown photo, one set of its crops as the network sees them (before the colour
        augmentations), which photo each local crop's embedding points to, and the chosen local
        crop's student distribution beside the teacher's for G1 and G2."""
        p = self.params
        learner = self.learner
        index = min(p["chosen_photo"], len(self.photos) - 1)
        image = self.photos.images[index]
        rng = np.random.default_rng([p["seed"], 40, p["display_seed"], index])
        views = sample_views(image.shape[1], image.shape[0], self.crop_config(), rng)
        images = crop_float(image, views, self.input_size)
        inputs = network_input(images)
        features, student_logits, _ = learner.student.forward(inputs)
        _, teacher_logits, _ = learner.teacher.forward(inputs[:2])
        scores = teacher_logits - learner.center if p["centering"] else teacher_logits
        global_features, _, _ = learner.student.forward(self.eval_global_inputs)
        local_guess = nearest_photo(features[2:], global_features, self.eval_global_photo)
        chosen = min(p["chosen_crop"], p["num_local"] - 1)
        student = softmax(student_logits, p["student_temperature"])
        return {
            "photo_names": list(self.photos.names),
            "display_index": index,
            "display_photo": np.clip(np.rint(image * 255), 0, 255).astype(np.uint8),
            "display_boxes": np.array([view.box for view in views], dtype=int).reshape(-1, 4),
            "display_flipped": np.array([view.flipped for view in views], dtype=bool),
            "display_crops": np.clip(np.rint(images * 255), 0, 255).astype(np.uint8),
            "local_guess": local_guess.astype(int),
            "chosen_local": int(chosen),
            "chosen_student": student[2 + chosen].copy() if chosen >= 0 else np.zeros(0),
            "chosen_teacher": softmax(scores, p["teacher_temperature"]),
        }

    def snapshot(self) -> dict:
        return {
            "simulation": self.NAME,
            "step": self.step_count,
            "params": dict(self.params),
            "latest": dict(self.latest),
            "history": {"step": self.history.steps(),
                        **{name: self.history.column(name) for name in self.METRICS}},
            "pair_losses": self.pair_losses.copy(),
            "part_whole_accuracy_start": self.start_accuracy,
            "chance": 1.0 / len(self.photos),
            "num_images": len(self.photos),
            "input_size": self.input_size,
            "diverged_at_step": self.diverged_at_step,
            "divergence_reason": self.divergence_reason,
            **self._display(),
        }
