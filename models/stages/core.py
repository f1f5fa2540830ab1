"""The core stage types: waits, judgement, preconditions, variables, child pipelines."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from models.stage import StageConfig, _Lenient, stage_type

__all__ = [
    "PRECONDITION_TYPES",
    "CheckPreconditionsStage",
    "EvaluateVariablesStage",
    "JudgmentInput",
    "ManualJudgmentStage",
    "PipelineStage",
    "Precondition",
    "Variable",
    "WaitStage",
    "WaitUntilStage",
    "precondition_type",
]


@stage_type("wait")
class WaitStage(StageConfig):
    """Sleep for ``waitTime`` seconds; ``skipRemainingWait`` lets a person end it early."""

    wait_time: int = Field(default=30, alias="waitTime", ge=0)
    skip_remaining_wait: bool = Field(default=False, alias="skipRemainingWait")


@stage_type("waitUntil")
class WaitUntilStage(StageConfig):
    """Sleep until ``epochMillis``."""

    epoch_millis: int = Field(alias="epochMillis", ge=0)
    skip_remaining_wait: bool = Field(default=False, alias="skipRemainingWait")


class JudgmentInput(_Lenient):
    """One choice offered to the judge."""

    value: str


@stage_type("manualJudgment")
class ManualJudgmentStage(StageConfig):
    """A human gate: continue or stop, optionally with one of ``judgmentInputs``."""

    instructions: str | None = None
    judgment_inputs: list[JudgmentInput] = Field(default_factory=list, alias="judgmentInputs")
    required_judgment_roles: list[str] = Field(default_factory=list, alias="requiredJudgmentRoles")
    selected_stage_roles: list[str] = Field(default_factory=list, alias="selectedStageRoles")
    propagate_authentication_context: bool = Field(
        default=False, alias="propagateAuthenticationContext"
    )

    @property
    def roles(self) -> list[str]:
        """The roles allowed to judge (``requiredJudgmentRoles``, else ``selectedStageRoles``)."""
        return self.required_judgment_roles or self.selected_stage_roles


PRECONDITION_TYPES: set[str] = {"expression", "stageStatus"}
"""Precondition types a ``checkPreconditions`` stage may use; providers add theirs."""


def precondition_type(name: str) -> None:
    """Allow ``preconditions[].type == name`` (providers call this when they load)."""
    PRECONDITION_TYPES.add(name)


class Precondition(_Lenient):
    """One check of a ``checkPreconditions`` stage."""

    type: str
    context: dict[str, Any] = Field(default_factory=dict)
    fail_pipeline: bool = Field(default=True, alias="failPipeline")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in PRECONDITION_TYPES:
            known = ", ".join(sorted(PRECONDITION_TYPES))
            raise ValueError(f"unsupported precondition type {value!r} (supported: {known})")
        return value

    @field_validator("fail_pipeline", mode="before")
    @classmethod
    def _null_is_true(cls, value: Any) -> Any:
        return True if value is None else value


@stage_type("checkPreconditions")
class CheckPreconditionsStage(StageConfig):
    """Every precondition must hold; a false one fails the stage (or stops its branch)."""

    preconditions: list[Precondition] = Field(default_factory=list)


class Variable(_Lenient):
    """One ``evaluateVariables`` entry."""

    key: str = Field(min_length=1)
    value: Any = None
    description: str | None = None


@stage_type("evaluateVariables")
class EvaluateVariablesStage(StageConfig):
    """Compute named values that later stages read as ``${key}``."""

    variables: list[Variable] = Field(default_factory=list)


@stage_type("pipeline")
class PipelineStage(StageConfig):
    """Run a saved pipeline as a child execution."""

    application: str
    pipeline: str = Field(min_length=1)
    pipeline_parameters: dict[str, Any] = Field(default_factory=dict, alias="pipelineParameters")
    wait_for_completion: bool = Field(default=True, alias="waitForCompletion")

    @field_validator("pipeline_parameters", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value
