"""The command line: the JSON contract, the defaults, and one-line errors with exit code 2."""
import json
import subprocess
import sys

import pytest

from desktop.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True, text=True,
                          timeout=300)


def test_run_byol_json_contract(capsys):
    assert main(["run", "byol", "--steps", "30", "--seed", "3", "--no-ema", "--lr", "0.02",
                 "--predictor-lr-multiplier", "5", "--weight-decay", "0.001", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    config = summary["config"]
    assert config["seed"] == 3 and config["ema"] is False and config["learning_rate"] == 0.02
    assert config["predictor_lr_multiplier"] == 5.0 and config["weight_decay"] == 0.001
    assert config["stop_gradient"] is True and config["predictor"] is True
    assert summary["steps"] == 30 and summary["seconds"] > 0
    final = summary["final"]
    for key in ("loss", "std_normalized", "effective_rank", "knn_accuracy"):
        assert isinstance(final[key], float)
    assert final["dim"] == 16
    history = summary["history"]
    assert history["step"][0] == 0 and history["step"][-1] == 30
    assert len(history["std_normalized"]) == len(history["step"])
    assert summary["diverged"] is False


def test_run_byol_flags_reach_the_config(capsys):
    assert main(["run", "byol", "--steps", "1", "--no-stop-grad", "--no-predictor",
                 "--ema-momentum", "0.9", "--json"]) == 0
    config = json.loads(capsys.readouterr().out)["config"]
    assert config["stop_gradient"] is False and config["predictor"] is False
    assert config["ema_momentum"] == 0.9


def test_run_byol_text_summary(capsys):
    assert main(["run", "byol", "--steps", "10"]) == 0
    out = capsys.readouterr().out
    assert "std_normalized" in out and "steps/s" in out


@pytest.mark.parametrize("args, needle", [
    (["run", "byol", "--lr", "nan"], "learning_rate"),
    (["run", "byol", "--lr", "-1"], "learning_rate"),
    (["run", "byol", "--ema-momentum", "2"], "ema_momentum"),
    (["run", "byol", "--steps", "-5"], "--steps"),
    (["run", "byol", "--steps", "many"], "--steps"),
    (["run", "byol", "--seed", "1.5"], "--seed"),
    (["run", "byol", "--bogus"], "unrecognized"),
    (["run", "nothing"], "invalid choice"),
    (["screenshot", "/tmp/x.png", "--page", "nowhere"], "--page"),
    (["screenshot", "/no/such/folder/x.png"], "does not exist"),
    (["screenshot", "/tmp/x.png", "--set", "stop_gradient=maybe"], "stop_gradient"),
])
def test_bad_arguments_one_line_exit_2(args, needle):
    result = run_cli(*args)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("distill-lab: error:") and needle in lines[0]
    assert "Traceback" not in result.stderr


def test_divergence_is_reported_and_exits_non_zero(capsys, monkeypatch):
    # BYOL's cosine loss is bounded, so real settings rarely blow up; poison the weights at
    # step 7 to check that the whole path (detection, JSON, exit code) reports it.
    from engine.byol import BYOLSimulation

    original = BYOLSimulation._train_step

    def poisoned(self):
        loss = original(self)
        if self.step_count == 6:
            self.encoder[0][0, 0] = float("inf")
        return loss

    monkeypatch.setattr(BYOLSimulation, "_train_step", poisoned)
    assert main(["run", "byol", "--steps", "50", "--json"]) == 1
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["diverged"] is True and summary["diverged_at_step"] == 7
    assert summary["steps"] == 7
    assert "diverged" in captured.err


@pytest.mark.soak  # over ~5 s: starts the app in a process
def test_screenshot_writes_png(tmp_path):
    out = tmp_path / "byol.png"
    result = run_cli("screenshot", str(out), "--page", "byol", "--steps", "20", "--size", "960x600")
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert "Traceback" not in result.stderr
