"""The pipeline definition, in Spinnaker's own format (JSON or YAML)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.errors import FieldProblem, ValidationError

__all__ = ["ParameterConfig", "ParameterOption", "Pipeline", "Trigger", "resolve_parameters"]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class Trigger(_Lenient):
    """What started (or may start) a run: ``manual``, ``cron``, ``pipeline``, ``jenkins``, ...

    Fields a trigger type does not define are kept, as Spinnaker keeps them.
    """

    type: str = "manual"
    enabled: bool = True
    user: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None
    cron_expression: str | None = Field(default=None, alias="cronExpression")
    application: str | None = None
    pipeline: str | None = None
    status: list[str] = Field(default_factory=list)
    parent_execution: dict[str, Any] | None = Field(default=None, alias="parentExecution")
    correlation_id: str | None = Field(default=None, alias="correlationId")

    @field_validator("parameters", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("enabled", mode="before")
    @classmethod
    def _null_is_true(cls, value: Any) -> Any:
        return True if value is None else value


class ParameterOption(_Lenient):
    """One allowed value of a parameter."""

    value: Any


class ParameterConfig(_Lenient):
    """A pipeline parameter (``parameterConfig[]``)."""

    name: str = Field(min_length=1)
    label: str | None = None
    description: str | None = None
    default: Any = None
    required: bool = False
    has_options: bool = Field(default=False, alias="hasOptions")
    options: list[ParameterOption] = Field(default_factory=list)
    pinned: bool = False

    @field_validator("required", "has_options", "pinned", mode="before")
    @classmethod
    def _null_is_false(cls, value: Any) -> Any:
        return False if value is None else value


class Pipeline(_Lenient):
    """A pipeline config. ``stages`` hold the raw stage mappings (normalised refIds);
    each is validated against its stage type by :func:`models.loading.parse_pipeline`
    and again, after expressions are evaluated, when the stage starts.
    """

    application: str = Field(min_length=1)
    name: str = Field(min_length=1)
    id: str | None = None
    description: str | None = None
    stages: list[dict[str, Any]] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    parameter_config: list[ParameterConfig] = Field(default_factory=list, alias="parameterConfig")
    limit_concurrent: bool = Field(default=False, alias="limitConcurrent")
    max_concurrent_executions: int = Field(default=0, alias="maxConcurrentExecutions", ge=0)
    keep_waiting_pipelines: bool = Field(default=False, alias="keepWaitingPipelines")
    notifications: list[dict[str, Any]] = Field(default_factory=list)
    disabled: bool = False
    expected_artifacts: list[dict[str, Any]] = Field(
        default_factory=list, alias="expectedArtifacts"
    )

    @field_validator(
        "triggers",
        "parameter_config",
        "notifications",
        "expected_artifacts",
        "stages",
        mode="before",
    )
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("limit_concurrent", "keep_waiting_pipelines", "disabled", mode="before")
    @classmethod
    def _null_is_false(cls, value: Any) -> Any:
        return False if value is None else value

    @field_validator("max_concurrent_executions", mode="before")
    @classmethod
    def _null_is_zero(cls, value: Any) -> Any:
        return 0 if value is None else value

    @property
    def key(self) -> str:
        """``application/name``: how Gennaker names a pipeline."""
        return f"{self.application}/{self.name}"

    @property
    def concurrency_limit(self) -> int:
        """How many runs may be RUNNING at once (0 = unlimited), as Orca decides it."""
        if self.limit_concurrent:
            return 1
        return self.max_concurrent_executions


def resolve_parameters(pipeline: Pipeline, given: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults from ``parameterConfig`` and check required values and options.

    Parameters that are not declared are kept (Spinnaker passes them through).

    Raises:
        ValidationError: A required parameter is missing, or a value is not one of its options;
            every problem is listed, each under ``parameters.NAME``.
    """
    resolved = dict(given)
    problems: list[FieldProblem] = []
    for param in pipeline.parameter_config:
        value = resolved.get(param.name)
        if value is None or value == "":
            if param.default is not None and param.default != "":
                resolved[param.name] = param.default
                value = param.default
            elif param.required:
                problems.append(
                    FieldProblem(f"parameters.{param.name}", "required parameter has no value")
                )
                continue
            else:
                resolved.setdefault(param.name, param.default if param.default is not None else "")
                continue
        if param.has_options and param.options:
            allowed = [option.value for option in param.options]
            if value not in allowed and str(value) not in [str(a) for a in allowed]:
                problems.append(
                    FieldProblem(
                        f"parameters.{param.name}",
                        f"{value!r} is not one of the options {allowed}",
                    )
                )
    if problems:
        raise ValidationError(problems, f"pipeline {pipeline.key!r}")
    return resolved
