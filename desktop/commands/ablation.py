"""`distill-lab ablation`: the papers' ablation tables as live experiments, headless.

    distill-lab ablation byol [--steps N] [--seed S] [--seeds N] [--workers W] [--json]
    distill-lab ablation dino [--steps N] [--seed S] [--seeds N] [--workers W] [--grid R C] [--json]
    distill-lab ablation multicrop [--steps N] [--seed S] [--json]

``byol`` trains all 8 combinations of EMA / stop-gradient / predictor side by side from the same
seed (engine.byol_grid) and prints each one's final spread, effective rank, kNN accuracy and
verdict beside the published outcome. ``dino`` fills the regime map of teacher temperature x
centre momentum (engine.dino_regime_map), one DINO run a cell and seed, in worker processes, and
prints each cell's majority regime with its share of the seeds. ``multicrop`` trains multi-crop
DINO on the bundled photos with 0, 2, 4, 6, 8 and 10 local crops (the toy's DINO Table 8).

JSON: one object with a "runs" list, one record a run with its ``config`` and ``final`` metrics as
`distill-lab run` prints them, plus verdict / published / agrees (byol) or regime (dino). NaN and
infinities are printed as null. Bad arguments get one line on stderr ("distill-lab: error: ...")
and exit code 2. No Qt is imported.
"""
from __future__ import annotations

import argparse
import math

import numpy as np

from desktop.commands.options import add_json_option, add_seed_option, bounded_number
from desktop.commands.output import fail, json_safe, print_json, print_table
from engine.params import ParameterError

MAX_STEPS = 1_000_000
GRID_MINIMUM, GRID_MAXIMUM = 2, 24
STEPS_OPTION = bounded_number("--steps", int, 1, MAX_STEPS)
SEEDS_OPTION = bounded_number("--seeds", int, 1, 64)
WORKERS_OPTION = bounded_number("--workers", int, 1, 256)
GRID_SIZE_OPTION = bounded_number("--grid", int, GRID_MINIMUM, GRID_MAXIMUM,
                                  expected="takes two whole numbers R C", subject="--grid sizes")
KEPT_MOMENTA = (0.9, 0.999)  # DINO's default and App. D's collapsing one: always on the map
# Centre momenta added after the two kept ones when the grid has fewer columns than the default.
_MOMENTUM_PRIORITY = (0.0, 0.99, 0.5, 0.997)


# ---- arguments ---------------------------------------------------------------------------------------


def add_ablation_parser(commands) -> argparse.ArgumentParser:
    """Add the `ablation` command to ``commands`` (the subparsers of desktop.commands' parser)."""
    from engine.byol_grid import BYOLGrid
    from engine.dino_regime_map import DINORegimeMap

    ablation = commands.add_parser(
        "ablation", help="train the papers' ablation grids side by side and print the tables")
    kinds = ablation.add_subparsers(dest="ablation", required=True, parser_class=type(ablation))
    byol = kinds.add_parser("byol", help="the 8 combinations of EMA / stop-gradient / predictor")
    byol.add_argument("--steps", type=STEPS_OPTION, default=BYOLGrid.DEFAULT_STEPS,
                      help=f"training steps of every run (default {BYOLGrid.DEFAULT_STEPS})")
    byol.add_argument("--seeds", type=SEEDS_OPTION, default=1, metavar="N",
                      help="grids from --seed on, in worker processes; N > 1 prints each "
                           "combination's verdicts over the seeds (default 1)")
    byol.add_argument("--workers", type=WORKERS_OPTION, default=None, metavar="W",
                      help="worker processes for --seeds (default: one per core)")
    dino = kinds.add_parser("dino", help="the regime map: teacher temperature x centre momentum")
    dino.add_argument("--steps", type=STEPS_OPTION, default=DINORegimeMap.DEFAULT_STEPS,
                      help=f"training steps of every cell (default {DINORegimeMap.DEFAULT_STEPS})")
    dino.add_argument("--grid", type=GRID_SIZE_OPTION, nargs=2, metavar=("R", "C"), default=None,
                      help="R teacher temperatures (log-spaced) x C centre momenta (default "
                           "7 x 6 with DINO App. D's temperatures and momenta; 0.9 and 0.999 are "
                           "always among the momenta)")
    dino.add_argument("--seeds", type=SEEDS_OPTION, default=DINORegimeMap.DEFAULT_SEEDS, metavar="N",
                      help=f"seeds a cell, from --seed on (default {DINORegimeMap.DEFAULT_SEEDS})")
    dino.add_argument("--workers", type=WORKERS_OPTION, default=None, metavar="W",
                      help="worker processes (default: one per core)")
    from engine.multicrop_training import MultiCropSimulation

    multicrop = kinds.add_parser("multicrop", help="part-to-whole accuracy with 0, 2, 4, 6, 8, 10 local crops")
    multicrop.add_argument("--steps", type=STEPS_OPTION, default=MultiCropSimulation.DEFAULT_STEPS,
                           help=f"training steps of every run (default {MultiCropSimulation.DEFAULT_STEPS})")
    for sub in (byol, dino, multicrop):
        add_seed_option(sub, "seed shared by every run")
        add_json_option(sub)
    ablation.set_defaults(run=run_ablation)
    return ablation


# ---- the grid's axes ---------------------------------------------------------------------------------


def teacher_temperatures(count: int) -> tuple[float, ...]:
    """``count`` temperatures log-spaced between the default map's ends (0.01 and 0.2); the default
    count gives the default map's (DINO App. D's four among them)."""
    from engine.dino_regime_map import DEFAULT_TEACHER_TEMPERATURES

    low, high = DEFAULT_TEACHER_TEMPERATURES[0], DEFAULT_TEACHER_TEMPERATURES[-1]
    if count == len(DEFAULT_TEACHER_TEMPERATURES):
        return tuple(DEFAULT_TEACHER_TEMPERATURES)
    return tuple(float(t) for t in np.geomspace(low, high, count))


def center_momenta(count: int) -> tuple[float, ...]:
    """``count`` centre momenta, ascending, always with 0.9 and 0.999.

    Up to 6: a subset of the default map's momenta (the two kept ones first, then 0, 0.99, 0.5,
    0.997). Beyond 6: more momenta, each in the widest gap of log10(1 - m).
    """
    from engine.dino_regime_map import DEFAULT_CENTER_MOMENTA

    chosen = list(KEPT_MOMENTA) + [m for m in _MOMENTUM_PRIORITY if m in DEFAULT_CENTER_MOMENTA]
    chosen = sorted(chosen[:count])
    while len(chosen) < count:
        position = [math.log10(1.0 - m) for m in chosen]
        gaps = [a - b for a, b in zip(position, position[1:])]
        widest = int(np.argmax(gaps))
        middle = 1.0 - 10 ** ((position[widest] + position[widest + 1]) / 2)
        chosen.insert(widest + 1, float(f"{middle:.6g}"))
    return tuple(chosen)


# ---- byol --------------------------------------------------------------------------------------------


def byol_summary(steps: int, seed: int) -> dict:
    """Train the guard grid ``steps`` steps; its summary (engine.byol_grid.BYOLGrid.summary)."""
    from engine.byol_grid import BYOLGrid

    grid = BYOLGrid(seed=seed)
    seconds = grid.run(steps)
    summary = grid.summary(seconds)
    for run, row in zip(summary["runs"], grid.outcome_rows()):
        run["spread"] = row["spread"]  # std x sqrt(d), as the table prints it
    return summary


def byol_seeds_summary(steps: int, seed: int, seeds: int, workers: int | None) -> dict:
    """The guard grid on ``seeds`` seeds (engine.reproduce's grid rows): verdicts per combination."""
    import dataclasses

    from engine.reproduce import CLAIMS, reproduce

    claims = [dataclasses.replace(c, steps=steps) for c in CLAIMS if c.simulation == "byol_grid"]
    return reproduce(list(range(seed, seed + seeds)), workers=workers, claims=claims)


def print_byol_seeds(summary: dict) -> None:
    seeds = summary["seeds"]
    print(f"BYOL guard grid: 8 combinations x {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}), "
          f"{summary['rows'][0]['steps']} steps, {summary['workers']} worker processes, "
          f"{summary['seconds']:.1f} s")
    rows = [[row["setting"], f"{row['published']} · {row['source']}",
             "not run" if row["matches"] is None else f"{row['matches']} of {row['seeds']}",
             ", ".join(f"{n} {verdict}" for verdict, n in row["verdicts"].items())]
            for row in summary["rows"]]
    print_table(["combination", "published · source", "seeds agreeing", "verdicts"], rows)


def _agrees_text(agrees: bool | None) -> str:
    return {True: "yes", False: "NO", None: "not run"}[agrees]


def _number(value, form: str) -> str:
    return "-" if value is None or (isinstance(value, float) and not math.isfinite(value)) else format(value, form)


def print_byol(summary: dict) -> None:
    print(f"BYOL guard grid: 8 runs x {summary['steps']} steps, seed {summary['config']['seed']}, "
          f"{summary['seconds']:.1f} s (batched)")
    rows = []
    for run in summary["runs"]:
        final = run["final"]
        verdict = run["verdict"]
        if run["diverged"]:
            verdict += f" (diverged at step {run['diverged_at_step']})"
        rows.append([run["name"], _number(run["spread"], ".2f"), _number(final["effective_rank"], ".1f"),
                     _number(final["knn_accuracy"], ".0%"), verdict,
                     f"{run['published']['outcome']} · {run['published']['source']}",
                     _agrees_text(run["agrees"])])
    print_table(["combination", "spread (std x sqrt d)", "eff. rank", "kNN", "verdict",
                  "published · source", "agrees"], rows)
    disagreements = [run["name"] for run in summary["runs"] if run["agrees"] is False]
    if disagreements:
        print(f"The toy disagrees with the paper for: {', '.join(disagreements)}.")
    else:
        print("Every combination a paper ran agrees with the paper.")


# ---- dino --------------------------------------------------------------------------------------------


def dino_summary(steps: int, seed: int, grid: tuple[int, int] | None, seeds: int = 1,
                 workers: int | None = None) -> dict:
    """Fill the regime map; its summary (engine.dino_regime_map.DINORegimeMap.summary)."""
    from engine.dino_regime_map import DINORegimeMap

    axes = {}
    if grid is not None:
        axes = {"teacher_temperatures": teacher_temperatures(grid[0]),
                "center_momenta": center_momenta(grid[1])}
    regime_map = DINORegimeMap(steps=steps, seed=seed, seeds=seeds, workers=workers, **axes)
    seconds = regime_map.run()
    summary = regime_map.summary(seconds)
    for run in summary["runs"]:
        run["steps_per_cell"] = steps
    return summary


REGIME_LETTERS = {"one prototype dominates": "D", "healthy": "H", "uniform": "U"}


def print_dino(summary: dict) -> None:
    config = summary["config"]
    temperatures, momenta = config["teacher_temperatures"], config["center_momenta"]
    seeds = config["seeds"]
    print(f"DINO regime map: {len(temperatures)} teacher temperatures x {len(momenta)} centre momenta, "
          f"{config['steps_per_cell']} steps a run, seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}), "
          f"{summary['workers']} worker processes, {summary['seconds']:.1f} s")
    rows = []
    for run in summary["runs"]:
        final, cell = run["final"], run["config"]
        rows.append([_number(cell["teacher_temperature"], ".4g"), _number(cell["center_momentum"], "g"),
                     str(cell["seed"]),
                     _number(final["teacher_entropy"], ".2f"), _number(final["usage_entropy"], ".2f"),
                     _number(final["kl_teacher_student"], ".3f"), _number(final["knn_accuracy"], ".0%"),
                     run["regime"]])
    print_table(["teacher temp.", "centre mom.", "seed", "teacher H", "usage H", "KL(t||s)", "kNN",
                 "regime"], rows)
    print()
    print("Map (rows: teacher temperature; columns: centre momentum): the regime most seeds reached "
          "and how many, D = one prototype dominates, H = healthy, U = uniform")
    cells = {(cell["teacher_temperature"], cell["center_momentum"]): cell for cell in summary["cells"]}

    def cell_text(t: float, m: float) -> str:
        cell = cells.get((t, m))
        if cell is None:
            return "?"
        share = round(cell["fractions"][cell["majority"]] * cell["seeds"])
        return f"{REGIME_LETTERS[cell['majority']]} {share}/{cell['seeds']}"

    headers = ["temp \\ mom"] + [f"{m:g}" for m in momenta]
    grid_rows = [[f"{t:.4g}"] + [cell_text(t, m) for m in momenta] for t in temperatures]
    print_table(headers, grid_rows)
    print()
    print("DINO App. D (ImageNet, 100 epochs), the other setting at DINO's default:")
    points = []
    for point in summary["paper_points"]:
        where = "not on this map" if point["cell"] is None else point["regime"]
        seeds_agreeing = ("-" if point["seeds_done"] == 0
                          else f"{point['seeds_agreeing']} of {point['seeds_done']}")
        points.append([f"{point['teacher_temperature']:g}", f"{point['center_momentum']:g}",
                       f"{point['outcome']} ({point['top1']:g}%)", where, seeds_agreeing])
    print_table(["teacher temp.", "centre mom.", "paper", "toy (most seeds)", "seeds agreeing"], points)


def print_multicrop(summary: dict) -> None:
    rows = [[str(run["num_local"]), _number(run["final"]["part_whole_accuracy"], ".3f"),
             _number(run["final"]["part_whole_accuracy_start"], ".3f"), _number(run["final"]["chance"], ".3f"),
             _number(run["final"]["local_global_kl_same"], ".2f"), _number(run["final"]["local_global_kl_other"], ".2f")]
            for run in summary["runs"]]
    print(f"multi-crop, seed {summary['seed']}, {summary['steps']} steps a run; {summary['published']}")
    print_table(["locals", "part-to-whole", "at step 0", "chance", "KL same photo", "KL other photo"], rows)


# ---- the command -------------------------------------------------------------------------------------


def run_ablation(args: argparse.Namespace) -> int:
    """Train the grid, print its table (or JSON); 2 with one line on stderr for bad arguments."""
    try:
        if args.ablation == "byol":
            summary = (byol_summary(args.steps, args.seed) if args.seeds == 1 else
                       byol_seeds_summary(args.steps, args.seed, args.seeds, args.workers))
        elif args.ablation == "multicrop":
            from desktop.photo_training import locals_ablation

            summary = locals_ablation(args.seed, args.steps)
        else:
            grid = tuple(args.grid) if args.grid is not None else None
            summary = dino_summary(args.steps, args.seed, grid, args.seeds, args.workers)
    except ParameterError as error:
        return fail(str(error))
    if args.json:
        print_json(summary)
    elif args.ablation == "byol" and args.seeds > 1:
        print_byol_seeds(json_safe(summary))
    elif args.ablation == "byol":
        print_byol(json_safe(summary))
    elif args.ablation == "multicrop":
        print_multicrop(json_safe(summary))
    else:
        print_dino(json_safe(summary))
    return 0
