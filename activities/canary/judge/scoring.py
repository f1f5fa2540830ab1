"""From metric verdicts to a canary score (Kayenta's ``ScoringHelper`` and ``WeightedSumScorer``).

Muted metrics are dropped first. Each group scores 100·Pass / (Pass + High + Low +
NodataFailMetric); Nodata and Error do not count, and a group left with nothing
reports 0 but counts as 100 in the sum. The summary is Σ score × weight/100 with
unweighted groups sharing what the weights leave of 100, rounded half-up to two
decimals, unless a critical metric did not pass or half the metrics have no data,
which make it 0. The score is then Pass, Marginal or Fail against the thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

__all__ = [
    "NODATA_THRESHOLD",
    "GroupScore",
    "MetricOutcome",
    "ScoreClassification",
    "ScoreResult",
    "classify_score",
    "round_half_up",
    "score",
    "summary_score",
]

ScoreClassification = Literal["Pass", "Marginal", "Fail"]

NODATA_THRESHOLD = 50
"""Percentage of Nodata metrics at or above which the canary scores 0."""

_COUNTED = ("Pass", "High", "Low", "NodataFailMetric")


@dataclass(frozen=True)
class MetricOutcome:
    """What scoring needs to know of one metric's result."""

    classification: str
    groups: Sequence[str] = ()
    critical: bool = False
    muted: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class GroupScore:
    """A group's score; ``no_data`` when none of its metrics counted (score 0)."""

    name: str
    score: float
    no_data: bool


@dataclass(frozen=True)
class ScoreResult:
    """The summary score, its classification against the thresholds, and why."""

    score: float
    classification: ScoreClassification
    reason: str
    group_scores: list[GroupScore] = field(default_factory=list)


def round_half_up(value: float, places: int = 2) -> float:
    """Round to ``places`` decimals, halves away from zero (commons-math ``Precision.round``).

    The value is rounded from its shortest decimal representation, as Java's does
    from ``Double.toString``, so 33.335 becomes 33.34. NaN and infinities come back
    as they are.
    """
    if not math.isfinite(value):
        return value
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _group_scores(results: Sequence[MetricOutcome]) -> list[GroupScore]:
    # Groups in order of first appearance; a metric counts in each of its groups.
    labels: dict[str, list[str]] = {}
    for result in results:
        for group in result.groups:
            labels.setdefault(group, []).append(result.classification)
    scores = []
    for name, group_labels in labels.items():
        passed = group_labels.count("Pass")
        total = sum(1 for label in group_labels if label in _COUNTED)
        no_data = total == 0
        scores.append(GroupScore(name, 0.0 if no_data else (passed / total) * 100, no_data))
    return scores


def _weighted_sum(groups: Sequence[GroupScore], weights: Mapping[str, float]) -> float:
    unweighted = {group.name for group in groups} - set(weights)
    share = (100 - sum(weights.values())) / len(unweighted) if unweighted else 0.0
    total = 0.0
    for group in groups:
        effective = 100.0 if group.no_data else group.score
        total += effective * (weights.get(group.name, share) / 100)
    return round_half_up(total, 2)


def summary_score(
    results: Sequence[MetricOutcome], group_weights: Mapping[str, float]
) -> tuple[list[GroupScore], float, str | None]:
    """Group scores, the summary score and the reason it was zeroed (if it was).

    ``results`` must already exclude muted metrics.
    """
    groups = _group_scores(results)
    failures = [r for r in results if r.critical and r.classification != "Pass"]
    if failures:
        reason = failures[0].reason
        return groups, 0.0, f"Canary Failed: {'null' if reason is None else reason}"
    nodata = sum(1 for r in results if r.classification == "Nodata")
    # With no results at all 0/0 is NaN in Kayenta, which is not >= 50.
    if results and nodata / len(results) * 100 >= NODATA_THRESHOLD:
        return groups, 0.0, f"Canary Failed: {NODATA_THRESHOLD}% or more metrics returned NODATA"
    return groups, _weighted_sum(groups, group_weights), None


def classify_score(
    value: float, pass_threshold: float, marginal_threshold: float
) -> ScoreClassification:
    """Pass if ``value`` ≥ pass, Marginal if ≥ marginal, Fail otherwise."""
    if value >= pass_threshold:
        return "Pass"
    if value >= marginal_threshold:
        return "Marginal"
    return "Fail"


def score(
    results: Sequence[MetricOutcome],
    group_weights: Mapping[str, float],
    pass_threshold: float,
    marginal_threshold: float,
) -> ScoreResult:
    """Score a judge run: drop muted metrics, then :func:`summary_score` and :func:`classify_score`.

    Args:
        results: Every metric's outcome, muted ones included.
        group_weights: ``classifier.groupWeights`` (group → percent); may be empty.
        pass_threshold: The request's pass threshold.
        marginal_threshold: The request's marginal threshold.
    """
    counted = [r for r in results if not r.muted]
    groups, value, reason = summary_score(counted, group_weights)
    return ScoreResult(
        score=value,
        classification=classify_score(value, pass_threshold, marginal_threshold),
        reason=reason or "",
        group_scores=groups,
    )
