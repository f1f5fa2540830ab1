"""AWS stage types: bake, find images, deploy, server group and cluster stages, rollback, chaos.

Field names are Spinnaker's (Orca's stage contexts), so exported pipelines load as
they are. Spinnaker calls the account ``credentials`` in most stages and
``account`` in deploy clusters and bakes; both spellings are accepted everywhere.
A single ``region`` is accepted where Spinnaker takes ``regions``.

Only what can be checked without AWS is checked here (capacity order, known
strategies, one of ``target``/``serverGroupName``); unknown accounts, regions and
images are refused by the workers, before anything is created.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from models.aws import Capacity, SelectionStrategy
from models.errors import ValidationError as NamingError
from models.naming import ClusterName, ServerGroupName
from models.stage import StageConfig, _Lenient, stage_type
from models.stages.core import precondition_type

__all__ = [
    "AwsCluster",
    "BakeStage",
    "ChaosMonkeyStage",
    "ClusterSizeCheck",
    "DeployRollback",
    "DeployStage",
    "DestroyServerGroupStage",
    "DisableClusterStage",
    "DisableServerGroupStage",
    "EnableServerGroupStage",
    "FindImageFromClusterStage",
    "FindImageFromTagsStage",
    "PartialCapacity",
    "ResizeServerGroupStage",
    "RollbackClusterStage",
    "RollbackContext",
    "RollbackServerGroupStage",
    "ScaleDownClusterStage",
    "ShrinkClusterStage",
]

STRATEGIES = ("none", "highlander", "redblack", "rollingredblack")
_UNSUPPORTED_STRATEGIES = ("custom", "monitored", "rollingpush", "cfrollingredblack")
_ACCOUNT = AliasChoices("credentials", "account")
_TARGETS = ("current_asg_dynamic", "ancestor_asg_dynamic", "oldest_asg_dynamic")


def _one_region(data: Any) -> Any:
    """``region: x`` (older Spinnaker stages) as ``regions: [x]``."""
    if isinstance(data, dict) and not data.get("regions") and data.get("region"):
        return {**data, "regions": [data["region"]]}
    return data


def _check_aws(value: str | None) -> str | None:
    if value not in (None, "", "aws"):
        raise ValueError(f"cloud provider {value!r} is not supported by this stage (only 'aws')")
    return value


class _AwsStage(StageConfig):
    """Fields every AWS stage shares."""

    cloud_provider: str | None = Field(
        default=None, validation_alias=AliasChoices("cloudProvider", "cloudProviderType")
    )

    @field_validator("cloud_provider")
    @classmethod
    def _aws_only(cls, value: str | None) -> str | None:
        return _check_aws(value)

    @model_validator(mode="before")
    @classmethod
    def _region(cls, data: Any) -> Any:
        return _one_region(data)


# -- images ----------------------------------------------------------------------------------


@stage_type("bake")
class BakeStage(_AwsStage):
    """``bake``: build an AMI with Packer (or reuse one baked from the same inputs).

    ``account`` is where the AMI is built; Spinnaker bakes in Rosco's own account,
    so exported bakes may lack it and then fail at start, saying so.
    """

    account: str | None = Field(default=None, validation_alias=_ACCOUNT)
    package: str = Field(min_length=1)
    regions: list[str] = Field(min_length=1)
    base_os: str | None = Field(default=None, alias="baseOs")
    base_ami: str | None = Field(default=None, alias="baseAmi")
    base_label: Literal["release", "candidate", "previous", "unstable"] = Field(
        default="release", alias="baseLabel"
    )
    vm_type: Literal["hvm", "pv"] = Field(default="hvm", alias="vmType")
    store_type: Literal["ebs"] = Field(default="ebs", alias="storeType")
    instance_type: str | None = Field(default=None, alias="instanceType")
    ami_name: str | None = Field(default=None, alias="amiName")
    ami_suffix: str | None = Field(default=None, alias="amiSuffix")
    rebake: bool = False
    extended_attributes: dict[str, str] = Field(default_factory=dict, alias="extendedAttributes")

    @model_validator(mode="after")
    def _base(self) -> BakeStage:
        if not self.base_os and not self.base_ami:
            raise ValueError("bake needs baseOs or baseAmi")
        return self


@stage_type("findImage", "findImageFromCluster")
class FindImageFromClusterStage(_AwsStage):
    """``findImage``: the image a cluster runs, per region."""

    credentials: str = Field(min_length=1, validation_alias=_ACCOUNT)
    cluster: str = Field(min_length=1)
    regions: list[str] = Field(min_length=1)
    only_enabled: bool = Field(default=True, alias="onlyEnabled")
    selection_strategy: SelectionStrategy = Field(
        default=SelectionStrategy.NEWEST, alias="selectionStrategy"
    )

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, value: str) -> str:
        try:
            ClusterName.parse(value)
        except NamingError as err:
            raise ValueError(str(err)) from None
        return value


@stage_type("findImageFromTags")
class FindImageFromTagsStage(_AwsStage):
    """``findImageFromTags``: the newest image with a package name and tags, per region."""

    credentials: str | None = Field(default=None, validation_alias=_ACCOUNT)
    package_name: str | None = Field(default=None, alias="packageName")
    tags: dict[str, str] = Field(default_factory=dict)
    regions: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _something(self) -> FindImageFromTagsStage:
        if not self.package_name and not self.tags:
            raise ValueError("findImageFromTags needs packageName or tags")
        return self


# -- deploy ----------------------------------------------------------------------------------


class DeployRollback(_Lenient):
    """A cluster's ``rollback`` block."""

    on_failure: bool = Field(default=False, alias="onFailure")
    destroy_latest: bool = Field(default=False, alias="destroyLatest")


class AwsCluster(_Lenient):
    """One ``clusters[]`` entry of a ``deploy`` stage (one server group per region).

    The image is ``imageId`` (or an ``amiName`` that is an AMI id), else the
    ``deploymentDetails`` of an upstream bake or findImage stage for the region.
    """

    account: str = Field(min_length=1, validation_alias=AliasChoices("account", "credentials"))
    application: str = Field(min_length=1)
    stack: str | None = None
    free_form_details: str | None = Field(default=None, alias="freeFormDetails")
    availability_zones: dict[str, list[str]] = Field(
        default_factory=dict, alias="availabilityZones"
    )
    capacity: Capacity | None = None
    use_source_capacity: bool = Field(default=False, alias="useSourceCapacity")
    instance_type: str = Field(min_length=1, alias="instanceType")
    image_id: str | None = Field(default=None, alias="imageId")
    ami_name: str | None = Field(default=None, alias="amiName")
    target_groups: list[str] = Field(default_factory=list, alias="targetGroups")
    load_balancers: list[str] = Field(default_factory=list, alias="loadBalancers")
    security_groups: list[str] = Field(default_factory=list, alias="securityGroups")
    subnet_ids: list[str] = Field(default_factory=list, alias="subnetIds")
    key_pair: str | None = Field(default=None, alias="keyPair")
    iam_role: str | None = Field(default=None, alias="iamRole")
    user_data: str | None = Field(default=None, alias="userData")
    base64_user_data: str | None = Field(default=None, alias="base64UserData")
    tags: dict[str, Any] = Field(default_factory=dict)
    strategy: str = ""
    target_healthy_deploy_percentage: int = Field(
        default=100, alias="targetHealthyDeployPercentage", ge=0, le=100
    )
    rollback: DeployRollback = Field(default_factory=DeployRollback)
    provider: str | None = Field(
        default=None, validation_alias=AliasChoices("cloudProvider", "provider")
    )

    @model_validator(mode="before")
    @classmethod
    def _regions(cls, data: Any) -> Any:
        # Spinnaker names the regions as availabilityZones' keys; a bare list also works.
        if isinstance(data, dict) and not data.get("availabilityZones") and data.get("regions"):
            return {**data, "availabilityZones": {r: [] for r in data["regions"]}}
        return data

    @field_validator("stack", "free_form_details", "strategy", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("rollback", mode="before")
    @classmethod
    def _null_rollback(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("provider")
    @classmethod
    def _aws_only(cls, value: str | None) -> str | None:
        return _check_aws(value)

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        if value in _UNSUPPORTED_STRATEGIES:
            raise ValueError(f"strategy {value!r} is not supported on AWS yet")
        if value and value not in STRATEGIES:
            raise ValueError(f"unknown strategy {value!r} (known: {', '.join(STRATEGIES)})")
        return value

    @field_validator("load_balancers")
    @classmethod
    def _no_classic(cls, value: list[str]) -> list[str]:
        if value:
            raise ValueError("classic load balancers are not supported: use targetGroups")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AwsCluster:
        if not self.availability_zones:
            raise ValueError("a cluster needs availabilityZones (region: [zones]) or regions")
        try:
            ClusterName(self.application, self.stack or None, self.free_form_details or None)
        except NamingError as err:
            raise ValueError(str(err)) from None
        if self.capacity is None and not self.use_source_capacity:
            raise ValueError("a cluster needs capacity (or useSourceCapacity)")
        return self

    @property
    def cluster_name(self) -> str:
        """``app-stack-detail``."""
        return str(
            ClusterName(self.application, self.stack or None, self.free_form_details or None)
        )

    @property
    def regions(self) -> list[str]:
        """The regions to deploy to, in the order given."""
        return list(self.availability_zones)

    def strategy_fields(self) -> dict[str, Any]:
        """The cluster as Spinnaker's field names (what strategy planning reads)."""
        return self.model_dump(by_alias=True)


@stage_type("deploy")
class DeployStage(StageConfig):
    """``deploy``: one new server group per cluster and region, then the cluster's strategy."""

    clusters: list[AwsCluster] = Field(min_length=1)


# -- server group and cluster stages ------------------------------------------------------------


class _ClusterStage(_AwsStage):
    """A stage acting on one cluster in some regions."""

    credentials: str = Field(min_length=1, validation_alias=_ACCOUNT)
    regions: list[str] = Field(min_length=1)
    cluster: str = ""
    moniker: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _cluster_known(self) -> _ClusterStage:
        if not self.cluster and self.moniker and self.moniker.get("cluster"):
            self.cluster = str(self.moniker["cluster"])
        if not self.cluster:
            name = getattr(self, "server_group_name", None)
            parsed = ServerGroupName.try_parse(name) if name else None
            if parsed is None:
                raise ValueError("cluster (or moniker.cluster, or serverGroupName) is required")
            self.cluster = str(parsed.cluster)
        try:
            ClusterName.parse(self.cluster)
        except NamingError as err:
            raise ValueError(str(err)) from None
        return self


class _TargetedStage(_ClusterStage):
    """A stage acting on one server group per region: a dynamic ``target`` or a name."""

    target: str | None = None
    server_group_name: str | None = Field(
        default=None, validation_alias=AliasChoices("serverGroupName", "asgName")
    )

    @model_validator(mode="after")
    def _target_or_name(self) -> _TargetedStage:
        if not self.server_group_name and not self.target:
            raise ValueError("a target or a serverGroupName is required")
        if not self.server_group_name and self.target not in _TARGETS:
            raise ValueError(f"unknown target {self.target!r} (known: {', '.join(_TARGETS)})")
        return self


@stage_type("enableServerGroup")
class EnableServerGroupStage(_TargetedStage):
    """``enableServerGroup``: give a server group traffic again."""


@stage_type("disableServerGroup")
class DisableServerGroupStage(_TargetedStage):
    """``disableServerGroup``: take traffic away (from ``desiredPercentage`` of the instances)."""

    desired_percentage: int = Field(default=100, alias="desiredPercentage", ge=0, le=100)


class PartialCapacity(_Lenient):
    """``capacity`` of a resize: what is left out keeps its current value."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    desired: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> PartialCapacity:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"capacity.min ({self.min}) must not exceed capacity.max ({self.max})")
        return self


@stage_type("resizeServerGroup")
class ResizeServerGroupStage(_TargetedStage):
    """``resizeServerGroup``: scale exactly, up or down (by pct or incr), or to the cluster."""

    action: Literal[
        "scale_exact", "scale_up", "scale_down", "scale_to_cluster", "scale_to_server_group"
    ] = "scale_exact"
    resize_type: Literal["pct", "incr", "exact"] | None = Field(default=None, alias="resizeType")
    scale_pct: float | None = Field(default=None, alias="scalePct", ge=0)
    scale_num: int | None = Field(default=None, alias="scaleNum", ge=0)
    capacity: PartialCapacity = Field(default_factory=PartialCapacity)
    source_server_group_name: str | None = Field(default=None, alias="sourceServerGroupName")
    target_healthy_deploy_percentage: int = Field(
        default=100, alias="targetHealthyDeployPercentage", ge=0, le=100
    )

    @model_validator(mode="after")
    def _amount(self) -> ResizeServerGroupStage:
        if self.action in ("scale_up", "scale_down"):
            if self.resize_type == "pct" and self.scale_pct is None:
                raise ValueError(f"{self.action} by pct needs scalePct")
            if self.resize_type != "pct" and self.scale_num is None:
                raise ValueError(f"{self.action} needs scaleNum (or resizeType pct and scalePct)")
        if self.action == "scale_to_server_group" and not self.source_server_group_name:
            raise ValueError("scale_to_server_group needs sourceServerGroupName")
        return self


@stage_type("destroyServerGroup")
class DestroyServerGroupStage(_TargetedStage):
    """``destroyServerGroup``: disable, then delete a server group."""


@stage_type("disableCluster")
class DisableClusterStage(_ClusterStage):
    """``disableCluster``: disable all but the newest N enabled groups."""

    remaining_enabled_server_groups: int = Field(
        default=1, alias="remainingEnabledServerGroups", ge=0
    )
    prefer_larger_over_newer: bool = Field(default=False, alias="preferLargerOverNewer")


@stage_type("scaleDownCluster")
class ScaleDownClusterStage(_ClusterStage):
    """``scaleDownCluster``: scale all but N groups to zero."""

    remaining_full_size_server_groups: int = Field(
        default=1, alias="remainingFullSizeServerGroups", ge=0
    )
    prefer_larger_over_newer: bool = Field(default=False, alias="preferLargerOverNewer")
    allow_scale_down_active: bool = Field(default=False, alias="allowScaleDownActive")


@stage_type("shrinkCluster")
class ShrinkClusterStage(_ClusterStage):
    """``shrinkCluster``: destroy all but the newest N groups."""

    shrink_to_size: int = Field(default=1, alias="shrinkToSize", ge=0)
    allow_delete_active: bool = Field(default=False, alias="allowDeleteActive")
    retain_larger_over_newer: bool = Field(default=False, alias="retainLargerOverNewer")


# -- rollback -----------------------------------------------------------------------------------


class RollbackContext(_Lenient):
    """``rollbackContext`` of ``rollbackServerGroup``."""

    rollback_server_group_name: str = Field(min_length=1, alias="rollbackServerGroupName")
    restore_server_group_name: str | None = Field(default=None, alias="restoreServerGroupName")
    target_healthy_rollback_percentage: int = Field(
        default=100, alias="targetHealthyRollbackPercentage", ge=0, le=100
    )
    delay_before_disable_seconds: float = Field(default=0, alias="delayBeforeDisableSeconds", ge=0)
    disable_only: bool = Field(default=False, alias="disableOnly")
    enable_and_disable_only: bool = Field(default=False, alias="enableAndDisableOnly")
    image_id: str | None = Field(default=None, alias="imageId")
    image_name: str | None = Field(default=None, alias="imageName")

    @field_validator("rollback_server_group_name", "restore_server_group_name")
    @classmethod
    def _server_group(cls, value: str | None) -> str | None:
        if value:
            try:
                ServerGroupName.parse(value)
            except NamingError as err:
                raise ValueError(str(err)) from None
        return value


@stage_type("rollbackServerGroup")
class RollbackServerGroupStage(_AwsStage):
    """``rollbackServerGroup``: ``EXPLICIT`` (to a named group) or ``PREVIOUS_IMAGE``."""

    credentials: str = Field(min_length=1, validation_alias=_ACCOUNT)
    regions: list[str] = Field(min_length=1, max_length=1)
    rollback_type: Literal["EXPLICIT", "PREVIOUS_IMAGE"] = Field(
        default="EXPLICIT", alias="rollbackType"
    )
    rollback_context: RollbackContext = Field(alias="rollbackContext")

    @model_validator(mode="after")
    def _explicit_needs_restore(self) -> RollbackServerGroupStage:
        context = self.rollback_context
        if (
            self.rollback_type == "EXPLICIT"
            and not context.restore_server_group_name
            and not context.disable_only
        ):
            raise ValueError("EXPLICIT rollback needs rollbackContext.restoreServerGroupName")
        return self


@stage_type("rollbackCluster")
class RollbackClusterStage(_ClusterStage):
    """``rollbackCluster``: per region, roll the current group back to the one before it."""

    wait_time_between_regions: float = Field(default=0, alias="waitTimeBetweenRegions", ge=0)
    target_healthy_rollback_percentage: int = Field(
        default=100, alias="targetHealthyRollbackPercentage", ge=0, le=100
    )
    additional_rollback_context: dict[str, Any] = Field(
        default_factory=dict, alias="additionalRollbackContext"
    )


# -- chaos and preconditions --------------------------------------------------------------------


@stage_type("chaosMonkey")
class ChaosMonkeyStage(_TargetedStage):
    """``chaosMonkey``: terminate some instances of a group, then wait for it to recover.

    Give ``terminationCount`` or ``terminationPercentage`` (of the group's instances,
    rounded up). The group must be back at its desired healthy capacity within the
    stage timeout.
    """

    target: str | None = "current_asg_dynamic"
    termination_count: int | None = Field(default=None, alias="terminationCount", ge=1)
    termination_percentage: float | None = Field(
        default=None, alias="terminationPercentage", gt=0, le=100
    )
    target_healthy_percentage: int = Field(
        default=100, alias="targetHealthyPercentage", ge=0, le=100
    )

    @model_validator(mode="after")
    def _how_many(self) -> ChaosMonkeyStage:
        if (self.termination_count is None) == (self.termination_percentage is None):
            raise ValueError("give one of terminationCount or terminationPercentage")
        return self


precondition_type("clusterSize")


class ClusterSizeCheck(_Lenient):
    """The ``context`` of a ``clusterSize`` precondition."""

    credentials: str = Field(min_length=1, validation_alias=_ACCOUNT)
    regions: list[str] = Field(min_length=1)
    cluster: str = Field(min_length=1)
    comparison: Literal["<", "<=", "==", ">=", ">"] = "=="
    expected: int = Field(default=1, ge=0)
    only_enabled_server_groups: bool = Field(default=False, alias="onlyEnabledServerGroups")

    @model_validator(mode="before")
    @classmethod
    def _region(cls, data: Any) -> Any:
        return _one_region(data)

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, value: str) -> str:
        try:
            ClusterName.parse(value)
        except NamingError as err:
            raise ValueError(str(err)) from None
        return value
