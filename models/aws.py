"""Inputs and outputs of the AWS activities (``aws.*`` on the ``gennaker-aws`` queue).

Plain pydantic data: no boto3 here, so workflow code can import these models.
Fields that mirror Spinnaker stage fields carry Spinnaker's camelCase names as
aliases and serialise by alias; both spellings are accepted on input. Workers and
clients must use ``temporalio.contrib.pydantic.pydantic_data_converter``.

Validate requests in the workflow (by constructing them) before scheduling an
activity: a payload that fails validation inside the worker is reported by
Temporal as a retryable decoding failure.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from models.errors import ValidationError as NamingError
from models.naming import ClusterName

__all__ = [
    "TAG_IDEMPOTENCY_KEY",
    "TAG_PREVIOUS_IMAGE",
    "TAG_PREVIOUS_SERVER_GROUP",
    "BakeRequest",
    "BakeResult",
    "Capacity",
    "CloneServerGroupRequest",
    "ClusterServerGroups",
    "CreateServerGroupRequest",
    "CreateServerGroupResult",
    "DeploymentDetail",
    "DestroyServerGroupResult",
    "DisableServerGroupRequest",
    "FindImageFromClusterRequest",
    "FindImageFromTagsRequest",
    "FindImageResult",
    "Instance",
    "LaunchTemplateRef",
    "ListServerGroupsRequest",
    "ResizeServerGroupRequest",
    "ResizeServerGroupResult",
    "SelectionStrategy",
    "ServerGroup",
    "ServerGroupRef",
    "TerminateInstancesRequest",
    "TerminateInstancesResult",
    "WaitForHealthyRequest",
    "WaitForHealthyResult",
    "idempotency_key",
]

TAG_IDEMPOTENCY_KEY = "gennaker:idempotency-key"
"""Tag of every group a stage created: the key that makes its create idempotent."""
TAG_PREVIOUS_SERVER_GROUP = "gennaker:previous-server-group"
"""Tag a deploy puts on its new group: the group it replaced (Spinnaker keeps it in entity tags)."""
TAG_PREVIOUS_IMAGE = "gennaker:previous-image"
"""Tag a deploy puts on its new group: the image of the group it replaced."""


class AwsModel(BaseModel):
    """Base of every model here: camelCase aliases, strict keys, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )


class Capacity(AwsModel):
    """Instance counts of a server group; ``min <= desired <= max``."""

    min: int = Field(ge=0)
    max: int = Field(ge=0)
    desired: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Capacity:
        if self.min > self.max:
            raise ValueError(f"capacity.min ({self.min}) must not exceed capacity.max ({self.max})")
        if self.desired < self.min:
            raise ValueError(
                f"capacity.desired ({self.desired}) must not be below capacity.min ({self.min})"
            )
        if self.desired > self.max:
            raise ValueError(
                f"capacity.desired ({self.desired}) must not exceed capacity.max ({self.max})"
            )
        return self

    @classmethod
    def of(cls, min: int, desired: int, max: int) -> Capacity:
        """Shorthand in reading order: ``Capacity.of(1, 2, 3)`` is min 1, desired 2, max 3."""
        return cls(min=min, desired=desired, max=max)

    @classmethod
    def zero(cls) -> Capacity:
        """The capacity of a scaled-down group."""
        return cls(min=0, max=0, desired=0)

    def __str__(self) -> str:
        return f"min {self.min} / desired {self.desired} / max {self.max}"


class LaunchTemplateRef(AwsModel):
    """The launch template a server group launches from."""

    id: str
    name: str
    version: str


class Instance(AwsModel):
    """One instance of a server group, as the health check sees it.

    ``healthy`` is InService in the Auto Scaling group and healthy in every target
    group of the server group.
    """

    instance_id: str
    availability_zone: str | None = None
    lifecycle_state: str
    health_status: str
    target_health: dict[str, str] = Field(default_factory=dict)
    healthy: bool


class ServerGroup(AwsModel):
    """An Auto Scaling group as Gennaker sees it."""

    name: str
    account: str
    region: str
    cluster: str
    application: str
    capacity: Capacity
    image_id: str | None = None
    instance_type: str | None = None
    launch_template: LaunchTemplateRef | None = None
    target_groups: list[str] = Field(default_factory=list)
    target_group_arns: list[str] = Field(default_factory=list)
    instances: list[Instance] = Field(default_factory=list)
    enabled: bool
    created_time: datetime
    tags: dict[str, str] = Field(default_factory=dict)

    @property
    def disabled(self) -> bool:
        """Not taking traffic: ``AddToLoadBalancer`` is suspended."""
        return not self.enabled

    @property
    def healthy_count(self) -> int:
        """How many instances are healthy."""
        return sum(1 for instance in self.instances if instance.healthy)


def idempotency_key(execution_id: str, stage_ref_id: str, region: str) -> str:
    """The key that makes a create idempotent: one server group per run, stage and region."""
    return f"{execution_id}/{stage_ref_id}/{region}"


class ServerGroupRef(AwsModel):
    """Names one server group: the input of enable, destroy and describe."""

    account: str = Field(min_length=1)
    region: str = Field(min_length=1)
    server_group_name: str = Field(min_length=1)


class CreateServerGroupRequest(AwsModel):
    """Create a server group (an Auto Scaling group with a launch template).

    ``idempotency_key`` defaults to execution id + stage refId + region; a retried
    create with the same key returns the group made by the first try. The deploy
    stage with several ``clusters[]`` in one region must pass a key per cluster.
    """

    account: str = Field(min_length=1)
    region: str = Field(min_length=1)
    application: str = Field(min_length=1)
    stack: str | None = None
    free_form_details: str | None = None
    image_id: str = Field(min_length=1)
    instance_type: str = Field(min_length=1)
    capacity: Capacity
    target_groups: list[str] = Field(default_factory=list)
    security_groups: list[str] = Field(default_factory=list)
    subnet_ids: list[str] = Field(default_factory=list)
    availability_zones: list[str] = Field(default_factory=list)
    key_pair: str | None = None
    iam_instance_profile: str | None = None
    user_data: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    execution_id: str = Field(min_length=1)
    stage_ref_id: str = Field(min_length=1)
    idempotency_key: str = ""

    @model_validator(mode="after")
    def _names_and_key(self) -> CreateServerGroupRequest:
        try:
            ClusterName(self.application, self.stack, self.free_form_details)
        except NamingError as err:
            raise ValueError(str(err)) from None
        if not self.idempotency_key:
            key = idempotency_key(self.execution_id, self.stage_ref_id, self.region)
            object.__setattr__(self, "idempotency_key", key)
        return self

    @property
    def cluster(self) -> ClusterName:
        """The cluster the new server group joins."""
        return ClusterName(self.application, self.stack, self.free_form_details)


class CloneServerGroupRequest(AwsModel):
    """Create a server group like ``source_server_group_name``, with another image or capacity.

    The new group copies the source's launch settings (instance type, security
    groups, key pair, instance profile, user data, subnets, target groups, tags).
    Idempotent like a create: a retry with the same key returns the first try's group.
    """

    account: str = Field(min_length=1)
    region: str = Field(min_length=1)
    source_server_group_name: str = Field(min_length=1)
    image_id: str | None = None
    capacity: Capacity | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    execution_id: str = Field(min_length=1)
    stage_ref_id: str = Field(min_length=1)
    idempotency_key: str = ""

    @model_validator(mode="after")
    def _key(self) -> CloneServerGroupRequest:
        if not self.idempotency_key:
            key = idempotency_key(self.execution_id, self.stage_ref_id, self.region)
            object.__setattr__(self, "idempotency_key", key)
        return self


class CreateServerGroupResult(AwsModel):
    """The created server group; ``created`` is False when an earlier try made it."""

    server_group: ServerGroup
    created: bool


class DisableServerGroupRequest(ServerGroupRef):
    """Take traffic away from a server group, or from ``desiredPercentage`` of its instances."""

    desired_percentage: int = Field(default=100, ge=0, le=100)


class ResizeServerGroupRequest(ServerGroupRef):
    """Set a server group's capacity (the workflow computes it with ``workflows.aws.capacity``)."""

    capacity: Capacity


class ResizeServerGroupResult(AwsModel):
    """The resized group and the capacity it had before."""

    server_group: ServerGroup
    previous_capacity: Capacity


class DestroyServerGroupResult(AwsModel):
    """Whether a group was there to destroy (False when an earlier try destroyed it)."""

    account: str
    region: str
    server_group_name: str
    destroyed: bool


class TerminateInstancesRequest(ServerGroupRef):
    """Terminate chosen instances of a server group; the group replaces them by default."""

    instance_ids: list[str] = Field(min_length=1)
    decrement_desired_capacity: bool = False


class TerminateInstancesResult(AwsModel):
    """The instances terminated now (already-gone ones are left out)."""

    server_group_name: str
    terminated_instance_ids: list[str]


class WaitForHealthyRequest(ServerGroupRef):
    """Wait until ``targetHealthyDeployPercentage`` of the desired instances are healthy.

    ``timeoutSeconds`` None waits until the activity is cancelled or times out.
    ``ignoreInstanceIds`` never count as healthy (instances just terminated, which
    AWS may still list as InService for a moment).
    """

    target_healthy_deploy_percentage: int = Field(default=100, ge=0, le=100)
    timeout_seconds: float | None = Field(default=None, gt=0)
    poll_interval_seconds: float | None = Field(default=None, gt=0)
    ignore_instance_ids: list[str] = Field(default_factory=list)


class WaitForHealthyResult(AwsModel):
    """What the wait saw last."""

    server_group_name: str
    desired: int
    required: int
    healthy: int
    healthy_instance_ids: list[str]


class ListServerGroupsRequest(AwsModel):
    """The server groups of one cluster in one region."""

    account: str = Field(min_length=1)
    region: str = Field(min_length=1)
    cluster: str = Field(min_length=1)

    @field_validator("cluster")
    @classmethod
    def _valid_cluster(cls, value: str) -> str:
        try:
            ClusterName.parse(value)
        except NamingError as err:
            raise ValueError(str(err)) from None
        return value


class ClusterServerGroups(AwsModel):
    """A cluster's server groups in one region, newest first."""

    account: str
    region: str
    cluster: str
    server_groups: list[ServerGroup]


class SelectionStrategy(StrEnum):
    """Which server group's image ``findImage`` picks when a cluster has several."""

    LARGEST = "LARGEST"
    NEWEST = "NEWEST"
    OLDEST = "OLDEST"
    FAIL = "FAIL"


class FindImageFromClusterRequest(AwsModel):
    """``findImage``: the image a cluster runs, per region.

    Spinnaker's ``credentials`` is ``account`` here, as in every other request.
    """

    account: str = Field(min_length=1)
    cluster: str = Field(min_length=1)
    regions: list[str] = Field(min_length=1)
    only_enabled: bool = True
    selection_strategy: SelectionStrategy = SelectionStrategy.NEWEST


class FindImageFromTagsRequest(AwsModel):
    """``findImageFromTags``: the newest image with a package name and tags, per region."""

    account: str = Field(min_length=1)
    regions: list[str] = Field(min_length=1)
    package_name: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something_to_match(self) -> FindImageFromTagsRequest:
        if not self.package_name and not self.tags:
            raise ValueError("findImageFromTags needs packageName or tags")
        return self


class DeploymentDetail(AwsModel):
    """One image in one region, as Spinnaker's ``deploymentDetails`` entries."""

    ami: str
    image_id: str
    image_name: str
    region: str
    package: str | None = None
    server_group: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class FindImageResult(AwsModel):
    """The images found, one per region."""

    deployment_details: list[DeploymentDetail]


class BakeRequest(AwsModel):
    """``bake``: build an AMI with Packer from a package and a base image.

    ``baseAmi`` names the source image; otherwise ``baseOs`` (and ``baseLabel``)
    picks one from the worker's base image catalogue. The AMI is built in the
    first region and copied to the others. ``extendedAttributes`` become Packer
    user variables, given to the provisioners as environment variables.
    """

    account: str = Field(min_length=1)
    regions: list[str] = Field(min_length=1)
    package: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._+~-]+$")
    base_os: str | None = None
    base_ami: str | None = None
    base_label: Literal["release", "candidate", "previous", "unstable"] = "release"
    vm_type: Literal["hvm", "pv"] = "hvm"
    store_type: Literal["ebs"] = "ebs"
    instance_type: str = "t3.micro"
    ami_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9()\[\] ./'@_-]{3,100}$")
    ami_suffix: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,40}$")
    rebake: bool = False
    extended_attributes: dict[str, str] = Field(default_factory=dict)
    execution_id: str = Field(min_length=1)
    stage_ref_id: str = Field(min_length=1)

    @model_validator(mode="after")
    def _base_image(self) -> BakeRequest:
        if not self.base_ami and not self.base_os:
            raise ValueError("bake needs baseAmi or baseOs")
        if len(set(self.regions)) != len(self.regions):
            raise ValueError(f"regions {self.regions} name a region twice")
        for key in self.extended_attributes:
            if not key.isidentifier():
                raise ValueError(f"extendedAttributes key {key!r} is not a valid variable name")
        return self


class BakeResult(AwsModel):
    """The baked (or reused) images, one per region, and the bake key that names them."""

    deployment_details: list[DeploymentDetail]
    bake_key: str
    reused: bool
