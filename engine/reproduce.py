"""Every published outcome the README claims, trained over many seeds: how many seeds match.

A *claim* is one setting (BYOL guards and App. I, BYOL Table 5a's slow target, DINO Fig. 7,
DINO App. D), the outcome a paper reports for it (``engine.published``) and the toy verdicts
that count as that outcome. ``reproduce(seeds)`` trains every claim on every seed and returns
one row a claim: how many seeds match, the verdicts seen, the spread of the deciding metric and
the step from which the outcome held to the end of the run.

Runs are spread over worker processes (one per core by default). The eight BYOL guard
combinations of one seed are one task, trained batched by ``BYOLGrid`` in float64, bit for bit
the page's single runs (in float32, which the Ablations page uses, one of 48 member verdicts on
seeds 1000-1005 differed from float64's: docs/performance.md section 5); every other claim is
one single float64 run a seed. Nothing here steers a run: each is the page's simulation with the
claim's settings, judged by the page's own verdict functions.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from engine.byol import BYOLSimulation, byol_verdict
from engine.byol_grid import GUARD_COMBINATIONS, BYOLGrid
from engine.dino import DINOSimulation, dino_verdict
from engine.published import (
    DINO_FIG7,
    GUARD_NAMES,
    PAPER_POINTS,
    PUBLISHED_OUTCOMES,
    SLOW_PREDICTOR_BYOL,
    SLOW_PREDICTOR_WITH_EMA,
    SLOW_TARGET,
)

# A DINO run uses "one prototype" literally when its usage entropy says fewer than 1.5
# prototypes carry the mass (exp of the entropy is the effective number of prototypes).
ONE_PROTOTYPE_EFFECTIVE = 1.5
# Claims are evaluated every this many steps: the verdicts need only the final values and the
# step the outcome appeared (to within this many steps); evaluation does not touch training.
EVAL_INTERVAL = 50


@dataclass(frozen=True)
class Claim:
    """One setting, what a paper found for it, and the toy verdicts that count as that."""

    key: str
    setting: str
    simulation: str  # "byol", "byol_grid" or "dino"
    params: dict
    published: str
    source: str
    expected: tuple[str, ...]  # verdicts that match; empty when no paper ran the setting
    steps: int = 1500
    note: str = ""
    member: int | None = field(default=None)  # BYOLGrid member, for simulation "byol_grid"


def _guard_claims() -> list[Claim]:
    claims = []
    for member, combination in enumerate(GUARD_COMBINATIONS):
        published = PUBLISHED_OUTCOMES[combination]
        ema, stop_gradient, predictor = combination
        claims.append(Claim(
            key="byol_" + "_".join(name for name, on in
                                   (("ema", ema), ("sg", stop_gradient), ("pred", predictor)) if on)
                if any(combination) else "byol_no_guard",
            setting=GUARD_NAMES[combination] + (", predictor 10x" if predictor else ""),
            simulation="byol_grid", params={}, published=published.outcome,
            source=published.source,
            expected=(published.verdict,) if published.verdict else (), member=member))
    return claims


def _single_byol_claims() -> list[Claim]:
    return [
        Claim("byol_predictor_1x", "BYOL (all three guards), predictor 1x", "byol",
              {"predictor_lr_multiplier": 1.0}, SLOW_PREDICTOR_WITH_EMA.outcome,
              SLOW_PREDICTOR_WITH_EMA.source, (SLOW_PREDICTOR_WITH_EMA.verdict,)),
        Claim("simsiam_predictor_1x", "no EMA (SimSiam), predictor 1x", "byol",
              {"ema": False, "predictor_lr_multiplier": 1.0}, SLOW_PREDICTOR_BYOL.outcome,
              SLOW_PREDICTOR_BYOL.source, (SLOW_PREDICTOR_BYOL.verdict,),
              note="BYOL and SimSiam disagree on this setting"),
        Claim("byol_ema_0.9999", "EMA momentum 0.9999 (teacher nearly frozen)", "byol",
              {"ema_momentum": 0.9999}, SLOW_TARGET.outcome, SLOW_TARGET.source,
              (SLOW_TARGET.verdict,)),
    ]


def _dino_claims() -> list[Claim]:
    both, sharpening, centering = (DINO_FIG7[k] for k in ("both", "sharpening only",
                                                          "centering only"))
    claims = [
        Claim("dino_both", "DINO: centering + sharpening (teacher 0.04, centre 0.9)", "dino", {},
              both.outcome, both.source, (both.regime,)),
        Claim("dino_sharpening_only", "DINO: sharpening only (no centering)", "dino",
              {"centering": False}, sharpening.outcome, sharpening.source, (sharpening.regime,)),
        Claim("dino_centering_only", "DINO: centering only (teacher 0.2 >= student 0.1)", "dino",
              {"teacher_temperature": 0.2}, centering.outcome, centering.source,
              (centering.regime,)),
    ]
    for point in PAPER_POINTS:
        if point.note.startswith("centre momentum 0.9 ") or point.note == "teacher temperature 0.04":
            continue  # DINO's defaults: the "both" row above
        collapse = ("one prototype dominates", "uniform")
        claims.append(Claim(
            f"dino_t{point.teacher_temperature:g}_m{point.center_momentum:g}",
            f"DINO: {point.note}", "dino",
            {"teacher_temperature": point.teacher_temperature,
             "center_momentum": point.center_momentum},
            f"{point.outcome} ({point.top1:g}% top-1)", point.source,
            ("healthy",) if point.outcome == "healthy" else collapse))
    return claims


# Issue 15's multi-crop training simulation adds its claims here when it lands on main (one
# Claim a setting, simulation "multicrop"); nothing trains multi-crop yet.
MULTICROP_CLAIMS: tuple[Claim, ...] = ()

CLAIMS: tuple[Claim, ...] = tuple(_guard_claims() + _single_byol_claims() + _dino_claims()
                                  + list(MULTICROP_CLAIMS))


# -- training (in the worker processes) -------------------------------------------------------
class _ReproduceBYOL(BYOLSimulation):
    EVAL_INTERVAL = EVAL_INTERVAL
    DENSE_STEPS = 0  # the claims need final values, not every early step
    KNN_INTERVAL = 1500  # kNN is not part of any verdict; refreshed at the end of the run


class _ReproduceGrid(BYOLGrid):
    EVAL_INTERVAL = EVAL_INTERVAL
    KNN_INTERVAL = 1500


class _ReproduceDINO(DINOSimulation):
    EVAL_INTERVAL = EVAL_INTERVAL
    DENSE_STEPS = 0


def _byol_record(history, latest, dim: int, diverged_at_step) -> dict:
    steps = history.steps()
    verdicts = [byol_verdict(s, dim, r) for s, r in
                zip(history.column("std_normalized"), history.column("effective_rank"))]
    return {
        "verdict": byol_verdict(latest["std_normalized"], dim, latest["effective_rank"]),
        "metrics": {"spread": latest["std_normalized"] * math.sqrt(dim),
                    "effective_rank": latest["effective_rank"],
                    "knn_accuracy": latest["knn_accuracy"]},
        "verdicts": verdicts, "steps": steps.astype(int).tolist(),
        "diverged_at_step": diverged_at_step,
    }


def _dino_record(sim: DINOSimulation) -> dict:
    history, latest, k = sim.history, sim.latest, sim.num_prototypes
    verdicts = [dino_verdict(t, u, k) for t, u in
                zip(history.column("teacher_entropy"), history.column("usage_entropy"))]
    return {
        "verdict": dino_verdict(latest["teacher_entropy"], latest["usage_entropy"], k),
        "metrics": {"teacher_entropy": latest["teacher_entropy"],
                    "usage_entropy": latest["usage_entropy"],
                    "prototypes_used": math.exp(latest["usage_entropy"]),
                    "kl_teacher_student": latest["kl_teacher_student"],
                    "knn_accuracy": latest["knn_accuracy"]},
        "verdicts": verdicts, "steps": history.steps().astype(int).tolist(),
        "diverged_at_step": sim.diverged_at_step,
    }


def train_task(task: tuple) -> dict:
    """One task: ("grid", seed, steps, dtype) or ("single", claim, seed). Picklable both ways."""
    start = time.process_time()
    if task[0] == "grid":
        _, seed, steps, dtype = task
        grid = _ReproduceGrid(seed=seed, dtype=np.dtype(dtype))
        grid.run(steps)
        records = {claim.key: _byol_record(grid.history[claim.member], grid.latest[claim.member],
                                           grid.dim, grid.diverged_at_step[claim.member])
                   for claim in CLAIMS if claim.simulation == "byol_grid"}
    else:
        _, claim, seed = task
        key = claim.key
        if claim.simulation == "byol":
            sim = _ReproduceBYOL(seed=seed, **claim.params)
            sim.run(claim.steps)
            records = {key: _byol_record(sim.history, sim.latest, sim.dim, sim.diverged_at_step)}
        else:
            sim = _ReproduceDINO(seed=seed, **claim.params)
            sim.run(claim.steps)
            records = {key: _dino_record(sim)}
    seconds = time.process_time() - start
    return {"seed": seed, "records": records, "cpu_seconds": seconds}


CLAIM_BY_KEY = {claim.key: claim for claim in CLAIMS}


def outcome_step(verdicts: list[str], steps: list[int], expected: tuple[str, ...]) -> int | None:
    """The first evaluated step from which every verdict to the end is an expected one."""
    if not verdicts or verdicts[-1] not in expected:
        return None
    first = len(verdicts) - 1
    while first > 0 and verdicts[first - 1] in expected:
        first -= 1
    return steps[first]


# -- running and summarising ------------------------------------------------------------------
def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


def tasks_for(seeds: list[int], claims=CLAIMS, grid_dtype: str = "float64") -> list[tuple]:
    """The grid task of each seed (longest) first, then the single runs."""
    tasks = []
    if any(c.simulation == "byol_grid" for c in claims):
        steps = max(c.steps for c in claims if c.simulation == "byol_grid")
        tasks += [("grid", seed, steps, grid_dtype) for seed in seeds]
    tasks += [("single", c, seed) for c in claims if c.simulation != "byol_grid" for seed in seeds]
    return tasks


def run_tasks(tasks: list[tuple], workers: int, progress=None) -> list[dict]:
    """Train the tasks, in worker processes when ``workers`` > 1; ``progress(done, total)``."""
    results = []
    if workers <= 1:
        for task in tasks:
            results.append(train_task(task))
            if progress:
                progress(len(results), len(tasks))
        return results
    # Spawned, not forked: a caller with Qt loaded is never copied into the workers.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        for result in pool.map(train_task, tasks):
            results.append(result)
            if progress:
                progress(len(results), len(tasks))
    except BaseException:
        # Interrupted (Ctrl+C, SIGTERM) or a worker died: the others stop now. Shutting down alone
        # waits for their runs, minutes, and they outlived a killed parent. Python 3.14 has
        # terminate_workers(); before it the processes are only reachable here.
        for process in list((pool._processes or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def _spread(values: list[float]) -> dict | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    return {"min": min(finite), "median": float(np.median(finite)), "max": max(finite)}


def summarise(claims, seeds: list[int], results: list[dict]) -> list[dict]:
    """One row a claim: matches, verdict counts, metric spreads, when the outcome appeared."""
    by_claim: dict[str, dict[int, dict]] = {c.key: {} for c in claims}
    for result in results:
        for key, record in result["records"].items():
            if key in by_claim:
                by_claim[key][result["seed"]] = record
    rows = []
    for claim in claims:
        records = [by_claim[claim.key][seed] for seed in seeds]
        verdicts = [r["verdict"] for r in records]
        matching = [seed for seed, v in zip(seeds, verdicts) if v in claim.expected]
        outcome_steps = [outcome_step(r["verdicts"], r["steps"], claim.expected)
                         for r in records]
        counts: dict[str, int] = {}
        for verdict in verdicts:
            counts[verdict] = counts.get(verdict, 0) + 1
        metrics = {name: _spread([r["metrics"][name] for r in records])
                   for name in records[0]["metrics"]}
        row = {
            "key": claim.key,
            "setting": claim.setting,
            "published": claim.published,
            "source": claim.source,
            "matches": len(matching) if claim.expected else None,
            "seeds": len(seeds),
            "seed_list": list(seeds),
            "matching_seeds": matching if claim.expected else None,
            "expected_verdicts": list(claim.expected),
            "verdicts": counts,
            "verdict_by_seed": {str(seed): verdict for seed, verdict in zip(seeds, verdicts)},
            "metrics": metrics,
            "outcome_step": _spread([s for s in outcome_steps if s is not None]),
            "steps": claim.steps,
            "diverged_seeds": [seed for seed, r in zip(seeds, records)
                               if r["diverged_at_step"] is not None],
            "note": claim.note,
        }
        if claim.simulation == "dino":
            row["one_prototype_seeds"] = sum(r["metrics"]["prototypes_used"]
                                             < ONE_PROTOTYPE_EFFECTIVE for r in records)
        rows.append(row)
    return rows


def reproduce(seeds: list[int], workers: int | None = None, claims=CLAIMS,
              grid_dtype: str = "float64", progress=None) -> dict:
    """Train every claim on every seed; the rows and the run's cost."""
    workers = default_workers() if workers is None else workers
    start = time.perf_counter()
    results = run_tasks(tasks_for(seeds, claims, grid_dtype), workers, progress)
    return {
        "seeds": list(seeds),
        "workers": workers,
        "grid_dtype": grid_dtype,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": sum(r["cpu_seconds"] for r in results),
        "rows": summarise(claims, list(seeds), results),
    }
