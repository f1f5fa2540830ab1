"""Per-stage runtime state of an execution, and the views and scopes built from it.

Deterministic and free of Temporal calls: the workflow owns the clock and the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.execution import ExecutionView, StageView
from models.graph import StageGraph
from models.stage import StageConfig
from models.status import Status
from workflows.dag import FailureFlags
from workflows.expressions import ExpressionScope

__all__ = [
    "EXPRESSION_FUNCTIONS",
    "LazyVariables",
    "StageRuntime",
    "build_scope",
    "execution_view",
    "expression_function",
    "stage_view",
]

FunctionFactory = Callable[[Sequence[Mapping[str, Any]]], Callable[..., Any]]

EXPRESSION_FUNCTIONS: dict[str, FunctionFactory] = {}
"""Providers' ``#helpers``: each factory gets the run's stage views and returns the helper."""


def expression_function(name: str) -> Callable[[FunctionFactory], FunctionFactory]:
    """Register ``#name(...)`` for expressions (e.g. ``#deployedServerGroups``)."""

    def register(factory: FunctionFactory) -> FunctionFactory:
        EXPRESSION_FUNCTIONS[name] = factory
        return factory

    return register


# Structural keys are not part of a stage's context (Orca moves them out of it too).
_STRUCTURAL = frozenset({"refId", "requisiteStageRefIds", "type", "name"})


@dataclass
class StageRuntime:
    """One stage of one execution: its config and what happened to it so far."""

    raw: dict[str, Any]
    spec: StageConfig
    status: Status = Status.NOT_STARTED
    start_time: int | None = None
    end_time: int | None = None
    context: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    details: str | None = None
    runs: int = 0

    @property
    def ref_id(self) -> str:
        """The stage's refId."""
        return self.spec.ref_id

    @property
    def flags(self) -> FailureFlags:
        """The stage's "if stage fails" options."""
        return FailureFlags(
            fail_pipeline=self.spec.fail_pipeline,
            continue_pipeline=self.spec.continue_pipeline,
            complete_other_branches_then_fail=self.spec.complete_other_branches_then_fail,
        )

    def config_context(self) -> dict[str, Any]:
        """The stage's configured fields, without the structural ones."""
        return {k: v for k, v in self.raw.items() if k not in _STRUCTURAL}

    def reset(self) -> None:
        """Back to NOT_STARTED, for a restart."""
        self.status = Status.NOT_STARTED
        self.start_time = None
        self.end_time = None
        self.outputs = {}
        self.error = None
        self.details = None
        kept = {k: self.context[k] for k in ("restartDetails",) if k in self.context}
        self.context = kept


def stage_view(stage: StageRuntime) -> StageView:
    """The public view of one stage."""
    context = stage.config_context()
    context.update(stage.context)
    return StageView(
        ref_id=stage.ref_id,
        name=stage.spec.name,
        type=stage.spec.type,
        status=stage.status,
        start_time=stage.start_time,
        end_time=stage.end_time,
        context=context,
        outputs=stage.outputs,
        error=stage.error,
        requisite_stage_ref_ids=list(stage.spec.requisite_stage_ref_ids),
    )


class LazyVariables(Mapping[str, Any]):
    """Top-level expression names; ``execution`` is built only when an expression reads it."""

    def __init__(self, eager: dict[str, Any], execution: Any) -> None:
        self._eager = eager
        self._execution = execution
        self._built: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> Any:
        if key == "execution":
            if self._built is None:
                self._built = self._execution()
            return self._built
        return self._eager[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._eager
        if "execution" not in self._eager:
            yield "execution"

    def __len__(self) -> int:
        return len(self._eager) + (0 if "execution" in self._eager else 1)

    def __contains__(self, key: object) -> bool:
        return key == "execution" or key in self._eager


def build_scope(
    ref_id: str,
    stages: Mapping[str, StageRuntime],
    graph: StageGraph,
    trigger: dict[str, Any],
    execution: Any,
) -> ExpressionScope:
    """The expression scope of a stage, as Orca builds it.

    Upstream stages' outputs (nearest last, so they win) and the current stage's
    context, then ``execution``, ``trigger`` and ``parameters``.
    """
    variables: dict[str, Any] = {}
    for ancestor in graph.ancestors(ref_id):
        variables.update(stages[ancestor].outputs)
    current = stages[ref_id]
    variables.update(current.context)
    variables["trigger"] = trigger
    variables["parameters"] = trigger.get("parameters") or {}
    views = [_scope_stage(s) for s in stages.values()]
    return ExpressionScope(
        variables=LazyVariables(variables, execution),
        stages=views,
        current_stage=_scope_stage(current),
        functions={name: factory(views) for name, factory in EXPRESSION_FUNCTIONS.items()},
    )


def _scope_stage(stage: StageRuntime) -> dict[str, Any]:
    context = stage.config_context()
    context.update(stage.context)
    return {
        "refId": stage.ref_id,
        "id": stage.ref_id,
        "name": stage.spec.name,
        "type": stage.spec.type,
        "status": str(stage.status),
        "context": context,
        "outputs": stage.outputs,
        "startTime": stage.start_time,
        "endTime": stage.end_time,
    }


def execution_view(
    execution_id: str,
    application: str,
    pipeline: str,
    pipeline_config_id: str | None,
    status: Status,
    trigger: dict[str, Any],
    start_time: int | None,
    end_time: int | None,
    stages: Mapping[str, StageRuntime],
    extra: dict[str, Any],
) -> ExecutionView:
    """The public view of an execution."""
    return ExecutionView(
        id=execution_id,
        application=application,
        pipeline=pipeline,
        pipeline_config_id=pipeline_config_id,
        status=status,
        trigger=trigger,
        start_time=start_time,
        end_time=end_time,
        stages=[stage_view(s) for s in stages.values()],
        **extra,
    )
