"""`distill-lab reproduce`: every published outcome the README claims, over many seeds.

    distill-lab reproduce [--seeds N] [--first-seed S] [--workers W] [--json]

Trains every claim of ``engine.reproduce`` (BYOL's guards, App. I and Table 5a; DINO Fig. 7 and
App. D) on seeds S, S+1, ..., S+N-1, spread over W worker processes (all cores by default), and
prints one row a claim: the setting, the published outcome and its source, how many seeds match,
the verdicts seen, the deciding metric's range and the step from which the outcome held.
JSON: an object whose ``rows`` list has, per claim, ``setting``, ``published``, ``source``,
``matches``, ``seeds`` and the metric figures (min, median, max). No Qt is imported.
"""
from __future__ import annotations

import argparse
import signal
import sys

from desktop.commands.options import add_json_option, bounded_number
from desktop.commands.output import fail, print_json, print_table

MAX_SEEDS = 1000
SEEDS_OPTION = bounded_number("--seeds", int, 1, MAX_SEEDS)
FIRST_SEED_OPTION = bounded_number("--first-seed", int, 0, 2**31 - 1 - MAX_SEEDS)
WORKERS_OPTION = bounded_number("--workers", int, 1, 256)
# The metric a row's range is shown for: BYOL rows by their spread, DINO rows by the number of
# prototypes the teacher uses (exp of its usage entropy: 1 = one prototype, K = uniform).
SHOWN_METRIC = {"spread": "spread", "prototypes_used": "prototypes used"}


def add_reproduce_parser(commands) -> argparse.ArgumentParser:
    """Add the `reproduce` command to ``commands``."""
    parser = commands.add_parser(
        "reproduce", help="train every published claim over many seeds and count the matches")
    parser.add_argument("--seeds", type=SEEDS_OPTION, default=12, metavar="N",
                        help="how many seeds a claim (default 12)")
    parser.add_argument("--first-seed", type=FIRST_SEED_OPTION, default=1000, metavar="S",
                        help="the first seed (default 1000: seeds no test or tuning used)")
    parser.add_argument("--workers", type=WORKERS_OPTION, default=None, metavar="W",
                        help="worker processes (default: one per core)")
    add_json_option(parser)
    parser.add_argument("--markdown", action="store_true",
                        help="print the table as Markdown (the README's tables are this output)")
    parser.set_defaults(run=run_reproduce)
    return parser


def _range(figures: dict | None, digits: int = 2) -> str:
    if figures is None:
        return "-"
    low, high = figures["min"], figures["max"]
    return f"{low:.{digits}f}" if round(low, digits) == round(high, digits) \
        else f"{low:.{digits}f}-{high:.{digits}f}"


def _steps(figures: dict | None) -> str:
    if figures is None:
        return "-"
    low, high = int(figures["min"]), int(figures["max"])
    return f"{low}" if low == high else f"{low}-{high}"


def row_cells(row: dict) -> list[str]:
    """One table line: what a README table shows."""
    matches = "not run" if row["matches"] is None else f"{row['matches']} of {row['seeds']}"
    verdicts = ", ".join(f"{count} {name}" for name, count in sorted(row["verdicts"].items(),
                                                                    key=lambda kv: -kv[1]))
    metric = next(name for name in SHOWN_METRIC if name in row["metrics"])
    return [row["setting"], f"{row['published']} · {row['source']}", matches, verdicts,
            f"{SHOWN_METRIC[metric]} {_range(row['metrics'][metric])}",
            _steps(row["outcome_step"])]


def run_reproduce(args: argparse.Namespace) -> int:
    from engine.reproduce import reproduce

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))

    def progress(done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            sys.stderr.write(f"\r{done} of {total} runs")
            sys.stderr.flush()

    from concurrent.futures.process import BrokenProcessPool

    def stop(signum, frame) -> None:
        raise KeyboardInterrupt  # the workers are stopped on the way out (engine.reproduce.run_tasks)

    for name in ("SIGTERM", "SIGHUP"):  # a `kill` or a closed terminal, as Ctrl+C
        if hasattr(signal, name):  # Windows has no SIGHUP
            signal.signal(getattr(signal, name), stop)
    try:
        result = reproduce(seeds, workers=args.workers, progress=progress)
    except KeyboardInterrupt:
        return fail("interrupted; nothing was printed", code=130)
    except BrokenProcessPool:
        return fail("a worker process stopped before its runs were done (out of memory?); "
                    "nothing was printed. Try fewer --workers", code=1)
    if args.json:
        print_json(result, indent=1)
        return 0
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(f"Seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}), {result['workers']} worker processes, "
          f"{result['seconds']:.0f} s ({result['cpu_seconds']:.0f} s of CPU); "
          f"the BYOL guard grid trains in {result['grid_dtype']}.")
    headers = ["setting", "published · source", "seeds matching", "verdicts", "final range",
               "outcome from step"]
    rows = [row_cells(row) for row in result["rows"]]
    if args.markdown:
        print()
        print("| " + " | ".join(headers) + " |")
        print("|" + "---|" * len(headers))
        for cells in rows:
            print("| " + " | ".join(cells) + " |")
    else:
        print_table(headers, rows)
    return 0
