"""Enable and disable on moto: target group registration and AddToLoadBalancer."""

from __future__ import annotations

from collections.abc import Callable

from activities.aws import AwsActivities
from models.aws import (
    Capacity,
    CreateServerGroupRequest,
    DisableServerGroupRequest,
    ListServerGroupsRequest,
    ServerGroup,
    ServerGroupRef,
)
from tests.activities.aws.conftest import ACCOUNT, Aws, Networks, RecordingEnvironment

MakeRequest = Callable[..., CreateServerGroupRequest]
REGION = "us-east-1"


def suspended(aws: Aws, name: str) -> set[str]:
    return {p["ProcessName"] for p in aws.group(name)["SuspendedProcesses"]}


def create_behind(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: Networks,
    desired: int = 2,
) -> tuple[ServerGroup, list[str]]:
    arns = [aws.target_group(name, network[REGION].vpc_id) for name in ("web", "api")]
    request = make_request(
        target_groups=["web", "api"], capacity=Capacity.of(desired, desired, desired)
    )
    return env.run(activities.create_server_group, request).server_group, arns


def disable(name: str, pct: int = 100) -> DisableServerGroupRequest:
    return DisableServerGroupRequest(
        account=ACCOUNT, region=REGION, server_group_name=name, desired_percentage=pct
    )


def test_disable_deregisters_everywhere_and_suspends_add_to_load_balancer(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: Networks,
) -> None:
    group, arns = create_behind(activities, env, make_request, aws, network)
    ids = {i.instance_id for i in group.instances}
    assert all(aws.registered(arn) == ids for arn in arns)

    disabled = env.run(activities.disable_server_group, disable(group.name))

    assert not disabled.enabled
    assert suspended(aws, group.name) == {"AddToLoadBalancer"}
    assert all(aws.registered(arn) == set() for arn in arns)
    assert all(not i.healthy for i in disabled.instances)
    listed = env.run(
        activities.list_server_groups,
        ListServerGroupsRequest(account=ACCOUNT, region=REGION, cluster="app-prod"),
    )
    assert [g.enabled for g in listed.server_groups] == [False]


def test_enable_registers_again_and_resumes(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: Networks,
) -> None:
    group, arns = create_behind(activities, env, make_request, aws, network)
    ids = {i.instance_id for i in group.instances}
    env.run(activities.disable_server_group, disable(group.name))

    ref = ServerGroupRef(account=ACCOUNT, region=REGION, server_group_name=group.name)
    enabled = env.run(activities.enable_server_group, ref)
    again = env.run(activities.enable_server_group, ref)

    assert enabled.enabled and again.enabled
    assert suspended(aws, group.name) == set()
    assert all(aws.registered(arn) == ids for arn in arns)
    assert all(i.healthy for i in again.instances)


def test_disable_a_percentage_of_instances(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: Networks,
) -> None:
    group, arns = create_behind(activities, env, make_request, aws, network, desired=4)
    ids = {i.instance_id for i in group.instances}

    quarter = env.run(activities.disable_server_group, disable(group.name, 25))
    assert quarter.enabled  # still taking traffic with the rest
    assert suspended(aws, group.name) == set()
    assert all(len(aws.registered(arn)) == 3 for arn in arns)

    same = env.run(activities.disable_server_group, disable(group.name, 25))
    assert all(len(aws.registered(arn)) == 3 for arn in arns)
    assert same.healthy_count == 3

    env.run(activities.disable_server_group, disable(group.name, 50))
    remaining = [aws.registered(arn) for arn in arns]
    assert all(len(r) == 2 for r in remaining)
    assert remaining[0] == remaining[1] and remaining[0] < ids

    env.run(activities.disable_server_group, disable(group.name, 100))
    assert all(aws.registered(arn) == set() for arn in arns)
    assert suspended(aws, group.name) == {"AddToLoadBalancer"}


def test_a_group_without_target_groups_is_disabled_by_suspension_alone(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    group = env.run(activities.create_server_group, make_request()).server_group
    disabled = env.run(activities.disable_server_group, disable(group.name))
    assert not disabled.enabled
    assert suspended(aws, group.name) == {"AddToLoadBalancer"}
