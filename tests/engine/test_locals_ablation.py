"""Multi-crop's locals ablation (engine only, no Qt): six runs in lockstep, the 0-locals run equal to
a multi-crop run's twin, and the Ablations page's multicrop part (built lazily, state kept)."""
import numpy as np
import pytest

from engine.ablation import AblationSimulation
from engine.dino_regime_map import DINORegimeMap
from engine.locals_ablation import LOCALS, LocalsAblation
from engine.multicrop_training import MultiCropSimulation
from engine.params import ParameterError
from test_multicrop_training import synthetic_photos


def test_the_six_runs_train_in_lockstep_and_stop_at_their_steps():
    ablation = LocalsAblation(synthetic_photos(), seed=3, steps=5)
    assert [run.params["num_local"] for run in ablation.runs] == list(LOCALS)
    assert not any(run.params["twin"] for run in ablation.runs)
    ablation.step(2)
    assert ablation.step_count == 2 and [run.step_count for run in ablation.runs] == [2] * 6
    ablation.step(10)  # never past the ablation's steps
    assert ablation.finished and [run.step_count for run in ablation.runs] == [5] * 6
    snapshot = ablation.snapshot()
    assert snapshot["step"] == 5 and snapshot["finished"] and len(snapshot["runs"]) == 6
    for run in snapshot["runs"]:
        assert run["steps"][-1] == 5 and len(run["steps"]) == len(run["part_whole_accuracy"])
        assert run["start"] == snapshot["runs"][0]["start"]  # one initial network for all six
    # Different local crops, different training: the runs are not copies of each other.
    finals = [run.learner.student.arrays[0] for run in ablation.runs]
    assert not np.array_equal(finals[0], finals[-1])


def test_the_zero_locals_run_is_a_multicrop_runs_twin_bit_for_bit():
    photos = synthetic_photos()
    ablation = LocalsAblation(photos, seed=7, steps=6)
    ablation.step(6)
    with_twin = MultiCropSimulation(photos, seed=7, num_local=8, twin=True)
    with_twin.step(6)
    for zero_locals, twin in zip(ablation.runs[0].learner.student.arrays, with_twin.twin.student.arrays):
        np.testing.assert_array_equal(zero_locals, twin)


def test_the_summary_matches_separate_runs():
    # `distill-lab ablation multicrop` printed six separate runs before the page shared this class.
    photos = synthetic_photos()
    summary = LocalsAblation(photos, seed=2, steps=7)
    summary.step(7)
    summary = summary.summary()
    assert [run["num_local"] for run in summary["runs"]] == list(LOCALS)
    for run in summary["runs"]:
        alone = MultiCropSimulation(photos, seed=2, num_local=run["num_local"], twin=False)
        assert alone.summary(alone.run(7))["final"] == run["final"]


def small_ablation(photo_source):
    return AblationSimulation(regime_map=DINORegimeMap((0.01, 0.16), (0.9, 0.999), steps=20, seeds=1, workers=1),
                              photo_source=photo_source)


def test_the_multicrop_part_reads_photos_only_when_shown_and_switching_keeps_state():
    calls = []

    def photo_source():
        calls.append(1)
        return synthetic_photos()

    simulation = small_ablation(photo_source)
    simulation.step(2)
    assert calls == [] and simulation.snapshot()["multicrop"] is None
    simulation.set_param("part", "multicrop")
    assert calls == [1]
    simulation.step(3)
    snapshot = simulation.snapshot()
    assert snapshot["part"] == "multicrop" and snapshot["step"] == 3 and snapshot["multicrop"]["step"] == 3
    assert snapshot["byol"]["step"] == 2
    simulation.set_param("part", "byol")
    simulation.step(1)
    simulation.set_param("part", "multicrop")  # back: the six runs go on from where they were
    assert calls == [1] and simulation.snapshot()["multicrop"]["step"] == 3
    simulation.step(1)
    assert simulation.snapshot()["multicrop"]["step"] == 4 and simulation.snapshot()["byol"]["step"] == 3
    simulation.reset(9)
    assert simulation.snapshot()["multicrop"]["step"] == 0 and simulation.params["seed"] == 9
    assert simulation.snapshot()["byol"]["step"] == 3  # a reset starts only the part in view afresh


def test_the_multicrop_part_starts_from_the_pages_seed():
    simulation = small_ablation(synthetic_photos)
    simulation.set_param("seed", 11)
    simulation.set_param("part", "multicrop")
    assert simulation.params["seed"] == 11 and simulation.locals_ablation.runs[0].params["seed"] == 11


def test_without_photos_the_multicrop_part_is_refused_in_one_line():
    simulation = small_ablation(None)
    with pytest.raises(ParameterError, match="needs photos"):
        simulation.set_param("part", "multicrop")
    assert simulation.part == "byol"
