"""NetflixACAJudge-v1.0: judge every metric of a canary run and score the run.

The result is Kayenta's ``CanaryJudgeResult`` as JSON-ready data. Each metric's
``resultMetadata`` carries Kayenta's ``ratio`` plus four extensions of ours:
``ciLower``, ``ciUpper`` and ``estimate`` (the Mann–Whitney interval and location
shift, experiment − control) and ``effectSize`` (the configured measure). They are
``null`` when the judge stopped before computing them (missing, identical or
single-valued data); an ``Error`` result has ``resultMetadata: null``, as Kayenta's.

Non-finite numbers are written as the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"``, which is what Kayenta's Jackson serialiser writes for a Java NaN,
so the output is standard JSON and reads the same as Kayenta's. ``null`` is kept
for "not computed".
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from activities.canary.judge.classifier import (
    ClassifierSettings,
    MetricClassification,
    classify,
)
from activities.canary.judge.scoring import MetricOutcome, score
from activities.canary.judge.stats import FloatArray, summary
from activities.canary.judge.transforms import remove_iqr_outliers, remove_nans, replace_nans
from models.canary import CanaryConfig, CanaryMetricConfig, MetricSetPair, ScoreThresholds
from models.errors import CanaryConfigError, FieldProblem

__all__ = ["DEFAULT_SEED", "JUDGE_NAME", "json_safe", "judge", "metric_rng"]

JUDGE_NAME = "NetflixACAJudge-v1.0"

DEFAULT_SEED = 0
"""The seed used when none is given, so that equal inputs give equal verdicts."""


def metric_rng(seed: int | None, metric_name: str) -> np.random.Generator:
    """The generator for one metric's step-D noise.

    It depends only on the run's seed and the metric's name (through SHA-256, not
    Python's per-process ``hash``), so a verdict can be replayed.
    """
    name_key = int.from_bytes(hashlib.sha256(metric_name.encode("utf-8")).digest()[:8], "big")
    run_key = (DEFAULT_SEED if seed is None else seed) & 0xFFFFFFFFFFFFFFFF
    return np.random.default_rng([run_key, name_key])


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by Jackson's string for it."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def _transform(values: FloatArray, metric: CanaryMetricConfig) -> FloatArray:
    settings = metric.canary
    values = remove_nans(values) if settings.nan_strategy == "remove" else replace_nans(values)
    if settings.outliers.strategy == "remove":
        values = remove_iqr_outliers(values, settings.outliers.outlier_factor)
    return values


def _classifier_settings(metric: CanaryMetricConfig) -> ClassifierSettings:
    effect = metric.canary.effect_size
    return ClassifierSettings(
        allowed_increase=effect.allowed_increase_limit,
        allowed_decrease=effect.allowed_decrease_limit,
        critical_increase=effect.critical_increase_limit,
        critical_decrease=effect.critical_decrease_limit,
        measure=effect.measure,
    )


def _result_metadata(verdict: MetricClassification) -> dict[str, float | None] | None:
    if verdict.classification == "Error":
        return None
    return {
        "ratio": verdict.ratio,
        "ciLower": verdict.ci_lower,
        "ciUpper": verdict.ci_upper,
        "estimate": verdict.estimate,
        "effectSize": verdict.effect_size,
    }


def _check_outlier_factor(metric: CanaryMetricConfig, index: int) -> None:
    outliers = metric.canary.outliers
    if outliers.strategy == "remove" and not outliers.outlier_factor > 0:
        raise CanaryConfigError(
            [
                FieldProblem(
                    f"metrics[{index}].analysisConfigurations.canary.outliers.outlierFactor",
                    f"must be greater than zero to remove outliers, not {outliers.outlier_factor}",
                )
            ]
        )


def _judge_metric(
    metric: CanaryMetricConfig, pair: MetricSetPair, seed: int | None
) -> tuple[dict[str, Any], MetricOutcome]:
    settings = metric.canary

    experiment = _transform(np.asarray(pair.values.experiment, dtype=np.float64), metric)
    control = _transform(np.asarray(pair.values.control, dtype=np.float64), metric)
    verdict = classify(
        control,
        experiment,
        name=pair.name,
        direction=settings.direction,
        nan_strategy=settings.nan_strategy,
        critical=settings.critical,
        must_have_data=settings.must_have_data,
        settings=_classifier_settings(metric),
        rng=metric_rng(seed, pair.name),
    )
    result = {
        "name": pair.name,
        "id": pair.id,
        "tags": dict(pair.tags),
        "classification": verdict.classification,
        "classificationReason": verdict.reason,
        "groups": list(metric.groups),
        "experimentMetadata": {"stats": summary(experiment)},
        "controlMetadata": {"stats": summary(control)},
        "resultMetadata": _result_metadata(verdict),
        "critical": verdict.critical,
        "muted": settings.muted,
    }
    outcome = MetricOutcome(
        classification=verdict.classification,
        groups=tuple(metric.groups),
        critical=verdict.critical,
        muted=settings.muted,
        reason=verdict.reason,
    )
    return result, outcome


def judge(
    config: CanaryConfig,
    thresholds: ScoreThresholds,
    pairs: Sequence[MetricSetPair],
    *,
    seed: int | None = None,
) -> dict[str, Any]:
    """Judge a canary run as Kayenta's NetflixACAJudge-v1.0 does.

    Args:
        config: The canary config; each pair's metric is looked up by name (the
            first match). Its ``classifier.scoreThresholds`` is ignored, as in Kayenta.
        thresholds: The run's pass and marginal thresholds.
        pairs: One metric set pair per metric, in the order to report them.
        seed: Seed of the noise added when both sides of a metric are constant
            (step D). The noise of a metric depends only on this seed and the
            metric's name; ``None`` means :data:`DEFAULT_SEED`.

    Returns:
        Kayenta's ``CanaryJudgeResult`` as JSON-ready data: ``judgeName``,
        ``results`` (every metric, muted ones included), ``groupScores`` and
        ``score {score, classification, classificationReason}``. Non-finite
        numbers are the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

    Raises:
        CanaryConfigError: A pair names a metric that the config does not have, or
            a metric removes outliers with a factor that is not positive (Kayenta
            fails the whole judgement in both cases).
    """
    first_index: dict[str, int] = {}
    for index, metric in enumerate(config.metrics):
        first_index.setdefault(metric.name, index)
    results: list[dict[str, Any]] = []
    outcomes: list[MetricOutcome] = []
    for pair in pairs:
        position = first_index.get(pair.name)
        if position is None:
            raise CanaryConfigError(f"Could not find metric config for {pair.name}")
        metric = config.metrics[position]
        _check_outlier_factor(metric, position)
        result, outcome = _judge_metric(metric, pair, seed)
        results.append(result)
        outcomes.append(outcome)
    scored = score(outcomes, config.classifier.group_weights, thresholds.pass_, thresholds.marginal)
    judged: dict[str, Any] = json_safe(
        {
            "judgeName": JUDGE_NAME,
            "results": results,
            "groupScores": [
                {
                    "name": group.name,
                    "score": group.score,
                    "classification": "",
                    "classificationReason": "",
                }
                for group in scored.group_scores
            ],
            "score": {
                "score": scored.score,
                "classification": scored.classification,
                "classificationReason": scored.reason,
            },
        }
    )
    return judged
