"""The ``cloudwatch`` metric source: boto3 ``get_metric_data`` with templated dimensions.

A metric's query::

    {"type": "cloudwatch", "namespace": "AWS/ApplicationELB",
     "metricName": "HTTPCode_Target_5XX_Count", "stat": "Sum",
     "dimensions": [{"name": "AutoScalingGroupName", "value": "${scope}"}],
     "period": 60, "unit": null, "region": null}

``dimensions`` may also be a mapping (name → value). Dimension values and
``region`` are templates with ``${scope}``, ``${location}`` and the extended scope
params. The region is ``region``, else the scope's location when the AWS account
has it, else the account's first region. ``period`` defaults to the scope's step.
The metrics account names an AWS account (``awsAccount``) whose ``endpointUrl``
and ``assumeRole`` apply; credentials come from boto3's chain on the worker.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from activities.canary.sources import Fetched, Series, SourceScope, align, time_grid
from activities.canary.templates import expand_template
from models.canary import CanaryConfig, CanaryMetricConfig
from models.config import AwsAccount, GennakerConfig, MetricsAccount
from models.errors import CanaryConfigError, NotFoundError, ProviderError

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

__all__ = ["CloudWatchSource", "metric_data_query"]

_REFRESH_MARGIN_SECONDS = 300.0
_BOTOCORE = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10)
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "LimitExceeded"}
_STATISTICS = {"Sum", "Average", "SampleCount", "Minimum", "Maximum"}
_PERCENTILE = re.compile(r"^(p|tm|wm|tc|ts)\d+(\.\d+)?$|^(TM|TC|TS|WM)\(.*\)$")


def _dimensions(
    query: Mapping[str, Any], bindings: Mapping[str, str], metric: str
) -> list[dict[str, str]]:
    raw = query.get("dimensions") or []
    pairs: list[tuple[str, str]]
    if isinstance(raw, Mapping):
        pairs = [(str(k), str(v)) for k, v in raw.items()]
    elif isinstance(raw, list):
        pairs = []
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping) or "name" not in item or "value" not in item:
                raise CanaryConfigError(
                    f"metric {metric!r}: query.dimensions[{index}] needs a name and a value"
                )
            pairs.append((str(item["name"]), str(item["value"])))
    else:
        raise CanaryConfigError(f"metric {metric!r}: query.dimensions must be a list or a mapping")
    try:
        return [{"Name": name, "Value": expand_template(value, bindings)} for name, value in pairs]
    except CanaryConfigError as err:
        raise CanaryConfigError(f"metric {metric!r}: {err}") from None


def metric_data_query(metric: CanaryMetricConfig, scope: SourceScope) -> dict[str, Any]:
    """The ``MetricDataQueries[0]`` of one metric for one side.

    Raises:
        CanaryConfigError: A required field is missing or a template has no value.
    """
    query = metric.query
    for required in ("namespace", "metricName"):
        if not query.get(required):
            raise CanaryConfigError(f"metric {metric.name!r}: query.{required} is required")
    stat = str(query.get("stat") or "Average")
    if stat not in _STATISTICS and not _PERCENTILE.match(stat):
        raise CanaryConfigError(
            f"metric {metric.name!r}: query.stat {stat!r} is not a CloudWatch statistic"
        )
    period = int(query.get("period") or scope.step)
    if period <= 0:
        raise CanaryConfigError(f"metric {metric.name!r}: query.period must be positive")
    metric_stat: dict[str, Any] = {
        "Metric": {
            "Namespace": str(query["namespace"]),
            "MetricName": str(query["metricName"]),
            "Dimensions": _dimensions(query, scope.bindings(query), metric.name),
        },
        "Period": period,
        "Stat": stat,
    }
    if query.get("unit"):
        metric_stat["Unit"] = str(query["unit"])
    return {"Id": "m0", "MetricStat": metric_stat, "ReturnData": True}


class CloudWatchSource:
    """``get_metric_data`` through the AWS account of a cloudwatch metrics account.

    Args:
        account: The metrics account (its ``awsAccount`` names the AWS account).
        config: The worker configuration, for the AWS account's regions and endpoint.
    """

    def __init__(self, account: MetricsAccount, config: GennakerConfig) -> None:
        if not account.aws_account:
            raise CanaryConfigError(f"cloudwatch account {account.name!r} has no awsAccount")
        try:
            self._aws: AwsAccount = config.aws_account(account.aws_account)
        except NotFoundError as err:
            raise CanaryConfigError(f"cloudwatch account {account.name!r}: {err}") from None
        self._account = account
        self._lock = threading.Lock()
        self._clients: dict[str, tuple[CloudWatchClient, float]] = {}

    def _region(self, metric: CanaryMetricConfig, scope: SourceScope) -> str:
        if metric.query.get("region"):
            return expand_template(str(metric.query["region"]), scope.bindings(metric.query))
        if scope.location and scope.location in self._aws.regions:
            return scope.location
        return self._aws.regions[0]

    def _client(self, region: str) -> CloudWatchClient:
        with self._lock:
            cached = self._clients.get(region)
            # Assumed-role credentials expire: make a new client well before they do.
            if cached is not None and cached[1] - time.time() > _REFRESH_MARGIN_SECONDS:
                return cached[0]
            session = boto3.Session()
            kwargs: dict[str, Any] = {"region_name": region, "config": _BOTOCORE}
            if self._aws.endpoint_url:
                kwargs["endpoint_url"] = self._aws.endpoint_url
            expires = math.inf
            if self._aws.assume_role:
                assumed, expires = _assumed(session, self._aws, kwargs)
                kwargs |= assumed
            client = session.client("cloudwatch", **kwargs)
            self._clients[region] = (client, expires)
            return client

    def fetch(
        self, config: CanaryConfig, metric: CanaryMetricConfig, scope: SourceScope
    ) -> Fetched:
        """Fetch the metric's buckets over ``scope``'s window."""
        query = metric_data_query(metric, scope)
        period = int(query["MetricStat"]["Period"])
        region = self._region(metric, scope)
        where = f"cloudwatch account {self._account.name!r} ({region}), metric {metric.name!r}"
        client = self._client(region)
        points: list[tuple[int, float]] = []
        token: str | None = None
        try:
            while True:
                kwargs: dict[str, Any] = {
                    "MetricDataQueries": [query],
                    "StartTime": scope.start,
                    "EndTime": scope.end,
                    "ScanBy": "TimestampAscending",
                }
                if token:
                    kwargs["NextToken"] = token
                response = client.get_metric_data(**kwargs)
                for result in response.get("MetricDataResults", []):
                    for stamp, value in zip(
                        result.get("Timestamps", []), result.get("Values", []), strict=False
                    ):
                        points.append((round(stamp.timestamp() * 1000), float(value)))
                token = response.get("NextToken")
                if not token:
                    break
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", ""))
            message = err.response.get("Error", {}).get("Message", str(err))
            raise ProviderError(
                f"{where}: {code}: {message}", retryable=code in _THROTTLED
            ) from None
        except BotoCoreError as err:
            raise ProviderError(f"{where}: {err}", retryable=True) from None
        grid = time_grid(scope.start, scope.end, period, include_end=False)
        stat = query["MetricStat"]
        described = (
            f"{stat['Metric']['Namespace']}/{stat['Metric']['MetricName']} {stat['Stat']} "
            f"period {period}s "
            + ",".join(f"{d['Name']}={d['Value']}" for d in stat["Metric"]["Dimensions"])
        )
        series = [Series(tags={}, values=align(points, grid))] if points else []
        return Fetched(series=series, query=described, timestamps_ms=grid)


def _assumed(
    session: boto3.Session, account: AwsAccount, kwargs: dict[str, Any]
) -> tuple[dict[str, str], float]:
    assert account.assume_role is not None
    sts = session.client("sts", **kwargs)
    credentials = sts.assume_role(
        RoleArn=account.assume_role,
        RoleSessionName=re.sub(r"[^\w+=,.@-]", "-", f"gennaker-canary-{account.name}")[:64],
    )["Credentials"]
    assumed = {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }
    return assumed, credentials["Expiration"].timestamp()
