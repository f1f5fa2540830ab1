"""Deterministic metric history for the end-to-end canary tests: one baseline, two canaries.

Three hours of a web service, ending at most ten minutes ago: the baseline fails
1 % of requests, the bad canary 5 %, the good canary 1 % (different noise). The
same history goes into Prometheus (backfilled with promtool) and into moto's
CloudWatch (``put_metric_data``), so both sources see the same service.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from emulators.prometheus import OpenMetricsSeries, web_service_history

REGION = "us-east-1"
BASELINE = "shop-baseline-v001"
BAD_CANARY = "shop-canary-v002"
GOOD_CANARY = "shop-canary-v003"
RATES = {BASELINE: 0.01, BAD_CANARY: 0.05, GOOD_CANARY: 0.01}
SEEDS = {BASELINE: 11, BAD_CANARY: 12, GOOD_CANARY: 13}
NAMESPACE = "Gennaker/Shop"


@dataclass(frozen=True)
class History:
    """Where the history lies in time."""

    start: datetime
    end: datetime

    def at(self, minutes: int) -> datetime:
        return self.start + timedelta(minutes=minutes)

    def iso(self, minutes: int) -> str:
        return self.at(minutes).isoformat().replace("+00:00", "Z")


def history_window() -> History:
    end = datetime.fromtimestamp((int(time.time()) // 600) * 600, UTC) - timedelta(minutes=10)
    return History(start=end - timedelta(hours=3), end=end)


def prometheus_series(window: History) -> list[OpenMetricsSeries]:
    series: list[OpenMetricsSeries] = []
    for group, rate in RATES.items():
        series += web_service_history(
            {"server_group": group, "region": REGION},
            window.start.timestamp(),
            window.end.timestamp(),
            error_rate=rate,
            seed=SEEDS[group],
        )
    return series


def put_cloudwatch_history(endpoint: str, window: History) -> None:
    """Per-minute ALB-style metrics of every group into CloudWatch (moto)."""
    client = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=REGION)
    for group, rate in RATES.items():
        rng = random.Random(SEEDS[group])
        data: list[Any] = []
        minute = window.start
        while minute < window.end:
            requests = 6000
            errors = max(0.0, round(rng.gauss(requests * rate, (requests * rate) ** 0.5)))
            dimensions = [{"Name": "AutoScalingGroupName", "Value": group}]
            data.append(
                {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions,
                 "Timestamp": minute, "Value": errors, "Unit": "Count"}
            )  # fmt: skip
            data.append(
                {"MetricName": "TargetResponseTime", "Dimensions": dimensions,
                 "Timestamp": minute, "Value": max(0.001, rng.gauss(0.12, 0.006)),
                 "Unit": "Seconds"}
            )  # fmt: skip
            minute += timedelta(minutes=1)
        for first in range(0, len(data), 500):
            client.put_metric_data(Namespace=NAMESPACE, MetricData=data[first : first + 500])


# Kayenta's escaped form ($\{...}): the pipeline engine leaves it alone and the metric
# source expands it, so a pipeline variable called "scope" cannot change the query.
_SELECTOR = 'server_group="$\\{scope}",region="$\\{location}"'
ERROR_RATE_PROMQL = (
    f'PromQL:sum(rate(http_requests_total{{{_SELECTOR},code="500"}}[1m]))'
    f" / sum(rate(http_requests_total{{{_SELECTOR}}}[1m]))"
)


def prometheus_canary_config() -> dict[str, Any]:
    """Golden signals over Prometheus: error rate (critical) and mean latency."""
    return {
        "name": "shop-golden-signals",
        "applications": ["shop"],
        "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
        "metrics": [
            {
                "name": "error rate",
                "query": {"type": "prometheus", "customInlineTemplate": ERROR_RATE_PROMQL},
                "groups": ["errors"],
                "analysisConfigurations": {
                    "canary": {"direction": "increase", "critical": True, "nanStrategy": "replace"}
                },
            },
            {
                "name": "latency",
                "query": {
                    "type": "prometheus",
                    "metricName": "http_request_duration_seconds",
                    "customFilterTemplate": "by-group",
                },
                "groups": ["latency"],
                "analysisConfigurations": {"canary": {"direction": "increase"}},
            },
        ],
        "templates": {"by-group": _SELECTOR},
        "classifier": {"groupWeights": {"errors": 70, "latency": 30}},
    }


def cloudwatch_canary_config() -> dict[str, Any]:
    """The same golden signals over CloudWatch."""
    dimensions = [{"name": "AutoScalingGroupName", "value": "${scope}"}]
    return {
        "name": "shop-golden-signals-cw",
        "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
        "metrics": [
            {
                "name": "5xx",
                "query": {"type": "cloudwatch", "namespace": NAMESPACE,
                          "metricName": "HTTPCode_Target_5XX_Count", "stat": "Sum",
                          "dimensions": dimensions},
                "groups": ["errors"],
                "analysisConfigurations": {"canary": {"direction": "increase", "critical": True}},
            },
            {
                "name": "response time",
                "query": {"type": "cloudwatch", "namespace": NAMESPACE,
                          "metricName": "TargetResponseTime", "stat": "Average",
                          "dimensions": dimensions},
                "groups": ["latency"],
                "analysisConfigurations": {"canary": {"direction": "increase"}},
            },
        ],
        "classifier": {"groupWeights": {"errors": 70, "latency": 30}},
    }  # fmt: skip


def retrospective_canary(
    config: dict[str, Any],
    window: History,
    canary: str,
    *,
    account: str,
    step: int = 30,
    **stage: Any,
) -> dict[str, Any]:
    """A ``kayentaCanary`` stage over 90 minutes of history in three 30-minute runs."""
    return {
        "refId": stage.pop("refId", "canary"),
        "name": stage.pop("name", "Canary analysis"),
        "type": "kayentaCanary",
        "analysisType": "retrospective",
        "canaryConfig": {
            "config": config,
            "metricsAccountName": account,
            "scopes": [
                {
                    "scopeName": "default",
                    "controlScope": BASELINE,
                    "controlLocation": REGION,
                    "experimentScope": canary,
                    "experimentLocation": REGION,
                    "startTimeIso": window.iso(30),
                    "endTimeIso": window.iso(120),
                    "step": step,
                }
            ],
            "scoreThresholds": {"pass": 95, "marginal": 75},
            "canaryAnalysisIntervalMins": 30,
        },
        **stage,
    }
