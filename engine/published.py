"""What the papers found, in one place: the tables the ablation grid, the regime map and
``distill-lab reproduce`` compare the toy with.

Facts and numbers come from the papers as summarised in PAPERS.md (BYOL arXiv 2006.07733, SimSiam
2011.10566, DirectPred 2102.06810, DINO 2104.14294). Nothing here trains or judges: a table maps
a setting to the outcome a paper reports, its source and the toy verdicts that count as that
outcome.
"""
from __future__ import annotations

from dataclasses import dataclass

# -- BYOL: the 8 guard combinations (EMA, stop-gradient, predictor) ------------------------------
@dataclass(frozen=True)
class PublishedOutcome:
    """What the papers report for one guard combination.

    ``verdict`` is the ``byol_verdict`` the paper's outcome corresponds to ("healthy" or
    "collapsed"), or None when no paper in PAPERS.md ran the combination.
    """

    outcome: str
    verdict: str | None
    source: str
    evidence: str


PUBLISHED_OUTCOMES: dict[tuple[bool, bool, bool], PublishedOutcome] = {
    # (ema, stop_gradient, predictor)
    (True, True, True): PublishedOutcome(
        "healthy", "healthy", "BYOL Table 5",
        "BYOL as published: 72.5% top-1 (Table 5b baseline; Table 5a, tau = 0.99)."),
    (True, True, False): PublishedOutcome(
        "collapse", "collapsed", "BYOL Table 5b",
        "No predictor, EMA target, no negatives (beta = 0): 0.2% top-1."),
    (True, False, True): PublishedOutcome(
        "collapse", "collapsed", "BYOL Table 19",
        "Predictor, gradient flowing through the target: 0.3% top-1."),
    (True, False, False): PublishedOutcome(
        "not run in the papers", None, "none (DirectPred Thm. 2 is theory only)",
        "No paper ran EMA without stop-gradient and without predictor. DirectPred's linear-model "
        "theory (Thm. 2) predicts collapse (W -> 0) without stop-gradient or without predictor."),
    (False, True, True): PublishedOutcome(
        "healthy", "healthy", "SimSiam Table 1 and Fig. 2; BYOL App. I",
        "SimSiam (teacher = student, stop-gradient, predictor): 67.7-68.1% linear, no EMA needed. "
        "BYOL App. I: tau = 0 works (66.6%) with the predictor's lr x10 (the default here); BYOL "
        "Table 5b reports 0.3% with the predictor at the base lr."),
    (False, True, False): PublishedOutcome(
        "collapse", "collapsed", "SimSiam Table 1; BYOL Table 5b",
        "SimSiam without predictor: 0.1%; BYOL Table 5b, neither predictor nor target: 0.1%."),
    (False, False, True): PublishedOutcome(
        "collapse", "collapsed", "SimSiam Fig. 2",
        "SimSiam without stop-gradient: the loss reaches its minimum at once, the per-channel std "
        "of z/|z| goes to 0, linear accuracy 0.1%."),
    (False, False, False): PublishedOutcome(
        "not run in the papers", None, "none (DirectPred Thm. 2 is theory only)",
        "No paper ran the network with no guard at all. DirectPred's linear-model theory (Thm. 2) "
        "predicts collapse (W -> 0) without stop-gradient or without predictor."),
}

GUARD_NAMES: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "BYOL (all three guards)",
    (True, True, False): "no predictor",
    (True, False, True): "no stop-gradient",
    (True, False, False): "no stop-gradient, no predictor",
    (False, True, True): "no EMA (SimSiam)",
    (False, True, False): "no EMA, no predictor",
    (False, False, True): "no EMA, no stop-gradient",
    (False, False, False): "no guard at all",
}


def agrees_with_paper(verdict: str, published: PublishedOutcome) -> bool | None:
    """True/False: does the toy's verdict match the paper's outcome? None: no paper ran it."""
    if published.verdict is None:
        return None
    return verdict == published.verdict


# -- DINO App. D: teacher temperature and centre momentum ---------------------------------------
@dataclass(frozen=True)
class PaperPoint:
    """One setting DINO App. D ran, and what it found (ImageNet top-1 after 100 epochs)."""

    teacher_temperature: float
    center_momentum: float
    outcome: str  # "healthy" or "collapse"
    top1: float
    source: str
    note: str


_APP_D = "DINO App. D"
# App. D varies one setting at a time; the other is taken at DINO's default (teacher temperature
# 0.04, centre momentum 0.9), which App. D does not restate. Teacher temperature 0 (43.9%) has no
# place on a log axis and is left out.
PAPER_POINTS: tuple[PaperPoint, ...] = (
    PaperPoint(0.04, 0.0, "healthy", 69.1, _APP_D, "centre momentum 0"),
    PaperPoint(0.04, 0.9, "healthy", 69.7, _APP_D, "centre momentum 0.9 (DINO's default)"),
    PaperPoint(0.04, 0.99, "healthy", 69.4, _APP_D, "centre momentum 0.99"),
    PaperPoint(0.04, 0.999, "collapse", 0.1, _APP_D, "centre momentum 0.999"),
    PaperPoint(0.02, 0.9, "healthy", 66.7, _APP_D, "teacher temperature 0.02"),
    PaperPoint(0.04, 0.9, "healthy", 69.6, _APP_D, "teacher temperature 0.04"),
    PaperPoint(0.06, 0.9, "healthy", 68.7, _APP_D, "teacher temperature 0.06"),
    PaperPoint(0.08, 0.9, "collapse", 0.1, _APP_D, "teacher temperature 0.08"),
)
# The exact values App. D ran, so the regime map can have them as rows and columns.
APP_D_TEACHER_TEMPERATURES = (0.02, 0.04, 0.06, 0.08)
APP_D_CENTER_MOMENTA = (0.0, 0.9, 0.99, 0.999)


def regime_agrees(regime: str, outcome: str) -> bool:
    """Does a toy regime match a paper outcome? The paper's "collapse" does not say which kind, so
    either collapse regime matches it."""
    return (regime == "healthy") == (outcome == "healthy")


# -- DINO Fig. 7: centering and sharpening ------------------------------------------------------
@dataclass(frozen=True)
class Fig7Outcome:
    """What DINO Fig. 7 shows for one combination of centering and sharpening."""

    outcome: str
    regime: str  # the dino_verdict that is this outcome
    source: str


DINO_FIG7 = {
    "both": Fig7Outcome("healthy", "healthy", "DINO Fig. 7"),
    "sharpening only": Fig7Outcome("one prototype dominates, teacher entropy -> 0",
                                   "one prototype dominates", "DINO Fig. 7"),
    "centering only": Fig7Outcome("uniform, teacher entropy -> log K", "uniform", "DINO Fig. 7"),
}

# -- BYOL's target momentum and predictor learning rate ------------------------------------------
# BYOL Table 5a: tau = 0.999 gives 69.8% top-1 (tau = 1, a frozen random target, 18.8%);
# BYOL App. I: tau = 0 works only with the predictor's lr x10 (66.6%); at the base lr, BYOL
# Table 5b reports 0.3% for "predictor, no target". SimSiam (Table 1) trains without EMA at one
# learning rate (predictor lr not decayed: 68.1%): the two papers disagree on the slow predictor.
SLOW_PREDICTOR_BYOL = PublishedOutcome(
    "collapse", "collapsed", "BYOL App. I and Table 5b (SimSiam Table 1 reports healthy)",
    "BYOL: without EMA the predictor needs lr x10 (App. I, 66.6%); at the base lr 0.3% (Table 5b). "
    "SimSiam trains the same network healthy at one learning rate (67.7-68.1%).")
SLOW_PREDICTOR_WITH_EMA = PublishedOutcome(
    "healthy", "healthy", "BYOL Table 5",
    "BYOL as published trains every part at one learning rate: 72.5% top-1.")
SLOW_TARGET = PublishedOutcome(
    "not collapsed, poorer features", "healthy", "BYOL Table 5a",
    "tau = 0.999: 69.8%; tau = 1 (frozen random target): 18.8%, poor but not collapsed.")
