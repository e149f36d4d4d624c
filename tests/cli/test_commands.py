"""The commands package: strict JSON from every command even when a metric is NaN, one shared
--seed, --version, screenshot --zoom/--theme, and no Qt loaded to build the parser."""
import json
import subprocess
import sys

import numpy as np
import pytest

from desktop.cli import main
from desktop.commands import ablation, crops, screenshot
from desktop.commands.output import json_safe, print_json


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, as a strict reader would."""
    def refuse(token):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_safe_writes_null_for_nan_and_infinities(capsys):
    print_json({"a": float("nan"), "b": [np.float32("inf"), -np.inf], "c": np.arange(2), "d": np.int64(3)})
    assert strict_json(capsys.readouterr().out) == {"a": None, "b": [None, None], "c": [0, 1], "d": 3}
    assert json_safe((1.5, {"x": np.nan})) == [1.5, {"x": None}]


def test_run_prints_strict_json_with_a_nan_metric(monkeypatch, capsys):
    from engine.byol import BYOLSimulation

    summary = BYOLSimulation.summary

    def with_nan(self, seconds):
        result = summary(self, seconds)
        result["final"]["knn_accuracy"] = float("nan")
        result["final"]["loss"] = float("inf")
        return result

    monkeypatch.setattr(BYOLSimulation, "summary", with_nan)
    assert main(["run", "byol", "--steps", "2", "--json"]) == 0
    data = strict_json(capsys.readouterr().out)
    assert data["final"]["knn_accuracy"] is None and data["final"]["loss"] is None


def test_ablation_and_crops_print_strict_json_with_a_nan(monkeypatch, capsys):
    monkeypatch.setattr(ablation, "byol_summary", lambda steps, seed: {"runs": [{"spread": float("nan")}]})
    assert main(["ablation", "byol", "--steps", "2", "--json"]) == 0
    assert strict_json(capsys.readouterr().out) == {"runs": [{"spread": None}]}
    real = crops.crops_summary
    monkeypatch.setattr(crops, "crops_summary", lambda *a: {**real(*a), "relative_cost": float("nan")})
    assert main(["crops", "--json"]) == 0
    assert strict_json(capsys.readouterr().out)["relative_cost"] is None


@pytest.mark.soak  # over ~5 s: the bench trains and draws for seconds
def test_bench_prints_strict_json_with_a_nan(monkeypatch, capsys):
    from desktop.commands import bench

    goals = bench._goals
    monkeypatch.setattr(bench, "_goals", lambda report: {**goals(report), "forced": {"value": float("nan")}})
    assert main(["bench", "--json", "--seconds", "1", "--rounds", "1", "--page", "nowhere"]) == 2
    capsys.readouterr()
    assert main(["bench", "--json", "--seconds", "1", "--rounds", "1", "--page", "byol"]) == 0
    assert strict_json(capsys.readouterr().out)["goals"]["forced"]["value"] is None


@pytest.mark.parametrize("argv", [["crops"], ["ablation", "byol"], ["ablation", "dino"]])
def test_one_seed_option(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--seed", "-1"])
    assert exit_info.value.code == 2
    assert "--seed must be a whole number from 0 to 2147483647" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("distill-lab 0.")


def test_screenshot_zoom_and_theme_agree_with_the_app():
    from desktop.settings import ZOOM_STEPS
    from widgets.theme import THEMES

    assert screenshot.ZOOM_RANGE == (ZOOM_STEPS[0], ZOOM_STEPS[-1])
    assert set(screenshot.THEME_NAMES) == set(THEMES)


def test_screenshot_takes_zoom_and_theme(qtbot, tmp_path, capsys):
    from PySide6 import QtGui

    from widgets.theme import DARK

    out = tmp_path / "dark.png"
    # One step: zoom and theme are the point here; the multi-crop page's default training took 71 s.
    assert main(["screenshot", str(out), "--page", "multicrop", "--steps", "1", "--theme", "dark",
                 "--zoom", "1.5"]) == 0
    image = QtGui.QImage(str(out))
    assert image.pixelColor(image.width() - 3, image.height() // 2).name().upper() in (
        DARK.background.upper(), DARK.panel.upper())
    for bad in (["--zoom", "9"], ["--theme", "pink"]):
        with pytest.raises(SystemExit):
            main(["screenshot", str(out), *bad])
        assert "distill-lab: error:" in capsys.readouterr().err


def test_building_the_parser_loads_no_qt():
    code = ("import sys; from desktop.commands import build_parser; build_parser(); "
            "from desktop.scenarios import parse_scenario; "
            "parse_scenario('{\"name\": \"a\", \"page\": \"ablation\", \"params\": {\"part\": \"dino\"}}'); "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'widgets'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
