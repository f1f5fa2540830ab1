"""The ``kubernetes.*`` activities: what the ``gennaker-kubernetes`` worker runs.

The methods are synchronous (the official client blocks), so the worker runs
them in a thread pool. They are defined with ``no_thread_cancel_exception``:
cancellation is checked where waiting happens (the stability wait heartbeats,
so Temporal can deliver it) instead of being injected at any line.

Every method resolves the account from the worker's configuration first, so an
unknown account fails non-retryably, naming it and the accounts known.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError

from activities.kubernetes import operations
from activities.kubernetes.clients import ClientFactory
from activities.kubernetes.errors import ROLLOUT_FAILED, ROLLOUT_TIMEOUT, translated
from models.config import GennakerConfig
from models.kubernetes import (
    DeleteManifestsRequest,
    DeleteManifestsResult,
    DeployManifestsRequest,
    DeployManifestsResult,
    FindManifestsRequest,
    FindManifestsResult,
    ManifestResult,
    PatchManifestRequest,
    RollBackRequest,
    RolloutHistory,
    ScaleManifestRequest,
    TargetRequest,
    WaitStableRequest,
    WaitStableResult,
)

__all__ = ["KubernetesActivities"]


def _interrupted(what: str) -> None:
    if activity.is_cancelled():
        raise CancelledError(f"{what}: cancelled")
    if activity.is_worker_shutdown():
        raise ApplicationError(f"{what}: worker shutting down", type="WorkerShutdown")


class KubernetesActivities:
    """The Kubernetes activities, bound to the worker's configuration.

    Args:
        config: The worker configuration (Kubernetes accounts: kubeconfig, context, namespaces).
        poll_interval: Seconds between polls while waiting for stability.
    """

    def __init__(self, config: GennakerConfig, *, poll_interval: float = 1.0) -> None:
        self._clients = ClientFactory(config)
        self._poll_interval = poll_interval

    def all(self) -> list[Callable[..., Any]]:
        """Every activity, for ``Worker(activities=...)``."""
        return [
            self.deploy_manifests,
            self.wait_stable,
            self.find_manifests,
            self.delete_manifests,
            self.scale_manifest,
            self.patch_manifest,
            self.rollout_history,
            self.roll_back,
        ]

    @activity.defn(name="kubernetes.deployManifests", no_thread_cancel_exception=True)
    def deploy_manifests(self, request: DeployManifestsRequest) -> DeployManifestsResult:
        """Create or update manifests by name (server-side apply)."""
        names = ", ".join(
            f"{m.get('kind')} {m.get('metadata', {}).get('name')}" for m in request.manifests
        )
        with translated(request.account, f"deploying {names}"):
            return operations.apply(self._clients.for_account(request.account), request)

    @activity.defn(name="kubernetes.waitForStable", no_thread_cancel_exception=True)
    def wait_stable(self, request: WaitStableRequest) -> WaitStableResult:
        """Poll until every object is stable; fail on a failed rollout or at the timeout.

        Heartbeats after every poll with what each object is waiting for.
        """
        what = ", ".join(r.place for r in request.refs)
        with translated(request.account, f"waiting for {what}"):
            client = self._clients.for_account(request.account)
            poll = request.poll_interval_seconds or self._poll_interval
            deadline = time.monotonic() + request.timeout_seconds
            while True:
                statuses = [operations.status(client, ref) for ref in request.refs]
                activity.heartbeat({s.ref.display: s.message for s in statuses})
                failed = [s for s in statuses if s.failed]
                if all(s.stable for s in statuses):
                    return WaitStableResult(statuses=statuses)
                late = time.monotonic() >= deadline
                if failed or late:
                    explained = [
                        operations.status(client, s.ref, explain=True)
                        for s in (failed or statuses)
                        if not s.stable
                    ]
                    detail = "; ".join(
                        f"{s.ref.where(request.account)}: {s.message}" for s in explained
                    )
                    if failed:
                        raise ApplicationError(detail, type=ROLLOUT_FAILED, non_retryable=True)
                    raise ApplicationError(
                        f"not stable after {request.timeout_seconds:g}s: {detail}",
                        type=ROLLOUT_TIMEOUT,
                        non_retryable=True,
                    )
                activity.wait_for_cancelled_sync(max(0.0, min(poll, deadline - time.monotonic())))
                _interrupted(f"waiting for {what}")

    @activity.defn(name="kubernetes.findManifests", no_thread_cancel_exception=True)
    def find_manifests(self, request: FindManifestsRequest) -> FindManifestsResult:
        """Resolve a stage's target selection to objects."""
        target = request.manifest_name or request.cluster or ", ".join(request.kinds) or "manifests"
        where = f" in namespace {request.location!r}" if request.location else ""
        with translated(request.account, f"finding {target}{where}"):
            client = self._clients.for_account(request.account)
            location = request.location or client.default_namespace
            client.check_namespace(location)
            request = request.model_copy(update={"location": location})
            return FindManifestsResult(refs=operations.find(client, request))

    @activity.defn(name="kubernetes.deleteManifests", no_thread_cancel_exception=True)
    def delete_manifests(self, request: DeleteManifestsRequest) -> DeleteManifestsResult:
        """Delete objects (cascading to their dependents unless told not to)."""
        what = ", ".join(r.place for r in request.refs) or "nothing"
        with translated(request.account, f"deleting {what}"):
            return operations.delete(
                self._clients.for_account(request.account),
                request.refs,
                cascading=request.cascading,
                grace_period_seconds=request.grace_period_seconds,
            )

    @activity.defn(name="kubernetes.scaleManifest", no_thread_cancel_exception=True)
    def scale_manifest(self, request: ScaleManifestRequest) -> ManifestResult:
        """Scale an object to ``replicas``."""
        with translated(request.account, f"scaling {request.ref.place}"):
            return operations.scale(
                self._clients.for_account(request.account), request.ref, request.replicas
            )

    @activity.defn(name="kubernetes.patchManifest", no_thread_cancel_exception=True)
    def patch_manifest(self, request: PatchManifestRequest) -> ManifestResult:
        """Patch an object (strategic merge, JSON merge or JSON patch)."""
        with translated(request.account, f"patching {request.ref.place}"):
            return operations.patch(self._clients.for_account(request.account), request)

    @activity.defn(name="kubernetes.rolloutHistory", no_thread_cancel_exception=True)
    def rollout_history(self, request: TargetRequest) -> RolloutHistory:
        """A Deployment's revisions."""
        with translated(request.account, f"reading the history of {request.ref.place}"):
            return operations.history(self._clients.for_account(request.account), request.ref)

    @activity.defn(name="kubernetes.rollBack", no_thread_cancel_exception=True)
    def roll_back(self, request: RollBackRequest) -> ManifestResult:
        """Roll a Deployment back to one of its ReplicaSets' templates."""
        with translated(request.account, f"rolling back {request.ref.place}"):
            return operations.roll_back(
                self._clients.for_account(request.account), request.ref, request.replica_set
            )
