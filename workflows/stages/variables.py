"""``evaluateVariables``: named values for later stages, each able to use the ones before it."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import MutableMapping
from typing import Any, cast

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.stages import EvaluateVariablesStage
    from workflows.expressions import ExpressionScope, render

from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["EvaluateVariablesHandler"]


@handles("evaluateVariables")
class EvaluateVariablesHandler(BaseHandler):
    """Evaluates ``variables`` in order (the engine leaves them raw) and outputs them."""

    raw_fields = frozenset({"variables"})

    async def run(self, stage: EvaluateVariablesStage, ctx: StageContext) -> StageResult:
        """Evaluate each variable with the earlier ones in scope."""
        scope = ctx.scope()
        done: dict[str, Any] = {}
        failures: dict[str, str] = {}
        for variable in stage.variables:
            current = ExpressionScope(
                # ChainMap only reads the scope: no copy (it would build the execution view).
                variables=ChainMap(done, cast("MutableMapping[str, Any]", scope.variables)),
                stages=scope.stages,
                current_stage=scope.current_stage,
                functions=scope.functions,
            )
            value, failed = render(variable.value, current)
            for failure in failed:
                failures[failure.expression] = failure.reason
            done[variable.key] = value
        if failures:
            ctx.context["expressionEvaluationSummary"] = failures
            if stage.fail_on_failed_expressions:
                reasons = "; ".join(f"{e}: {r}" for e, r in failures.items())
                raise StageFailed(f"failed expressions: {reasons}")
        return StageResult(outputs=done)
