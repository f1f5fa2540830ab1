"""``checkPreconditions``: every check must hold, else the stage fails (or stops its branch).

Each precondition carries its own ``failPipeline``: false turns a failed check
into STOPPED, which is how Spinnaker pipelines write if/else branches.
Providers add check types with :func:`precondition_check`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.stages import CheckPreconditionsStage, Precondition

from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["PRECONDITION_CHECKS", "CheckPreconditionsHandler", "precondition_check"]

Check = Callable[[Precondition, StageContext], Awaitable[tuple[bool, str]]]

PRECONDITION_CHECKS: dict[str, Check] = {}
"""How to check each precondition type: returns (holds, explanation)."""


def precondition_check(name: str) -> Callable[[Check], Check]:
    """Register the check for ``preconditions[].type == name``."""

    def register(check: Check) -> Check:
        PRECONDITION_CHECKS[name] = check
        return check

    return register


def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


@precondition_check("expression")
async def _expression(precondition: Precondition, ctx: StageContext) -> tuple[bool, str]:
    expression = precondition.context.get("expression")
    value = _truthy(expression)
    if value is None:
        failures = ctx.context.get("expressionEvaluationSummary") or {}
        reason = next(iter(failures.values()), None) if isinstance(failures, dict) else None
        detail = f": {reason}" if reason else ""
        return False, f"expression {expression!r} did not evaluate to true or false{detail}"
    return value, "expression is true" if value else "expression check failed (false)"


@precondition_check("stageStatus")
async def _stage_status(precondition: Precondition, ctx: StageContext) -> tuple[bool, str]:
    name = precondition.context.get("stageName")
    expected = str(precondition.context.get("stageStatus", "")).upper()
    for stage in ctx.scope().stages:
        if stage.get("name") == name or stage.get("refId") == name:
            actual = str(stage.get("status"))
            if actual == expected:
                return True, f"stage {name!r} is {actual}"
            return False, f"stage {name!r} is {actual}, expected {expected}"
    return False, f"no stage named {name!r}"


@handles("checkPreconditions")
class CheckPreconditionsHandler(BaseHandler):
    """Checks each precondition in order; the first that fails decides."""

    async def run(self, stage: CheckPreconditionsStage, ctx: StageContext) -> StageResult:
        """Run every check; fail with the first failing one's ``failPipeline``."""
        results = []
        for index, precondition in enumerate(stage.preconditions):
            check = PRECONDITION_CHECKS[precondition.type]
            holds, why = await check(precondition, ctx)
            results.append({"type": precondition.type, "passed": holds, "message": why})
            if not holds:
                raise StageFailed(
                    f"precondition {index} ({precondition.type}) failed: {why}",
                    fail_pipeline=precondition.fail_pipeline,
                    outputs={"preconditions": results},
                )
        return StageResult(outputs={"preconditions": results})
