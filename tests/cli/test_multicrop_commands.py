"""`distill-lab run multicrop` and `distill-lab ablation multicrop`: the JSON contract, the photo
options, and one clear message for folders that are empty, hold non-images or one photo."""
import json
import shutil

import pytest

from desktop.cli import main
from desktop.photo_training import PhotoMultiCropSimulation, photo_set
from engine.params import ParameterError
from resources.paths import bundled_images

FINAL_KEYS = {"part_whole_accuracy", "part_whole_accuracy_twin", "part_whole_accuracy_start", "chance",
              "local_global_kl_same", "local_global_kl_other", "teacher_entropy", "usage_entropy", "num_images"}


def run_json(capsys, *args) -> tuple[dict, str]:
    """The JSON summary and what went to stderr."""
    assert main(["run", "multicrop", "--json", *args]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


@pytest.mark.soak
def test_run_multicrop_json_contract(capsys):
    data, _ = run_json(capsys, "--steps", "30", "--seed", "3", "--locals", "2", "--teacher-temp", "0.05")
    assert FINAL_KEYS <= set(data["final"])
    assert {"config", "steps", "seconds", "diverged", "history"} <= set(data)
    assert data["steps"] == 30 and data["config"]["num_local"] == 2 and data["config"]["seed"] == 3
    assert data["config"]["teacher_temperature"] == 0.05
    final = data["final"]
    assert final["num_images"] == len(bundled_images()) >= 12
    assert final["chance"] == pytest.approx(1 / final["num_images"])
    assert 0 <= final["part_whole_accuracy_start"] <= 1 and 0 <= final["part_whole_accuracy_twin"] <= 1
    assert data["history"]["part_whole_accuracy"][0] == final["part_whole_accuracy_start"]


def test_no_twin_gives_null(capsys):
    data, _ = run_json(capsys, "--steps", "5", "--no-twin")
    assert data["final"]["part_whole_accuracy_twin"] is None and data["config"]["twin"] is False


def test_a_folder_joins_and_bad_files_get_one_line_each(tmp_path, capsys):
    shutil.copy(bundled_images()["cat"], tmp_path / "my cat.jpg")
    (tmp_path / "notes.png").write_text("not a picture")
    data, err = run_json(capsys, "--steps", "2", "--images", str(tmp_path))
    assert data["final"]["num_images"] == len(bundled_images()) + 1
    assert err.count("\n") == 1 and "notes.png" in err and "Traceback" not in err


@pytest.mark.parametrize("content", ["empty", "non-images", "one photo"])
def test_bad_folders_leave_the_bundled_photos_training(tmp_path, content):
    if content == "non-images":
        (tmp_path / "a.jpg").write_bytes(b"\xff\xd8 truncated")
        (tmp_path / "b.txt").write_text("text")
    elif content == "one photo":
        shutil.copy(bundled_images()["coffee"], tmp_path / "mine.jpg")
    photos = photo_set([tmp_path])
    assert len(photos) == len(bundled_images()) + (content == "one photo")
    if content != "one photo":
        assert len(photos.problems) == 1
        assert str(tmp_path) in photos.problems[0] or "a.jpg" in photos.problems[0]


def test_adding_photos_live_restarts_on_the_larger_set_and_reports_refusals(tmp_path):
    simulation = PhotoMultiCropSimulation(input_size=8, seed=1)
    simulation.step(3)
    before = len(simulation.photos)
    shutil.copy(bundled_images()["rocket"], tmp_path / "rocket2.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"nope")
    with pytest.raises(ParameterError, match="1 photo joined.*broken.jpg"):
        simulation.set_param("add_photos", [str(tmp_path)])
    assert len(simulation.photos) == before + 1 and simulation.step_count == 0
    with pytest.raises(ParameterError, match="no photo joined"):
        simulation.set_param("add_photos", [str(tmp_path / "missing.jpg")])
    assert len(simulation.photos) == before + 1
    simulation.step(2)


@pytest.mark.soak
def test_ablation_multicrop_table(capsys):
    assert main(["ablation", "multicrop", "--steps", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [run["num_local"] for run in data["runs"]] == [0, 2, 4, 6, 8, 10]
    assert all(run["final"]["part_whole_accuracy_twin"] is None for run in data["runs"])
    assert main(["ablation", "multicrop", "--steps", "2"]) == 0
    assert "part-to-whole" in capsys.readouterr().out


@pytest.mark.parametrize("args, needle", [(["--locals", "11"], "num_local"),
                                          (["--teacher-temp", "0"], "teacher_temperature"),
                                          (["--local-scale-min", "2"], "local_scale_min")])
def test_bad_arguments_one_line_exit_2(capsys, args, needle):
    assert main(["run", "multicrop", "--steps", "1", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_inverted_scale_range_is_one_message(capsys):
    assert main(["run", "multicrop", "--steps", "1", "--local-scale-min", "0.5", "--local-scale-max", "0.2"]) == 2
    err = capsys.readouterr().err
    assert "local_scale" in err and err.count("\n") == 1
