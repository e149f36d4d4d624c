"""Honest verdicts: what a run's collapse metrics say, judged only once they have held.

A raw verdict is read from one evaluation (``byol_verdict``, ``dino_verdict``). What the app, the CLI
and the JSON show goes through a ``VerdictTracker``:

- step 0 is UNTRAINED, and HEALTHY is never said before ``healthy_after`` steps: a random network's
  outputs are spread out by chance, not by learning;
- a new raw verdict is shown only after it has held for ``HOLD_STEPS`` training steps, so a metric
  wobbling around a threshold does not make the verdict flip back and forth;
- an early dip is named as what it is (a transient), not as a collapse: BYOL's spread falls for the
  first few hundred steps of a healthy run before it recovers, and DINO's output starts near
  uniform before sharpening picks prototypes. The transient name is used until the run has settled
  or ``TRANSIENT_STEPS`` have passed; after that the dip is called what it then is.

Pure numpy, no Qt.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

HOLD_STEPS = 30  # a verdict changes only after the new one has held this many steps
UNTRAINED = "untrained"
EARLY = "too early"


@dataclass(frozen=True)
class VerdictRules:
    """How one simulation's raw verdicts are named and when a dip counts as a transient.

    ``transients`` maps a raw verdict to the transient shown instead while the run is young
    (before ``transient_steps`` and before any settled verdict has been shown). "healthy" is not
    shown before ``healthy_after`` steps.
    """

    transients: dict[str, str]
    transient_steps: int
    healthy_after: int
    hold_steps: int = HOLD_STEPS


# Healthy BYOL runs on seeds 0-9 dip below a spread of 0.3 from step ~10 and recover by step 134-760;
# their random start reads healthy for the first ~10 steps.
BYOL_RULES = VerdictRules(transients={"partly collapsed": "dipping"}, transient_steps=1000,
                          healthy_after=100)
# Healthy DINO runs read healthy from their random start for ~70 steps, then near uniform (the centre
# flattens the teacher) until sharpening picks prototypes (seeds 0-3: by step 150-660).
DINO_RULES = VerdictRules(transients={"uniform": "uniform phase"}, transient_steps=700,
                          healthy_after=200)

DIVERGED = "diverged"

# The words for each verdict: (headline, kind); kind picks the colour (healthy, collapsed, transient).
HEADLINES: dict[str, tuple[str, str]] = {
    UNTRAINED: ("UNTRAINED: step 0, nothing learned yet; press Play", "untrained"),
    EARLY: (f"TRAINING: too early to judge (a verdict must hold {HOLD_STEPS} steps)", "untrained"),
    # BYOL
    "healthy": ("HEALTHY: outputs spread out", "healthy"),
    "dipping": ("DIPPING: the pull toward collapse; watch whether it recovers", "transient"),
    "partly collapsed": ("PARTLY COLLAPSED: outputs squeezed into a few directions", "transient"),
    "collapsed": ("COLLAPSED: every input gets the same output", "collapsed"),
    # DINO
    "dino healthy": ("HEALTHY: confident per sample, many prototypes used", "healthy"),
    "uniform phase": ("EARLY UNIFORM PHASE: flat output; watch whether sharpening picks prototypes",
                      "transient"),
    "uniform": ("COLLAPSED: uniform, every prototype equally likely", "collapsed"),
    "one prototype dominates": ("COLLAPSED: one prototype wins every sample", "collapsed"),
    # either: the run stopped on a non-finite value, so its last metrics say nothing about collapse
    DIVERGED: ("DIVERGED: training blew up", "diverged"),
}


def headline(verdict: str, simulation: str = "byol") -> tuple[str, str]:
    """(headline, kind) of a shown verdict; DINO's "healthy" has its own words."""
    if simulation == "dino" and verdict == "healthy":
        return HEADLINES["dino healthy"]
    return HEADLINES[verdict]


class VerdictTracker:
    """The shown verdict of one run: raw verdicts in, a verdict that changes only after holding out."""

    def __init__(self, rules: VerdictRules):
        self.rules = rules
        self.reset()

    def reset(self) -> None:
        """A fresh run: untrained until a verdict has held."""
        self.shown = UNTRAINED
        self._candidate: str | None = None
        self._candidate_since = 0
        self._settled = False  # a non-transient verdict has been shown since the reset

    def update(self, step: int, raw: str) -> str:
        """Feed the raw verdict at ``step`` (steps increasing); returns the verdict to show."""
        if step <= 0:
            self.reset()
            return self.shown
        if self.shown == UNTRAINED:
            self.shown = EARLY
        candidate = raw
        if not self._settled and step < self.rules.transient_steps:
            candidate = self.rules.transients.get(raw, raw)
        if candidate == self.shown:
            self._candidate = None
            return self.shown
        if candidate != self._candidate:
            # The step before this evaluation is where the new state may have begun; counting from
            # here is the cautious choice (it never shows a verdict early).
            self._candidate, self._candidate_since = candidate, step
        if candidate == "healthy" and step < self.rules.healthy_after:
            return self.shown
        if step - self._candidate_since >= self.rules.hold_steps:
            self.shown = candidate
            self._candidate = None
            if candidate not in self.rules.transients.values():
                self._settled = True
        return self.shown


# -- raw verdicts from the metrics ---------------------------------------------------------------
def spread(std_normalized, dim: int):
    """The spread in its one unit: std of z/|z| per dimension x sqrt(d); 1 = isotropic, 0 = collapsed.

    A number for a number, an array for an array (a history)."""
    value = std_normalized * math.sqrt(dim)
    return float(value) if isinstance(value, float) or getattr(value, "ndim", 1) == 0 else value


def byol_verdict(std_normalized: float, dim: int, effective_rank: float) -> str:
    """The raw state in a few words, from the collapse metrics alone.

    A spread below 0.1 is complete collapse (every input gets almost the same output); below 0.3,
    or an effective rank under 2, the outputs use only a few directions.
    """
    value = spread(std_normalized, dim)
    if value < 0.1:
        return "collapsed"
    if value < 0.3 or effective_rank < 2.0:
        return "partly collapsed"
    return "healthy"


# DINO thresholds, as fractions of log K (the entropy of the uniform distribution). The usage entropy
# minus the mean teacher entropy is the information the teacher's output carries about the sample
# (a mutual information, 0 when every sample gets the same distribution).
# - collapsed when that information is below 0.2 log K (the output hardly depends on the sample),
#   or when the usage entropy is below 0.3 log K (one or two prototypes carry nearly all the mass);
# - a collapse is "uniform" when the per-sample teacher entropy is above 0.5 log K (flat output,
#   DINO Fig. 7 centering only), else "one prototype dominates" (DINO Fig. 7 sharpening only);
# - anything else is healthy: confident per sample while many prototypes are used.
MIN_INFORMATION_FRACTION = 0.2
MIN_USAGE_FRACTION = 0.3
UNIFORM_ENTROPY_FRACTION = 0.5


def dino_verdict(teacher_entropy: float, usage_entropy: float, num_prototypes: int) -> str:
    """One of "one prototype dominates", "uniform", "healthy" for DINO's two collapse metrics.

    ``teacher_entropy`` is the mean per-sample entropy of the teacher distribution and
    ``usage_entropy`` the entropy of its batch mean, both in nats, over ``num_prototypes``.
    """
    log_k = math.log(num_prototypes)
    information = usage_entropy - teacher_entropy
    collapsed = (information < MIN_INFORMATION_FRACTION * log_k
                 or usage_entropy < MIN_USAGE_FRACTION * log_k)
    if not collapsed:
        return "healthy"
    if teacher_entropy > UNIFORM_ENTROPY_FRACTION * log_k:
        return "uniform"
    return "one prototype dominates"


def shown_sequence(verdicts: list[str]) -> list[str]:
    """The verdicts in the order shown, repeats removed (for tests and reports)."""
    return [v for i, v in enumerate(verdicts) if i == 0 or v != verdicts[i - 1]]


def flip_flops(verdicts: list[str]) -> int:
    """How many times a shown verdict comes back after another one replaced it."""
    sequence = shown_sequence(verdicts)
    return len(sequence) - len(set(sequence))

