"""Is a Kubernetes object stable? (pure; the checks of ``kubectl rollout status``)

A Deployment is stable when the controller has seen its latest spec
(``observedGeneration``) and every replica is updated, the old ones are gone,
and all are available; it has failed when its ``Progressing`` condition says
``ProgressDeadlineExceeded``. ReplicaSets and Pods have their own checks; kinds
without a rollout (ConfigMap, Service, custom resources) are stable at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["StabilityCheck", "pod_problems", "stability"]

StabilityCheck = tuple[bool, bool, str]
"""(stable, failed, message)."""


def _condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == kind:
            return condition  # type: ignore[no-any-return]
    return None


def _deployment(obj: Mapping[str, Any]) -> StabilityCheck:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    name = obj.get("metadata", {}).get("name", "")
    desired = spec.get("replicas", 1)
    if spec.get("paused"):
        return False, False, f'deployment "{name}" is paused'
    if status.get("observedGeneration", 0) < obj.get("metadata", {}).get("generation", 1):
        return False, False, "waiting for the deployment spec update to be observed"
    progressing = _condition(status, "Progressing")
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        return (
            False,
            True,
            f'deployment "{name}" exceeded its progress deadline: {progressing.get("message", "")}',
        )
    updated = status.get("updatedReplicas", 0)
    if updated < desired:
        return (
            False,
            False,
            f"waiting for rollout to finish: {updated} of {desired} new replicas have been updated",
        )
    total = status.get("replicas", 0)
    if total > updated:
        return (
            False,
            False,
            f"waiting for rollout to finish: {total - updated} old replicas are pending termination",
        )
    available = status.get("availableReplicas", 0)
    if available < updated:
        return (
            False,
            False,
            f"waiting for rollout to finish: {available} of {updated} updated replicas are available",
        )
    return True, False, f'deployment "{name}" successfully rolled out'


def _replica_set(obj: Mapping[str, Any]) -> StabilityCheck:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    desired = spec.get("replicas", 1)
    if status.get("observedGeneration", 0) < obj.get("metadata", {}).get("generation", 1):
        return False, False, "waiting for the replica set spec update to be observed"
    for field, what in (
        ("replicas", "created"),
        ("readyReplicas", "ready"),
        ("availableReplicas", "available"),
    ):
        if status.get(field, 0) < desired:
            return False, False, f"waiting for replicas: {status.get(field, 0)} of {desired} {what}"
    return True, False, "all replicas are available"


def pod_problems(pod: Mapping[str, Any]) -> list[str]:
    """Why a pod's containers are not running (``ImagePullBackOff: Back-off pulling image ...``)."""
    problems = []
    for container in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            detail = f": {waiting['message']}" if waiting.get("message") else ""
            problems.append(f"{container.get('name')}: {waiting['reason']}{detail}")
    return problems


def _pod(obj: Mapping[str, Any]) -> StabilityCheck:
    status = obj.get("status") or {}
    phase = status.get("phase", "Pending")
    if phase == "Succeeded":
        return True, False, "pod succeeded"
    if phase == "Failed":
        return (
            False,
            True,
            f"pod failed: {status.get('message') or status.get('reason') or ''}".strip(),
        )
    ready = _condition(status, "Ready")
    if phase == "Running" and ready is not None and ready.get("status") == "True":
        return True, False, "pod is running and ready"
    problems = pod_problems(obj)
    return False, False, f"pod is {phase}" + (f" ({'; '.join(problems)})" if problems else "")


def stability(obj: Mapping[str, Any]) -> StabilityCheck:
    """Whether ``obj`` (as the API server answers it) is stable, failed, and what it is doing."""
    kind = obj.get("kind")
    if kind == "Deployment":
        return _deployment(obj)
    if kind == "ReplicaSet":
        return _replica_set(obj)
    if kind == "Pod":
        return _pod(obj)
    return True, False, f"{kind} has no rollout to wait for"
