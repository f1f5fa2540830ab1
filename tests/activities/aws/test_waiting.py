"""Waiting for health, with a fake target health (moto says healthy forever)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from temporalio.exceptions import ApplicationError, CancelledError

from activities.aws import HEALTH_TIMEOUT, AwsActivities
from models.aws import (
    Capacity,
    CreateServerGroupRequest,
    ServerGroupRef,
    WaitForHealthyRequest,
)
from tests.activities.aws.conftest import ACCOUNT, Aws, FakeHealth, Networks, RecordingEnvironment

MakeRequest = Callable[..., CreateServerGroupRequest]
REGION = "us-east-1"


def _ref(name: str) -> ServerGroupRef:
    return ServerGroupRef(account=ACCOUNT, region=REGION, server_group_name=name)


def wait(name: str, pct: int = 100, timeout: float | None = 0.3) -> WaitForHealthyRequest:
    return WaitForHealthyRequest(
        account=ACCOUNT,
        region=REGION,
        server_group_name=name,
        target_healthy_deploy_percentage=pct,
        timeout_seconds=timeout,
    )


@pytest.fixture
def group_name(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: Networks,
) -> str:
    aws.target_group("web", network[REGION].vpc_id)
    request = make_request(target_groups=["web"], capacity=Capacity.of(4, 4, 4))
    return str(env.run(activities.create_server_group, request).server_group.name)


def test_healthy_group_returns_at_once_with_progress(
    activities: AwsActivities, env: RecordingEnvironment, group_name: str
) -> None:
    result = env.run(activities.wait_for_healthy, wait(group_name))
    assert (result.desired, result.required, result.healthy) == (4, 4, 4)
    assert len(result.healthy_instance_ids) == 4
    assert env.heartbeats[-1] == {
        "serverGroup": group_name,
        "desired": 4,
        "required": 4,
        "healthy": 4,
    }


def test_unhealthy_group_times_out_non_retryable(
    activities: AwsActivities, env: RecordingEnvironment, group_name: str, health: FakeHealth
) -> None:
    health.everyone_unhealthy = True
    started = time.monotonic()
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.wait_for_healthy, wait(group_name, timeout=0.3))
    assert time.monotonic() - started < 5
    assert caught.value.type == HEALTH_TIMEOUT and caught.value.non_retryable
    assert group_name in str(caught.value) and "0 of 4" in str(caught.value)
    # It polled (and heartbeated) several times before giving up.
    assert len(env.heartbeats) >= 3
    assert all(h["healthy"] == 0 for h in env.heartbeats)


def test_the_percentage_is_of_desired_and_rounds_up(
    activities: AwsActivities, env: RecordingEnvironment, group_name: str, health: FakeHealth
) -> None:
    group = env.run(activities.describe_server_group, _ref(group_name))
    health.unhealthy = {i.instance_id for i in group.instances[:2]}

    half = env.run(activities.wait_for_healthy, wait(group_name, pct=50))
    assert (half.required, half.healthy) == (2, 2)
    with pytest.raises(ApplicationError, match=r"2 of 4 instances healthy .* 3 needed \(75%\)"):
        env.run(activities.wait_for_healthy, wait(group_name, pct=75, timeout=0.2))


def test_waits_until_instances_become_healthy(
    activities: AwsActivities, env: RecordingEnvironment, group_name: str, health: FakeHealth
) -> None:
    health.healthy_after = health.checks + 3
    result = env.run(activities.wait_for_healthy, wait(group_name, timeout=10))
    assert result.healthy == 4
    assert [h["healthy"] for h in env.heartbeats] == [0, 0, 0, 4]


def test_cancel_ends_the_wait(
    activities: AwsActivities, env: RecordingEnvironment, group_name: str, health: FakeHealth
) -> None:
    health.everyone_unhealthy = True

    def cancel_on_second(details: object) -> None:
        env.heartbeats.append(details)
        if len(env.heartbeats) == 2:
            env.env.cancel()

    env.env.on_heartbeat = cancel_on_second
    started = time.monotonic()
    # Our own check raises it, between polls, not an exception injected mid-call.
    with pytest.raises(CancelledError, match=f"waiting for server group '{group_name}'"):
        env.run(activities.wait_for_healthy, wait(group_name, timeout=None))
    assert time.monotonic() - started < 5
    assert len(env.heartbeats) == 2


def test_an_empty_group_is_healthy(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest
) -> None:
    request = make_request(capacity=Capacity.zero())
    name = env.run(activities.create_server_group, request).server_group.name
    result = env.run(activities.wait_for_healthy, wait(name))
    assert (result.desired, result.required, result.healthy) == (0, 0, 0)


def test_a_vanished_group_is_not_waited_for(
    activities: AwsActivities, env: RecordingEnvironment, network: Networks
) -> None:
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.wait_for_healthy, wait("app-prod-v404"))
    assert caught.value.non_retryable and "app-prod-v404" in str(caught.value)
