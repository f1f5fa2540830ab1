"""What a canary stage records: compact runs, outputs under the engine's cap, one-line details."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from models.stages.canary import CanaryStageConfig
from workflows.canary import Thresholds, plan_canary
from workflows.canary.messages import JudgementSummary, MetricVerdict
from workflows.canary.results import live_details, metric_key, run_record, stage_outputs
from workflows.outputs import MAX_OUTPUT_BYTES

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def plan(runs: int) -> object:
    config = CanaryStageConfig.model_validate(
        {
            "config": {},
            "scopes": [{"controlScope": "a", "experimentScope": "b"}],
            "lifetimeDuration": f"PT{runs * 10}M",
            "canaryAnalysisIntervalMins": 10,
        }
    )
    return plan_canary(config, NOW)


def summary(index: int, metrics: int, failing: int = 0) -> JudgementSummary:
    verdicts = [
        MetricVerdict(
            name=f"metric number {n:03d} with a long descriptive name",
            tags={"instance": f"i-{n:04d}"},
            classification="High" if n < failing else "Pass",
            reason=f"metric {n} was classified as High" if n < failing else None,
            ratio=1.0 + n / 1000,
            ciLower=-0.00123456,
            ciUpper=0.00234567,
            estimate=0.000111,
            controlCount=181,
            experimentCount=181,
            controlMean=0.123456,
            experimentMean=0.124567,
            groups=["latency"],
        )
        for n in range(metrics)
    ]
    score = 100.0 * (metrics - failing) / metrics
    return JudgementSummary(
        index=index,
        score=score,
        classification="Pass" if not failing else "Fail",
        metrics=verdicts,
        groupScores={"latency": score},
        seed=index,
    )


def test_a_run_record_keeps_scores_windows_and_the_metrics_that_did_not_pass() -> None:
    planned = plan(3).runs[1]  # type: ignore[attr-defined]
    record = run_record(summary(2, 5, failing=2), planned, NOW, NOW + timedelta(seconds=2.5))
    assert record["name"] == "Run Canary #2"
    assert record["canaryScore"] == 60.0
    assert record["classificationCounts"] == {"High": 2, "Pass": 3}
    assert list(record["notPassing"].values()) == ["High", "High"]
    assert record["durationString"] == "PT2.5S"
    assert record["lastUpdatedIso"] == "2025-03-01T12:00:02.500000Z"
    window = record["scopes"]["default"]["experimentScope"]
    assert (window["start"], window["end"]) == ("2025-03-01T12:00:00Z", "2025-03-01T12:20:00Z")


def test_outputs_of_200_metrics_over_12_runs_stay_under_the_engines_cap() -> None:
    runs = [
        run_record(summary(i, 200, failing=3), planned, NOW, NOW)
        for i, planned in enumerate(plan(12).runs, start=1)  # type: ignore[attr-defined]
    ]
    outputs = stage_outputs(runs, summary(12, 200, failing=3), "done", passed=False)
    assert len(json.dumps(outputs, separators=(",", ":")).encode()) < MAX_OUTPUT_BYTES
    assert outputs["metricsCompacted"] is True
    assert outputs["passingMetricsOmitted"] == 197
    assert [m["classification"] for m in outputs["metrics"]] == ["High"] * 3
    assert outputs["metrics"][0]["ciLower"] == -0.00123456
    assert outputs["canaryScores"] == [98.5] * 12
    assert all(len(run["notPassing"]) == 3 for run in outputs["canaryRuns"])


def test_many_metrics_first_lose_the_numbers_of_the_passing_ones() -> None:
    runs = [run_record(summary(1, 120, failing=2), plan(1).runs[0], NOW, NOW)]  # type: ignore[attr-defined]
    outputs = stage_outputs(runs, summary(1, 120, failing=2), "done")
    assert outputs["metricsCompacted"] is True and "passingMetricsOmitted" not in outputs
    passing = [m for m in outputs["metrics"] if m["classification"] == "Pass"]
    assert len(passing) == 118
    assert set(passing[0]) == {"name", "tags", "classification", "ratio"}


def test_small_outputs_keep_every_number() -> None:
    runs = [run_record(summary(1, 3), plan(1).runs[0], NOW, NOW)]  # type: ignore[attr-defined]
    outputs = stage_outputs(runs, summary(1, 3), None)
    assert "metricsCompacted" not in outputs and "canaryScoreMessage" not in outputs
    assert outputs["metrics"][0]["controlCount"] == 181


def test_the_live_details_are_one_short_line_with_the_latest_scores() -> None:
    many = plan(40)
    runs = [
        run_record(summary(i, 4, failing=i % 2), planned, NOW, NOW)
        for i, planned in enumerate(many.runs, start=1)  # type: ignore[attr-defined]
    ]
    line = live_details(many, runs, Thresholds(95.0, 75.0), "Run Canary #40 of 40")  # type: ignore[arg-type]
    assert len(line) <= 200 and "\n" not in line and "|" not in line
    assert line.startswith("Run Canary #40 of 40 · scores …, ")
    assert line.endswith("#40 100.0 Pass · pass 95.0, marginal 75.0 · 40 of 40 runs")
    first = live_details(many, [], Thresholds(None, 50.0), "Warmup Wait (600s)")  # type: ignore[arg-type]
    assert first == "Warmup Wait (600s) · pass not set, marginal 50.0 · 0 of 40 runs"


def test_metric_keys_name_the_tags_in_order() -> None:
    assert metric_key("cpu") == "cpu"
    assert metric_key("cpu", {"zone": "b", "az": "a"}) == "cpu{az=a,zone=b}"
