"""The ``cloudwatch`` metric source: templated queries, then ``get_metric_data`` on moto."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from activities.canary import CloudWatchSource, SourceScope, metric_data_query
from emulators.moto import MotoServer
from models.canary import CanaryConfig, CanaryMetricConfig
from models.config import GennakerConfig, MetricsAccount
from models.errors import CanaryConfigError, ProviderError

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)


def scope(
    name: str = "web-v002", location: str | None = "us-west-2", minutes: int = 10, step: int = 60
) -> SourceScope:
    return SourceScope(
        side="experiment",
        scope=name,
        location=location,
        start=START,
        end=START + timedelta(minutes=minutes),
        step=step,
        extended_scope_params={"env": "prod"},
    )


def metric(**query: Any) -> CanaryMetricConfig:
    base = {"type": "cloudwatch", "namespace": "Shop", "metricName": "Errors"}
    return CanaryMetricConfig.model_validate({"name": "errors", "query": {**base, **query}})


def test_dimensions_are_templates_and_period_defaults_to_the_step() -> None:
    query = metric_data_query(
        metric(
            stat="Sum",
            dimensions=[
                {"name": "AutoScalingGroupName", "value": "${scope}"},
                {"name": "Env", "value": "${env}-${location}"},
            ],
        ),
        scope(step=300),
    )
    assert query == {
        "Id": "m0",
        "MetricStat": {
            "Metric": {
                "Namespace": "Shop",
                "MetricName": "Errors",
                "Dimensions": [
                    {"Name": "AutoScalingGroupName", "Value": "web-v002"},
                    {"Name": "Env", "Value": "prod-us-west-2"},
                ],
            },
            "Period": 300,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }


def test_dimensions_may_be_a_mapping_and_unit_and_period_are_kept() -> None:
    query = metric_data_query(
        metric(dimensions={"AutoScalingGroupName": "${scope}"}, period=120, unit="Count"), scope()
    )
    stat = query["MetricStat"]
    assert stat["Metric"]["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "web-v002"}]
    assert (stat["Period"], stat["Unit"], stat["Stat"]) == (120, "Count", "Average")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"namespace": None}, "query.namespace is required"),
        ({"stat": "Median"}, "not a CloudWatch statistic"),
        ({"dimensions": [{"name": "A"}]}, r"dimensions\[0\] needs a name and a value"),
        ({"dimensions": [{"name": "A", "value": "${zone}"}]}, r"\$\{zone\}"),
    ],
)
def test_a_bad_query_is_refused_naming_the_metric(query: dict[str, Any], message: str) -> None:
    with pytest.raises(CanaryConfigError, match=message) as err:
        metric_data_query(metric(**query), scope())
    assert "'errors'" in str(err.value)


def test_percentile_statistics_are_written_through() -> None:
    assert metric_data_query(metric(stat="p99"), scope())["MetricStat"]["Stat"] == "p99"


# -- against moto ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/gennaker-test-credentials")
        patch.setenv("AWS_CONFIG_FILE", "/nonexistent/gennaker-test-config")
        patch.delenv("AWS_PROFILE", raising=False)
        with MotoServer() as server:
            client = boto3.client("cloudwatch", endpoint_url=server.url, region_name="us-west-2")
            dims = [{"Name": "AutoScalingGroupName", "Value": "web-v002"}]
            data: list[Any] = [
                {"MetricName": "Errors", "Dimensions": dims, "Unit": "Count",
                 "Timestamp": START + timedelta(minutes=m), "Value": float(m)}
                for m in range(10) if m not in (3, 4)
            ]  # fmt: skip
            client.put_metric_data(Namespace="Shop", MetricData=data)
            yield server


def _source(moto: MotoServer) -> CloudWatchSource:
    config = GennakerConfig.parse(
        {"aws": {"accounts": [{"name": "prod", "regions": ["us-east-1", "us-west-2"],
                               "endpointUrl": moto.url}]}}
    )  # fmt: skip
    account = MetricsAccount(name="cw", type="cloudwatch", awsAccount="prod")
    return CloudWatchSource(account, config)


def test_get_metric_data_fills_missing_minutes_with_nan(moto: MotoServer) -> None:
    query = metric(stat="Sum", dimensions=[{"name": "AutoScalingGroupName", "value": "${scope}"}])
    fetched = _source(moto).fetch(CanaryConfig(), query, scope())
    assert len(fetched.timestamps_ms) == 10
    (series,) = fetched.series
    seen = [v if not math.isnan(v) else None for v in series.values]
    assert seen == [0.0, 1.0, 2.0, None, None, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert fetched.query == "Shop/Errors Sum period 60s AutoScalingGroupName=web-v002"


def test_the_location_picks_the_region_and_no_data_is_no_series(moto: MotoServer) -> None:
    query = metric(dimensions={"AutoScalingGroupName": "${scope}"})
    # Same group name in us-east-1: nothing was put there.
    fetched = _source(moto).fetch(CanaryConfig(), query, scope(location="us-east-1"))
    assert fetched.series == []
    # An unconfigured location falls back to the account's first region (us-east-1).
    assert _source(moto).fetch(CanaryConfig(), query, scope(location="mars-1")).series == []
    # An explicit region template wins.
    assert _source(moto).fetch(
        CanaryConfig(), metric(dimensions={"AutoScalingGroupName": "${scope}"}, region="us-west-2"),
        scope(location="us-east-1"),
    ).series  # fmt: skip


def test_a_metrics_account_naming_an_unknown_aws_account_is_refused() -> None:
    with pytest.raises(CanaryConfigError, match="unknown AWS account 'prod'"):
        CloudWatchSource(
            MetricsAccount(name="cw", type="cloudwatch", awsAccount="prod"), GennakerConfig()
        )


def test_an_unreachable_endpoint_is_a_retryable_provider_error() -> None:
    config = GennakerConfig.parse(
        {"aws": {"accounts": [{"name": "prod", "regions": ["us-east-1"],
                               "endpointUrl": "http://127.0.0.1:9"}]}}
    )  # fmt: skip
    source = CloudWatchSource(
        MetricsAccount(name="cw", type="cloudwatch", awsAccount="prod"), config
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        with pytest.raises(ProviderError, match="cloudwatch account 'cw'") as err:
            source.fetch(CanaryConfig(), metric(), scope(location="us-east-1"))
    assert err.value.retryable is True
