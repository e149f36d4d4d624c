"""DINO's hand-written backward pass (backbone, head, l2-normalised bottleneck, weight-normalised
prototypes, tempered softmax cross-entropy) against central finite differences."""
import numpy as np
import pytest

from engine.dino import DINOSimulation
from gradient_check import central_difference


@pytest.mark.parametrize("seed", [0, 3])
def test_student_gradients_match_finite_differences(seed):
    simulation = DINOSimulation(seed=seed, batch_size=8)
    simulation.step(5)  # away from the initialisation, with a real centre
    rng = np.random.default_rng(seed)
    _, content = simulation.world.sample_content(8, rng)
    views = np.concatenate([simulation.world.augment(content, rng), simulation.world.augment(content, rng)])
    _, teacher_logits, _ = simulation.teacher.forward(views)
    teacher_probs = simulation.teacher_probabilities(teacher_logits)
    _, grads = simulation.student_loss_and_gradients(views, teacher_probs)

    def loss() -> float:
        return simulation.student_loss_and_gradients(views, teacher_probs)[0]

    step = 1e-6
    checked = 0
    for array, grad in zip(simulation.student.arrays, grads):
        assert grad.shape == array.shape
        flat_index = np.unravel_index(np.argmax(np.abs(grad)), grad.shape)
        picks = [flat_index] + [tuple(rng.integers(0, n) for n in array.shape) for _ in range(3)]
        for index in picks:
            numeric = central_difference(loss, array, index, step)
            assert grad[index] == pytest.approx(numeric, rel=1e-4, abs=1e-8)
            checked += 1
    assert checked >= 4 * len(grads)
