"""What the canary stage sends to and gets from the ``canary.*`` activities (plain pydantic).

Shared by the workflow side (stage handler, config registry) and the workers; no
Temporal, numpy or HTTP here. Times are ISO-8601 strings in UTC so that history
reads well in the Web UI. Metric series never appear here: the judge activity
fetches them itself and returns a compact summary.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ApplyCanaryConfig",
    "CanaryConfigApplied",
    "CanaryConfigRecord",
    "CanaryConfigVersion",
    "DeleteCanaryConfig",
    "JudgementRequest",
    "JudgementSummary",
    "MetricVerdict",
    "PrepareRequest",
    "PreparedConfig",
    "ScopeWindowSpec",
    "SidePair",
    "iso",
]


class _Message(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


def iso(moment: datetime) -> str:
    """``2025-01-01T00:00:00Z``: an instant as Kayenta writes it."""
    return moment.isoformat().replace("+00:00", "Z")


class ScopeWindowSpec(_Message):
    """One side of a scope for one run (Kayenta's ``CanaryScope``)."""

    scope: str | None = None
    location: str | None = None
    start: str
    end: str
    step: int = Field(gt=0)
    extended_scope_params: dict[str, str] = Field(default_factory=dict, alias="extendedScopeParams")


class SidePair(_Message):
    """``controlScope`` and ``experimentScope`` of one scope name."""

    control_scope: ScopeWindowSpec = Field(alias="controlScope")
    experiment_scope: ScopeWindowSpec = Field(alias="experimentScope")


class PrepareRequest(_Message):
    """``canary.prepare``: resolve the canary config and check that it can be queried."""

    canary_config_id: str | None = Field(default=None, alias="canaryConfigId")
    config: dict[str, Any] | None = None
    metrics_account_name: str | None = Field(default=None, alias="metricsAccountName")


class PreparedConfig(_Message):
    """The validated Kayenta config the runs will use, and where it came from."""

    config: dict[str, Any]
    canary_config_id: str | None = Field(default=None, alias="canaryConfigId")
    version: int | None = None
    metric_count: int = Field(default=0, alias="metricCount")


class JudgementRequest(_Message):
    """``canary.judge``: fetch every metric for both sides, mix, and judge one run."""

    config: dict[str, Any]
    metrics_account_name: str | None = Field(default=None, alias="metricsAccountName")
    scopes: dict[str, SidePair]
    pass_: float = Field(alias="pass")
    marginal: float
    seed: int
    index: int = 1


class MetricVerdict(_Message):
    """One metric's classification in one run, compact (no series)."""

    name: str
    tags: dict[str, str] = Field(default_factory=dict)
    classification: str
    reason: str | None = None
    ratio: float | str | None = None
    ci_lower: float | str | None = Field(default=None, alias="ciLower")
    ci_upper: float | str | None = Field(default=None, alias="ciUpper")
    estimate: float | str | None = None
    critical: bool = False
    muted: bool = False
    groups: list[str] = Field(default_factory=list)
    control_count: int = Field(default=0, alias="controlCount")
    experiment_count: int = Field(default=0, alias="experimentCount")
    control_mean: float | str | None = Field(default=None, alias="controlMean")
    experiment_mean: float | str | None = Field(default=None, alias="experimentMean")


class JudgementSummary(_Message):
    """What a judge run returns: its score and each metric's verdict."""

    index: int
    score: float
    classification: str
    classification_reason: str = Field(default="", alias="classificationReason")
    group_scores: dict[str, float] = Field(default_factory=dict, alias="groupScores")
    metrics: list[MetricVerdict] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    seed: int = 0


# -- the canary config registry ------------------------------------------------------------------


class CanaryConfigVersion(_Message):
    """One saved version of a canary config."""

    version: int
    user: str
    time: int
    digest: str


class CanaryConfigRecord(_Message):
    """A saved canary config: the current one, its history, and a few older configs."""

    id: str
    config: dict[str, Any] = Field(default_factory=dict)
    versions: list[CanaryConfigVersion] = Field(default_factory=list)
    previous: dict[int, dict[str, Any]] = Field(default_factory=dict)
    """Recent earlier versions (number → config), for reports on older runs."""

    @property
    def version(self) -> int:
        """The current version number (0 before the first apply)."""
        return self.versions[-1].version if self.versions else 0

    def at(self, version: int | None) -> dict[str, Any] | None:
        """The config as it was at ``version`` (the current one for None)."""
        if version is None or version == self.version:
            return self.config
        return self.previous.get(version)


class ApplyCanaryConfig(_Message):
    """``apply``: save ``config`` as a new version (a no-op when unchanged)."""

    config: dict[str, Any]
    user: str = "anonymous"


class CanaryConfigApplied(_Message):
    """What ``apply`` did."""

    id: str
    version: int
    changed: bool
    created: bool = False


class DeleteCanaryConfig(_Message):
    """``delete``: remove the config (the entry ends)."""

    user: str = "anonymous"
