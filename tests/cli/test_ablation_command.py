"""`distill-lab ablation`: the JSON contract, the tables, and one-line errors with exit code 2.

The parser is built here as desktop/cli.py builds its own, so these tests do not depend on the
command being wired into cli.py. Small --steps and a 2 x 2 map keep them quick. No Qt is imported."""
from __future__ import annotations

import json

import pytest

from desktop.commands.ablation import add_ablation_parser, center_momenta, run_ablation, teacher_temperatures
from desktop.cli import OneLineArgumentParser
from engine.byol_grid import GUARD_COMBINATIONS
from engine.published import PUBLISHED_OUTCOMES


def run(argv, capsys):
    """(exit code, stdout, stderr) of `distill-lab ablation ARGV`."""
    parser = OneLineArgumentParser(prog="distill-lab")
    commands = parser.add_subparsers(dest="command", parser_class=OneLineArgumentParser)
    add_ablation_parser(commands)
    try:
        code = run_ablation(parser.parse_args(["ablation", *argv]))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text):
    def refuse(name):
        raise AssertionError(f"{name} in the JSON output")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def byol_json():
    import io
    import contextlib

    out = io.StringIO()
    parser = OneLineArgumentParser(prog="distill-lab")
    add_ablation_parser(parser.add_subparsers(dest="command", parser_class=OneLineArgumentParser))
    with contextlib.redirect_stdout(out):
        assert run_ablation(parser.parse_args(["ablation", "byol", "--steps", "50", "--seed", "3", "--json"])) == 0
    return strict_json(out.getvalue())


def test_byol_json_one_record_per_combination(byol_json):
    runs = byol_json["runs"]
    assert len(runs) == 8
    for run, combination in zip(runs, GUARD_COMBINATIONS):
        config = run["config"]
        assert (config["ema"], config["stop_gradient"], config["predictor"]) == combination
        assert config["seed"] == 3
        assert run["simulation"] == "byol" and run["steps"] == 50
        assert set(run["final"]) >= {"loss", "std_normalized", "effective_rank", "knn_accuracy", "dim"}
        assert run["verdict"] in ("healthy", "partly collapsed", "collapsed")
        published = PUBLISHED_OUTCOMES[combination]
        assert run["published"]["source"] == published.source
        assert run["agrees"] is (None if published.verdict is None else run["verdict"] == published.verdict)


def test_byol_table_shows_every_row_and_agreement(capsys):
    code, out, err = run(["byol", "--steps", "20"], capsys)
    assert code == 0 and err == ""
    assert "published · source" in out and "agrees" in out
    for name in ("BYOL (all three guards)", "no EMA (SimSiam)", "no guard at all"):
        assert name in out
    assert "not run" in out  # the combinations no paper ran say so


def test_dino_json_small_grid(capsys):
    code, out, err = run(["dino", "--steps", "30", "--grid", "2", "2", "--seeds", "2", "--json"],
                         capsys)
    assert code == 0 and err == ""
    data = strict_json(out)
    runs = data["runs"]
    assert len(runs) == 4 * 2 and data["config"]["seeds"] == [0, 1]
    assert len(data["cells"]) == 4
    for cell in data["cells"]:
        assert cell["seeds"] == 2 and sum(cell["fractions"].values()) == pytest.approx(1.0)
    assert data["config"]["center_momenta"] == [0.9, 0.999]
    assert data["config"]["teacher_temperatures"] == pytest.approx([0.01, 0.2])
    for record in runs:
        assert record["simulation"] == "dino" and record["steps"] == 30
        assert set(record["final"]) >= {"teacher_entropy", "usage_entropy", "kl_teacher_student", "knn_accuracy"}
        assert record["regime"] in ("one prototype dominates", "healthy", "uniform")
        assert {"teacher_temperature", "center_momentum", "seed"} <= set(record["config"])


def test_grid_axes():
    assert {0.02, 0.04, 0.06, 0.08} <= set(teacher_temperatures(7))  # the default: App. D's
    assert teacher_temperatures(3) == pytest.approx((0.01, 0.2 ** 0.5 * 0.1, 0.2))
    for count in range(2, 12):
        momenta = center_momenta(count)
        assert len(momenta) == count == len(set(momenta))
        assert 0.9 in momenta and 0.999 in momenta
        assert list(momenta) == sorted(momenta)


@pytest.mark.parametrize("argv", [
    ["byol", "--steps", "x"], ["byol", "--steps", "0"], ["byol", "--seed", "-1"],
    ["byol", "--grid", "2", "2"], ["dino", "--grid", "1", "3"], ["dino", "--grid", "2"],
    ["dino", "--grid", "a", "b"], ["dino", "--steps", "2000000"], [], ["mae"],
    ["dino", "--seeds", "0"], ["dino", "--workers", "0"], ["dino", "--seeds", "x"],
])
def test_bad_arguments_one_line_exit_2(argv, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("distill-lab: error: ") and err.count("\n") == 1


@pytest.mark.soak  # over ~5 s: trains the grid over seeds
def test_byol_over_seeds_counts_each_combination(capsys):
    code, out, err = run(["byol", "--steps", "20", "--seeds", "2", "--seed", "4", "--workers", "1",
                          "--json"], capsys)
    assert code == 0 and err == ""
    data = strict_json(out)
    assert data["seeds"] == [4, 5] and len(data["rows"]) == 8
    for row in data["rows"]:
        assert sum(row["verdicts"].values()) == 2 and row["steps"] == 20
        assert row["matches"] is None or 0 <= row["matches"] <= 2
    code, out, err = run(["byol", "--steps", "20", "--seeds", "2", "--workers", "1"], capsys)
    assert code == 0 and "seeds agreeing" in out and "not run" in out
