"""Execution windows: hold a stage until its ``restrictedExecutionWindow`` opens."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.stage import ExecutionWindow
    from workflows.windows import TimeWindow, jitter_seconds, next_allowed_time

from workflows.stages.context import StageContext

__all__ = ["wait_for_window"]


async def wait_for_window(window: ExecutionWindow, ctx: StageContext, trigger_type: str) -> None:
    """Wait until ``window`` allows the stage to run, plus jitter; ``skip_wait`` ends it."""
    settings = await ctx.settings()
    spans = [TimeWindow(w.start_hour, w.start_min, w.end_hour, w.end_min) for w in window.whitelist]
    while True:
        now = ctx.now()
        allowed = next_allowed_time(now, spans, window.days, settings.timezone)
        if allowed <= now:
            break
        ctx.context["scheduledTime"] = int(allowed.timestamp() * 1000)
        ctx.show(f"waiting for its execution window: {allowed.isoformat()} ({settings.timezone})")
        if await ctx.sleep((allowed - now).total_seconds()):
            ctx.show(None)
            return
    jitter = window.jitter
    if jitter and jitter.enabled and not (jitter.skip_manual and trigger_type == "manual"):
        delay = jitter_seconds(jitter.min_delay, jitter.max_delay, ctx.random().random())
        ctx.context["jitterSeconds"] = delay
        ctx.show(f"execution window open; jitter {delay:.0f}s")
        await ctx.sleep(delay)
    ctx.show(None)
