"""Cron triggers as Temporal Schedules on the real dev server.

Apply creates, updates and deletes them; disabling pauses them; a seconds-level
Quartz expression fires and stops while the pipeline is disabled.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleDescription,
    ScheduleRange,
)
from temporalio.service import RPCError, RPCStatusCode

from activities.schedules import schedule_prefix
from client.client import GennakerClient
from models.config import GennakerConfig
from models.errors import RefusedError
from models.loading import parse_pipeline
from models.pipeline import Pipeline
from models.run import PipelineRunInput
from models.status import Status
from tests.conftest import make_pipeline, running_workers
from tests.workflows.registry_support import ended, holds, until


@pytest.fixture
async def gennaker(dev_client: Client) -> AsyncIterator[GennakerClient]:
    async with running_workers(dev_client) as client:
        yield client


def cron_pipeline(application: str, triggers: list[dict[str, Any]], seconds: int = 0) -> Pipeline:
    stage = {"refId": "1", "type": "wait", "waitTime": seconds}
    return parse_pipeline(
        make_pipeline([stage], application=application, name="nightly", triggers=triggers)
    )


async def describe(client: Client, schedule_id: str) -> ScheduleDescription:
    return await client.get_schedule_handle(schedule_id).describe()


async def gone(client: Client, schedule_id: str) -> bool:
    try:
        await describe(client, schedule_id)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return True
        raise
    return False


async def listed(client: Client, prefix: str) -> set[str]:
    return {s.id async for s in await client.list_schedules() if s.id.startswith(prefix)}


async def run_input_of(client: Client, description: ScheduleDescription) -> PipelineRunInput:
    action = description.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    (value,) = await client.data_converter.decode(action.args, [PipelineRunInput])
    assert isinstance(value, PipelineRunInput)
    return value


async def test_apply_creates_updates_pauses_and_deletes_schedules(
    gennaker: GennakerClient,
) -> None:
    client = gennaker.temporal
    app = f"cron{uuid.uuid4().hex[:6]}"
    prefix = schedule_prefix(app, "nightly")
    first = cron_pipeline(
        app,
        [
            {"type": "cron", "id": "nightly", "cronExpression": "0 0 3 * * ?"},
            {"type": "cron", "cronExpression": "0 30 9 ? * MON-FRI"},
            {"type": "cron", "enabled": False, "cronExpression": "0 0 1 * * ?"},
        ],
    )

    await gennaker.registry.apply(first, "alice")
    nightly, weekdays = (
        await describe(client, f"{prefix}nightly"),
        await describe(client, f"{prefix}1"),
    )
    visible = await until(
        lambda: listed(client, prefix), lambda ids: len(ids) == 2, what="schedules listed"
    )

    assert visible == {f"{prefix}nightly", f"{prefix}1"}  # not the disabled trigger
    assert not nightly.schedule.state.paused
    action = nightly.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("Pipeline", gennaker.queues.pipelines)
    assert nightly.schedule.spec.time_zone_name == "America/Los_Angeles"
    calendar = nightly.schedule.spec.calendars[0]
    assert (list(calendar.second), list(calendar.minute), list(calendar.hour)) == (
        [ScheduleRange(0)],
        [ScheduleRange(0)],
        [ScheduleRange(3)],
    )
    assert list(weekdays.schedule.spec.calendars[0].day_of_week) == [ScheduleRange(1, 5)]
    started_with = await run_input_of(client, nightly)
    assert started_with.saved and started_with.trigger.type == "cron"
    assert started_with.trigger.user == "cron"

    # Apply again: one trigger removed, the other moved to 04:00 with a longer stage.
    second = cron_pipeline(
        app, [{"type": "cron", "id": "nightly", "cronExpression": "0 0 4 * * ?"}], seconds=5
    )
    await gennaker.registry.apply(second, "bob")
    moved = await describe(client, f"{prefix}nightly")
    assert list(moved.schedule.spec.calendars[0].hour) == [ScheduleRange(4)]
    assert (await run_input_of(client, moved)).pipeline.stages[0]["waitTime"] == 5
    assert await gone(client, f"{prefix}1")

    await gennaker.registry.set_disabled(app, "nightly", True)
    paused = await describe(client, f"{prefix}nightly")
    await gennaker.registry.set_disabled(app, "nightly", False)
    resumed = await describe(client, f"{prefix}nightly")
    assert paused.schedule.state.paused and "disabled" in (paused.schedule.state.note or "")
    assert not resumed.schedule.state.paused

    await gennaker.registry.delete(app, "nightly")
    assert await gone(client, f"{prefix}nightly")
    await until(lambda: listed(client, prefix), lambda ids: not ids, what="schedules unlisted")


async def test_applying_a_pipeline_disabled_in_its_file_creates_paused_schedules(
    gennaker: GennakerClient,
) -> None:
    app = f"cron{uuid.uuid4().hex[:6]}"
    pipeline = cron_pipeline(app, [{"type": "cron", "id": "t", "cronExpression": "0 0 3 * * ?"}])
    pipeline.disabled = True

    await gennaker.registry.apply(pipeline, "alice")

    description = await describe(gennaker.temporal, f"{schedule_prefix(app, 'nightly')}t")
    assert description.schedule.state.paused


async def test_schedules_left_by_a_terminated_entry_are_cleaned_up_by_the_next_apply(
    gennaker: GennakerClient,
) -> None:
    app = f"cron{uuid.uuid4().hex[:6]}"
    schedule_id = f"{schedule_prefix(app, 'nightly')}old"
    await gennaker.registry.apply(
        cron_pipeline(app, [{"type": "cron", "id": "old", "cronExpression": "0 0 3 * * ?"}]), "a"
    )
    # An operator terminates the entry: its schedule stays behind.
    entry = gennaker.temporal.get_workflow_handle(f"gennaker-config/{app}/nightly")
    await entry.terminate("operator")
    assert not await gone(gennaker.temporal, schedule_id)

    result = await gennaker.registry.apply(cron_pipeline(app, []), "b")

    assert result.created
    assert await gone(gennaker.temporal, schedule_id)


async def test_a_cron_schedule_fires_and_stops_while_the_pipeline_is_disabled(
    gennaker: GennakerClient,
) -> None:
    client = gennaker.temporal
    app = f"cron{uuid.uuid4().hex[:6]}"
    schedule_id = f"{schedule_prefix(app, 'nightly')}tick"
    pipeline = cron_pipeline(app, [{"type": "cron", "id": "tick", "cronExpression": "* * * * * ?"}])

    await gennaker.registry.apply(pipeline, "alice")
    fired = await until(
        lambda: describe(client, schedule_id),
        lambda d: d.info.num_actions >= 2,
        timeout=15,
        what="schedule fires",
    )
    action = fired.info.recent_actions[0].action
    assert isinstance(action, ScheduleActionExecutionStartWorkflow)
    run_id = action.workflow_id
    view = await ended(gennaker, run_id)
    assert view.status == Status.SUCCEEDED
    assert (view.trigger["type"], view.trigger["user"]) == ("cron", "cron")

    await gennaker.registry.set_disabled(app, "nightly", True)
    stopped = (await describe(client, schedule_id)).info.num_actions
    # No firing for several periods of a once-a-second schedule (time must pass to show it).
    await holds(
        lambda: describe(client, schedule_id),
        lambda d: d.info.num_actions == stopped and d.schedule.state.paused,
        seconds=3.5,
        what="schedule stays quiet",
    )

    await gennaker.registry.set_disabled(app, "nightly", False)
    await until(
        lambda: describe(client, schedule_id),
        lambda d: d.info.num_actions > stopped,
        timeout=15,
        what="schedule fires again",
    )
    await gennaker.registry.delete(app, "nightly")
    assert await gone(client, schedule_id)


async def test_a_failed_schedule_sync_is_reported_and_retried_by_the_entry(
    dev_client: Client,
) -> None:
    # A worker whose timezone the server does not know cannot create schedules.
    broken = GennakerConfig.model_construct(timezone="Mars/Olympus_Mons")
    app = f"cron{uuid.uuid4().hex[:6]}"
    schedule_id = f"{schedule_prefix(app, 'nightly')}t"
    pipeline = cron_pipeline(app, [{"type": "cron", "id": "t", "cronExpression": "0 0 3 * * ?"}])
    async with running_workers(dev_client, config=broken) as gennaker:
        queues = gennaker.queues
        with pytest.raises(RefusedError, match=r"saved .*/nightly v1, but its cron schedules"):
            await gennaker.registry.apply(pipeline, "alice")
        record = await gennaker.registry.get(app, "nightly")
        assert record.version == 1
        assert await gone(dev_client, schedule_id)

    # A healthy worker takes over the queue; the entry retries on its own.
    async with running_workers(dev_client, queues=queues):
        description = await until(
            lambda: _describe_or_none(dev_client, schedule_id),
            lambda d: d is not None,
            timeout=40,
            interval=0.5,
            what="schedule created by the retry",
        )
    assert description is not None
    assert description.schedule.spec.time_zone_name == "America/Los_Angeles"


async def _describe_or_none(client: Client, schedule_id: str) -> ScheduleDescription | None:
    if await gone(client, schedule_id):
        return None
    return await describe(client, schedule_id)
