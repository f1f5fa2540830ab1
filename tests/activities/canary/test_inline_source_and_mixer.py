"""The ``inline`` source, the mixer's pairing and padding, and which source serves a metric."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activities.canary import (
    Fetched,
    InlineSource,
    PrometheusSource,
    Series,
    Sources,
    SourceScope,
    mix,
)
from models.canary import CanaryConfig, CanaryMetricConfig
from models.config import GennakerConfig
from models.errors import CanaryConfigError

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def scope(side: str, name: str | None = None, minutes: int = 4) -> SourceScope:
    return SourceScope(
        side=side,  # type: ignore[arg-type]
        scope=name,
        location=None,
        start=START,
        end=START + timedelta(minutes=minutes),
        step=60,
    )


def inline(**query: Any) -> CanaryMetricConfig:
    return CanaryMetricConfig.model_validate({"name": "m", "query": {"type": "inline", **query}})


def values(fetched: Fetched) -> list[float | None]:
    (series,) = fetched.series
    return [None if math.isnan(v) else v for v in series.values]


def test_fixed_values_by_side_with_null_and_nan_as_nan() -> None:
    metric = inline(values={"control": [1, None, "NaN", 2.5], "experiment": [3]})
    assert values(InlineSource().fetch(CanaryConfig(), metric, scope("control"))) == [
        1.0, None, None, 2.5
    ]  # fmt: skip
    assert values(InlineSource().fetch(CanaryConfig(), metric, scope("experiment"))) == [3.0]


def test_a_scope_name_key_wins_over_the_side() -> None:
    metric = inline(values={"control": [1], "app-v010": [7]})
    assert values(InlineSource().fetch(CanaryConfig(), metric, scope("control", "app-v010"))) == [
        7.0
    ]


def test_points_are_cut_to_the_window_and_placed_on_its_grid() -> None:
    t0 = START.timestamp()
    points = [[t0 - 60, 9.0], [t0, 1.0], [t0 + 120, 3.0], [t0 + 600, 9.0]]
    metric = inline(points={"experiment": points})
    fetched = InlineSource().fetch(CanaryConfig(), metric, scope("experiment"))
    assert values(fetched) == [1.0, None, 3.0, None, None]
    assert fetched.timestamps_ms[0] == int(t0 * 1000)


def test_a_side_without_a_key_has_no_series() -> None:
    metric = inline(values={"control": [1]})
    assert InlineSource().fetch(CanaryConfig(), metric, scope("experiment")).series == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "needs values or points"),
        ({"values": [1, 2]}, "must map a scope or side"),
        ({"values": {"control": [1, "x"]}}, r"values.control\[1\]: 'x' is not a number"),
        (
            {"points": {"control": [[1, 2, 3]]}},
            r"points.control\[0\] must be \[epochSeconds, value\]",
        ),
        ({"values": {"control": [True]}}, "is not a number"),
    ],
)
def test_bad_inline_values_are_named(query: dict[str, Any], message: str) -> None:
    with pytest.raises(CanaryConfigError, match=message):
        InlineSource().fetch(CanaryConfig(), inline(**query), scope("control"))


def test_the_mixer_pads_the_shorter_side_with_nan() -> None:
    control = Fetched([Series({}, [1.0, 2.0, 3.0])], "c", [0, 60_000, 120_000])
    experiment = Fetched([Series({}, [1.0])], "e", [0])
    (mixed,) = mix("m", control, experiment, step_seconds=60)
    assert mixed.pair.values.control == [1.0, 2.0, 3.0]
    assert mixed.pair.values.experiment[0] == 1.0
    assert all(math.isnan(v) for v in mixed.pair.values.experiment[1:])
    assert mixed.pair.scopes is not None
    assert mixed.pair.scopes["control"].step_millis == 60_000


def test_no_data_on_either_side_is_still_one_pair_for_the_judge() -> None:
    (mixed,) = mix("m", Fetched([], "c", [0, 1]), Fetched([], "e", [0, 1]), step_seconds=60)
    assert mixed.pair.tags == {}
    assert all(math.isnan(v) for v in mixed.pair.values.control + mixed.pair.values.experiment)


def _config(*accounts: dict[str, Any]) -> GennakerConfig:
    return GennakerConfig.parse({"metrics": {"accounts": list(accounts)}})


PROM = {"name": "prom", "type": "prometheus", "url": "http://prom:9090"}
PROM2 = {"name": "prom2", "type": "prometheus", "url": "http://prom2:9090"}
CW = {"name": "cw", "type": "cloudwatch", "awsAccount": "prod"}
METRIC = CanaryMetricConfig.model_validate({"name": "m", "query": {"type": "prometheus"}})


def test_the_only_account_of_the_querys_type_is_used_without_a_name() -> None:
    source = Sources(_config(PROM, CW)).for_metric(METRIC, None)
    assert isinstance(source, PrometheusSource)
    assert Sources(_config(PROM, CW)).for_metric(METRIC, "prom") is not None


@pytest.mark.parametrize(
    ("accounts", "name", "message"),
    [
        ((PROM, PROM2), None, r"several prometheus accounts \(prom, prom2\): set metricsAccountName"),
        ((CW,), None, "no prometheus metrics account is configured"),
        ((PROM, CW), "cw", "metrics account 'cw' is cloudwatch, but the query type is prometheus"),
        ((PROM,), "nope", r"unknown metrics account 'nope' \(known: prom\)"),
    ],
)  # fmt: skip
def test_a_metric_without_a_usable_account_is_refused(
    accounts: tuple[dict[str, Any], ...], name: str | None, message: str
) -> None:
    with pytest.raises(CanaryConfigError, match=message):
        Sources(_config(*accounts)).for_metric(METRIC, name)


def test_an_unsupported_query_type_names_the_supported_ones() -> None:
    atlas = CanaryMetricConfig.model_validate({"name": "m", "query": {"type": "atlas"}})
    with pytest.raises(
        CanaryConfigError,
        match=r"'atlas' is not supported \(supported: cloudwatch, inline, prometheus\)",
    ):
        Sources(GennakerConfig()).for_metric(atlas, None)


def test_inline_queries_need_no_account() -> None:
    assert isinstance(
        Sources(GennakerConfig()).for_metric(inline(values={}), "anything"), InlineSource
    )
