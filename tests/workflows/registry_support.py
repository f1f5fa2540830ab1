"""Helpers shared by the registry, concurrency, cron and pipeline-trigger tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from client.client import GennakerClient
from models.execution import ExecutionView

T = TypeVar("T")


async def until(
    probe: Callable[[], Awaitable[T]],
    check: Callable[[T], bool],
    *,
    timeout: float = 20,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Poll ``probe`` until ``check`` holds on its value; fail with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)


async def holds(
    probe: Callable[[], Awaitable[T]],
    check: Callable[[T], bool],
    *,
    seconds: float,
    interval: float = 0.2,
    what: str = "condition",
) -> None:
    """Check that ``check`` holds for ``seconds``: absence of an event needs time to pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = await probe()
        assert check(value), f"{what} stopped holding: {value!r}"
        await asyncio.sleep(interval)


async def ended(gennaker: GennakerClient, execution_id: str, timeout: float = 60) -> ExecutionView:
    """Wait for a run's workflow to close; return its final execution view."""
    handle = gennaker.temporal.get_workflow_handle(execution_id, result_type=ExecutionView)
    try:
        result = await asyncio.wait_for(handle.result(), timeout)
    except WorkflowFailureError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.details:
            return ExecutionView.model_validate(cause.details[0])
        return await gennaker.status(execution_id)  # terminated: what the run recorded
    assert isinstance(result, ExecutionView)
    return result


async def exists(gennaker: GennakerClient, workflow_id: str) -> bool:
    """Whether any workflow ever had ``workflow_id``."""
    try:
        await gennaker.temporal.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


def stage_span(view: ExecutionView) -> tuple[int, int] | None:
    """(first stage start, last stage end) of a run that ran stages, else None."""
    starts = [s.start_time for s in view.stages if s.start_time is not None]
    ends = [s.end_time for s in view.stages if s.end_time is not None]
    if not starts:
        return None
    assert len(ends) == len(view.stages), f"run {view.id} has a stage without an end time"
    return min(starts), max(ends)


def most_overlapping(spans: list[tuple[int, int]]) -> int:
    """The largest number of spans open at one instant (touching ends do not overlap)."""
    events: list[tuple[int, int]] = []
    for start, end in spans:
        events.append((start, 1))
        events.append((end, -1))
    # At equal times an end sorts before a start: a run that starts when another ends
    # does not overlap it.
    events.sort(key=lambda e: (e[0], e[1]))
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def public(view: Any) -> dict[str, Any]:
    """A view as a dict (for assertion messages)."""
    return dict(view.model_dump(mode="json", by_alias=True))
