"""`reproduce`: every published claim is a row; rows count matching seeds from real runs, the same
in worker processes as in this one."""
from __future__ import annotations

import dataclasses
import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.byol import BYOLSimulation
from engine.dino import DINOSimulation, dino_verdict
from engine.published import PAPER_POINTS, PUBLISHED_OUTCOMES
import engine.reproduce as reproduce_module
from engine.reproduce import (
    CLAIM_BY_KEY,
    CLAIMS,
    MULTICROP_CLAIMS,
    outcome_step,
    reproduce,
    summarise,
    train_task,
)
from robustness_helpers import descendants

ROW_KEYS = {"setting", "published", "source", "matches", "seeds", "metrics", "outcome_step",
            "verdicts", "seed_list"}


def test_every_published_claim_is_a_row():
    grid_rows = [c for c in CLAIMS if c.simulation == "byol_grid"]
    assert len(grid_rows) == len(PUBLISHED_OUTCOMES)
    dino_settings = {(c.params.get("teacher_temperature", 0.04), c.params.get("center_momentum", 0.9))
                     for c in CLAIMS if c.simulation == "dino" and c.params.get("centering", True)}
    assert {(p.teacher_temperature, p.center_momentum) for p in PAPER_POINTS} <= dino_settings
    keys = set(CLAIM_BY_KEY)
    assert {"dino_sharpening_only", "dino_centering_only", "simsiam_predictor_1x",
            "byol_predictor_1x"} <= keys
    assert len(keys) == len(CLAIMS)  # no two claims share a key
    assert MULTICROP_CLAIMS == ()  # the hook for issue 15's multi-crop training


def test_outcome_step_is_where_the_outcome_holds_to_the_end():
    steps = [0, 50, 100, 150, 200]
    assert outcome_step(["healthy", "collapsed", "healthy", "collapsed", "collapsed"], steps,
                        ("collapsed",)) == 150
    assert outcome_step(["collapsed"] * 5, steps, ("collapsed",)) == 0
    assert outcome_step(["collapsed"] * 4 + ["healthy"], steps, ("collapsed",)) is None
    assert outcome_step([], [], ("healthy",)) is None


def short(keys, steps=60):
    return [dataclasses.replace(CLAIM_BY_KEY[k], steps=steps) for k in keys]


@pytest.fixture
def short_claims():
    return short(["byol_ema_sg_pred", "simsiam_predictor_1x", "dino_sharpening_only"])


@pytest.mark.soak  # over ~5 s: trains every claim
def test_rows_come_from_the_pages_simulations(short_claims):
    result = reproduce([3, 4], workers=1, claims=short_claims)
    json.dumps(result)  # plain numbers
    rows = {row["key"]: row for row in result["rows"]}
    assert list(rows) == [c.key for c in short_claims]
    for row in rows.values():
        assert ROW_KEYS <= set(row) and row["seeds"] == 2 and row["seed_list"] == [3, 4]
        assert sum(row["verdicts"].values()) == 2
    simsiam = BYOLSimulation(seed=4, ema=False, predictor_lr_multiplier=1.0)
    simsiam.run(60)
    spread = simsiam.latest["std_normalized"] * math.sqrt(simsiam.dim)
    figures = rows["simsiam_predictor_1x"]["metrics"]["spread"]
    assert figures["min"] <= spread + 1e-12 and spread - 1e-12 <= figures["max"]
    sharpening = DINOSimulation(seed=3, centering=False)
    sharpening.run(60)
    verdict = dino_verdict(sharpening.latest["teacher_entropy"], sharpening.latest["usage_entropy"],
                           sharpening.num_prototypes)
    assert rows["dino_sharpening_only"]["verdicts"].get(verdict, 0) >= 1
    expected = rows["dino_sharpening_only"]["expected_verdicts"]
    matching = [s for s in (3, 4) if s in (rows["dino_sharpening_only"]["matching_seeds"] or [])]
    assert (3 in matching) == (verdict in expected)


def test_grid_rows_equal_a_single_run_of_the_grid():
    result = train_task(("grid", 5, 60, "float64"))
    record = result["records"]["byol_ema_sg_pred"]
    single = BYOLSimulation(seed=5)
    single.run(60)
    assert record["metrics"]["spread"] == pytest.approx(
        single.latest["std_normalized"] * math.sqrt(single.dim), rel=1e-9)
    assert set(result["records"]) == {c.key for c in CLAIMS if c.simulation == "byol_grid"}


@pytest.mark.soak  # over ~5 s: spawns worker processes
def test_worker_processes_give_the_same_rows(short_claims):
    here = reproduce([1, 2], workers=1, claims=short_claims)
    there = reproduce([1, 2], workers=2, claims=short_claims)
    for a, b in zip(here["rows"], there["rows"], strict=True):
        assert a["verdicts"] == b["verdicts"] and a["metrics"] == b["metrics"]
        assert a["outcome_step"] == b["outcome_step"]


def test_summarise_counts_matches_per_claim():
    claim = CLAIM_BY_KEY["byol_ema_sg_pred"]
    record = lambda verdict: {"verdict": verdict, "metrics": {"spread": 0.5},  # noqa: E731
                              "verdicts": [verdict], "steps": [0], "diverged_at_step": None}
    results = [{"seed": 0, "records": {claim.key: record("healthy")}, "cpu_seconds": 0.0},
               {"seed": 1, "records": {claim.key: record("collapsed")}, "cpu_seconds": 0.0}]
    row, = summarise([claim], [0, 1], results)
    assert row["matches"] == 1 and row["matching_seeds"] == [0]
    assert row["verdicts"] == {"healthy": 1, "collapsed": 1}


# -- the command ------------------------------------------------------------------------------
def run_command(argv, capsys):
    from desktop.commands import main

    try:
        code = main(["reproduce", *argv])
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv", [["--seeds", "0"], ["--seeds", "x"], ["--workers", "0"],
                                  ["--first-seed", "-1"], ["--seeds", "nan"]])
def test_bad_arguments_one_line_exit_2(argv, capsys):
    code, out, err = run_command(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith("distill-lab: error: ") and err.count("\n") == 1


@pytest.mark.soak  # over ~5 s: trains every claim
def test_command_prints_rows_as_json_and_markdown(capsys, monkeypatch):
    claims = short(["byol_ema_sg_pred", "dino_sharpening_only"], steps=30)
    real = reproduce_module.reproduce
    monkeypatch.setattr(reproduce_module, "reproduce",
                        lambda seeds, workers=None, progress=None: real(seeds, 1, claims))
    code, out, err = run_command(["--seeds", "2", "--first-seed", "7", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["seeds"] == [7, 8]
    for row in data["rows"]:
        assert ROW_KEYS <= set(row) and row["seeds"] == 2
    code, out, err = run_command(["--seeds", "2", "--first-seed", "7", "--markdown"], capsys)
    assert code == 0 and "Seeds 7-8 (2)" in out
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(claims)
    assert all(line.count("|") == table[0].count("|") for line in table)


def test_slow_simsiam_caption_names_both_papers():
    from engine.byol import BYOL_PARAMS, describe_guards

    params = {spec.name: spec.default for spec in BYOL_PARAMS}
    slow = describe_guards({**params, "ema": False, "predictor_lr_multiplier": 1.0})
    assert "BYOL App. I" in slow and "SimSiam Table 1" in slow and "of 12" in slow
    fast = describe_guards({**params, "ema": False})
    assert "10x" in fast and "disagree" not in fast


@pytest.mark.phenomena
def test_slow_simsiam_caption_states_what_reproduce_measures():
    """The BYOL page's caption quotes the toy's rate at 1x on seeds 1000-1011: it must be true."""
    import re

    from engine.byol import BYOL_PARAMS, describe_guards

    params = {spec.name: spec.default for spec in BYOL_PARAMS}
    caption = describe_guards({**params, "ema": False, "predictor_lr_multiplier": 1.0})
    collapsed, partly, healthy = map(int, re.search(
        r"(\d+) of 12 held-out seeds collapse, (\d+) partly, (\d+) healthy", caption).groups())
    row, = reproduce(list(range(1000, 1012)), claims=[CLAIM_BY_KEY["simsiam_predictor_1x"]])["rows"]
    assert row["verdicts"].get("collapsed", 0) == collapsed
    assert row["verdicts"].get("partly collapsed", 0) == partly
    assert row["verdicts"].get("healthy", 0) == healthy


@pytest.mark.soak  # over ~5 s: spawns worker processes
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the workers through Linux /proc")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_a_killed_reproduce_takes_its_workers_with_it(signal_name):
    process = subprocess.Popen([sys.executable, "-m", "desktop", "reproduce", "--seeds", "4",
                                "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 60
        workers: list[str] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = descendants(process.pid)
            time.sleep(0.1)
        assert workers, "no worker processes started"
        time.sleep(1.0)  # the workers are training
        process.send_signal(getattr(signal, signal_name))
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130 and "interrupted; nothing was printed" in err, (process.returncode, err)
    assert out == ""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
    assert not alive, f"workers left running: {alive}"
