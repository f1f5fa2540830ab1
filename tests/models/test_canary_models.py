"""Kayenta canary config and metric set pair models (spec §1.2, §2.1)."""

from __future__ import annotations

import math
from typing import Any

import pydantic
import pytest

from models.canary import (
    CanaryAnalysisSettings,
    CanaryConfig,
    MetricSetPair,
    ScoreThresholds,
)
from models.config import problems_from_pydantic

SPEC_EXAMPLE: dict[str, Any] = {
    "name": "myapp-golden-signals",
    "description": "example",
    "configVersion": "1",
    "applications": ["myapp"],
    "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
    "metrics": [
        {
            "name": "http 5xx rate",
            "query": {"type": "prometheus", "metricName": "http_5xx_rate"},
            "groups": ["errors"],
            "scopeName": "default",
            "analysisConfigurations": {
                "canary": {
                    "direction": "increase",
                    "nanStrategy": "replace",
                    "critical": True,
                    "mustHaveData": False,
                    "muted": False,
                    "effectSize": {
                        "measure": "meanRatio",
                        "allowedIncrease": 1.1,
                        "allowedDecrease": 0.9,
                        "criticalIncrease": 5.0,
                        "criticalDecrease": 0.5,
                    },
                    "outliers": {"strategy": "remove", "outlierFactor": 3.0},
                }
            },
        }
    ],
    "templates": {},
    "classifier": {
        "groupWeights": {"errors": 100},
        "scoreThresholds": {"pass": 95.0, "marginal": 75.0},
    },
}


def canary(**settings: Any) -> CanaryAnalysisSettings:
    return CanaryAnalysisSettings.model_validate(settings)


def test_spec_example_config_loads_with_every_field() -> None:
    config = CanaryConfig.model_validate(SPEC_EXAMPLE)
    metric = config.metrics[0]
    assert (config.name, config.config_version, config.applications) == (
        "myapp-golden-signals",
        "1",
        ["myapp"],
    )
    assert (metric.name, metric.groups, metric.scope_name, metric.query["type"]) == (
        "http 5xx rate",
        ["errors"],
        "default",
        "prometheus",
    )
    settings = metric.canary
    flags = (settings.critical, settings.must_have_data, settings.muted)
    assert (settings.direction, settings.nan_strategy, flags) == (
        "increase",
        "replace",
        (True, False, False),
    )
    effect = settings.effect_size
    assert (effect.allowed_increase_limit, effect.allowed_decrease_limit) == (1.1, 0.9)
    assert (effect.critical_increase_limit, effect.critical_decrease_limit) == (5.0, 0.5)
    assert (settings.outliers.strategy, settings.outliers.outlier_factor) == ("remove", 3.0)
    assert config.classifier.group_weights == {"errors": 100.0}
    assert config.classifier.score_thresholds is not None
    assert (
        config.classifier.score_thresholds.pass_,
        config.classifier.score_thresholds.marginal,
    ) == (95.0, 75.0)


def test_defaults_are_kayentas() -> None:
    settings = CanaryConfig.model_validate({"metrics": [{"name": "m"}]}).metrics[0].canary
    flags = (settings.critical, settings.must_have_data, settings.muted)
    assert (settings.direction, settings.nan_strategy, flags) == ("either", "remove", (False,) * 3)
    assert (settings.outliers.strategy, settings.outliers.outlier_factor) == ("keep", 3.0)
    effect = settings.effect_size
    assert effect.measure == "meanRatio"
    limits = (
        effect.allowed_increase_limit,
        effect.allowed_decrease_limit,
        effect.critical_increase_limit,
        effect.critical_decrease_limit,
    )
    assert limits == (1.0, 1.0, 1.0, 1.0)


def test_cles_limits_default_to_one_half() -> None:
    effect = canary(effectSize={"measure": "cles", "criticalIncrease": 0.9}).effect_size
    assert effect.allowed_increase_limit == effect.allowed_decrease_limit == 0.5
    assert (effect.critical_increase_limit, effect.critical_decrease_limit) == (0.9, 0.5)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("increase", "increase"),
        ("decrease", "decrease"),
        ("either", "either"),
        ("up", "either"),
        ("Increase", "either"),
    ],
)
def test_unknown_direction_counts_as_either(raw: str, parsed: str) -> None:
    assert canary(direction=raw).direction == parsed


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("remove", "remove"), ("replace", "replace"), ("none", "remove"), ("zero", "remove")],
)
def test_unknown_nan_strategy_counts_as_remove(raw: str, parsed: str) -> None:
    assert canary(nanStrategy=raw).nan_strategy == parsed


@pytest.mark.parametrize(
    ("raw", "parsed"), [("remove", "remove"), ("keep", "keep"), ("none", "keep"), ("drop", "keep")]
)
def test_unknown_outlier_strategy_counts_as_keep(raw: str, parsed: str) -> None:
    assert canary(outliers={"strategy": raw}).outliers.strategy == parsed


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("cles", "cles"), ("meanRatio", "meanRatio"), ("CLES", "meanRatio"), ("cohenD", "meanRatio")],
)
def test_unknown_effect_size_measure_behaves_as_mean_ratio(raw: str, parsed: str) -> None:
    effect = canary(effectSize={"measure": raw}).effect_size
    assert effect.measure == parsed
    assert effect.default_limit == (0.5 if parsed == "cles" else 1.0)


def test_null_settings_take_their_defaults() -> None:
    settings = canary(
        direction=None,
        nanStrategy=None,
        critical=None,
        outliers={"strategy": None, "outlierFactor": None},
    )
    assert (settings.direction, settings.nan_strategy, settings.critical) == (
        "either",
        "remove",
        False,
    )
    assert (settings.outliers.strategy, settings.outliers.outlier_factor) == ("keep", 3.0)


def test_integers_are_accepted_as_numbers() -> None:
    settings = canary(outliers={"outlierFactor": 2}, effectSize={"allowedIncrease": 2})
    assert settings.outliers.outlier_factor == 2.0 and isinstance(
        settings.outliers.outlier_factor, float
    )
    assert settings.effect_size.allowed_increase_limit == 2.0


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"critical": "true"}, "metrics[0].analysisConfigurations.canary.critical"),
        ({"mustHaveData": 1}, "metrics[0].analysisConfigurations.canary.mustHaveData"),
        ({"muted": "false"}, "metrics[0].analysisConfigurations.canary.muted"),
        (
            {"outliers": {"outlierFactor": "3"}},
            "metrics[0].analysisConfigurations.canary.outliers.outlierFactor",
        ),
        (
            {"effectSize": {"allowedIncrease": True}},
            "metrics[0].analysisConfigurations.canary.effectSize.allowedIncrease",
        ),
    ],
)
def test_booleans_and_numbers_must_be_real_json_types(settings: dict[str, Any], path: str) -> None:
    with pytest.raises(pydantic.ValidationError) as err:
        CanaryConfig.model_validate(
            {"metrics": [{"name": "m", "analysisConfigurations": {"canary": settings}}]}
        )
    assert [p.path for p in problems_from_pydantic(err.value)] == [path]


def test_unknown_keys_kayenta_or_deck_export_are_ignored() -> None:
    config = CanaryConfig.model_validate(
        {
            "id": "abc",
            "isNew": True,
            "createdTimestamp": 1700000000000,
            "createdTimestampIso": "2023-11-14T22:13:20Z",
            "metrics": [
                {
                    "name": "m",
                    "id": "m-1",
                    "isNew": False,
                    "analysisConfigurations": {"canary": {"foo": 1}, "other": {"x": 1}},
                }
            ],
            "classifier": {"groupWeights": {}, "hidden": True},
        }
    )
    assert config.id == "abc" and config.created_timestamp == 1700000000000
    assert config.metrics[0].canary == CanaryAnalysisSettings()


def test_snake_case_names_work_too() -> None:
    settings = CanaryAnalysisSettings(nan_strategy="replace", must_have_data=True)
    assert settings.nan_strategy == "replace" and settings.must_have_data


def test_metric_lookup_takes_the_first_metric_with_the_name() -> None:
    config = CanaryConfig.model_validate(
        {"metrics": [{"name": "m", "groups": ["a"]}, {"name": "m", "groups": ["b"]}]}
    )
    found = config.metric("m")
    assert found is not None and found.groups == ["a"]
    assert config.metric("other") is None


def test_score_thresholds_use_kayentas_pass_key() -> None:
    thresholds = ScoreThresholds.model_validate({"pass": 95, "marginal": 75.5})
    assert (thresholds.pass_, thresholds.marginal) == (95.0, 75.5)
    assert thresholds.model_dump(by_alias=True) == {"pass": 95.0, "marginal": 75.5}
    with pytest.raises(pydantic.ValidationError):
        ScoreThresholds.model_validate({"pass": 95})


def test_config_score_thresholds_may_be_partial_or_absent() -> None:
    assert CanaryConfig.model_validate({}).classifier.score_thresholds is None
    partial = CanaryConfig.model_validate(
        {"classifier": {"scoreThresholds": {"pass": 90}}}
    ).classifier.score_thresholds
    assert partial is not None and (partial.pass_, partial.marginal) == (90.0, None)


def test_metric_set_pair_turns_null_and_nan_strings_into_nan() -> None:
    pair = MetricSetPair.model_validate(
        {
            "name": "cpu",
            "values": {"control": [1, None, "NaN", 2.5], "experiment": [float("nan")]},
            "unknown": 1,
        }
    )
    assert pair.values.control[0] == 1.0 and pair.values.control[3] == 2.5
    assert all(
        math.isnan(v)
        for v in (pair.values.control[1], pair.values.control[2], pair.values.experiment[0])
    )
    assert (pair.id, pair.tags, pair.scopes, pair.attributes) == (None, {}, None, None)


def test_metric_set_pair_keeps_kayentas_optional_fields() -> None:
    pair = MetricSetPair.model_validate(
        {
            "name": "cpu",
            "id": "p-1",
            "tags": {"instance": "i-1"},
            "values": {"control": [], "experiment": []},
            "scopes": {
                "control": {
                    "startTimeIso": "2025-01-01T00:00:00Z",
                    "startTimeMillis": 1735689600000,
                    "stepMillis": 60000,
                }
            },
            "attributes": {"control": {"query": "up"}},
        }
    )
    assert pair.scopes is not None and pair.scopes["control"].step_millis == 60000
    assert pair.attributes == {"control": {"query": "up"}}


@pytest.mark.parametrize(
    "values",
    [
        {"control": [1.0]},
        {"control": [1.0], "experiment": ["one"]},
        {"control": [True], "experiment": []},
    ],
)
def test_metric_set_pair_needs_both_series_of_numbers(values: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        MetricSetPair.model_validate({"name": "cpu", "values": values})
