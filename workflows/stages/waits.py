"""``wait`` and ``waitUntil``: durable timers that a person can cut short."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.stages import WaitStage, WaitUntilStage

from workflows.stages.base import BaseHandler, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["WaitHandler", "WaitUntilHandler"]


async def _wait(seconds: float, skip: bool, ctx: StageContext) -> StageResult:
    ctx.context["waitTime"] = seconds
    skipped = skip or await ctx.sleep(seconds)
    if skipped:
        ctx.context["skipRemainingWait"] = True
    return StageResult()


@handles("wait")
class WaitHandler(BaseHandler):
    """Sleeps ``waitTime`` seconds of running time (paused time does not count)."""

    async def run(self, stage: WaitStage, ctx: StageContext) -> StageResult:
        """Sleep, unless skipped."""
        return await _wait(stage.wait_time, stage.skip_remaining_wait, ctx)


@handles("waitUntil")
class WaitUntilHandler(BaseHandler):
    """Sleeps until ``epochMillis``."""

    async def run(self, stage: WaitUntilStage, ctx: StageContext) -> StageResult:
        """Sleep until the time, unless skipped."""
        seconds = max(0.0, stage.epoch_millis / 1000 - ctx.now().timestamp())
        return await _wait(seconds, stage.skip_remaining_wait, ctx)
