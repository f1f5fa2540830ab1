"""The ``prometheus`` metric source: Kayenta's query building, then ``/api/v1/query_range``.

The query is built as Kayenta's ``PrometheusMetricsService`` builds it:

- a ``customInlineTemplate`` (or the config template named by
  ``customFilterTemplate``) is expanded with ``${scope}``, ``${location}`` and the
  extended scope params; one that starts with ``PromQL:`` is the whole query;
- otherwise it is a comma-separated filter list put before ``labelBindings``;
  without one, ``resourceType`` ``aws_ec2_instance`` filters on
  ``asg_groupName="<scope>"`` and ``zone=~"<location>.{1}"`` (``gce_instance`` on
  the instance group and zone);
- the selector is averaged, ``avg(metricName{filters})``, and grouped with
  ``by (groupByFields)`` when those are set (one series per group).

Points come back on the ``start, start + step, ..., end`` grid; a missing point is
NaN. The account's ``authHeader`` is sent as ``Authorization`` (or, written as
``Name: value``, as that header).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import httpx

from activities.canary.sources import Fetched, Series, SourceScope, align, time_grid
from activities.canary.templates import custom_filter
from models.canary import CanaryConfig, CanaryMetricConfig
from models.config import MetricsAccount
from models.errors import CanaryConfigError, ProviderError

__all__ = ["PrometheusSource", "auth_headers", "build_query"]

_NAMED_HEADER = re.compile(r"^([A-Za-z0-9-]+):\s*(.*)$")
_SPECIAL = {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}


def _gce_filters(scope: SourceScope, query: Mapping[str, Any]) -> list[str]:
    if not scope.location:
        raise CanaryConfigError(
            "Location (i.e. region) is required when resourceType is 'gce_instance'."
        )
    filters = []
    if scope.scope:
        label = str(query.get("scopeLabel") or "instance")
        filters.append(f'{label}=~"{scope.scope}-.{{4}}"')
    zone = ".+/"
    project = query.get("project") or scope.extended_scope_params.get("project")
    if project:
        zone += f"projects/{project}/"
    zone += f"zones/{scope.location}-.{{1}}"
    filters.append(f'zone=~"{zone}"')
    return filters


def _ec2_filters(scope: SourceScope) -> list[str]:
    if not scope.location:
        raise CanaryConfigError(
            "Location (i.e. region) is required when resourceType is 'aws_ec2_instance'."
        )
    filters = [f'asg_groupName="{scope.scope}"'] if scope.scope else []
    filters.append(f'zone=~"{scope.location}.{{1}}"')
    return filters


def build_query(config: CanaryConfig, metric: CanaryMetricConfig, scope: SourceScope) -> str:
    """The PromQL query of one metric for one side, as Kayenta builds it.

    Raises:
        CanaryConfigError: No metric name, no way to filter by scope, or a template problem.
    """
    query = metric.query
    resource_type = str(
        query.get("resourceType") or scope.extended_scope_params.get("resourceType") or ""
    )
    expanded = custom_filter(config, query, scope.bindings(query), metric.name)
    if expanded and expanded.startswith("PromQL:"):
        return expanded[len("PromQL:") :]
    metric_name = query.get("metricName")
    if not metric_name:
        raise CanaryConfigError(f"metric {metric.name!r}: query.metricName is required")
    filters = [str(binding) for binding in query.get("labelBindings") or []]
    if expanded:
        filters = [*expanded.split(","), *filters]
    elif resource_type == "gce_instance":
        filters = [*filters, *_gce_filters(scope, query)]
    elif resource_type == "aws_ec2_instance":
        filters = [*filters, *_ec2_filters(scope)]
    elif resource_type:
        raise CanaryConfigError(
            f"metric {metric.name!r}: there is no explicit support for resourceType "
            f"{resource_type!r}; build the query with labelBindings and a custom filter template"
        )
    else:
        raise CanaryConfigError(
            f"metric {metric.name!r}: either a resource type or a custom filter is required "
            "(customInlineTemplate or customFilterTemplate)"
        )
    selector = f"{metric_name}{{{','.join(filters)}}}" if filters else str(metric_name)
    promql = f"avg({selector})"
    group_by = [str(field) for field in query.get("groupByFields") or []]
    if group_by:
        promql += f" by ({','.join(group_by)})"
    return promql


def auth_headers(account: MetricsAccount) -> dict[str, str]:
    """The account's ``authHeader`` as request headers (never logged or returned)."""
    if not account.auth_header:
        return {}
    named = _NAMED_HEADER.match(account.auth_header)
    if named and " " not in named.group(1):
        return {named.group(1): named.group(2)}
    return {"Authorization": account.auth_header}


def _value(text: Any) -> float:
    if isinstance(text, str) and text in _SPECIAL:
        return _SPECIAL[text]
    return float(text)


class PrometheusSource:
    """Range queries against one Prometheus account (thread-safe; holds no connection).

    Args:
        account: The metrics account (``url``, ``authHeader``).
        transport: An httpx transport (tests); a real connection pool by default.
        timeout: Seconds per request.
    """

    def __init__(
        self,
        account: MetricsAccount,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not account.url:
            raise CanaryConfigError(f"prometheus account {account.name!r} has no url")
        self._account = account
        self._transport = transport
        self._timeout = timeout

    def _client(self) -> httpx.Client:
        # One connection per run's query is cheap next to a 30-minute interval, and
        # nothing stays open between runs.
        assert self._account.url is not None
        return httpx.Client(
            base_url=self._account.url.rstrip("/"),
            headers=auth_headers(self._account),
            timeout=self._timeout,
            transport=self._transport,
        )

    def fetch(
        self, config: CanaryConfig, metric: CanaryMetricConfig, scope: SourceScope
    ) -> Fetched:
        """Run the metric's range query over ``scope``'s window."""
        promql = build_query(config, metric, scope)
        grid = time_grid(scope.start, scope.end, scope.step, include_end=True)
        params = {
            "query": promql,
            "start": f"{scope.start.timestamp():.3f}",
            "end": f"{scope.end.timestamp():.3f}",
            "step": str(scope.step),
        }
        where = f"prometheus account {self._account.name!r}, metric {metric.name!r}"
        try:
            with self._client() as http:
                response = http.get("/api/v1/query_range", params=params)
        except httpx.HTTPError as err:
            raise ProviderError(f"{where}: {err!r}", retryable=True) from None
        body = _json(response)
        if response.status_code >= 400 or body.get("status") != "success":
            detail = body.get("error") or response.text[:300]
            retryable = response.status_code >= 500 or response.status_code == 429
            raise ProviderError(
                f"{where}: Prometheus answered {response.status_code} to {promql!r}: {detail}",
                retryable=retryable,
            )
        data = body.get("data") or {}
        if data.get("resultType") != "matrix":
            raise ProviderError(
                f"{where}: expected a matrix from {promql!r}, got {data.get('resultType')!r}"
            )
        series = []
        for item in data.get("result") or []:
            tags = {k: str(v) for k, v in (item.get("metric") or {}).items() if k != "__name__"}
            points = [(round(float(ts) * 1000), _value(v)) for ts, v in item.get("values") or []]
            series.append(Series(tags=tags, values=align(points, grid)))
        return Fetched(series=series, query=promql, timestamps_ms=grid)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
