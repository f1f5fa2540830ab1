"""Enable and disable server groups: traffic through their target groups (boto3).

Enabled means every instance is registered in the group's target groups and the
``AddToLoadBalancer`` process runs (new instances get registered). Disabled
means the instances are deregistered and ``AddToLoadBalancer`` is suspended; the
target groups stay attached, so enabling again is quick. Both are idempotent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from activities.aws.clients import RegionClients
from activities.aws.describe import require_group, server_group
from activities.aws.health import TargetHealth
from models.aws import ServerGroup
from workflows.aws.capacity import instances_to_disable

if TYPE_CHECKING:
    from mypy_boto3_autoscaling.type_defs import AutoScalingGroupTypeDef

__all__ = ["disable", "enable"]

_PROCESSES = ["AddToLoadBalancer"]


def _live_instances(group: AutoScalingGroupTypeDef) -> list[str]:
    return sorted(
        i["InstanceId"]
        for i in group.get("Instances", [])
        if not i["LifecycleState"].startswith(("Terminating", "Terminated"))
    )


def _registered(clients: RegionClients, arn: str) -> set[str]:
    response = clients.elbv2.describe_target_health(TargetGroupArn=arn)
    return {
        d["Target"]["Id"]
        for d in response["TargetHealthDescriptions"]
        if d.get("TargetHealth", {}).get("State") != "draining"
    }


def enable(clients: RegionClients, name: str, health: TargetHealth) -> ServerGroup:
    """Register every instance in the group's target groups and resume ``AddToLoadBalancer``.

    Raises:
        NotFoundError: There is no such group.
    """
    group = require_group(clients, name)
    instances = _live_instances(group)
    for arn in group.get("TargetGroupARNs", []):
        registered = _registered(clients, arn)
        missing = [i for i in instances if i not in registered]
        if missing:
            clients.elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": i} for i in missing])
    clients.autoscaling.resume_processes(AutoScalingGroupName=name, ScalingProcesses=_PROCESSES)
    return server_group(clients, require_group(clients, name), health)


def disable(
    clients: RegionClients, name: str, health: TargetHealth, *, desired_percentage: int = 100
) -> ServerGroup:
    """Take traffic away from the group, or from ``desired_percentage`` of its instances.

    At 100% ``AddToLoadBalancer`` is suspended first, so that no new instance is
    registered while the others are taken out. Below 100% the group stays
    enabled and just enough more instances are deregistered (rounded up, in
    instance id order) that the percentage is out of traffic.

    Raises:
        NotFoundError: There is no such group.
    """
    group = require_group(clients, name)
    instances = _live_instances(group)
    arns = list(group.get("TargetGroupARNs", []))
    if desired_percentage >= 100:
        clients.autoscaling.suspend_processes(
            AutoScalingGroupName=name, ScalingProcesses=_PROCESSES
        )
        chosen = instances
    else:
        registered_everywhere = set(instances)
        for arn in arns:
            registered_everywhere &= _registered(clients, arn)
        in_traffic = sorted(registered_everywhere)
        count = instances_to_disable(
            len(instances), len(instances) - len(in_traffic), desired_percentage
        )
        chosen = in_traffic[:count]
    for arn in arns:
        registered = _registered(clients, arn)
        targets = [i for i in chosen if i in registered]
        if targets:
            clients.elbv2.deregister_targets(
                TargetGroupArn=arn, Targets=[{"Id": i} for i in targets]
            )
    return server_group(clients, require_group(clients, name), health)
