"""``canary.prepare`` and ``canary.judge`` as the worker runs them (Temporal's ActivityEnvironment)."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.canary import CanaryActivities, Fetched, Series, judge_run
from models.config import GennakerConfig
from workflows.canary import FEWER_POINTS_WARNING
from workflows.canary.messages import JudgementRequest, PrepareRequest, ScopeWindowSpec, SidePair

WINDOW = {"start": "2025-03-01T09:00:00Z", "end": "2025-03-01T10:00:00Z", "step": 60}


def metric(name: str, control: list[Any], experiment: list[Any], **canary: Any) -> dict[str, Any]:
    return {
        "name": name,
        "query": {"type": "inline", "values": {"control": control, "experiment": experiment}},
        "groups": [canary.pop("group", name)],
        "analysisConfigurations": {"canary": canary},
    }


def request(*metrics: dict[str, Any], **fields: Any) -> JudgementRequest:
    return JudgementRequest.model_validate(
        {
            "config": {"name": "c", "metrics": list(metrics)},
            "scopes": {
                "default": SidePair(
                    control_scope=ScopeWindowSpec.model_validate({**WINDOW, "scope": "v010"}),
                    experiment_scope=ScopeWindowSpec.model_validate({**WINDOW, "scope": "v011"}),
                )
            },
            "pass": 95.0,
            "marginal": 75.0,
            "seed": 7,
            **fields,
        }
    )


LOW = [1.0 + 0.01 * (i % 10) for i in range(60)]
HIGH = [3.0 + 0.01 * (i % 10) for i in range(60)]


def test_a_run_is_judged_and_summarised_compactly() -> None:
    activities = CanaryActivities(GennakerConfig())
    summary = ActivityEnvironment().run(
        activities.judge,
        request(metric("errors", LOW, HIGH, direction="increase"), metric("cpu", LOW, LOW)),
    )
    assert summary.score == 50.0
    assert summary.classification == "Fail"
    assert summary.group_scores == {"errors": 0.0, "cpu": 100.0}
    errors, cpu = summary.metrics
    assert (errors.classification, cpu.classification) == ("High", "Pass")
    assert errors.reason == "errors was classified as High"
    assert errors.ratio == pytest.approx(3.045 / 1.045, rel=1e-5)
    assert isinstance(errors.ci_lower, float) and errors.ci_lower > 0
    assert (errors.control_count, errors.experiment_count) == (60, 60)
    assert summary.warnings == []
    assert summary.seed == 7


def test_fewer_than_50_control_points_warns_as_orca_does() -> None:
    summary = judge_run(
        request(metric("cpu", LOW[:49], LOW[:60])), CanaryActivities(GennakerConfig())._sources
    )
    assert summary.warnings == [FEWER_POINTS_WARNING]


def test_a_metric_on_an_undefined_scope_fails_without_retries() -> None:
    bad = metric("cpu", LOW, LOW)
    bad["scopeName"] = "db"
    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(CanaryActivities(GennakerConfig()).judge, request(bad))
    assert err.value.non_retryable
    assert "metric 'cpu' uses scope 'db', which the stage does not define" in err.value.message


async def test_prepare_checks_every_metric_against_the_workers_accounts() -> None:
    config = {
        "name": "c",
        "metrics": [
            metric("cpu", [], []),
            {"name": "p99", "query": {"type": "prometheus", "metricName": "x"}},
        ],
    }
    activities = CanaryActivities(GennakerConfig())
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(activities.prepare, PrepareRequest(config=config))
    assert err.value.non_retryable and err.value.type == "CanaryConfig"
    assert "no prometheus metrics account is configured" in err.value.message


async def test_prepare_names_the_field_of_a_malformed_config() -> None:
    config = {"metrics": [{"name": "cpu", "query": {"type": "inline"},
                           "analysisConfigurations": {"canary": {"critical": "yes"}}}]}  # fmt: skip
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(
            CanaryActivities(GennakerConfig()).prepare, PrepareRequest(config=config)
        )
    assert "canaryConfig.config: metrics[0].analysisConfigurations.canary.critical" in (
        err.value.message
    )


async def test_prepare_returns_the_validated_inline_config() -> None:
    prepared = await ActivityEnvironment().run(
        CanaryActivities(GennakerConfig()).prepare,
        PrepareRequest(config={"id": "golden", "metrics": [metric("cpu", [1], [1])]}),
    )
    assert prepared.canary_config_id == "golden"
    assert prepared.metric_count == 1
    assert (
        prepared.config["metrics"][0]["analysisConfigurations"]["canary"]["direction"] == "either"
    )


def test_extra_sources_plug_in_by_query_type() -> None:
    class Constant:
        def fetch(self, config: Any, metric: Any, scope: Any) -> Fetched:
            value = 5.0 if scope.side == "experiment" else 1.0
            return Fetched([Series({}, [value + 0.01 * (i % 7) for i in range(60)])], "const", [])

    activities = CanaryActivities(GennakerConfig(), sources={"const": lambda a, c: Constant()})
    summary = ActivityEnvironment().run(
        activities.judge,
        request({"name": "x", "query": {"type": "const"}, "groups": ["g"]}),
    )
    assert summary.metrics[0].classification == "High"
