"""Wait for a server group to be healthy, heartbeating with progress (boto3 + Temporal).

Runs inside a synchronous activity: it polls, heartbeats after every poll (so
that Temporal can deliver cancellation and notice a dead worker), and sleeps on
the activity's cancellation event rather than ``time.sleep`` so a cancel ends
the wait at once.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError

from activities.aws.clients import RegionClients
from activities.aws.describe import members, require_group
from activities.aws.health import TargetHealth
from models.aws import WaitForHealthyResult
from workflows.aws.capacity import healthy_required

__all__ = ["HEALTH_TIMEOUT", "check_interrupted", "wait_for_healthy"]

HEALTH_TIMEOUT = "HealthTimeout"
"""``ApplicationError.type`` of a wait that ran out of time."""


def check_interrupted(what: str) -> None:
    """Raise if the activity was cancelled or its worker is shutting down.

    Raises:
        CancelledError: The activity was cancelled.
        ApplicationError: The worker is shutting down (retryable: another worker resumes).
    """
    if activity.is_cancelled():
        raise CancelledError(f"{what}: cancelled")
    if activity.is_worker_shutdown():
        raise ApplicationError(f"{what}: worker shutting down", type="WorkerShutdown")


def wait_for_healthy(
    clients: RegionClients,
    name: str,
    health: TargetHealth,
    *,
    target_healthy_percentage: int = 100,
    poll_interval: float = 5.0,
    timeout: float | None = None,
    ignore: Collection[str] = (),
) -> WaitForHealthyResult:
    """Poll until ``target_healthy_percentage`` of the desired instances are healthy.

    The number needed is rounded up; a group with desired 0 is healthy at once.
    The desired count is read at every poll, so a resize during the wait counts.
    Instances in ``ignore`` never count as healthy.

    Raises:
        NotFoundError: The group does not exist (or disappeared).
        ApplicationError: ``timeout`` passed first (non-retryable, type ``HealthTimeout``).
        CancelledError: The activity was cancelled.
    """
    started = time.monotonic()
    what = f"waiting for server group {name!r}"
    while True:
        group = require_group(clients, name)
        desired = group["DesiredCapacity"]
        required = healthy_required(desired, target_healthy_percentage)
        healthy = sorted(
            i.instance_id
            for i in health.check(clients, members(group))
            if i.healthy and i.instance_id not in ignore
        )
        progress = {"serverGroup": name, "desired": desired, "required": required}
        activity.heartbeat({**progress, "healthy": len(healthy)})
        if len(healthy) >= required:
            return WaitForHealthyResult(
                server_group_name=name,
                desired=desired,
                required=required,
                healthy=len(healthy),
                healthy_instance_ids=healthy,
            )
        elapsed = time.monotonic() - started
        if timeout is not None and elapsed >= timeout:
            raise ApplicationError(
                f"server group {name!r}: {len(healthy)} of {desired} instances healthy after "
                f"{elapsed:.0f}s, {required} needed ({target_healthy_percentage}%)",
                type=HEALTH_TIMEOUT,
                non_retryable=True,
            )
        pause = poll_interval if timeout is None else min(poll_interval, timeout - elapsed)
        activity.wait_for_cancelled_sync(max(pause, 0.0))
        check_interrupted(what)
