"""Orca's concurrency rules on the real dev server, checked from the runs' own stage times.

``limitConcurrent`` and ``maxConcurrentExecutions`` with both ``keepWaitingPipelines``
values, 20 simultaneous starts each; a paused run keeps its slot; cancelling a
waiting run or terminating a holder does not stall the others.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from activities.engine import EngineActivities
from client.client import GennakerClient
from models.config import GennakerConfig
from models.execution import ExecutionView
from models.ids import gate_workflow_id
from models.loading import parse_pipeline
from models.pipeline import Pipeline
from models.run import GateTicket
from models.status import Status
from tests.conftest import make_pipeline, running_workers, unique_queues
from tests.workflows.registry_support import ended, holds, most_overlapping, stage_span, until
from workers.sandbox import workflow_runner
from workflows.gate import ConcurrencyGateWorkflow, GateState
from workflows.pipeline import PipelineWorkflow

RUNS = 20
SUPERSEDED = "superseded by a newer waiting execution"


@pytest.fixture
async def gennaker(dev_client: Client) -> AsyncIterator[GennakerClient]:
    async with running_workers(dev_client) as client:
        yield client


def limited(seconds: int = 1, **concurrency: Any) -> Pipeline:
    """A one-stage pipeline (``wait``) with the given concurrency settings."""
    stage = {"refId": "1", "name": "work", "type": "wait", "waitTime": seconds}
    return parse_pipeline(
        make_pipeline([stage], application=f"cc{uuid.uuid4().hex[:6]}", **concurrency)
    )


async def start_all(gennaker: GennakerClient, pipeline: Pipeline, count: int = RUNS) -> list[str]:
    """``count`` runs started at once."""
    return list(await asyncio.gather(*(gennaker.run(pipeline) for _ in range(count))))


async def finish_all(gennaker: GennakerClient, ids: list[str]) -> dict[str, ExecutionView]:
    views = await asyncio.gather(*(ended(gennaker, i, timeout=90) for i in ids))
    return dict(zip(ids, views, strict=True))


async def gate_log(client: Client, pipeline: Pipeline) -> tuple[list[str], list[str]]:
    """From the gate's history: the order runs reached it, and the order it granted slots."""
    arrivals: list[str] = []
    grants: list[str] = []
    handle = client.get_workflow_handle(gate_workflow_id(pipeline.application, pipeline.name))
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            signaled = event.workflow_execution_signaled_event_attributes
            if signaled.signal_name == "enter":
                (ticket,) = await client.data_converter.decode(
                    signaled.input.payloads, [GateTicket]
                )
                if ticket.execution_id not in arrivals:
                    arrivals.append(ticket.execution_id)
        elif event.event_type == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            sent = event.signal_external_workflow_execution_initiated_event_attributes
            (decision,) = await client.data_converter.decode(sent.input.payloads, [str])
            if decision == "granted":
                grants.append(sent.workflow_execution.workflow_id)
    return arrivals, grants


async def gate_state(client: Client, pipeline: Pipeline) -> GateState:
    handle = client.get_workflow_handle(gate_workflow_id(pipeline.application, pipeline.name))
    state: GateState = await handle.query("state", result_type=GateState)
    return state


def spans_by_start(views: dict[str, ExecutionView]) -> list[tuple[str, tuple[int, int]]]:
    ran = [(i, stage_span(v)) for i, v in views.items()]
    return sorted(((i, s) for i, s in ran if s is not None), key=lambda item: item[1][0])


def assert_superseded_properly(
    views: dict[str, ExecutionView], arrivals: list[str], *, slots: int
) -> None:
    """``keepWaitingPipelines: false``: each waiting run either ran or was superseded by a
    newer run when a slot freed up."""
    succeeded = [i for i, v in views.items() if v.status == Status.SUCCEEDED]
    canceled = [i for i, v in views.items() if v.status == Status.CANCELED]
    assert sorted(succeeded + canceled) == sorted(views), "every run succeeds or is superseded"
    assert len(canceled) >= 1, "20 simultaneous starts leave runs waiting, so some are superseded"
    assert len(succeeded) >= slots + 1
    position = {execution_id: index for index, execution_id in enumerate(arrivals)}
    assert set(position) == set(views), "every run reached the gate"
    granted = [i for i, _ in spans_by_start(views)]
    assert sorted(granted) == sorted(succeeded)
    if slots == 1:
        # Each grant goes to the newest waiting run, so grants follow arrival order.
        assert [position[i] for i in granted] == sorted(position[i] for i in granted)
    first_end = min(span[1] for _, span in spans_by_start(views))
    for execution_id in canceled:
        view = views[execution_id]
        assert stage_span(view) is None, f"superseded run {execution_id} ran a stage"
        assert view.cancellation_reason == SUPERSEDED
        assert view.end_time is not None
        # It waited until a slot freed up ...
        assert view.end_time >= first_end
        # ... and then lost to a newer run, which ran.
        newer = [i for i in succeeded if position[i] > position[execution_id]]
        assert newer, f"{execution_id} was superseded but no newer run ran"
        if slots == 1:
            winner = min(newer, key=lambda i: position[i])
            index = granted.index(winner)
            before = stage_span(views[granted[index - 1]])
            assert before is not None and view.end_time >= before[1]
            winner_span = stage_span(views[winner])
            assert winner_span is not None and view.end_time <= winner_span[1]


async def test_limit_concurrent_keep_waiting_runs_every_run_one_at_a_time_in_order(
    gennaker: GennakerClient,
) -> None:
    pipeline = limited(limitConcurrent=True, keepWaitingPipelines=True)

    ids = await start_all(gennaker, pipeline)
    views = await finish_all(gennaker, ids)
    arrivals, grants = await gate_log(gennaker.temporal, pipeline)

    assert {v.status for v in views.values()} == {Status.SUCCEEDED}
    spans = spans_by_start(views)
    assert most_overlapping([s for _, s in spans]) == 1
    for (_, earlier), (_, later) in itertools.pairwise(spans):
        assert later[0] >= earlier[1], "a run started before the previous one ended"
    # keepWaitingPipelines: the waiting runs start in the order they queued.
    assert [i for i, _ in spans] == arrivals == grants


async def test_limit_concurrent_supersedes_older_waiting_runs(gennaker: GennakerClient) -> None:
    pipeline = limited(seconds=2, limitConcurrent=True, keepWaitingPipelines=False)

    ids = await start_all(gennaker, pipeline)
    views = await finish_all(gennaker, ids)
    arrivals, _ = await gate_log(gennaker.temporal, pipeline)

    assert most_overlapping([s for _, s in spans_by_start(views)]) == 1
    assert_superseded_properly(views, arrivals, slots=1)


async def test_max_concurrent_three_keep_waiting_never_runs_more_than_three(
    gennaker: GennakerClient,
) -> None:
    pipeline = limited(maxConcurrentExecutions=3, keepWaitingPipelines=True)

    ids = await start_all(gennaker, pipeline)
    views = await finish_all(gennaker, ids)
    arrivals, grants = await gate_log(gennaker.temporal, pipeline)

    assert {v.status for v in views.values()} == {Status.SUCCEEDED}
    # At most three at once, and the limit is really three (not one).
    assert most_overlapping([s for _, s in spans_by_start(views)]) == 3
    assert grants == arrivals


async def test_max_concurrent_three_supersedes_older_waiting_runs(
    gennaker: GennakerClient,
) -> None:
    pipeline = limited(seconds=2, maxConcurrentExecutions=3, keepWaitingPipelines=False)

    ids = await start_all(gennaker, pipeline)
    views = await finish_all(gennaker, ids)
    arrivals, _ = await gate_log(gennaker.temporal, pipeline)

    assert most_overlapping([s for _, s in spans_by_start(views)]) == 3
    assert_superseded_properly(views, arrivals, slots=3)


async def test_a_paused_run_keeps_its_slot(gennaker: GennakerClient) -> None:
    pipeline = limited(seconds=2, limitConcurrent=True)
    first = await gennaker.run(pipeline)
    await until(lambda: gennaker.status(first), lambda v: v.status == Status.RUNNING)
    await gennaker.pause(first, user="ops")
    second = await gennaker.run(pipeline)
    await until(
        lambda: gate_state(gennaker.temporal, pipeline),
        lambda s: [t.execution_id for t in s.waiting] == [second],
        what="second run waits at the gate",
    )

    # Longer than the first run's stage would take unpaused: the second run must not start.
    await holds(
        lambda: gennaker.status(second),
        lambda v: v.status == Status.BUFFERED,
        seconds=3,
        what="second run stays BUFFERED",
    )
    await gennaker.resume(first, user="ops")
    views = await finish_all(gennaker, [first, second])

    assert [views[i].status for i in (first, second)] == [Status.SUCCEEDED, Status.SUCCEEDED]
    first_span, second_span = stage_span(views[first]), stage_span(views[second])
    assert first_span is not None and second_span is not None
    assert second_span[0] >= first_span[1]


async def test_cancelling_a_waiting_run_does_not_stall_the_others(
    gennaker: GennakerClient,
) -> None:
    pipeline = limited(seconds=2, limitConcurrent=True, keepWaitingPipelines=True)
    holder = await gennaker.run(pipeline)
    await until(lambda: gennaker.status(holder), lambda v: v.status == Status.RUNNING)
    doomed = await gennaker.run(pipeline)
    survivor = await gennaker.run(pipeline)
    await until(
        lambda: gate_state(gennaker.temporal, pipeline),
        lambda s: {t.execution_id for t in s.waiting} == {doomed, survivor},
        what="both runs wait at the gate",
    )

    await gennaker.cancel(doomed, user="ops", reason="not needed")
    views = await finish_all(gennaker, [holder, doomed, survivor])

    assert views[doomed].status == Status.CANCELED
    assert views[doomed].cancellation_reason == "not needed"
    assert stage_span(views[doomed]) is None
    assert views[holder].status == views[survivor].status == Status.SUCCEEDED
    holder_span, survivor_span = stage_span(views[holder]), stage_span(views[survivor])
    assert holder_span is not None and survivor_span is not None
    # The survivor started as soon as the holder ended (the canceled run held nothing).
    assert 0 <= survivor_span[0] - holder_span[1] < 4000
    state = await gate_state(gennaker.temporal, pipeline)
    assert state.running == [] and state.waiting == []


async def test_a_terminated_holder_does_not_keep_its_slot(gennaker: GennakerClient) -> None:
    pipeline = limited(seconds=60, limitConcurrent=True)
    holder = await gennaker.run(pipeline)
    await until(lambda: gennaker.status(holder), lambda v: v.status == Status.RUNNING)
    quick = parse_pipeline(
        {
            **pipeline.model_dump(by_alias=True),
            "stages": [{"refId": "1", "type": "wait", "waitTime": 0}],
        }
    )
    waiting = await gennaker.run(quick)
    await until(
        lambda: gate_state(gennaker.temporal, pipeline),
        lambda s: [t.execution_id for t in s.waiting] == [waiting],
        what="second run waits at the gate",
    )

    # An operator's hard terminate: the run cannot release its slot itself.
    await gennaker.temporal.get_workflow_handle(holder).terminate("operator")
    view = await ended(gennaker, waiting, timeout=30)

    assert view.status == Status.SUCCEEDED
    state = await gate_state(gennaker.temporal, pipeline)
    assert holder not in state.running


async def test_a_restarted_run_queues_again_and_runs(gennaker: GennakerClient) -> None:
    pipeline = limited(seconds=1, limitConcurrent=True)
    execution_id = await gennaker.run(pipeline)
    assert (await ended(gennaker, execution_id)).status == Status.SUCCEEDED

    # The same execution id enters the gate a second time (a new ticket, not a repeat).
    await gennaker.restart_stage(execution_id, "1", user="ops")
    view = await until(
        lambda: gennaker.status(execution_id),
        lambda v: v.status.complete and v.stages[0].context.get("restartDetails") is not None,
        timeout=20,
        what="restarted run ends",
    )

    assert view.status == Status.SUCCEEDED


async def test_a_terminated_newest_waiting_run_is_skipped_not_the_older_ones(
    gennaker: GennakerClient,
) -> None:
    pipeline = limited(seconds=2, limitConcurrent=True, keepWaitingPipelines=False)
    holder = await gennaker.run(pipeline)
    await until(lambda: gennaker.status(holder), lambda v: v.status == Status.RUNNING)
    older = await gennaker.run(pipeline)
    await until(
        lambda: gate_state(gennaker.temporal, pipeline),
        lambda s: [t.execution_id for t in s.waiting] == [older],
    )
    newest = await gennaker.run(pipeline)
    await until(
        lambda: gate_state(gennaker.temporal, pipeline),
        lambda s: [t.execution_id for t in s.waiting] == [older, newest],
        what="both runs wait at the gate",
    )

    # The newest waiting run would win the slot, but an operator terminates it first.
    await gennaker.temporal.get_workflow_handle(newest).terminate("operator")
    views = await finish_all(gennaker, [holder, older])

    assert views[holder].status == views[older].status == Status.SUCCEEDED
    holder_span, older_span = stage_span(views[holder]), stage_span(views[older])
    assert holder_span is not None and older_span is not None
    assert older_span[0] >= holder_span[1]


class _SlowEnter(EngineActivities):
    """``enter_gate`` that returns long after the gate got the ticket (a slow server)."""

    @activity.defn(name="gennaker.enter_gate")
    async def enter_gate(self, ticket: GateTicket) -> None:
        await EngineActivities.enter_gate(self, ticket)
        # Longer than a workflow task: the worker heartbeats the task, and the gate's
        # answer reaches the run before the local activity has returned.
        await asyncio.sleep(12)


async def test_a_grant_that_arrives_while_entering_is_not_lost(dev_client: Client) -> None:
    queues = unique_queues()
    worker = Worker(
        dev_client,
        task_queue=queues.pipelines,
        workflows=[PipelineWorkflow, ConcurrencyGateWorkflow],
        activities=_SlowEnter(dev_client, GennakerConfig(), queues).all(),
        workflow_runner=workflow_runner(),
    )
    async with worker:
        gennaker = GennakerClient(dev_client, queues)
        execution_id = await gennaker.run(limited(seconds=1, limitConcurrent=True))
        view = await until(
            lambda: gennaker.status(execution_id),
            lambda v: v.status.complete,
            timeout=20,
            what="run ends",
        )
    assert view.status == Status.SUCCEEDED
