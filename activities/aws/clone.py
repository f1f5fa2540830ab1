"""Clone a server group with another image (``rollbackServerGroup`` ``PREVIOUS_IMAGE``).

The source's launch settings are read back from AWS (its launch template, or
the launch configuration of groups made by older tools) and turned into a
create request, so the clone goes through the same checks and the same
idempotent create as a deploy.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from activities.aws.clients import RegionClients
from activities.aws.describe import require_group
from activities.aws.health import TargetHealth
from activities.aws.server_groups import create
from models.aws import CloneServerGroupRequest, CreateServerGroupRequest, CreateServerGroupResult
from models.config import AwsDefaults
from models.errors import ValidationError
from models.naming import ServerGroupName

if TYPE_CHECKING:
    from mypy_boto3_autoscaling.type_defs import AutoScalingGroupTypeDef

__all__ = ["clone"]

# Tags that belong to the source group's own run, not to the clone.
_OWN_TAG_PREFIXES = ("gennaker:", "aws:")


def _launch_data(clients: RegionClients, group: AutoScalingGroupTypeDef) -> dict[str, Any]:
    """The source's launch settings, as launch template data."""
    spec = group.get("LaunchTemplate")
    if spec:
        selector: dict[str, Any] = (
            {"LaunchTemplateId": spec["LaunchTemplateId"]}
            if spec.get("LaunchTemplateId")
            else {"LaunchTemplateName": spec["LaunchTemplateName"]}
        )
        versions = clients.ec2.describe_launch_template_versions(
            **selector, Versions=[spec.get("Version", "$Default")]
        )["LaunchTemplateVersions"]
        return dict(versions[0].get("LaunchTemplateData", {})) if versions else {}
    name = group.get("LaunchConfigurationName")
    if name:
        configs = clients.autoscaling.describe_launch_configurations(
            LaunchConfigurationNames=[name]
        )["LaunchConfigurations"]
        if configs:
            config = configs[0]
            profile = config.get("IamInstanceProfile")
            return {
                "ImageId": config.get("ImageId"),
                "InstanceType": config.get("InstanceType"),
                "SecurityGroupIds": list(config.get("SecurityGroups", [])),
                "KeyName": config.get("KeyName") or None,
                "IamInstanceProfile": {"Name": profile} if profile else None,
                "UserData": config.get("UserData") or None,
            }
    return {}


def _user_data(encoded: str | None) -> str | None:
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def clone(
    clients: RegionClients,
    request: CloneServerGroupRequest,
    defaults: AwsDefaults,
    health: TargetHealth,
) -> CreateServerGroupResult:
    """Create the clone of ``request.source_server_group_name`` (or return an earlier try's).

    Raises:
        NotFoundError: The source group, or a resource it refers to, is gone.
        ValidationError: The source's launch settings cannot be read.
    """
    group = require_group(clients, request.source_server_group_name)
    parsed = ServerGroupName.parse(request.source_server_group_name)
    data = _launch_data(clients, group)
    image_id = request.image_id or data.get("ImageId")
    instance_type = data.get("InstanceType")
    if not image_id or not instance_type:
        raise ValidationError(
            f"cannot read the launch settings of server group {request.source_server_group_name!r}"
        )
    profile = data.get("IamInstanceProfile") or {}
    subnets = [s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s]
    tags = {
        t["Key"]: t.get("Value", "")
        for t in group.get("Tags", [])
        if "Key" in t and not t["Key"].startswith(_OWN_TAG_PREFIXES)
    }
    capacity = request.capacity or {
        "min": group["MinSize"],
        "max": group["MaxSize"],
        "desired": group["DesiredCapacity"],
    }
    create_request = CreateServerGroupRequest.model_validate(
        {
            "account": request.account,
            "region": request.region,
            "application": parsed.cluster.app,
            "stack": parsed.cluster.stack,
            "free_form_details": parsed.cluster.detail,
            "image_id": image_id,
            "instance_type": instance_type,
            "capacity": capacity,
            "target_groups": list(group.get("TargetGroupARNs", [])),
            "security_groups": list(data.get("SecurityGroupIds") or []),
            "subnet_ids": subnets,
            "availability_zones": [] if subnets else list(group.get("AvailabilityZones", [])),
            "key_pair": data.get("KeyName"),
            "iam_instance_profile": profile.get("Arn") or profile.get("Name"),
            "user_data": _user_data(data.get("UserData")),
            "tags": {**tags, **request.tags},
            "execution_id": request.execution_id,
            "stage_ref_id": request.stage_ref_id,
            "idempotency_key": request.idempotency_key,
        }
    )
    return create(clients, create_request, defaults, health)
