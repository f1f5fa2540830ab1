"""``manualJudgment``: a human gate, answered through the ``judge`` update or signal."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.settings import RolesRequest
    from models.stages import ManualJudgmentStage

from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["ManualJudgmentHandler"]

THREE_DAYS_MS = 3 * 24 * 3600 * 1000


@handles("manualJudgment")
class ManualJudgmentHandler(BaseHandler):
    """Waits for continue or stop; times out after three days unless ``stageTimeoutMs`` says."""

    default_timeout_ms = THREE_DAYS_MS

    async def run(self, stage: ManualJudgmentStage, ctx: StageContext) -> StageResult:
        """Wait for a judgement; ``stop`` fails the stage (then its failure flags apply)."""
        if stage.roles:
            # Who holds the roles, read once from the worker's configuration and recorded.
            ctx.inbox.judges = await ctx.local_activity(
                "gennaker.users_with_roles", RolesRequest(roles=stage.roles), result_type=list[str]
            )
        ctx.inbox.judgment_inputs = [item.value for item in stage.judgment_inputs]
        ctx.inbox.awaiting_judgment = True
        ctx.context["awaitingJudgment"] = True
        ctx.show("waiting for a judgement")
        await ctx.wait_for(lambda: ctx.inbox.judgment is not None)
        judgment = ctx.inbox.judgment
        assert judgment is not None
        ctx.context.update(
            {
                "judgmentStatus": judgment["judgmentStatus"],
                "judgmentInput": judgment["judgmentInput"],
                "lastModifiedBy": judgment["user"],
                "lastModified": {"user": judgment["user"], "lastModifiedTime": judgment["time"]},
            }
        )
        ctx.show(None)
        outputs = {"judgmentStatus": judgment["judgmentStatus"]}
        if judgment["judgmentInput"] is not None:
            outputs["judgmentInput"] = judgment["judgmentInput"]
        if judgment["judgmentStatus"] == "stop":
            raise StageFailed(f"stopped by {judgment['user']}", outputs=outputs)
        if stage.propagate_authentication_context:
            outputs["authentication"] = {"user": judgment["user"]}
        return StageResult(outputs=outputs)
