"""Multi-crop training on photos (engine only, no Qt): crops, augmentations, the photo set's
checks, the multi-pair loss's gradient, and the twin that differs only in the local crops."""
import numpy as np
import pytest

from engine.dino import DINONetwork
from engine.mlp import init_mlp
from engine.multicrop import MultiCropConfig, crop_to_array, sample_views
from engine.multicrop_training import MultiCropLearner, MultiCropSimulation, nearest_photo
from engine.params import ParameterError
from engine.photos import PhotoSet, PhotoSetError, crop_float, photometric_augment, shrink
from gradient_check import central_difference


def synthetic_photos(count: int = 4, seed: int = 0) -> PhotoSet:
    """Smooth random colour fields of different sizes: distinct wholes, alike in small parts."""
    rng = np.random.default_rng(seed)
    named = []
    for i in range(count):
        height, width = int(rng.integers(40, 90)), int(rng.integers(40, 90))
        coarse = rng.integers(0, 256, (5, 5, 3)).astype(np.float64)
        rows = np.linspace(0, 4, height)[:, None]
        cols = np.linspace(0, 4, width)[None, :]
        r0, c0 = np.floor(rows).astype(int).clip(0, 3), np.floor(cols).astype(int).clip(0, 3)
        fr, fc = (rows - r0)[..., None], (cols - c0)[..., None]
        pixels = (coarse[r0, c0] * (1 - fr) * (1 - fc) + coarse[r0 + 1, c0] * fr * (1 - fc)
                  + coarse[r0, c0 + 1] * (1 - fr) * fc + coarse[r0 + 1, c0 + 1] * fr * fc)
        named.append((f"photo{i}", pixels.astype(np.uint8)))
    return PhotoSet.from_arrays(named)


def small_simulation(**params) -> MultiCropSimulation:
    params.setdefault("input_size", 8)
    return MultiCropSimulation(synthetic_photos(), **params)


def test_batched_crops_match_the_pages_crop_to_array():
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (37, 53, 3)).astype(np.uint8)
    views = sample_views(53, 37, MultiCropConfig(global_size=12, local_size=12), rng)
    batched = crop_float(pixels.astype(np.float32), views, 12)
    for view, crop in zip(views, batched):
        assert np.abs(crop - crop_to_array(pixels, view).astype(np.float32)).max() <= 0.5 + 1e-3


def test_shrink_keeps_the_aspect_and_the_mean():
    image = np.random.default_rng(2).random((300, 200, 3)).astype(np.float32)
    small = shrink(image, 96)
    assert small.shape == (96, 64, 3)
    assert small.mean() == pytest.approx(image.mean(), abs=0.01)


def test_augmentations_stay_in_range_and_change_the_pixels():
    rng = np.random.default_rng(3)
    images = rng.random((64, 8, 8, 3)).astype(np.float32)
    out = photometric_augment(images, 0.5, rng)
    assert out.shape == images.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.allclose(out, images)
    # About a fifth become gray: all three channels equal.
    gray = np.all(np.ptp(out, axis=3) < 1e-6, axis=(1, 2)).mean()
    assert 0.05 < gray < 0.45


def test_photo_set_accepts_gray_and_rgba_and_refuses_what_it_cannot_use():
    rng = np.random.default_rng(4)
    photos = PhotoSet.from_arrays([
        ("gray", rng.integers(0, 256, (30, 40), dtype=np.uint8)),
        ("rgba", rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)),
        ("tiny", rng.integers(0, 256, (4, 40, 3), dtype=np.uint8)),
        ("odd", rng.integers(0, 256, (30, 40, 2), dtype=np.uint8)),
    ])
    assert photos.names == ["gray", "rgba"]
    assert len(photos.problems) == 2 and "tiny" in photos.problems[0] and "odd" in photos.problems[1]


@pytest.mark.parametrize("named", [[], [("one", np.zeros((20, 20, 3), np.uint8))]])
def test_fewer_than_two_photos_is_one_clear_message(named):
    with pytest.raises(PhotoSetError, match="at least 2 photos"):
        PhotoSet.from_arrays(named)


def test_simulation_without_photos_is_refused():
    with pytest.raises(ParameterError, match="needs photos"):
        MultiCropSimulation()


def _float64_learner(seed: int) -> MultiCropLearner:
    rng = np.random.default_rng(seed)
    network = DINONetwork(init_mlp([12, 10, 8], rng), init_mlp([8, 9, 6], rng), rng.standard_normal((6, 5)))
    return MultiCropLearner(network)


@pytest.mark.parametrize("num_local", [0, 3])
def test_multi_pair_gradient_matches_finite_differences(num_local):
    learner = _float64_learner(num_local)
    rng = np.random.default_rng(10 + num_local)
    learner.center = rng.standard_normal(5) * 0.1
    learner.teacher.backbone[0] += 0.1 * rng.standard_normal(learner.teacher.backbone[0].shape)
    global_inputs = rng.standard_normal((2, 4, 12))
    local_inputs = rng.standard_normal((num_local, 4, 12)) if num_local else None
    params = {"centering": True, "teacher_temperature": 0.07, "student_temperature": 0.1}
    _, pair_losses, grads, _ = learner.loss_and_gradients(global_inputs, local_inputs, params)
    assert pair_losses.shape == (2, 2 + num_local)
    assert np.isnan(pair_losses[0, 0]) and np.isnan(pair_losses[1, 1])
    assert np.isfinite(pair_losses).sum() == 2 * (num_local + 1)

    def loss() -> float:
        return learner.loss_and_gradients(global_inputs, local_inputs, params)[0]

    for array, grad in zip(learner.student.arrays, grads):
        for index in [np.unravel_index(np.argmax(np.abs(grad)), grad.shape),
                      tuple(rng.integers(0, n) for n in array.shape)]:
            assert grad[index] == pytest.approx(central_difference(loss, array, index), rel=1e-4, abs=1e-8)


def test_with_no_locals_the_run_and_its_twin_stay_identical():
    # The twin differs only in the local crops: without them both must train the same, bit for bit.
    simulation = small_simulation(num_local=0, seed=5)
    simulation.step(6)
    for run, twin in zip(simulation.learner.student.arrays, simulation.twin.student.arrays):
        np.testing.assert_array_equal(run, twin)


def test_twin_starts_from_the_same_weights_and_then_differs():
    simulation = small_simulation(num_local=4, seed=6)
    for run, twin in zip(simulation.learner.student.arrays, simulation.twin.student.arrays):
        np.testing.assert_array_equal(run, twin)
    simulation.step(3)
    assert any(not np.array_equal(run, twin) for run, twin in
               zip(simulation.learner.student.arrays, simulation.twin.student.arrays))


def test_same_seed_same_run_and_metrics_are_in_range():
    first, second = small_simulation(seed=7), small_simulation(seed=7)
    first.run(50)
    second.run(50)
    assert first.latest == second.latest
    summary = first.summary(1.0)["final"]
    assert summary["chance"] == 0.25 and summary["num_images"] == 4
    for key in ("part_whole_accuracy", "part_whole_accuracy_twin", "part_whole_accuracy_start"):
        assert 0.0 <= summary[key] <= 1.0
    assert summary["local_global_kl_same"] >= 0.0 and summary["local_global_kl_other"] >= 0.0
    assert first.snapshot()["pair_losses"].shape == (2, 2 + first.params["num_local"])


def test_no_twin_reports_none():
    simulation = small_simulation(twin=False, seed=8)
    simulation.run(25)
    assert simulation.summary(1.0)["final"]["part_whole_accuracy_twin"] is None


def test_scale_ranges_are_checked_and_a_bad_one_is_undone():
    simulation = small_simulation()
    with pytest.raises(ParameterError, match="local_scale minimum"):
        simulation.set_param("local_scale_min", 0.9)
    assert simulation.params["local_scale_min"] == 0.05
    simulation.step(1)


def test_changing_the_number_of_locals_live_resizes_the_pair_matrix():
    simulation = small_simulation(num_local=2)
    simulation.step(1)
    simulation.set_param("num_local", 5)
    simulation.step(1)
    assert simulation.snapshot()["pair_losses"].shape == (2, 7)


def test_nearest_photo_uses_cosine_similarity():
    globals_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    locals_ = np.array([[5.0, 1.0], [0.1, 3.0]])
    np.testing.assert_array_equal(nearest_photo(locals_, globals_, np.array([0, 1])), [0, 1])


@pytest.mark.soak  # over ~5 s: trains to the divergence
def test_a_huge_learning_rate_stops_with_a_reason_not_an_exception():
    simulation = small_simulation(learning_rate=10.0, seed=9)
    simulation.step(300)
    if simulation.diverged:
        assert "learning rate" in simulation.divergence_reason
    else:  # the normalised head can absorb it; then the metrics must still be finite
        assert np.isfinite(simulation.latest["part_whole_accuracy"])
