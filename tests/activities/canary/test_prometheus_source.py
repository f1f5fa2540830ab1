"""The ``prometheus`` metric source: Kayenta's query building, templates, and real range queries."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from activities.canary import PrometheusSource, SourceScope, build_query, expand_template, mix
from emulators.prometheus import OpenMetricsSeries, PrometheusServer
from models.canary import CanaryConfig, CanaryMetricConfig
from models.config import MetricsAccount
from models.errors import CanaryConfigError, ProviderError

WHEN = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def scope(
    side: str = "experiment",
    name: str | None = "app-v011",
    location: str | None = "us-east-1",
    start: datetime = WHEN,
    minutes: int = 10,
    step: int = 60,
    **params: str,
) -> SourceScope:
    return SourceScope(
        side=side,  # type: ignore[arg-type]
        scope=name,
        location=location,
        start=start,
        end=start + timedelta(minutes=minutes),
        step=step,
        extended_scope_params=params,
    )


def metric(**query: Any) -> CanaryMetricConfig:
    return CanaryMetricConfig.model_validate(
        {"name": "m", "query": {"type": "prometheus", **query}}
    )


def query_of(config: dict[str, Any] | None = None, **query: Any) -> str:
    return build_query(CanaryConfig.model_validate(config or {}), metric(**query), scope())


# -- templates ------------------------------------------------------------------------------------


def test_templates_substitute_scope_location_and_params() -> None:
    text = "${scope}/${location}/${env}/$${literal}/$\\{scope}/${missing:-fallback}"
    bindings = {"scope": "app-v011", "location": "us-east-1", "env": "prod"}
    assert expand_template(text, bindings) == "app-v011/us-east-1/prod/${literal}/app-v011/fallback"


def test_an_undefined_template_variable_is_named() -> None:
    with pytest.raises(CanaryConfigError, match=r"\$\{zone\}, which has no value"):
        expand_template("zone=${zone}", {"scope": "x"})


# -- query building -----------------------------------------------------------------------------------


def test_a_promql_template_is_the_whole_query() -> None:
    text = 'PromQL:sum(rate(errors_total{group="${scope}",region="${location}"}[1m]))'
    assert query_of(customInlineTemplate=text) == (
        'sum(rate(errors_total{group="app-v011",region="us-east-1"}[1m]))'
    )


def test_an_inline_filter_goes_before_label_bindings_and_is_averaged() -> None:
    built = query_of(
        metricName="latency",
        customInlineTemplate='group="${scope}",region="${location}"',
        labelBindings=['status="ok"'],
    )
    assert built == 'avg(latency{group="app-v011",region="us-east-1",status="ok"})'


def test_a_named_filter_template_comes_from_the_config() -> None:
    config = {"templates": {"by-group": 'group="${scope}",env="${env}"'}}
    built = build_query(
        CanaryConfig.model_validate(config),
        metric(metricName="cpu", customFilterTemplate="by-group"),
        scope(env="prod"),
    )
    assert built == 'avg(cpu{group="app-v011",env="prod"})'


def test_group_by_fields_split_the_series() -> None:
    built = query_of(
        metricName="cpu", customInlineTemplate='g="${scope}"', groupByFields=["instance", "zone"]
    )
    assert built == 'avg(cpu{g="app-v011"}) by (instance,zone)'


def test_the_aws_ec2_resource_type_filters_on_the_auto_scaling_group() -> None:
    assert query_of(metricName="cpu", resourceType="aws_ec2_instance") == (
        'avg(cpu{asg_groupName="app-v011",zone=~"us-east-1.{1}"})'
    )


def test_the_gce_resource_type_filters_on_the_instance_group_and_zone() -> None:
    built = query_of(metricName="cpu", resourceType="gce_instance", project="p1")
    assert (
        built == 'avg(cpu{instance=~"app-v011-.{4}",zone=~".+/projects/p1/zones/us-east-1-.{1}"})'
    )


@pytest.mark.parametrize(
    ("query", "config", "message"),
    [
        ({"metricName": "cpu"}, {}, "either a resource type or a custom filter is required"),
        ({"metricName": "cpu", "resourceType": "k8s_pod"}, {}, "no explicit support"),
        ({"customInlineTemplate": "a=b"}, {}, "metricName is required"),
        ({"metricName": "c", "customFilterTemplate": "t"}, {}, "no templates were defined"),
        ({"metricName": "c", "customFilterTemplate": "t"}, {"templates": {"u": "x"}}, "not found"),
        ({"metricName": "c", "customFilter": "a=b"}, {}, "customFilter is deprecated"),
    ],
    ids=["no-filter", "unknown-resource", "no-metric", "no-templates", "unknown-template",
         "deprecated"],
)  # fmt: skip
def test_a_query_that_cannot_be_built_is_refused_naming_the_metric(
    query: dict[str, Any], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(CanaryConfigError, match=message) as err:
        query_of(config, **query)
    assert "'m'" in str(err.value) or "Location" in str(err.value) or message in str(err.value)


def test_aws_ec2_needs_a_location() -> None:
    with pytest.raises(CanaryConfigError, match="Location"):
        build_query(
            CanaryConfig(),
            metric(metricName="cpu", resourceType="aws_ec2_instance"),
            scope(location=None),
        )


# -- HTTP behaviour (a fake transport) ----------------------------------------------------------------


def _source(handler: Any, auth: str | None = None) -> PrometheusSource:
    account = MetricsAccount(
        name="prom", type="prometheus", url="http://prom:9090", authHeader=auth
    )
    return PrometheusSource(account, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [("Bearer s3cret", "authorization", "Bearer s3cret"), ("X-Scope-OrgID: team-a", "x-scope-orgid", "team-a")],
)  # fmt: skip
def test_the_accounts_auth_header_is_sent(auth: str, header: str, value: str) -> None:
    seen: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        seen["query"] = request.url.params["query"]
        return httpx.Response(
            200, json={"status": "success", "data": {"resultType": "matrix", "result": []}}
        )

    fetched = _source(handler, auth).fetch(
        CanaryConfig(), metric(customInlineTemplate="PromQL:up"), scope()
    )
    assert seen[header] == value
    assert seen["query"] == "up"
    assert fetched.series == [] and len(fetched.timestamps_ms) == 11


def test_a_bad_query_is_not_retried_and_a_server_error_is() -> None:
    def bad(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"status": "error", "error": "parse error at char 3"})

    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="overloaded")

    with pytest.raises(ProviderError, match="parse error at char 3") as refused:
        _source(bad, "Bearer s3cret").fetch(
            CanaryConfig(), metric(customInlineTemplate="PromQL:x("), scope()
        )
    assert refused.value.retryable is False
    assert "s3cret" not in str(refused.value)
    with pytest.raises(ProviderError, match="503") as failed:
        _source(down).fetch(CanaryConfig(), metric(customInlineTemplate="PromQL:up"), scope())
    assert failed.value.retryable is True


def test_an_unreachable_prometheus_is_retryable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(ProviderError, match="connection refused") as err:
        _source(refuse).fetch(CanaryConfig(), metric(customInlineTemplate="PromQL:up"), scope())
    assert err.value.retryable is True


# -- against a real Prometheus --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history_start() -> datetime:
    return datetime.fromtimestamp((int(time.time()) // 3600) * 3600, UTC) - timedelta(hours=2)


@pytest.fixture(scope="module")
def prometheus(history_start: datetime) -> Iterator[PrometheusServer]:
    t0 = history_start.timestamp()
    minute = [t0 + 60 * m for m in range(61)]
    series = [
        # Instance a of the canary misses minutes 10 to 19.
        OpenMetricsSeries("cpu", {"group": "canary", "instance": "a"},
                          [(t, 0.5) for i, t in enumerate(minute) if not 10 <= i < 20]),
        OpenMetricsSeries("cpu", {"group": "canary", "instance": "b"}, [(t, 0.7) for t in minute]),
        OpenMetricsSeries("cpu", {"group": "baseline", "instance": "a"}, [(t, 0.4) for t in minute]),
    ]  # fmt: skip
    with PrometheusServer(series) as server:
        yield server


def _real(prometheus: PrometheusServer) -> PrometheusSource:
    return PrometheusSource(MetricsAccount(name="prom", type="prometheus", url=prometheus.url))


def test_a_range_query_returns_the_window_on_its_grid_with_gaps_as_nan(
    prometheus: PrometheusServer, history_start: datetime
) -> None:
    query = metric(customInlineTemplate='PromQL:cpu{group="${scope}",instance="a"}')
    window = scope(name="canary", start=history_start + timedelta(minutes=5), minutes=20, step=60)
    fetched = _real(prometheus).fetch(CanaryConfig(), query, window)
    assert len(fetched.timestamps_ms) == 21
    assert fetched.timestamps_ms[0] == int(window.start.timestamp() * 1000)
    (series,) = fetched.series
    assert series.tags == {"group": "canary", "instance": "a"}
    values = series.values  # index i is minute 5 + i
    assert values[:5] == [0.5] * 5
    # Prometheus' 5-minute lookback carries minute 9 over at most minutes 10-14; from
    # minute 15 to 19 it has no point, and the source writes NaN there.
    assert all(math.isnan(v) for v in values[10:15])
    assert values[15:] == [0.5] * 6


def test_group_by_gives_one_series_per_group_and_the_mixer_pairs_them_by_tags(
    prometheus: PrometheusServer, history_start: datetime
) -> None:
    query = metric(
        metricName="cpu", customInlineTemplate='group="${scope}"', groupByFields=["instance"]
    )
    source = _real(prometheus)
    start = history_start + timedelta(minutes=30)
    control = source.fetch(CanaryConfig(), query, scope("control", "baseline", start=start))
    experiment = source.fetch(CanaryConfig(), query, scope("experiment", "canary", start=start))
    assert sorted(s.tags["instance"] for s in experiment.series) == ["a", "b"]
    pairs = mix("cpu", control, experiment, step_seconds=60)
    by_tags = {p.pair.tags["instance"]: p.pair for p in pairs}
    assert by_tags["a"].values.control == [0.4] * 11
    assert by_tags["a"].values.experiment == [0.5] * 11
    # No baseline series for instance b: that side is all NaN, as Kayenta's mixer pads it.
    assert all(math.isnan(v) for v in by_tags["b"].values.control)
    assert by_tags["b"].values.experiment == [0.7] * 11
    assert by_tags["b"].id == "cpu{instance=b}"
    assert by_tags["a"].attributes == {
        "control": {"query": 'avg(cpu{group="baseline"}) by (instance)'},
        "experiment": {"query": 'avg(cpu{group="canary"}) by (instance)'},
    }


def test_a_scope_with_no_data_gives_one_all_nan_pair(
    prometheus: PrometheusServer, history_start: datetime
) -> None:
    query = metric(metricName="cpu", customInlineTemplate='group="${scope}"')
    source = _real(prometheus)
    control = source.fetch(CanaryConfig(), query, scope("control", "baseline", start=history_start))
    experiment = source.fetch(
        CanaryConfig(), query, scope("experiment", "nothing", start=history_start)
    )
    (pair,) = mix("cpu", control, experiment, step_seconds=60)
    assert pair.pair.values.control == [0.4] * 11
    assert len(pair.pair.values.experiment) == 11
    assert all(math.isnan(v) for v in pair.pair.values.experiment)
