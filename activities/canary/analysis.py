"""One canary run: fetch every metric for both sides, mix the series, judge, summarise.

Kayenta runs this as a pipeline of its own (fetch per metric and side, mix, judge);
here it is one function, called by the ``canary.judge`` activity and again by the
report (which needs the series). No Temporal in here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pydantic

from activities.canary.judge import judge
from activities.canary.mixer import MixedMetric, mix
from activities.canary.sources import Sources, SourceScope
from models.canary import CanaryConfig, ScoreThresholds
from models.config import problems_from_pydantic
from models.errors import CanaryConfigError
from workflows.canary.messages import JudgementRequest, JudgementSummary, MetricVerdict, SidePair
from workflows.canary.planning import FEWER_POINTS_WARNING

__all__ = ["collect", "judge_run", "parse_config", "summarise"]

_MIN_POINTS = 50


def parse_config(data: Mapping[str, Any], source: str = "canary config") -> CanaryConfig:
    """Validate a Kayenta canary config.

    Raises:
        CanaryConfigError: Naming ``source`` and the field path.
    """
    try:
        return CanaryConfig.model_validate(dict(data))
    except pydantic.ValidationError as err:
        raise CanaryConfigError(problems_from_pydantic(err), source) from None


def collect(
    config: CanaryConfig,
    scopes: Mapping[str, SidePair],
    sources: Sources,
    account: str | None,
    *,
    progress: Callable[[str], None] | None = None,
) -> list[MixedMetric]:
    """Every metric's control and experiment series over the run's windows, paired.

    Raises:
        CanaryConfigError: A metric names a scope the stage does not define, or its
            query cannot be built.
        ProviderError: A metrics store failed.
    """
    mixed: list[MixedMetric] = []
    for metric in config.metrics:
        pair = scopes.get(metric.scope_name)
        if pair is None:
            known = ", ".join(sorted(scopes)) or "none"
            raise CanaryConfigError(
                f"metric {metric.name!r} uses scope {metric.scope_name!r}, which the stage "
                f"does not define (scopes: {known})"
            )
        source = sources.for_metric(metric, account)
        control = source.fetch(config, metric, SourceScope.of("control", pair.control_scope))
        experiment = source.fetch(
            config, metric, SourceScope.of("experiment", pair.experiment_scope)
        )
        mixed.extend(mix(metric.name, control, experiment, step_seconds=pair.experiment_scope.step))
        if progress is not None:
            progress(metric.name)
    return mixed


def _compact(value: Any) -> Any:
    # Six significant digits are plenty for a person and keep the outputs small.
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.6g}")
    return value


def summarise(judged: Mapping[str, Any], index: int, seed: int) -> JudgementSummary:
    """The compact summary of a judge result (no series, short numbers)."""
    metrics = []
    warnings: list[str] = []
    for result in judged["results"]:
        meta = result.get("resultMetadata") or {}
        control = result["controlMetadata"]["stats"]
        experiment = result["experimentMetadata"]["stats"]
        if control["count"] < _MIN_POINTS and FEWER_POINTS_WARNING not in warnings:
            warnings.append(FEWER_POINTS_WARNING)
        metrics.append(
            MetricVerdict(
                name=result["name"],
                tags=result.get("tags") or {},
                classification=result["classification"],
                reason=result.get("classificationReason"),
                ratio=_compact(meta.get("ratio")),
                ciLower=_compact(meta.get("ciLower")),
                ciUpper=_compact(meta.get("ciUpper")),
                estimate=_compact(meta.get("estimate")),
                critical=bool(result.get("critical")),
                muted=bool(result.get("muted")),
                groups=list(result.get("groups") or []),
                controlCount=int(control["count"]),
                experimentCount=int(experiment["count"]),
                controlMean=_compact(control["mean"]),
                experimentMean=_compact(experiment["mean"]),
            )
        )
    score = judged["score"]
    return JudgementSummary(
        index=index,
        score=float(score["score"]),
        classification=str(score["classification"]),
        classificationReason=str(score.get("classificationReason") or ""),
        groupScores={g["name"]: _compact(float(g["score"])) for g in judged["groupScores"]},
        metrics=metrics,
        warnings=warnings,
        seed=seed,
    )


def judge_run(
    request: JudgementRequest,
    sources: Sources,
    *,
    progress: Callable[[str], None] | None = None,
) -> JudgementSummary:
    """Fetch, mix and judge one run; return its summary.

    Raises:
        CanaryConfigError: The config or a query is wrong (not worth retrying).
        ProviderError: A metrics store failed.
    """
    config = parse_config(request.config)
    mixed = collect(
        config, request.scopes, sources, request.metrics_account_name, progress=progress
    )
    thresholds = ScoreThresholds.model_validate(
        {"pass": request.pass_, "marginal": request.marginal}
    )
    judged = judge(config, thresholds, [m.pair for m in mixed], seed=request.seed)
    return summarise(judged, request.index, request.seed)
