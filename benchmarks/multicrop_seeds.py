"""Multi-crop against its twin and its own step 0, seed by seed, at the defaults: the figures the
README quotes. Run: PYTHONPATH=. python benchmarks/multicrop_seeds.py 100 101 ... [--steps N] [--json OUT]
"""
from __future__ import annotations

import argparse
import json

from desktop.photo_training import photo_set, run_multicrop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("seeds", type=int, nargs="+")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--json", default=None, help="append one JSON line a seed to this file")
    args = parser.parse_args()
    photos = photo_set()
    for seed in args.seeds:
        options = {} if args.steps is None else {"steps": args.steps}
        final = (summary := run_multicrop(seed=seed, photos=photos, **options))["final"]
        row = {"seed": seed, "seconds": summary["seconds"], "steps": summary["steps"],
               **{key: final[key] for key in ("part_whole_accuracy", "part_whole_accuracy_twin",
                                              "part_whole_accuracy_start", "chance")}}
        print(f"seed {seed}: multi-crop {row['part_whole_accuracy']:.3f}  twin {row['part_whole_accuracy_twin']:.3f}"
              f"  step 0 {row['part_whole_accuracy_start']:.3f}  ({row['seconds']:.0f} s)", flush=True)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
