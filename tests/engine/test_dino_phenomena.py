"""DINO's published regimes (DINO Fig. 7), trained for real at the default settings on three
seeds: centering + sharpening healthy, sharpening only one prototype, centering only uniform."""
import json
import math
from functools import lru_cache

import pytest

from desktop.cli import main
from engine.dino import DINOSimulation

pytestmark = pytest.mark.phenomena

REGIMES = {
    "both forces": {},
    "sharpening only": {"centering": False},
    "centering only": {"teacher_temperature": 0.2},  # above the student's 0.1: no sharpening
}


@lru_cache(maxsize=None)
def final(regime: str, seed: int) -> dict:
    simulation = DINOSimulation(seed=seed, **REGIMES[regime])
    simulation.run(DINOSimulation.DEFAULT_STEPS)
    assert not simulation.diverged
    return {**simulation.latest, "verdict": simulation.snapshot()["verdict"]}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_both_forces_healthy(seed):
    metrics = final("both forces", seed)
    log_k = math.log(metrics["num_prototypes"])
    assert metrics["teacher_entropy"] < 0.5 * log_k  # confident per sample
    assert metrics["usage_entropy"] > 0.4 * log_k  # many prototypes used
    assert metrics["kl_teacher_student"] > 0.01  # still something to learn
    assert metrics["verdict"] == "healthy"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sharpening_only_one_prototype_dominates(seed):
    metrics = final("sharpening only", seed)
    log_k = math.log(metrics["num_prototypes"])
    assert metrics["usage_entropy"] < 0.1 * log_k
    assert metrics["kl_teacher_student"] < 0.01
    assert metrics["verdict"] == "one prototype dominates"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_centering_only_uniform(seed):
    metrics = final("centering only", seed)
    log_k = math.log(metrics["num_prototypes"])
    assert metrics["teacher_entropy"] > 0.9 * log_k
    assert metrics["kl_teacher_student"] < 0.01
    assert metrics["verdict"] == "uniform"


def test_cli_run_dino_json(capsys):
    assert main(["run", "dino", "--steps", "40", "--seed", "2", "--teacher-temp", "0.05",
                 "--student-temp", "0.12", "--no-centering", "--center-momentum", "0.8",
                 "--ema-momentum", "0.995", "--prototypes", "12", "--lr", "0.03", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    config = summary["config"]
    assert config["teacher_temperature"] == 0.05 and config["student_temperature"] == 0.12
    assert config["centering"] is False and config["center_momentum"] == 0.8
    assert config["ema_momentum"] == 0.995 and config["num_prototypes"] == 12
    assert config["learning_rate"] == 0.03 and config["seed"] == 2
    final_metrics = summary["final"]
    for key in ("loss", "teacher_entropy", "usage_entropy", "kl_teacher_student"):
        assert isinstance(final_metrics[key], float)
    assert final_metrics["num_prototypes"] == 12
    assert summary["steps"] == 40 and summary["history"]["step"][-1] == 40
