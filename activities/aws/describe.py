"""Read Auto Scaling groups as :class:`models.aws.ServerGroup` (boto3)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from activities.aws.clients import RegionClients
from activities.aws.health import GroupMembers, Member, TargetHealth
from models.aws import TAG_IDEMPOTENCY_KEY, Capacity, LaunchTemplateRef, ServerGroup
from models.errors import NotFoundError
from models.naming import ClusterName, ServerGroupName
from workflows.aws.targets import newest_first

if TYPE_CHECKING:
    from mypy_boto3_autoscaling.type_defs import AutoScalingGroupTypeDef, FilterTypeDef

__all__ = [
    "DELETING",
    "TAG_APPLICATION",
    "TAG_CLUSTER",
    "TAG_EXECUTION",
    "TAG_IDEMPOTENCY_KEY",
    "TAG_STAGE",
    "describe_groups",
    "find_group",
    "list_cluster",
    "members",
    "require_group",
    "server_group",
    "target_group_name",
]

TAG_APPLICATION = "gennaker:application"
TAG_CLUSTER = "gennaker:cluster"
TAG_EXECUTION = "gennaker:execution-id"
TAG_STAGE = "gennaker:stage-ref-id"

DELETING = "Delete in progress"
"""The ``Status`` of an Auto Scaling group being deleted."""


def describe_groups(
    clients: RegionClients,
    *,
    names: Sequence[str] | None = None,
    filters: Sequence[FilterTypeDef] | None = None,
    include_deleting: bool = False,
) -> list[AutoScalingGroupTypeDef]:
    """Every Auto Scaling group matching ``names`` or ``filters`` (all pages)."""
    kwargs: dict[str, Any] = {}
    if names is not None:
        kwargs["AutoScalingGroupNames"] = list(names)
    if filters is not None:
        kwargs["Filters"] = list(filters)
    groups: list[AutoScalingGroupTypeDef] = []
    paginator = clients.autoscaling.get_paginator("describe_auto_scaling_groups")
    for page in paginator.paginate(**kwargs):
        groups += page["AutoScalingGroups"]
    if not include_deleting:
        # A group being deleted is gone as far as deploys are concerned.
        groups = [g for g in groups if g.get("Status") != DELETING]
    return groups


def find_group(clients: RegionClients, name: str) -> AutoScalingGroupTypeDef | None:
    """The Auto Scaling group called ``name``, or None."""
    found = describe_groups(clients, names=[name])
    return found[0] if found else None


def require_group(clients: RegionClients, name: str) -> AutoScalingGroupTypeDef:
    """The Auto Scaling group called ``name``.

    Raises:
        NotFoundError: There is no such group.
    """
    group = find_group(clients, name)
    if group is None:
        raise NotFoundError(f"server group {name!r} not found")
    return group


def target_group_name(arn: str) -> str:
    """``arn:...:targetgroup/NAME/ID`` → ``NAME``."""
    parts = arn.rsplit(":", maxsplit=1)[-1].split("/")
    return parts[1] if len(parts) >= 3 else arn


def members(group: AutoScalingGroupTypeDef) -> GroupMembers:
    """The group's instances and target groups, for a :class:`TargetHealth`."""
    return GroupMembers(
        server_group=group["AutoScalingGroupName"],
        members=tuple(
            Member(
                instance_id=i["InstanceId"],
                lifecycle_state=i["LifecycleState"],
                health_status=i["HealthStatus"],
                availability_zone=i.get("AvailabilityZone"),
            )
            for i in group.get("Instances", [])
        ),
        target_group_arns=tuple(group.get("TargetGroupARNs", [])),
    )


_LaunchDetails = tuple[LaunchTemplateRef | None, str | None, str | None]
_VERSIONS_CACHED = 4096
_versions: dict[tuple[str | None, str, str, str], _LaunchDetails] = {}
_versions_lock = threading.Lock()


def _template_version(
    clients: RegionClients, selector: dict[str, Any], version: str, name: str
) -> _LaunchDetails:
    """One launch template version's details.

    A numbered version of a template named by id never changes, so those are cached:
    every listing of a cluster would otherwise describe every group's template again.
    """
    ident = selector.get("LaunchTemplateId")
    key = (clients.endpoint_url, clients.account, clients.region, f"{ident}/{version}")
    cacheable = bool(ident) and version.isdigit()
    if cacheable:
        with _versions_lock:
            cached = _versions.get(key)
        if cached is not None:
            return cached
    found = clients.ec2.describe_launch_template_versions(**selector, Versions=[version]).get(
        "LaunchTemplateVersions", []
    )
    if not found:
        return None, None, None
    data = found[0].get("LaunchTemplateData", {})
    ref = LaunchTemplateRef(
        id=found[0].get("LaunchTemplateId", selector.get("LaunchTemplateId", "")),
        name=found[0].get("LaunchTemplateName", name),
        version=version,
    )
    details: _LaunchDetails = (ref, data.get("ImageId"), data.get("InstanceType"))
    if cacheable:
        with _versions_lock:
            if len(_versions) >= _VERSIONS_CACHED:
                _versions.pop(next(iter(_versions)))
            _versions[key] = details
    return details


def _launch_details(clients: RegionClients, group: AutoScalingGroupTypeDef) -> _LaunchDetails:
    """The launch template, image id and instance type the group launches with."""
    spec = group.get("LaunchTemplate")
    if spec:
        ident = spec.get("LaunchTemplateId")
        selector: dict[str, Any] = (
            {"LaunchTemplateId": ident}
            if ident
            else {"LaunchTemplateName": spec["LaunchTemplateName"]}
        )
        version = spec.get("Version", "$Default")
        return _template_version(clients, selector, version, spec.get("LaunchTemplateName", ""))
    config_name = group.get("LaunchConfigurationName")
    if config_name:
        # Groups made by older tools (Spinnaker included) may use launch configurations.
        configs = clients.autoscaling.describe_launch_configurations(
            LaunchConfigurationNames=[config_name]
        )["LaunchConfigurations"]
        if configs:
            return None, configs[0].get("ImageId"), configs[0].get("InstanceType")
    return None, None, None


def server_group(
    clients: RegionClients, group: AutoScalingGroupTypeDef, health: TargetHealth
) -> ServerGroup:
    """The :class:`ServerGroup` view of an Auto Scaling group, with instance health."""
    name = group["AutoScalingGroupName"]
    parsed = ServerGroupName.try_parse(name)
    tags = {t["Key"]: t.get("Value", "") for t in group.get("Tags", []) if "Key" in t}
    if parsed is not None:
        cluster, application = str(parsed.cluster), parsed.app
    else:
        cluster = tags.get(TAG_CLUSTER, name)
        application = tags.get(TAG_APPLICATION, cluster.split("-")[0])
    template, image_id, instance_type = _launch_details(clients, group)
    arns = list(group.get("TargetGroupARNs", []))
    suspended = {p.get("ProcessName") for p in group.get("SuspendedProcesses", [])}
    return ServerGroup(
        name=name,
        account=clients.account,
        region=clients.region,
        cluster=cluster,
        application=application,
        capacity=Capacity(
            min=group["MinSize"], max=group["MaxSize"], desired=group["DesiredCapacity"]
        ),
        image_id=image_id,
        instance_type=instance_type,
        launch_template=template,
        target_groups=[target_group_name(a) for a in arns],
        target_group_arns=arns,
        instances=health.check(clients, members(group)),
        enabled="AddToLoadBalancer" not in suspended,
        created_time=group["CreatedTime"],
        tags=tags,
    )


def list_cluster(
    clients: RegionClients, cluster: ClusterName | str, health: TargetHealth
) -> list[ServerGroup]:
    """The cluster's server groups in the region, newest first.

    Groups belong to a cluster by their Frigga name, so groups made by other tools
    (Spinnaker) are included.
    """
    wanted = cluster if isinstance(cluster, ClusterName) else ClusterName.parse(cluster)
    mine = []
    for group in describe_groups(clients):
        parsed = ServerGroupName.try_parse(group["AutoScalingGroupName"])
        if parsed is not None and parsed.cluster == wanted:
            mine.append(server_group(clients, group, health))
    return newest_first(mine)
