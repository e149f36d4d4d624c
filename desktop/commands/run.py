"""`distill-lab run PAGE`: train a page's simulation headless and print a summary.

Options are generated from each simulation's ParamSpecs, so the command line validates exactly as
the controls do.
"""
from __future__ import annotations

import argparse
import sys

from desktop.commands.options import add_json_option, bounded_number
from desktop.commands.output import fail, json_safe, print_json
from engine.verdicts import headline
from engine.params import ParameterError

MAX_STEPS = 1_000_000
STEPS_OPTION = bounded_number("--steps", int, 0, MAX_STEPS)


def _param_type(spec):
    """The argparse type of a numeric parameter: a refusal names the parameter and its range."""
    def parse(text: str) -> int | float:
        try:
            return spec.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{spec.name} must be {spec.range_text()}, not {text!r}") from None
    return parse


def simulations() -> dict:
    """The pages that train one simulation (desktop/pages.py), by page key; the Ablations page
    runs several and has its own command, `ablation`."""
    from desktop.pages import all_pages
    from engine.simulation import Simulation

    trainable = {}
    for page in all_pages():
        simulation_class = page.simulation_class
        if isinstance(simulation_class, type) and issubclass(simulation_class, Simulation):
            trainable[page.key] = simulation_class
    return trainable


def add_run_parser(commands) -> argparse.ArgumentParser:
    """`run` with one sub-command a simulation, its options from the simulation's ParamSpecs."""
    run = commands.add_parser("run", help="train a simulation headless and print a summary")
    simulations_by_name = simulations()
    subparsers = run.add_subparsers(dest="simulation", required=True, parser_class=type(run))
    for name, simulation_class in simulations_by_name.items():
        sub = subparsers.add_parser(name, help=(simulation_class.__doc__ or "").strip().splitlines()[0])
        if getattr(simulation_class, "ACCEPTS_PHOTO_FILES", False):
            sub.add_argument("--images", action="append", default=[], metavar="FOLDER",
                             help="a folder (or file) of photos that joins the bundled ones (repeatable)")
        sub.add_argument("--steps", type=STEPS_OPTION, default=simulation_class.DEFAULT_STEPS,
                         help=f"training steps (default {simulation_class.DEFAULT_STEPS})")
        add_json_option(sub)
        for spec in simulation_class.PARAMS:
            if spec.kind is bool:
                sub.add_argument(spec.cli_name, dest=spec.name, action="store_const",
                                 const=not spec.default, default=None, help=spec.help)
            else:
                sub.add_argument(spec.cli_name, dest=spec.name, default=None,
                                 type=_param_type(spec),
                                 metavar="N" if spec.kind is int else "X",
                                 help=f"{spec.help} ({spec.range_text()}; default {spec.default:g})")
    run.set_defaults(run=run_simulation)
    return run


def run_simulation(args: argparse.Namespace) -> int:
    simulation_class = simulations()[args.simulation]
    params = {spec.name: getattr(args, spec.name) for spec in simulation_class.PARAMS
              if getattr(args, spec.name) is not None}
    if getattr(args, "images", None):
        params["extra_photos"] = tuple(args.images)
    try:
        simulation = simulation_class(**params)
    except ParameterError as error:
        return fail(str(error))
    for problem in getattr(getattr(simulation, "photos", None), "problems", []):
        sys.stderr.write(f"distill-lab: photo refused: {problem}\n")
    seconds = simulation.run(args.steps)
    summary = json_safe(simulation.summary(seconds))
    if args.json:
        print_json(summary)
    else:
        print(f"{simulation_class.NAME}: {summary['steps']} steps in {seconds:.2f} s "
              f"({summary['steps'] / max(seconds, 1e-9):.0f} steps/s)")
        settings = ", ".join(f"{key}={value}" for key, value in summary["config"].items())
        print(f"settings: {settings}")
        if "verdict" in summary["final"]:  # the words the app shows for the run's verdict
            print(f"verdict: {headline(summary['final']['verdict'], simulation_class.NAME)[0]}")
        for key, value in summary["final"].items():
            print(f"  {key:>20s}: {value:.4g}" if isinstance(value, float) else f"  {key:>20s}: {value}")
    if simulation.diverged:
        sys.stderr.write(f"distill-lab: training diverged: {simulation.divergence_reason}\n")
        return 1
    return 0
