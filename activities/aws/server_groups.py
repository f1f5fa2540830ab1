"""Create, resize, destroy and terminate server groups (boto3).

A server group is an Auto Scaling group launching from a launch template of the
same name. Every operation is idempotent:

- create looks before it creates: a group tagged with the request's idempotency
  key is returned as it is, and a launch template left by a try that died
  before its group existed is reused, so a retried activity never makes a
  second server group;
- destroy and terminate treat "already gone" as done.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from activities.aws.clients import RegionClients
from activities.aws.describe import (
    DELETING,
    TAG_APPLICATION,
    TAG_CLUSTER,
    TAG_EXECUTION,
    TAG_IDEMPOTENCY_KEY,
    TAG_STAGE,
    describe_groups,
    find_group,
    require_group,
    server_group,
)
from activities.aws.health import TargetHealth
from activities.aws.launch import LaunchPlan, resolve_launch
from models.aws import (
    Capacity,
    CreateServerGroupRequest,
    CreateServerGroupResult,
    DestroyServerGroupResult,
    ResizeServerGroupResult,
    ServerGroup,
    TerminateInstancesResult,
)
from models.config import AwsDefaults
from models.errors import ProviderError, ValidationError

if TYPE_CHECKING:
    from mypy_boto3_autoscaling.type_defs import AutoScalingGroupTypeDef, TagTypeDef
    from mypy_boto3_ec2.type_defs import LaunchTemplateTypeDef

__all__ = ["create", "destroy", "resize", "terminate_instances"]

_GONE = {"shutting-down", "terminated"}


def _tags(request: CreateServerGroupRequest) -> dict[str, str]:
    return {
        **request.tags,
        TAG_APPLICATION: request.application,
        TAG_CLUSTER: str(request.cluster),
        TAG_EXECUTION: request.execution_id,
        TAG_STAGE: request.stage_ref_id,
        TAG_IDEMPOTENCY_KEY: request.idempotency_key,
    }


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _own_group(clients: RegionClients, key: str) -> AutoScalingGroupTypeDef | None:
    found = describe_groups(
        clients, filters=[{"Name": f"tag:{TAG_IDEMPOTENCY_KEY}", "Values": [key]}]
    )
    return found[0] if found else None


def _cluster_templates(clients: RegionClients, cluster: str) -> list[LaunchTemplateTypeDef]:
    paginator = clients.ec2.get_paginator("describe_launch_templates")
    filters: Any = [{"Name": f"tag:{TAG_CLUSTER}", "Values": [cluster]}]
    templates: list[LaunchTemplateTypeDef] = []
    for page in paginator.paginate(Filters=filters):
        templates += page.get("LaunchTemplates", [])
    return templates


def _template_tag(template: LaunchTemplateTypeDef, key: str) -> str | None:
    for tag in template.get("Tags", []):
        if tag.get("Key") == key:
            return tag.get("Value")
    return None


def _group_tag(group: AutoScalingGroupTypeDef, key: str) -> str | None:
    for tag in group.get("Tags", []):
        if tag.get("Key") == key:
            return tag.get("Value")
    return None


def _choose_name(
    clients: RegionClients,
    request: CreateServerGroupRequest,
    groups: list[AutoScalingGroupTypeDef],
) -> tuple[str, LaunchTemplateTypeDef | None]:
    """The new group's name, and our own launch template from an earlier try, if any.

    Args:
        clients: The region's clients.
        request: The create.
        groups: Every group of the region, those being deleted included.
    """
    cluster = str(request.cluster)
    templates = _cluster_templates(clients, cluster)
    for template in templates:
        if _template_tag(template, TAG_IDEMPOTENCY_KEY) == request.idempotency_key:
            return template["LaunchTemplateName"], template
    # Names held by groups being deleted, or by other runs' launch templates, are taken too.
    taken = [g["AutoScalingGroupName"] for g in groups]
    taken += [t["LaunchTemplateName"] for t in templates]
    return request.cluster.next_server_group(taken).name, None


def _client_token(key: str, name: str) -> str:
    return hashlib.sha256(f"{key}|{name}".encode()).hexdigest()


def _create_template(
    clients: RegionClients, name: str, plan: LaunchPlan, tags: dict[str, str], key: str
) -> str:
    try:
        response = clients.ec2.create_launch_template(
            LaunchTemplateName=name,
            LaunchTemplateData=plan.launch_template_data(),
            ClientToken=_client_token(key, name),
            TagSpecifications=[
                {
                    "ResourceType": "launch-template",
                    "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                }
            ],
        )
    except ClientError as err:
        if "AlreadyExists" in _code(err):
            # Another run picked the same sequence a moment earlier; the retry picks the next.
            raise ProviderError(
                f"launch template {name!r} was created by another run meanwhile", retryable=True
            ) from err
        raise
    return response["LaunchTemplate"]["LaunchTemplateId"]


def _delete_template(clients: RegionClients, template_id: str) -> None:
    try:
        clients.ec2.delete_launch_template(LaunchTemplateId=template_id)
    except ClientError as err:
        if "NotFound" not in _code(err):
            raise


def create(
    clients: RegionClients,
    request: CreateServerGroupRequest,
    defaults: AwsDefaults,
    health: TargetHealth,
) -> CreateServerGroupResult:
    """Create the server group of ``request``, or return the one an earlier try made.

    Raises:
        NotFoundError: A referenced image, target group, subnet, security group or key pair.
        ValidationError: The request cannot be launched as it is.
        ProviderError: Another run took the chosen name at the same moment (retryable).
    """
    # One listing serves both the look for an earlier try's group and the choice of name.
    groups = describe_groups(clients, include_deleting=True)
    for group in groups:
        mine = _group_tag(group, TAG_IDEMPOTENCY_KEY) == request.idempotency_key
        if mine and group.get("Status") != DELETING:
            return CreateServerGroupResult(
                server_group=server_group(clients, group, health), created=False
            )
    plan = resolve_launch(clients, request, defaults)
    name, template = _choose_name(clients, request, groups)
    tags = _tags(request)
    template_id = (
        template["LaunchTemplateId"]
        if template is not None
        else _create_template(clients, name, plan, tags, request.idempotency_key)
    )
    propagate = {TAG_APPLICATION, TAG_CLUSTER, *request.tags}
    asg_tags: list[TagTypeDef] = [
        {"Key": k, "Value": v, "PropagateAtLaunch": k in propagate} for k, v in tags.items()
    ]
    kwargs: dict[str, Any] = {
        "AutoScalingGroupName": name,
        "LaunchTemplate": {"LaunchTemplateId": template_id, "Version": "1"},
        "MinSize": request.capacity.min,
        "MaxSize": request.capacity.max,
        "DesiredCapacity": request.capacity.desired,
        "Tags": asg_tags,
        "HealthCheckType": "ELB" if plan.target_group_arns else "EC2",
    }
    if plan.subnet_ids:
        kwargs["VPCZoneIdentifier"] = ",".join(plan.subnet_ids)
    else:
        kwargs["AvailabilityZones"] = list(plan.availability_zones)
    if plan.target_group_arns:
        kwargs["TargetGroupARNs"] = list(plan.target_group_arns)
    try:
        clients.autoscaling.create_auto_scaling_group(**kwargs)
    except Exception as err:
        # The call may have failed after AWS made the group (a lost answer): then it is ours.
        try:
            made = _own_group(clients, request.idempotency_key)
        except Exception:  # noqa: BLE001 - any failure to look means "cannot tell"
            # Cannot tell: keep the template, which a retry reuses by its key tag.
            raise err from None
        if made is not None:
            return CreateServerGroupResult(
                server_group=server_group(clients, made, health), created=True
            )
        # No group: leave nothing half-made.
        with contextlib.suppress(Exception):
            _delete_template(clients, template_id)
        if isinstance(err, ClientError) and _code(err) == "AlreadyExists":
            raise ProviderError(
                f"server group {name!r} was created by another run meanwhile", retryable=True
            ) from err
        raise
    return CreateServerGroupResult(
        server_group=server_group(clients, require_group(clients, name), health), created=True
    )


def resize(
    clients: RegionClients, name: str, capacity: Capacity, health: TargetHealth
) -> ResizeServerGroupResult:
    """Set min, max and desired of a group.

    Raises:
        NotFoundError: There is no such group.
    """
    group = require_group(clients, name)
    previous = Capacity(
        min=group["MinSize"], max=group["MaxSize"], desired=group["DesiredCapacity"]
    )
    clients.autoscaling.update_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=capacity.min,
        MaxSize=capacity.max,
        DesiredCapacity=capacity.desired,
    )
    updated = server_group(clients, require_group(clients, name), health)
    return ResizeServerGroupResult(server_group=updated, previous_capacity=previous)


def destroy(clients: RegionClients, name: str) -> DestroyServerGroupResult:
    """Delete a group (with its instances) and the launch template named after it.

    A group that is already gone (or being deleted) counts as destroyed by an earlier try.
    """
    group = find_group(clients, name)
    if group is not None:
        clients.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    # Our launch template carries the group's name; one left by a half-made create goes too.
    for template in _named_templates(clients, name):
        if _template_tag(template, TAG_IDEMPOTENCY_KEY) is not None:
            _delete_template(clients, template["LaunchTemplateId"])
    return DestroyServerGroupResult(
        account=clients.account,
        region=clients.region,
        server_group_name=name,
        destroyed=group is not None,
    )


def _named_templates(clients: RegionClients, name: str) -> list[LaunchTemplateTypeDef]:
    try:
        response = clients.ec2.describe_launch_templates(LaunchTemplateNames=[name])
    except ClientError as err:
        if "NotFound" in _code(err):
            return []
        raise
    return list(response.get("LaunchTemplates", []))


def terminate_instances(
    clients: RegionClients, name: str, instance_ids: list[str], *, decrement_desired: bool
) -> TerminateInstancesResult:
    """Terminate instances of a group; the group replaces them unless ``decrement_desired``.

    Instances already terminated (by an earlier try) are skipped.

    Raises:
        NotFoundError: There is no such group.
        ValidationError: An instance does not belong to the group.
    """
    group = require_group(clients, name)
    members = {i["InstanceId"]: i["LifecycleState"] for i in group.get("Instances", [])}
    others = [i for i in instance_ids if i not in members]
    if others:
        _check_gone(clients, name, others)
    terminated = []
    for instance_id in instance_ids:
        state = members.get(instance_id)
        if state is None or state.startswith("Terminating"):
            continue
        clients.autoscaling.terminate_instance_in_auto_scaling_group(
            InstanceId=instance_id, ShouldDecrementDesiredCapacity=decrement_desired
        )
        terminated.append(instance_id)
    return TerminateInstancesResult(server_group_name=name, terminated_instance_ids=terminated)


def _check_gone(clients: RegionClients, name: str, instance_ids: list[str]) -> None:
    """Instances missing from the group must be ones already terminated."""
    try:
        reservations = clients.ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
    except ClientError as err:
        if "NotFound" in _code(err):
            raise ValidationError(
                f"instance(s) {', '.join(instance_ids)} are not in server group {name!r}"
            ) from None
        raise
    alive = [
        i["InstanceId"]
        for r in reservations
        for i in r.get("Instances", [])
        if i.get("State", {}).get("Name") not in _GONE
    ]
    if alive:
        raise ValidationError(f"instance(s) {', '.join(alive)} are not in server group {name!r}")


def describe(clients: RegionClients, name: str, health: TargetHealth) -> ServerGroup:
    """One group by name.

    Raises:
        NotFoundError: There is no such group.
    """
    return server_group(clients, require_group(clients, name), health)
