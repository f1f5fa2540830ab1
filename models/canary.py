"""Kayenta canary configs, score thresholds and metric set pairs.

Field names are exactly Kayenta's (camelCase aliases; snake_case works too), so a
canary config exported from Kayenta loads as it is. Unknown keys that Kayenta or
Deck add (``isNew``, ``id`` of a metric, other judges' settings, ...) are ignored.

The per-metric settings under ``analysisConfigurations.canary`` are parsed the way
Kayenta's NetflixACAJudge reads them: an unknown ``direction`` counts as
``either``, an unknown ``nanStrategy`` as ``remove``, an unknown outlier strategy
as ``keep`` and an unknown effect-size measure as ``meanRatio``. Booleans must be
JSON booleans and numbers JSON numbers; anything else is refused with its field
path rather than guessed at. A JSON ``null`` counts as an absent key.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    ValidationInfo,
    field_validator,
)

__all__ = [
    "AnalysisConfigurations",
    "CanaryAnalysisSettings",
    "CanaryClassifierConfig",
    "CanaryConfig",
    "CanaryJudgeConfig",
    "CanaryMetricConfig",
    "ConfiguredScoreThresholds",
    "Direction",
    "EffectSizeMeasure",
    "EffectSizeSettings",
    "MetricSetPair",
    "MetricSetScope",
    "MetricSetValues",
    "NanStrategy",
    "OutlierSettings",
    "OutlierStrategy",
    "ScoreThresholds",
]

Direction = Literal["increase", "decrease", "either"]
NanStrategy = Literal["remove", "replace"]
OutlierStrategy = Literal["remove", "keep"]
EffectSizeMeasure = Literal["meanRatio", "cles"]


class _Kayenta(BaseModel):
    """Kayenta's JSON: camelCase names, unknown keys ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _null_is_absent(cls, value: Any, info: ValidationInfo) -> Any:
        # Kayenta's MapUtils treats a null like a missing key and falls back to the
        # default; mirror that by letting a None take the field's default.
        if value is None:
            field = cls.model_fields[str(info.field_name)]
            if not field.is_required():
                return field.get_default(call_default_factory=True)
        return value


def _choice(value: Any, allowed: tuple[str, ...], fallback: str) -> Any:
    """Kayenta's lenient enum parsing: any other string means ``fallback``."""
    if isinstance(value, str) and value not in allowed:
        return fallback
    return value


class OutlierSettings(_Kayenta):
    """``analysisConfigurations.canary.outliers``: IQR outlier removal."""

    strategy: OutlierStrategy = "keep"
    outlier_factor: StrictFloat = Field(default=3.0, alias="outlierFactor")

    @field_validator("strategy", mode="before")
    @classmethod
    def _lenient_strategy(cls, value: Any) -> Any:
        return _choice(value, ("remove", "keep"), "keep")


class EffectSizeSettings(_Kayenta):
    """``analysisConfigurations.canary.effectSize``: how large a change must be.

    The four limits default to 1.0 for ``meanRatio`` and 0.5 for ``cles``; read them
    through the ``*_limit`` properties, which apply that default.
    """

    measure: EffectSizeMeasure = "meanRatio"
    allowed_increase: StrictFloat | None = Field(default=None, alias="allowedIncrease")
    allowed_decrease: StrictFloat | None = Field(default=None, alias="allowedDecrease")
    critical_increase: StrictFloat | None = Field(default=None, alias="criticalIncrease")
    critical_decrease: StrictFloat | None = Field(default=None, alias="criticalDecrease")

    @field_validator("measure", mode="before")
    @classmethod
    def _lenient_measure(cls, value: Any) -> Any:
        return _choice(value, ("meanRatio", "cles"), "meanRatio")

    @property
    def default_limit(self) -> float:
        """The limit used for any of the four that is not set."""
        return 0.5 if self.measure == "cles" else 1.0

    @property
    def allowed_increase_limit(self) -> float:
        """Smallest effect size that lets a significant increase count as High."""
        return self.default_limit if self.allowed_increase is None else self.allowed_increase

    @property
    def allowed_decrease_limit(self) -> float:
        """Largest effect size that lets a significant decrease count as Low."""
        return self.default_limit if self.allowed_decrease is None else self.allowed_decrease

    @property
    def critical_increase_limit(self) -> float:
        """Smallest effect size at which a critical metric's High fails the canary."""
        return self.default_limit if self.critical_increase is None else self.critical_increase

    @property
    def critical_decrease_limit(self) -> float:
        """Largest effect size at which a critical metric's Low fails the canary."""
        return self.default_limit if self.critical_decrease is None else self.critical_decrease


class CanaryAnalysisSettings(_Kayenta):
    """``metrics[i].analysisConfigurations.canary``: NetflixACAJudge's per-metric settings."""

    direction: Direction = "either"
    nan_strategy: NanStrategy = Field(default="remove", alias="nanStrategy")
    outliers: OutlierSettings = Field(default_factory=OutlierSettings)
    critical: StrictBool = False
    must_have_data: StrictBool = Field(default=False, alias="mustHaveData")
    muted: StrictBool = False
    effect_size: EffectSizeSettings = Field(default_factory=EffectSizeSettings, alias="effectSize")

    @field_validator("direction", mode="before")
    @classmethod
    def _lenient_direction(cls, value: Any) -> Any:
        return _choice(value, ("increase", "decrease", "either"), "either")

    @field_validator("nan_strategy", mode="before")
    @classmethod
    def _lenient_nan_strategy(cls, value: Any) -> Any:
        # Kayenta's default raw value is "none", which parses to remove.
        return _choice(value, ("remove", "replace"), "remove")


class AnalysisConfigurations(_Kayenta):
    """``metrics[i].analysisConfigurations``; only the ``canary`` judge's block is read."""

    canary: CanaryAnalysisSettings = Field(default_factory=CanaryAnalysisSettings)


class CanaryMetricConfig(_Kayenta):
    """One entry of ``metrics[]``: what to query and how to judge it."""

    name: str
    query: dict[str, Any] = Field(default_factory=dict)
    groups: list[str] = Field(default_factory=list)
    analysis_configurations: AnalysisConfigurations = Field(
        default_factory=AnalysisConfigurations, alias="analysisConfigurations"
    )
    scope_name: str = Field(default="default", alias="scopeName")

    @property
    def canary(self) -> CanaryAnalysisSettings:
        """Shortcut to ``analysisConfigurations.canary``."""
        return self.analysis_configurations.canary


class ScoreThresholds(_Kayenta):
    """The pass and marginal thresholds of a judge run (Kayenta's request ``thresholds``)."""

    pass_: StrictFloat = Field(alias="pass")
    marginal: StrictFloat


class ConfiguredScoreThresholds(_Kayenta):
    """``classifier.scoreThresholds`` of a config; either value may be missing.

    Kayenta's judge ignores these (it takes the request's thresholds); the CLI uses
    them when no flag is given.
    """

    pass_: StrictFloat | None = Field(default=None, alias="pass")
    marginal: StrictFloat | None = None


class CanaryClassifierConfig(_Kayenta):
    """``classifier``: group weights (percent) and the config's own thresholds."""

    group_weights: dict[str, StrictFloat] = Field(default_factory=dict, alias="groupWeights")
    score_thresholds: ConfiguredScoreThresholds | None = Field(
        default=None, alias="scoreThresholds"
    )


class CanaryJudgeConfig(_Kayenta):
    """``judge``: which judge to use and its free-form settings."""

    name: str = "NetflixACAJudge-v1.0"
    judge_configurations: dict[str, Any] = Field(default_factory=dict, alias="judgeConfigurations")


class CanaryConfig(_Kayenta):
    """A Kayenta canary config (``kayenta-core`` ``CanaryConfig``)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    config_version: str | None = Field(default=None, alias="configVersion")
    applications: list[str] = Field(default_factory=list)
    created_timestamp: int | None = Field(default=None, alias="createdTimestamp")
    updated_timestamp: int | None = Field(default=None, alias="updatedTimestamp")
    created_timestamp_iso: str | None = Field(default=None, alias="createdTimestampIso")
    updated_timestamp_iso: str | None = Field(default=None, alias="updatedTimestampIso")
    judge: CanaryJudgeConfig = Field(default_factory=CanaryJudgeConfig)
    metrics: list[CanaryMetricConfig] = Field(default_factory=list)
    templates: dict[str, str] = Field(default_factory=dict)
    classifier: CanaryClassifierConfig = Field(default_factory=CanaryClassifierConfig)

    def metric(self, name: str) -> CanaryMetricConfig | None:
        """The first metric config called ``name``, as Kayenta looks it up, or None."""
        for metric in self.metrics:
            if metric.name == name:
                return metric
        return None


class MetricSetScope(_Kayenta):
    """``scopes.control`` / ``scopes.experiment`` of a metric set pair."""

    start_time_iso: str | None = Field(default=None, alias="startTimeIso")
    start_time_millis: int | None = Field(default=None, alias="startTimeMillis")
    step_millis: int | None = Field(default=None, alias="stepMillis")


def _to_series(value: Any) -> Any:
    # Metric sources write a missing point as null or "NaN" (Jackson quotes NaN);
    # both mean NaN to the judge.
    if isinstance(value, list):
        return [math.nan if v is None or v == "NaN" else v for v in value]
    return value


class MetricSetValues(_Kayenta):
    """``values``: the control and experiment series; missing points are NaN."""

    control: list[StrictFloat]
    experiment: list[StrictFloat]

    @field_validator("control", "experiment", mode="before")
    @classmethod
    def _nan_points(cls, value: Any) -> Any:
        return _to_series(value)


class MetricSetPair(_Kayenta):
    """One metric's control and experiment series (Kayenta's ``MetricSetPair``)."""

    name: str
    id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    values: MetricSetValues
    scopes: dict[str, MetricSetScope] | None = None
    attributes: dict[str, Any] | None = None
