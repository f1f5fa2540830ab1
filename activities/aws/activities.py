"""The ``aws.*`` activities: what the ``gennaker-aws`` worker runs.

The methods are synchronous (``def``): boto3 and Packer block, so the worker
runs them in a thread pool (``Worker(..., activity_executor=ThreadPoolExecutor(...))``)
and the event loop stays free. They are defined with
``no_thread_cancel_exception``: instead of an exception injected at any line
(possibly halfway through creating a resource), cancellation is checked where
waiting happens (health waits, Packer runs), which heartbeat so that Temporal
can deliver it.

Every method checks the account and region against the worker's configuration
and re-validates its input first, so a bad request fails (non-retryable, naming
the account) before anything is created.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from typing import Any

from temporalio import activity

from activities.aws import bake as baking
from activities.aws import images, server_groups, traffic
from activities.aws.clients import ClientFactory
from activities.aws.clone import clone
from activities.aws.describe import list_cluster
from activities.aws.errors import revalidated, translated
from activities.aws.health import ElbTargetHealth, TargetHealth
from activities.aws.waiting import check_interrupted, wait_for_healthy
from models.aws import (
    BakeRequest,
    BakeResult,
    CloneServerGroupRequest,
    ClusterServerGroups,
    CreateServerGroupRequest,
    CreateServerGroupResult,
    DestroyServerGroupResult,
    DisableServerGroupRequest,
    FindImageFromClusterRequest,
    FindImageFromTagsRequest,
    FindImageResult,
    ListServerGroupsRequest,
    ResizeServerGroupRequest,
    ResizeServerGroupResult,
    ServerGroup,
    ServerGroupRef,
    TerminateInstancesRequest,
    TerminateInstancesResult,
    WaitForHealthyRequest,
    WaitForHealthyResult,
)
from models.config import GennakerConfig

__all__ = ["AwsActivities"]


def _group(name: str) -> str:
    return f"server group {name!r}"


class AwsActivities:
    """The AWS activities, bound to the worker's configuration.

    Args:
        config: The worker configuration (accounts, regions, endpoints, defaults).
        health: How instance health is judged; the real ELBv2 + Auto Scaling check by default.
        poll_interval: Seconds between polls while waiting for health.
        packer_path: The Packer executable (``packer`` on PATH by default).
        base_images: ``baseOs`` → base image for bakes without ``baseAmi``.
    """

    def __init__(
        self,
        config: GennakerConfig,
        health: TargetHealth | None = None,
        *,
        poll_interval: float = 5.0,
        packer_path: str | None = None,
        base_images: Mapping[str, baking.BaseImage] | None = None,
    ) -> None:
        self._config = config
        self._clients = ClientFactory(config)
        self._health: TargetHealth = health or ElbTargetHealth()
        self._poll_interval = poll_interval
        self._packer = packer_path or shutil.which("packer") or "/usr/bin/packer"
        self._base_images = dict(base_images or baking.DEFAULT_BASE_IMAGES)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity, for ``Worker(activities=...)``."""
        return [
            self.create_server_group,
            self.clone_server_group,
            self.list_server_groups,
            self.describe_server_group,
            self.enable_server_group,
            self.disable_server_group,
            self.resize_server_group,
            self.destroy_server_group,
            self.terminate_instances,
            self.wait_for_healthy,
            self.find_image_from_cluster,
            self.find_image_from_tags,
            self.bake,
        ]

    @activity.defn(name="aws.createServerGroup", no_thread_cancel_exception=True)
    def create_server_group(self, request: CreateServerGroupRequest) -> CreateServerGroupResult:
        """Create a server group, or return the one an earlier try of this stage made."""
        with translated(request.account, request.region, f"application {request.application!r}"):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            defaults = self._config.aws_account(request.account).defaults
            return server_groups.create(clients, request, defaults, self._health)

    @activity.defn(name="aws.cloneServerGroup", no_thread_cancel_exception=True)
    def clone_server_group(self, request: CloneServerGroupRequest) -> CreateServerGroupResult:
        """Create a server group like another one, with another image (or an earlier try's)."""
        with translated(request.account, request.region, _group(request.source_server_group_name)):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            defaults = self._config.aws_account(request.account).defaults
            return clone(clients, request, defaults, self._health)

    @activity.defn(name="aws.listServerGroups", no_thread_cancel_exception=True)
    def list_server_groups(self, request: ListServerGroupsRequest) -> ClusterServerGroups:
        """A cluster's server groups in one region, newest first."""
        with translated(request.account, request.region, f"cluster {request.cluster!r}"):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            return ClusterServerGroups(
                account=request.account,
                region=request.region,
                cluster=request.cluster,
                server_groups=list_cluster(clients, request.cluster, self._health),
            )

    @activity.defn(name="aws.describeServerGroup", no_thread_cancel_exception=True)
    def describe_server_group(self, request: ServerGroupRef) -> ServerGroup:
        """One server group, with capacity, state and instance health."""
        with translated(request.account, request.region, _group(request.server_group_name)):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            return server_groups.describe(clients, request.server_group_name, self._health)

    @activity.defn(name="aws.enableServerGroup", no_thread_cancel_exception=True)
    def enable_server_group(self, request: ServerGroupRef) -> ServerGroup:
        """Give a server group traffic."""
        with translated(request.account, request.region, _group(request.server_group_name)):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            return traffic.enable(clients, request.server_group_name, self._health)

    @activity.defn(name="aws.disableServerGroup", no_thread_cancel_exception=True)
    def disable_server_group(self, request: DisableServerGroupRequest) -> ServerGroup:
        """Take traffic away from a server group (or from a percentage of its instances)."""
        with translated(request.account, request.region, _group(request.server_group_name)):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            return traffic.disable(
                clients,
                request.server_group_name,
                self._health,
                desired_percentage=request.desired_percentage,
            )

    @activity.defn(name="aws.resizeServerGroup", no_thread_cancel_exception=True)
    def resize_server_group(self, request: ResizeServerGroupRequest) -> ResizeServerGroupResult:
        """Set a server group's capacity."""
        with translated(request.account, request.region, _group(request.server_group_name)):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            return server_groups.resize(
                clients, request.server_group_name, request.capacity, self._health
            )

    @activity.defn(name="aws.destroyServerGroup", no_thread_cancel_exception=True)
    def destroy_server_group(self, request: ServerGroupRef) -> DestroyServerGroupResult:
        """Delete a server group, its instances and its launch template."""
        with translated(request.account, request.region, _group(request.server_group_name)):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            return server_groups.destroy(clients, request.server_group_name)

    @activity.defn(name="aws.terminateInstances", no_thread_cancel_exception=True)
    def terminate_instances(self, request: TerminateInstancesRequest) -> TerminateInstancesResult:
        """Terminate chosen instances of a server group."""
        with translated(request.account, request.region, _group(request.server_group_name)):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            return server_groups.terminate_instances(
                clients,
                request.server_group_name,
                request.instance_ids,
                decrement_desired=request.decrement_desired_capacity,
            )

    @activity.defn(name="aws.waitForHealthy", no_thread_cancel_exception=True)
    def wait_for_healthy(self, request: WaitForHealthyRequest) -> WaitForHealthyResult:
        """Wait until enough of a server group's instances are healthy, heartbeating."""
        with translated(request.account, request.region, _group(request.server_group_name)):
            request = revalidated(request)
            clients = self._clients.for_region(request.account, request.region)
            return wait_for_healthy(
                clients,
                request.server_group_name,
                self._health,
                target_healthy_percentage=request.target_healthy_deploy_percentage,
                poll_interval=request.poll_interval_seconds or self._poll_interval,
                timeout=request.timeout_seconds,
                ignore=set(request.ignore_instance_ids),
            )

    @activity.defn(name="aws.findImageFromCluster", no_thread_cancel_exception=True)
    def find_image_from_cluster(self, request: FindImageFromClusterRequest) -> FindImageResult:
        """``findImage``: the image a cluster runs, in each region."""
        with translated(request.account, None, f"cluster {request.cluster!r}"):
            request = revalidated(request)
            regional = [self._clients.for_region(request.account, r) for r in request.regions]
            return FindImageResult(
                deployment_details=[
                    images.find_in_cluster(
                        clients,
                        request.cluster,
                        self._health,
                        only_enabled=request.only_enabled,
                        strategy=request.selection_strategy,
                    )
                    for clients in regional
                ]
            )

    @activity.defn(name="aws.findImageFromTags", no_thread_cancel_exception=True)
    def find_image_from_tags(self, request: FindImageFromTagsRequest) -> FindImageResult:
        """``findImageFromTags``: the newest image with the package and tags, in each region."""
        with translated(request.account, None, f"package {request.package_name!r}"):
            request = revalidated(request)
            regional = [self._clients.for_region(request.account, r) for r in request.regions]
            return FindImageResult(
                deployment_details=[
                    images.find_by_tags(clients, request.package_name, request.tags)
                    for clients in regional
                ]
            )

    @activity.defn(name="aws.bake", no_thread_cancel_exception=True)
    def bake(self, request: BakeRequest) -> BakeResult:
        """Bake an AMI with Packer in every region (or reuse one with the same inputs)."""
        with translated(
            request.account, ", ".join(request.regions), f"bake of {request.package!r}"
        ):
            request = revalidated(request)
            clients = {r: self._clients.for_region(request.account, r) for r in request.regions}
            what = f"baking {request.package!r}"

            def progress(message: str) -> None:
                activity.heartbeat({"bake": request.package, "message": message})

            return baking.bake(
                clients,
                request,
                packer=self._packer,
                catalogue=self._base_images,
                on_progress=progress,
                interrupted=lambda: check_interrupted(what),
                poll_interval=min(self._poll_interval, 1.0),
            )
