"""Cron triggers as Temporal Schedules: created, updated, paused and deleted with the pipeline."""

from __future__ import annotations

from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from client.runs import run_input, start_options
from models.errors import PipelineError
from models.ids import slug
from models.pipeline import Pipeline, Trigger, resolve_parameters
from models.quartz import parse_quartz, to_calendar_spec_kwargs
from models.run import TaskQueues

__all__ = ["cron_schedule_id", "cron_triggers", "schedule_for", "sync_pipeline_schedules"]


def cron_schedule_id(pipeline: Pipeline, index: int, trigger: Trigger) -> str:
    """``gennaker-cron/app/pipeline/<trigger id or index>``."""
    return f"{schedule_prefix(pipeline.application, pipeline.name)}{trigger.id or index}"


def schedule_prefix(application: str, name: str) -> str:
    """The id prefix of every schedule of one pipeline."""
    return f"gennaker-cron/{application}/{name}/"


def cron_triggers(pipeline: Pipeline) -> list[tuple[int, Trigger]]:
    """The enabled cron triggers, with their index in ``triggers``."""
    return [
        (i, t)
        for i, t in enumerate(pipeline.triggers)
        if t.type == "cron" and t.enabled and t.cron_expression
    ]


def calendar_spec(expression: str, hash_key: str) -> ScheduleCalendarSpec:
    """A Quartz expression as a Temporal calendar spec (raises PipelineError if impossible)."""
    kwargs = to_calendar_spec_kwargs(parse_quartz(expression, hash_key=hash_key))
    return ScheduleCalendarSpec(
        **{
            field: [ScheduleRange(start, end, step) for start, end, step in ranges]
            for field, ranges in kwargs.items()
        }
    )


def schedule_for(
    pipeline: Pipeline,
    index: int,
    trigger: Trigger,
    queues: TaskQueues,
    timezone: str,
    disabled: bool,
) -> Schedule:
    """The Schedule of one cron trigger: it starts the pipeline with its current config."""
    parameters = resolve_parameters(pipeline, dict(trigger.parameters))
    run_trigger = trigger.model_copy(
        update={"parameters": parameters, "user": trigger.user or "cron"}
    )
    options = start_options(pipeline, run_trigger)
    action = ScheduleActionStartWorkflow(
        "Pipeline",
        run_input(pipeline, run_trigger, queues, saved=True),
        id=f"{slug(pipeline.application)}/{slug(pipeline.name)}/cron",
        task_queue=queues.pipelines,
        typed_search_attributes=options["search_attributes"],
        static_summary=options["static_summary"],
        static_details=options["static_details"],
    )
    spec = ScheduleSpec(
        calendars=[calendar_spec(trigger.cron_expression or "", trigger.id or str(index))],
        time_zone_name=timezone,
    )
    return Schedule(
        action=action,
        spec=spec,
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
        state=ScheduleState(
            paused=disabled,
            note="pipeline disabled" if disabled else f"cron {trigger.cron_expression}",
        ),
    )


async def sync_pipeline_schedules(
    client: Client,
    pipeline: Pipeline,
    *,
    disabled: bool,
    deleted: bool,
    queues: TaskQueues,
    timezone: str,
) -> dict[str, Any]:
    """Make the pipeline's Schedules match its cron triggers. Returns what changed."""
    prefix = schedule_prefix(pipeline.application, pipeline.name)
    existing: set[str] = set()
    async for listed in await client.list_schedules():
        if listed.id.startswith(prefix):
            existing.add(listed.id)
    wanted: dict[str, Schedule] = {}
    if not deleted:
        for index, trigger in cron_triggers(pipeline):
            try:
                wanted[cron_schedule_id(pipeline, index, trigger)] = schedule_for(
                    pipeline, index, trigger, queues, timezone, disabled
                )
            except PipelineError as err:
                raise PipelineError(
                    f"triggers[{index}].cronExpression: {err}", f"pipeline {pipeline.key}"
                ) from None
    changes: dict[str, Any] = {"created": [], "updated": [], "deleted": []}
    for schedule_id in sorted(existing - wanted.keys()):
        await client.get_schedule_handle(schedule_id).delete()
        changes["deleted"].append(schedule_id)
    for schedule_id, schedule in wanted.items():
        if schedule_id in existing:

            def replace(_: ScheduleUpdateInput, new: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=new)

            await client.get_schedule_handle(schedule_id).update(replace)
            changes["updated"].append(schedule_id)
        else:
            try:
                await client.create_schedule(schedule_id, schedule)
            except RPCError as err:
                if err.status != RPCStatusCode.ALREADY_EXISTS:
                    raise
                await client.get_schedule_handle(schedule_id).update(
                    lambda _, new=schedule: ScheduleUpdate(schedule=new)
                )
            changes["created"].append(schedule_id)
    return changes
