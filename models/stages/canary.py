"""The ``kayentaCanary`` stage: Orca's ``KayentaCanaryContext`` fields, plus an inline config.

Field names are Orca's and Deck's, so an exported Spinnaker canary stage loads as it
is. Two additions of ours: ``canaryConfig.config`` holds a Kayenta canary config
inline (instead of ``canaryConfigId``), and a scope may set Kayenta standalone's
``controlOffsetInMinutes``. Numbers that Deck stores as strings (``"30"``) are
accepted, as Jackson accepts them.

An inline config is a stage field, so the pipeline engine evaluates ``${...}`` in
it like in any other field. Write Kayenta's template variables in Kayenta's own
escaped form, ``$\\{scope}`` and ``$\\{location}`` (what Kayenta itself does when a
config passes through Orca): the engine leaves them alone and the metric sources
expand them. Saved configs (``canaryConfigId``) never pass through the engine and
use plain ``${scope}``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from models.stage import StageConfig, _Lenient, stage_type

__all__ = [
    "CanaryDeployments",
    "CanaryScopeSpec",
    "CanaryServerGroupPair",
    "CanaryServerGroupSpec",
    "CanaryStageConfig",
    "CanaryStageThresholds",
    "DeploymentBaseline",
    "KayentaCanaryStage",
    "parse_duration",
    "parse_instant",
]

NO_LIFETIME = "Canary stage configuration must include either `endTime` or `lifetimeDuration`."
"""Orca's message when neither an end time nor a lifetime is given."""

_DURATION = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<days>[-+]?\d+)D)?"
    r"(?:T(?:(?P<hours>[-+]?\d+)H)?(?:(?P<minutes>[-+]?\d+)M)?"
    r"(?:(?P<seconds>[-+]?\d+)(?:[.,](?P<fraction>\d{0,9}))?S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration as Java's ``Duration.parse`` reads it (``PT1H30M``, ``P1DT2H``).

    Raises:
        ValueError: Not a duration Java would accept (years, months and weeks are not).
    """
    match = _DURATION.match(text.strip())
    if not match or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO-8601 duration such as PT1H30M")
    parts = match.groupdict()
    seconds = float(int(parts["seconds"] or 0))
    if parts["fraction"]:
        fraction = float("0." + parts["fraction"])
        seconds += -fraction if (parts["seconds"] or "").startswith("-") else fraction
    total = timedelta(
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=seconds,
    )
    return -total if parts["sign"] == "-" else total


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant (``2025-01-01T00:00:00Z``); a time without a zone is UTC.

    Raises:
        ValueError: Not an ISO-8601 date and time.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 time such as 2025-01-01T00:00:00Z") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class CanaryScopeSpec(_Lenient):
    """One ``canaryConfig.scopes[]`` entry: what to compare, where, and (optionally) when."""

    scope_name: str = Field(default="default", alias="scopeName")
    control_scope: str | None = Field(default=None, alias="controlScope")
    control_location: str | None = Field(default=None, alias="controlLocation")
    experiment_scope: str | None = Field(default=None, alias="experimentScope")
    experiment_location: str | None = Field(default=None, alias="experimentLocation")
    start_time_iso: str | None = Field(default=None, alias="startTimeIso")
    end_time_iso: str | None = Field(default=None, alias="endTimeIso")
    step: int = Field(default=60, gt=0)
    """Seconds between points (only ``scopes[0].step`` is used, as in Orca)."""
    extended_scope_params: dict[str, str] = Field(default_factory=dict, alias="extendedScopeParams")
    control_offset_in_minutes: int | None = Field(default=None, alias="controlOffsetInMinutes")
    """Kayenta standalone's per-scope control offset; overrides ``baselineAnalysisOffsetInMins``."""

    @field_validator("scope_name", mode="before")
    @classmethod
    def _default_name(cls, value: Any) -> Any:
        return "default" if value in (None, "") else value

    @field_validator("step", mode="before")
    @classmethod
    def _default_step(cls, value: Any) -> Any:
        return 60 if value in (None, "") else value

    @field_validator("extended_scope_params", mode="before")
    @classmethod
    def _params_as_text(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, dict):
            return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()}
        return value

    @field_validator("start_time_iso", "end_time_iso")
    @classmethod
    def _instant(cls, value: str | None) -> str | None:
        if value:
            parse_instant(value)
        return value or None


class CanaryStageThresholds(_Lenient):
    """``scoreThresholds``; a threshold missing from a present map counts as not specified."""

    pass_: float | None = Field(default=None, alias="pass")
    marginal: float | None = None


def _default_thresholds() -> CanaryStageThresholds:
    return CanaryStageThresholds.model_validate({"pass": 75.0, "marginal": 50.0})


class CanaryStageConfig(_Lenient):
    """``canaryConfig`` of a ``kayentaCanary`` stage (Orca's ``KayentaCanaryContext``)."""

    canary_config_id: str | None = Field(default=None, alias="canaryConfigId")
    canary_config_name: str | None = Field(default=None, alias="canaryConfigName")
    config: dict[str, Any] | None = Field(
        default=None,
        validation_alias=AliasChoices("config", "inlineConfig"),
        serialization_alias="config",
    )
    """A Kayenta canary config given inline (ours; Orca only takes ``canaryConfigId``)."""
    metrics_account_name: str | None = Field(default=None, alias="metricsAccountName")
    configuration_account_name: str | None = Field(default=None, alias="configurationAccountName")
    storage_account_name: str | None = Field(default=None, alias="storageAccountName")
    scopes: list[CanaryScopeSpec] = Field(min_length=1)
    score_thresholds: CanaryStageThresholds = Field(
        default_factory=_default_thresholds, alias="scoreThresholds"
    )
    lifetime_duration: str | None = Field(default=None, alias="lifetimeDuration")
    lifetime_hours: float | None = Field(default=None, alias="lifetimeHours", ge=0)
    begin_canary_analysis_after_mins: int = Field(
        default=0, alias="beginCanaryAnalysisAfterMins", ge=0
    )
    canary_analysis_interval_mins: int | None = Field(
        default=None, alias="canaryAnalysisIntervalMins", ge=0
    )
    lookback_mins: int = Field(default=0, alias="lookbackMins", ge=0)
    baseline_analysis_offset_in_mins: int = Field(
        default=0, alias="baselineAnalysisOffsetInMins", ge=0
    )
    site_local: dict[str, Any] = Field(default_factory=dict, alias="siteLocal")

    @field_validator(
        "begin_canary_analysis_after_mins",
        "lookback_mins",
        "baseline_analysis_offset_in_mins",
        mode="before",
    )
    @classmethod
    def _null_is_zero(cls, value: Any) -> Any:
        return 0 if value in (None, "") else value

    @field_validator("canary_analysis_interval_mins", "lifetime_hours", mode="before")
    @classmethod
    def _blank_is_null(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("score_thresholds", mode="before")
    @classmethod
    def _absent_thresholds(cls, value: Any) -> Any:
        return _default_thresholds() if value is None else value

    @field_validator("site_local", mode="before")
    @classmethod
    def _null_site_local(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("lifetime_duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value:
            parse_duration(value)
        return value or None

    @model_validator(mode="after")
    def _complete(self) -> CanaryStageConfig:
        if not self.canary_config_id and self.config is None:
            raise ValueError("give canaryConfigId (a saved canary config) or config (inline)")
        if self.lifetime is None and self.end_time is None:
            raise ValueError(NO_LIFETIME)
        return self

    @property
    def lifetime(self) -> timedelta | None:
        """``lifetimeDuration``, else ``lifetimeHours``; None when neither is set."""
        if self.lifetime_duration:
            return parse_duration(self.lifetime_duration)
        if self.lifetime_hours is not None:
            # Whole minutes are all Orca ever analyses; keep sub-minute noise out.
            return timedelta(minutes=math.floor(self.lifetime_hours * 60))
        return None

    @property
    def start_time(self) -> datetime | None:
        """``scopes[0].startTimeIso`` (Orca reads the times of the first scope only)."""
        first = self.scopes[0].start_time_iso
        return parse_instant(first) if first else None

    @property
    def end_time(self) -> datetime | None:
        """``scopes[0].endTimeIso``: set for a retrospective analysis."""
        last = self.scopes[0].end_time_iso
        return parse_instant(last) if last else None


class DeploymentBaseline(_Lenient):
    """``deployments.baseline``: the cluster whose current image the control runs."""

    application: str
    account: str
    cluster: str
    cloud_provider: str = Field(default="aws", alias="cloudProvider")


class CanaryServerGroupSpec(_Lenient):
    """A server group to deploy for the canary (Deck's AWS cluster fields).

    The region is ``region``, else the single key of ``availabilityZones``. The image
    is ``imageId`` (or ``amiName``); without one, the control takes the baseline
    cluster's image and the experiment an upstream ``deploymentDetails`` entry.
    """

    account: str | None = None
    application: str | None = None
    region: str | None = None
    availability_zones: dict[str, list[str]] = Field(
        default_factory=dict, alias="availabilityZones"
    )
    stack: str | None = None
    free_form_details: str | None = Field(default=None, alias="freeFormDetails")
    image_id: str | None = Field(default=None, alias="imageId")
    ami_name: str | None = Field(default=None, alias="amiName")
    instance_type: str = Field(default="t3.micro", alias="instanceType")
    capacity: dict[str, int] = Field(default_factory=lambda: {"min": 1, "max": 1, "desired": 1})
    target_groups: list[str] = Field(default_factory=list, alias="targetGroups")
    security_groups: list[str] = Field(default_factory=list, alias="securityGroups")
    subnet_ids: list[str] = Field(default_factory=list, alias="subnetIds")
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_region(self) -> CanaryServerGroupSpec:
        if self.region is None and len(self.availability_zones) > 1:
            raise ValueError("a canary server group deploys to one region: set region")
        return self

    @property
    def resolved_region(self) -> str | None:
        """``region``, else the only region of ``availabilityZones``."""
        if self.region:
            return self.region
        return next(iter(self.availability_zones), None)


class CanaryServerGroupPair(_Lenient):
    """``deployments.serverGroupPairs[]``: one control and one experiment server group."""

    control: CanaryServerGroupSpec
    experiment: CanaryServerGroupSpec


class CanaryDeployments(_Lenient):
    """``deployments``: what ``realTimeAutomatic`` deploys first and destroys afterwards."""

    baseline: DeploymentBaseline
    server_group_pairs: list[CanaryServerGroupPair] = Field(alias="serverGroupPairs", min_length=1)
    delay_before_cleanup: str | None = Field(default=None, alias="delayBeforeCleanup")

    @field_validator("delay_before_cleanup")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value:
            parse_duration(value)
        return value or None

    @property
    def cleanup_delay(self) -> timedelta:
        """How long to keep the server groups after the analysis (default none)."""
        return (
            parse_duration(self.delay_before_cleanup) if self.delay_before_cleanup else timedelta()
        )


@stage_type("kayentaCanary")
class KayentaCanaryStage(StageConfig):
    """Automated canary analysis over one or more intervals (Orca's ``kayentaCanary``).

    ``analysisType`` is Deck's label only: like Orca, the stage deploys server groups
    when ``deployments`` is set and analyses retrospectively when
    ``scopes[0].endTimeIso`` is set.
    """

    analysis_type: str | None = Field(default=None, alias="analysisType")
    canary_config: CanaryStageConfig = Field(alias="canaryConfig")
    deployments: CanaryDeployments | None = None
