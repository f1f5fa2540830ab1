"""Stage configuration: the fields every stage shares, and the stage-type registry.

A stage type is a subclass of :class:`StageConfig` registered with
:func:`stage_type`. Provider packages register their own types, so the
scheduler never needs to know them.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "STAGE_TYPES",
    "ExecutionWindow",
    "Jitter",
    "Notification",
    "StageConfig",
    "StageEnabled",
    "WindowSpan",
    "stage_type",
]


class _Lenient(BaseModel):
    """Spinnaker exports carry UI fields we do not use; accept and keep them."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class StageEnabled(_Lenient):
    """``stageEnabled``: run the stage only when ``expression`` is true."""

    type: str = "expression"
    expression: str


class WindowSpan(_Lenient):
    """One allowed span of a day, ``startHour:startMin`` to ``endHour:endMin`` (may wrap midnight)."""

    start_hour: int = Field(alias="startHour", ge=0, le=23)
    start_min: int = Field(default=0, alias="startMin", ge=0, le=59)
    end_hour: int = Field(alias="endHour", ge=0, le=23)
    end_min: int = Field(default=0, alias="endMin", ge=0, le=59)


class Jitter(_Lenient):
    """Extra random wait, in seconds, once a window opens."""

    enabled: bool = False
    min_delay: int = Field(default=0, alias="minDelay", ge=0)
    max_delay: int = Field(default=0, alias="maxDelay", ge=0)
    skip_manual: bool = Field(default=False, alias="skipManual")

    @model_validator(mode="after")
    def _ordered(self) -> Jitter:
        if self.enabled and self.min_delay > self.max_delay:
            raise ValueError("minDelay must not be greater than maxDelay")
        return self


class ExecutionWindow(_Lenient):
    """``restrictedExecutionWindow``: when a stage may start."""

    whitelist: list[WindowSpan] = Field(default_factory=list)
    days: list[int] = Field(default_factory=list)
    jitter: Jitter | None = None

    @field_validator("days")
    @classmethod
    def _days_in_week(cls, days: list[int]) -> list[int]:
        for day in days:
            if not 1 <= day <= 7:
                raise ValueError(f"day {day} is not in 1 (Sunday) .. 7 (Saturday)")
        return days


class Notification(_Lenient):
    """A notification preference (kept; delivery is a notifier's job)."""

    type: str | None = None
    address: str | None = None
    level: str | None = None
    when: list[str] = Field(default_factory=list)


class StageConfig(_Lenient):
    """Fields every stage has. Subclasses add their type's fields.

    Unknown keys are kept (Spinnaker passes them through to the stage context).
    """

    stage_type_name: ClassVar[str] = ""

    type: str
    ref_id: str = Field(alias="refId")
    requisite_stage_ref_ids: list[str] = Field(default_factory=list, alias="requisiteStageRefIds")
    name: str = ""
    fail_pipeline: bool = Field(default=True, alias="failPipeline")
    continue_pipeline: bool = Field(default=False, alias="continuePipeline")
    complete_other_branches_then_fail: bool = Field(
        default=False, alias="completeOtherBranchesThenFail"
    )
    stage_enabled: StageEnabled | None = Field(default=None, alias="stageEnabled")
    restrict_execution_during_time_window: bool = Field(
        default=False, alias="restrictExecutionDuringTimeWindow"
    )
    restricted_execution_window: ExecutionWindow | None = Field(
        default=None, alias="restrictedExecutionWindow"
    )
    stage_timeout_ms: int | None = Field(default=None, alias="stageTimeoutMs", gt=0)
    comments: str | None = None
    send_notifications: bool = Field(default=False, alias="sendNotifications")
    notifications: list[Notification] = Field(default_factory=list)
    fail_on_failed_expressions: bool = Field(default=False, alias="failOnFailedExpressions")

    @field_validator("ref_id", mode="before")
    @classmethod
    def _ref_id_as_text(cls, value: Any) -> Any:
        # Deck stores refId as a number or a string; we always use strings.
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )

    @field_validator("requisite_stage_ref_ids", mode="before")
    @classmethod
    def _requisites_as_text(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [
                str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                for v in value
            ]
        return value

    @field_validator("fail_pipeline", mode="before")
    @classmethod
    def _fail_pipeline_default(cls, value: Any) -> Any:
        # Orca treats a null failPipeline as true.
        return True if value is None else value

    @field_validator(
        "continue_pipeline",
        "complete_other_branches_then_fail",
        "restrict_execution_during_time_window",
        "send_notifications",
        "fail_on_failed_expressions",
        mode="before",
    )
    @classmethod
    def _null_is_false(cls, value: Any) -> Any:
        return False if value is None else value

    @model_validator(mode="after")
    def _default_name(self) -> StageConfig:
        if not self.name:
            self.name = self.type
        return self

    @property
    def display(self) -> str:
        """``name (refId)`` for messages."""
        return f"{self.name!r} (refId {self.ref_id})"


class GenericStage(StageConfig):
    """Common fields only: used for scheduling before a stage's own type is parsed."""


_T = TypeVar("_T", bound=type[StageConfig])

STAGE_TYPES: dict[str, type[StageConfig]] = {}
"""Every registered stage type, by its ``type`` string."""


def stage_type(name: str, *aliases: str) -> Any:
    """Class decorator registering a :class:`StageConfig` subclass for ``type: name``."""

    def register(cls: _T) -> _T:
        cls.stage_type_name = name
        for key in (name, *aliases):
            existing = STAGE_TYPES.get(key)
            if existing is not None and existing is not cls:
                raise RuntimeError(f"stage type {key!r} registered twice")
            STAGE_TYPES[key] = cls
        return cls

    return register


ManualJudgmentStatus = Literal["continue", "stop"]
