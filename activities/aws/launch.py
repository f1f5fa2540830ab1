"""Check a create request against AWS and resolve its references, before creating anything.

The image, target groups, subnets, security groups and key pair must exist in
the account and region; names are resolved to ids. A missing one is a
``NotFoundError`` naming it, so the create fails (non-retryable) with nothing made.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from activities.aws.clients import RegionClients
from models.aws import CreateServerGroupRequest
from models.config import AwsDefaults
from models.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import RequestLaunchTemplateDataTypeDef

__all__ = ["LaunchPlan", "resolve_launch"]


@dataclass(frozen=True)
class LaunchPlan:
    """A create request with every reference checked and resolved."""

    image_id: str
    instance_type: str
    target_group_arns: tuple[str, ...]
    subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    key_pair: str | None
    iam_instance_profile: str | None
    user_data: str | None

    def launch_template_data(self) -> RequestLaunchTemplateDataTypeDef:
        """The launch template's data."""
        data: RequestLaunchTemplateDataTypeDef = {
            "ImageId": self.image_id,
            "InstanceType": self.instance_type,  # type: ignore[typeddict-item]
            # IMDSv2 only: instances cannot be tricked into leaking role credentials.
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
        }
        if self.security_group_ids:
            data["SecurityGroupIds"] = list(self.security_group_ids)
        if self.key_pair:
            data["KeyName"] = self.key_pair
        if self.iam_instance_profile:
            profile = self.iam_instance_profile
            data["IamInstanceProfile"] = (
                {"Arn": profile} if profile.startswith("arn:") else {"Name": profile}
            )
        if self.user_data:
            data["UserData"] = base64.b64encode(self.user_data.encode()).decode()
        return data


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _image(clients: RegionClients, image_id: str) -> str:
    try:
        images = clients.ec2.describe_images(ImageIds=[image_id])["Images"]
    except ClientError as err:
        if _code(err).startswith("InvalidAMIID"):
            images = []
        else:
            raise
    if not images:
        raise NotFoundError(f"image {image_id!r} not found")
    return image_id


def _target_groups(clients: RegionClients, names: Sequence[str]) -> tuple[str, ...]:
    if not names:
        return ()
    arns = [n for n in names if n.startswith("arn:")]
    plain = [n for n in names if not n.startswith("arn:")]
    found: dict[str, str] = {}
    try:
        if plain:
            for tg in clients.elbv2.describe_target_groups(Names=plain)["TargetGroups"]:
                found[tg["TargetGroupName"]] = tg["TargetGroupArn"]
        if arns:
            for tg in clients.elbv2.describe_target_groups(TargetGroupArns=arns)["TargetGroups"]:
                found[tg["TargetGroupArn"]] = tg["TargetGroupArn"]
    except ClientError as err:
        if "NotFound" in _code(err):
            raise NotFoundError(f"target group(s) {', '.join(names)} not found") from None
        raise
    missing = [n for n in names if n not in found]
    if missing:
        raise NotFoundError(f"target group(s) {', '.join(missing)} not found")
    return tuple(found[n] for n in names)


def _subnets(
    clients: RegionClients, ids: Sequence[str], zones: Sequence[str]
) -> tuple[tuple[str, ...], str | None]:
    """The subnets in ``zones`` (all of them when no zones are given) and their VPC."""
    if not ids:
        return (), None
    try:
        subnets = clients.ec2.describe_subnets(SubnetIds=list(ids))["Subnets"]
    except ClientError as err:
        if "NotFound" in _code(err) or "Malformed" in _code(err):
            raise NotFoundError(f"subnet(s) {', '.join(ids)} not found") from None
        raise
    chosen = [s for s in subnets if not zones or s.get("AvailabilityZone") in zones]
    if not chosen:
        raise ValidationError(
            f"none of the subnets {', '.join(ids)} is in availability zones {', '.join(zones)}"
        )
    vpcs = {s.get("VpcId") for s in chosen}
    if len(vpcs) > 1:
        raise ValidationError(f"subnets {', '.join(ids)} span several VPCs")
    return tuple(s["SubnetId"] for s in chosen), vpcs.pop()


def _security_groups(
    clients: RegionClients, names_or_ids: Sequence[str], vpc: str | None
) -> tuple[str, ...]:
    if not names_or_ids:
        return ()
    ids = [g for g in names_or_ids if g.startswith("sg-")]
    names = [g for g in names_or_ids if not g.startswith("sg-")]
    by_key: dict[str, str] = {}
    try:
        if ids:
            for group in clients.ec2.describe_security_groups(GroupIds=ids)["SecurityGroups"]:
                by_key[group["GroupId"]] = group["GroupId"]
        if names:
            filters: list[Any] = [{"Name": "group-name", "Values": names}]
            if vpc:
                filters.append({"Name": "vpc-id", "Values": [vpc]})
            for group in clients.ec2.describe_security_groups(Filters=filters)["SecurityGroups"]:
                by_key[group["GroupName"]] = group["GroupId"]
    except ClientError as err:
        if "NotFound" in _code(err) or "Malformed" in _code(err):
            raise NotFoundError(f"security group(s) {', '.join(names_or_ids)} not found") from None
        raise
    missing = [g for g in names_or_ids if g not in by_key]
    if missing:
        raise NotFoundError(f"security group(s) {', '.join(missing)} not found")
    return tuple(by_key[g] for g in names_or_ids)


def _key_pair(clients: RegionClients, name: str | None) -> str | None:
    if not name:
        return None
    try:
        clients.ec2.describe_key_pairs(KeyNames=[name])
    except ClientError as err:
        if "NotFound" in _code(err):
            raise NotFoundError(f"key pair {name!r} not found") from None
        raise
    return name


def resolve_launch(
    clients: RegionClients, request: CreateServerGroupRequest, defaults: AwsDefaults
) -> LaunchPlan:
    """Check every reference of ``request`` (falling back to the account's defaults).

    Raises:
        NotFoundError: The image, a target group, subnet, security group or key pair is missing.
        ValidationError: Neither subnets nor availability zones, or inconsistent subnets.
    """
    image_id = _image(clients, request.image_id)
    zones = tuple(request.availability_zones)
    subnet_ids, vpc = _subnets(clients, request.subnet_ids or defaults.subnet_ids, zones)
    if not subnet_ids and not zones:
        raise ValidationError(
            "a server group needs subnetIds or availabilityZones "
            "(neither is in the request nor in the account's defaults)"
        )
    return LaunchPlan(
        image_id=image_id,
        instance_type=request.instance_type,
        target_group_arns=_target_groups(clients, request.target_groups),
        subnet_ids=subnet_ids,
        availability_zones=() if subnet_ids else zones,
        security_group_ids=_security_groups(
            clients, request.security_groups or defaults.security_groups, vpc
        ),
        key_pair=_key_pair(clients, request.key_pair or defaults.key_pair),
        iam_instance_profile=request.iam_instance_profile or defaults.instance_profile,
        user_data=request.user_data,
    )
