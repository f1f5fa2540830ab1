"""Cron triggers as Temporal Schedules: created, updated, paused and deleted with the pipeline.

Each enabled ``cron`` trigger of a saved pipeline is one Schedule, with the id
``gennaker-cron/<app>/<pipeline>/<trigger id or index>``, visible in the Web
UI's Schedules tab. It starts the ``Pipeline`` workflow with the config saved
at the time, so every apply updates it; it is paused while the pipeline is
disabled and deleted with the pipeline.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
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
from models.errors import FieldProblem, PipelineError, ValidationError
from models.ids import slug
from models.pipeline import Pipeline, Trigger, resolve_parameters
from models.quartz import parse_quartz, to_calendar_spec_kwargs
from models.run import TaskQueues

__all__ = [
    "calendar_spec",
    "cron_schedule_id",
    "cron_triggers",
    "schedule_for",
    "schedule_prefix",
    "sync_pipeline_schedules",
]

CATCHUP_WINDOW = timedelta(minutes=1)
"""Runs missed while the server was down are started only if at most this late: a long
outage must not start one run per missed minute when it ends."""


def schedule_prefix(application: str, name: str) -> str:
    """The id prefix of every schedule of one pipeline."""
    return f"gennaker-cron/{application}/{name}/"


def cron_schedule_id(pipeline: Pipeline, index: int, trigger: Trigger) -> str:
    """``gennaker-cron/app/pipeline/<trigger id or index>``."""
    return f"{schedule_prefix(pipeline.application, pipeline.name)}{trigger.id or index}"


def cron_triggers(pipeline: Pipeline) -> list[tuple[int, Trigger]]:
    """The enabled cron triggers, with their index in ``triggers``."""
    return [
        (i, t)
        for i, t in enumerate(pipeline.triggers)
        if t.type == "cron" and t.enabled and t.cron_expression
    ]


def calendar_spec(expression: str, hash_key: str, path: str = "") -> ScheduleCalendarSpec:
    """A Quartz expression as a Temporal calendar spec.

    Raises:
        PipelineError: The expression cannot be translated, naming ``path``.
    """
    kwargs = to_calendar_spec_kwargs(parse_quartz(expression, hash_key=hash_key, path=path))

    def ranges(field: str) -> list[ScheduleRange]:
        return [ScheduleRange(start, end, step) for start, end, step in kwargs.get(field, [])]

    return ScheduleCalendarSpec(
        second=ranges("second"),
        minute=ranges("minute"),
        hour=ranges("hour"),
        day_of_month=ranges("day_of_month"),
        month=ranges("month"),
        year=ranges("year"),  # empty: every year
        day_of_week=ranges("day_of_week"),
    )


def schedule_for(
    pipeline: Pipeline,
    index: int,
    trigger: Trigger,
    queues: TaskQueues,
    timezone: str,
    disabled: bool,
) -> Schedule:
    """The Schedule of one cron trigger: it starts the pipeline with its saved config.

    Raises:
        PipelineError: The expression cannot be translated, or a required parameter has
            no value; naming ``triggers[index]``.
    """
    path = f"triggers[{index}]"
    key = trigger.id or str(index)
    spec = calendar_spec(
        trigger.cron_expression or "", trigger.id or str(index), f"{path}.cronExpression"
    )
    try:
        parameters = resolve_parameters(pipeline, dict(trigger.parameters))
    except ValidationError as err:
        raise PipelineError(
            [FieldProblem(f"{path}.{p.path}", p.message) for p in err.problems], pipeline.key
        ) from None
    run_trigger = trigger.model_copy(
        update={"parameters": parameters, "user": trigger.user or "cron"}
    )
    options = start_options(pipeline, run_trigger)
    action = ScheduleActionStartWorkflow(
        "Pipeline",
        run_input(pipeline, run_trigger, queues, saved=True),
        # The server appends the scheduled time, so each firing has its own execution id.
        id=f"{slug(pipeline.application)}/{slug(pipeline.name)}/cron-{slug(key)}",
        task_queue=queues.pipelines,
        typed_search_attributes=options["search_attributes"],
        static_summary=options["static_summary"],
        static_details=options["static_details"],
    )
    return Schedule(
        action=action,
        spec=ScheduleSpec(calendars=[spec], time_zone_name=timezone),
        # Spinnaker fires whether or not the last run ended; the concurrency gate queues.
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=CATCHUP_WINDOW
        ),
        state=ScheduleState(
            paused=disabled,
            note=f"{pipeline.key} is disabled" if disabled else f"cron {trigger.cron_expression}",
        ),
    )


async def _existing(client: Client, prefix: str) -> set[str]:
    """Schedules whose id starts with ``prefix`` (a scan: used only when ids are not known)."""
    found: set[str] = set()
    async for listed in await client.list_schedules():
        if listed.id.startswith(prefix):
            found.add(listed.id)
    return found


async def _delete(client: Client, schedule_id: str) -> None:
    try:
        await client.get_schedule_handle(schedule_id).delete()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise


async def _replace(client: Client, schedule_id: str, schedule: Schedule) -> None:
    def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(schedule_id).update(replace)


async def _put(client: Client, schedule_id: str, schedule: Schedule, exists: bool) -> None:
    """Create or replace, whichever the server's state calls for (both are idempotent)."""
    if exists:
        try:
            await _replace(client, schedule_id, schedule)
            return
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        await _replace(client, schedule_id, schedule)


async def sync_pipeline_schedules(
    client: Client,
    pipeline: Pipeline,
    *,
    disabled: bool,
    deleted: bool,
    known: list[str] | None,
    queues: TaskQueues,
    timezone: str,
) -> list[str]:
    """Make the pipeline's Schedules match its cron triggers and state.

    Args:
        known: The schedule ids made by earlier syncs; ``None`` (a new registry entry)
            looks them up by id prefix, so schedules left by an earlier entry of the same
            name are not orphaned.

    Returns:
        The ids of the pipeline's schedules now.

    Raises:
        PipelineError: A trigger cannot become a schedule (nothing is changed then).
    """
    prefix = schedule_prefix(pipeline.application, pipeline.name)
    wanted: dict[str, Schedule] = {}
    if not deleted:
        for index, trigger in cron_triggers(pipeline):
            wanted[cron_schedule_id(pipeline, index, trigger)] = schedule_for(
                pipeline, index, trigger, queues, timezone, disabled
            )
    existing = set(known) if known is not None else await _existing(client, prefix)
    if deleted and known is not None:
        existing |= await _existing(client, prefix)
    for schedule_id in sorted(existing - wanted.keys()):
        await _delete(client, schedule_id)
    for schedule_id, schedule in wanted.items():
        await _put(client, schedule_id, schedule, schedule_id in existing)
    return sorted(wanted)
