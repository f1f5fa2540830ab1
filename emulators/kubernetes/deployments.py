"""The Deployment controller, ported from Kubernetes' ``pkg/controller/deployment``.

Each sync finds the Deployment's ReplicaSets, makes the new one (template hash,
revision annotation), takes one rolling-update or recreate step, then writes the
status: ``observedGeneration``, replica counts and the ``Available`` and
``Progressing`` conditions, including ``ProgressDeadlineExceeded``. The rolling
arithmetic is the real one (``NewRSNewReplicas``, ``reconcileOldReplicaSets``,
``cleanupUnhealthyReplicas``, ``scaleDownOldReplicaSetsForRollingUpdate``), so
availability never drops below ``replicas - maxUnavailable`` by the controller's
own doing.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from emulators.kubernetes.objects import now_rfc3339, owned_by, parse_time, template_hash
from emulators.kubernetes.resources import ResourceType, by_plural
from emulators.kubernetes.store import Store

__all__ = ["REVISION", "DeploymentController", "max_unavailable", "resolve_fraction"]

REVISION = "deployment.kubernetes.io/revision"
_HASH = "pod-template-hash"

Obj = dict[str, Any]


def _type(plural: str) -> ResourceType:
    found = by_plural("apps", plural)
    assert found is not None
    return found


DEPLOYMENTS, REPLICASETS = _type("deployments"), _type("replicasets")


def resolve_fraction(value: int | str | None, total: int, round_up: bool) -> int:
    """An int-or-percent (``2`` or ``"25%"``) as a count of ``total``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        exact = int(text[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(text)


def _surge_unavailable(d: Obj) -> tuple[int, int]:
    replicas = d["spec"]["replicas"]
    rolling = d["spec"]["strategy"].get("rollingUpdate") or {}
    surge = resolve_fraction(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = resolve_fraction(rolling.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1  # Kubernetes' guard: a rollout must be able to make progress.
    return surge, unavailable


def max_unavailable(d: Obj) -> int:
    """``MaxUnavailable(deployment)``: 0 for Recreate or no replicas, capped at replicas."""
    replicas = d["spec"]["replicas"]
    if d["spec"]["strategy"]["type"] != "RollingUpdate" or replicas == 0:
        return 0
    return min(_surge_unavailable(d)[1], int(replicas))


def _replicas(rss: list[Obj]) -> int:
    return sum(rs["spec"].get("replicas", 0) for rs in rss)


def _status_sum(rss: list[Obj], field: str) -> int:
    return sum((rs.get("status") or {}).get(field, 0) for rs in rss)


def _revision(obj: Obj) -> int:
    return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0") or 0)


def _without_hash(template: Obj) -> Obj:
    copied = copy.deepcopy(template)
    labels = copied.get("metadata", {}).get("labels") or {}
    labels.pop(_HASH, None)
    return copied


def _created(obj: Obj) -> tuple[str, str]:
    return obj["metadata"]["creationTimestamp"], obj["metadata"]["name"]


class DeploymentController:
    """Syncs every Deployment once per call of :meth:`sync_all` (under the store lock).

    Args:
        store: The simulator's store.
        record_event: Records a Kubernetes Event (object, reason, message).
        clock: Wall-clock seconds.
    """

    def __init__(
        self,
        store: Store,
        record_event: Callable[[Obj, str, str], None],
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._event = record_event
        self._clock = clock
        self._progress_at: dict[str, float] = {}

    def sync_all(self) -> None:
        """One step for every Deployment."""
        for d in self._store.list(DEPLOYMENTS):
            self._sync(d)

    # -- replica sets ----------------------------------------------------------------------------

    def _scale(self, d: Obj, rs: Obj, replicas: int) -> bool:
        old = rs["spec"]["replicas"]
        if old == replicas:
            return False
        rs["spec"]["replicas"] = replicas
        annotations = rs["metadata"].setdefault("annotations", {})
        annotations["deployment.kubernetes.io/desired-replicas"] = str(d["spec"]["replicas"])
        self._store.replace(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"], rs)
        direction = "up" if replicas > old else "down"
        self._event(
            d,
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} from {old} to {replicas}",
        )
        return True

    def _new_rs_replicas(self, d: Obj, all_rss: list[Obj], new_replicas: int) -> int:
        """``NewRSNewReplicas``: how far the new ReplicaSet may grow now."""
        replicas = int(d["spec"]["replicas"])
        if d["spec"]["strategy"]["type"] != "RollingUpdate":
            return replicas
        surge, _ = _surge_unavailable(d)
        current = _replicas(all_rss)
        if current >= replicas + surge:
            return new_replicas
        return new_replicas + min(replicas + surge - current, replicas - new_replicas)

    def _create_new_rs(self, d: Obj, old_rss: list[Obj]) -> Obj:
        meta, spec = d["metadata"], d["spec"]
        collisions = (d.get("status") or {}).get("collisionCount", 0)
        pod_hash = template_hash(spec["template"], collisions)
        template = copy.deepcopy(spec["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[_HASH] = pod_hash
        selector = copy.deepcopy(spec["selector"])
        selector.setdefault("matchLabels", {})[_HASH] = pod_hash
        revision = max([_revision(rs) for rs in old_rss] or [0]) + 1
        body = {
            "metadata": {
                "name": f"{meta['name']}-{pod_hash}",
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {
                    REVISION: str(revision),
                    "deployment.kubernetes.io/desired-replicas": str(spec["replicas"]),
                    "deployment.kubernetes.io/max-replicas": str(
                        spec["replicas"]
                        + (
                            _surge_unavailable(d)[0]
                            if spec["strategy"]["type"] == "RollingUpdate"
                            else 0
                        )
                    ),
                },
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": spec.get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        rs = self._store.create(REPLICASETS, meta["namespace"], body)
        self._event(d, "ScalingReplicaSet", f"Created new replica set {rs['metadata']['name']}")
        self._set_progressing(
            d, "True", "NewReplicaSetCreated", f'Created new replica set "{rs["metadata"]["name"]}"'
        )
        return rs

    # -- one sync ----------------------------------------------------------------------------------

    def _sync(self, d: Obj) -> None:
        ns, uid = d["metadata"]["namespace"], d["metadata"]["uid"]
        rss = sorted(
            (rs for rs in self._store.list(REPLICASETS, ns) if owned_by(rs, uid)), key=_created
        )
        template = _without_hash(d["spec"]["template"])
        new_rs = next((rs for rs in rss if _without_hash(rs["spec"]["template"]) == template), None)
        old_rss = [
            rs for rs in rss if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]
        ]
        paused = bool(d["spec"].get("paused"))
        stored = copy.deepcopy(d.setdefault("status", {}))
        if new_rs is None and not paused:
            new_rs = self._create_new_rs(d, old_rss)
        elif new_rs is not None:
            newest_old = max([_revision(rs) for rs in old_rss] or [0])
            if _revision(new_rs) <= newest_old:
                # A rollback: the old ReplicaSet becomes the newest revision again.
                new_rs["metadata"]["annotations"][REVISION] = str(newest_old + 1)
                new_rs = self._store.replace(REPLICASETS, ns, new_rs["metadata"]["name"], new_rs)
        if new_rs is not None:
            revision = str(_revision(new_rs))
            annotations = d["metadata"].setdefault("annotations", {})
            if annotations.get(REVISION) != revision:
                annotations[REVISION] = revision
                conditions = d["status"].get("conditions")
                d = self._store.replace(DEPLOYMENTS, ns, d["metadata"]["name"], d)
                # Keep the conditions set during this sync; status is written at the end.
                d.setdefault("status", {})["conditions"] = conditions
        if not paused and new_rs is not None:
            if d["spec"]["strategy"]["type"] == "Recreate":
                self._recreate(d, new_rs, old_rss)
            elif (
                not self._reconcile_new(d, new_rs, [*old_rss, new_rs])
                and not self._reconcile_old(d, new_rs, old_rss)
                and self._complete(d, stored)
            ):
                self._cleanup(d, old_rss)
        self._write_status(d, new_rs, old_rss, stored)

    def _reconcile_new(self, d: Obj, new_rs: Obj, all_rss: list[Obj]) -> bool:
        replicas = d["spec"]["replicas"]
        current = new_rs["spec"]["replicas"]
        if current == replicas:
            return False
        if current > replicas:
            return self._scale(d, new_rs, replicas)
        return self._scale(d, new_rs, self._new_rs_replicas(d, all_rss, current))

    def _reconcile_old(self, d: Obj, new_rs: Obj, old_rss: list[Obj]) -> bool:
        if _replicas(old_rss) == 0:
            return False
        all_count = _replicas([*old_rss, new_rs])
        min_available = d["spec"]["replicas"] - max_unavailable(d)
        new_unavailable = new_rs["spec"]["replicas"] - _status_sum([new_rs], "availableReplicas")
        max_scaled_down = all_count - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        changed = False
        # Unhealthy old replicas go first: removing them costs no availability.
        cleaned = 0
        for rs in old_rss:
            if cleaned >= max_scaled_down:
                break
            unhealthy = rs["spec"]["replicas"] - _status_sum([rs], "availableReplicas")
            if rs["spec"]["replicas"] == 0 or unhealthy <= 0:
                continue
            count = min(max_scaled_down - cleaned, rs["spec"]["replicas"], unhealthy)
            changed |= self._scale(d, rs, rs["spec"]["replicas"] - count)
            cleaned += count
        available = _status_sum([*old_rss, new_rs], "availableReplicas")
        if available > min_available:
            to_scale_down = available - min_available
            scaled = 0
            for rs in old_rss:
                if scaled >= to_scale_down:
                    break
                if rs["spec"]["replicas"] == 0:
                    continue
                count = min(rs["spec"]["replicas"], to_scale_down - scaled)
                changed |= self._scale(d, rs, rs["spec"]["replicas"] - count)
                scaled += count
        return changed

    def _recreate(self, d: Obj, new_rs: Obj, old_rss: list[Obj]) -> None:
        scaled = False
        for rs in old_rss:
            scaled |= self._scale(d, rs, 0)
        if scaled or any(_status_sum([rs], "replicas") for rs in old_rss):
            return
        self._scale(d, new_rs, d["spec"]["replicas"])

    def _cleanup(self, d: Obj, old_rss: list[Obj]) -> None:
        limit = d["spec"].get("revisionHistoryLimit", 10)
        idle = [
            rs
            for rs in old_rss
            if rs["spec"]["replicas"] == 0 and not _status_sum([rs], "replicas")
        ]
        for rs in sorted(idle, key=_revision)[: max(0, len(idle) - limit)]:
            self._store.delete(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])

    # -- status ------------------------------------------------------------------------------------

    @staticmethod
    def _complete(d: Obj, status: Obj) -> bool:
        """``DeploymentComplete``: every replica updated and available, generation observed."""
        replicas = d["spec"]["replicas"]
        return bool(
            status.get("updatedReplicas") == replicas
            and status.get("replicas") == replicas
            and status.get("availableReplicas", 0) == replicas
            and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1)
        )

    def _set_progressing(self, d: Obj, status: str, reason: str, message: str) -> None:
        conditions = d.setdefault("status", {}).setdefault("conditions", [])
        current = next((c for c in conditions if c["type"] == "Progressing"), None)
        now = self._clock()
        condition = {
            "type": "Progressing",
            "status": status,
            "lastUpdateTime": now_rfc3339(now),
            "lastTransitionTime": now_rfc3339(now),
            "reason": reason,
            "message": message,
        }
        if current is not None and current["status"] == status:
            condition["lastTransitionTime"] = current["lastTransitionTime"]
        conditions[:] = [c for c in conditions if c["type"] != "Progressing"] + [condition]
        self._progress_at[d["metadata"]["uid"]] = now

    def _write_status(self, d: Obj, new_rs: Obj | None, old_rss: list[Obj], old: Obj) -> None:
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        all_rss = [*old_rss, *([new_rs] if new_rs else [])]
        replicas = d["spec"]["replicas"]
        available = _status_sum(all_rss, "availableReplicas")
        total = _status_sum(all_rss, "replicas")
        status: Obj = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": total,
            "updatedReplicas": _status_sum([new_rs], "replicas") if new_rs else 0,
            "readyReplicas": _status_sum(all_rss, "readyReplicas"),
            "availableReplicas": available,
            "unavailableReplicas": max(0, replicas - available),
            "conditions": copy.deepcopy(d["status"].get("conditions") or []),
        }
        if old.get("collisionCount"):
            status["collisionCount"] = old["collisionCount"]
        minimum = available >= replicas - max_unavailable(d)
        self._set_condition(
            status,
            "Available",
            "True" if minimum else "False",
            "MinimumReplicasAvailable" if minimum else "MinimumReplicasUnavailable",
            "Deployment has minimum availability."
            if minimum
            else "Deployment does not have minimum availability.",
        )
        probe = {**d, "status": status}
        progressing = next((c for c in status["conditions"] if c["type"] == "Progressing"), None)
        rs_name = new_rs["metadata"]["name"] if new_rs else name
        if d["spec"].get("paused"):
            if progressing is None or progressing["reason"] != "DeploymentPaused":
                self._set_progressing(probe, "Unknown", "DeploymentPaused", "Deployment is paused")
        elif progressing is not None and progressing["reason"] == "DeploymentPaused":
            self._set_progressing(probe, "Unknown", "DeploymentResumed", "Deployment is resumed")
        elif not (
            status["replicas"] == status["updatedReplicas"]
            and progressing is not None
            and progressing["reason"] == "NewReplicaSetAvailable"
        ):
            if new_rs is not None and self._complete(d, status):
                self._set_progressing(
                    probe,
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{rs_name}" has successfully progressed.',
                )
            elif self._progressed(old, status):
                self._set_progressing(
                    probe, "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'
                )
            elif (
                self._timed_out(d, progressing)
                and progressing is not None
                and (progressing["reason"] != "ProgressDeadlineExceeded")
            ):
                self._set_progressing(
                    probe,
                    "False",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs_name}" has timed out progressing.',
                )
        if status != old:
            self._store.replace(
                DEPLOYMENTS, ns, name, {**d, "status": status}, subresource="status"
            )

    @staticmethod
    def _set_condition(status: Obj, kind: str, value: str, reason: str, message: str) -> None:
        conditions = status["conditions"]
        current = next((c for c in conditions if c["type"] == kind), None)
        if current is not None and current["status"] == value and current["reason"] == reason:
            return
        now = now_rfc3339()
        condition = {
            "type": kind,
            "status": value,
            "lastUpdateTime": now,
            "lastTransitionTime": current["lastTransitionTime"]
            if current is not None and current["status"] == value
            else now,
            "reason": reason,
            "message": message,
        }
        conditions[:] = [c for c in conditions if c["type"] != kind] + [condition]

    @staticmethod
    def _progressed(old: Obj, new: Obj) -> bool:
        """``DeploymentProgressing``: more updated, fewer old, more ready or more available."""
        old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
        new_old = new["replicas"] - new["updatedReplicas"]
        return bool(
            new["updatedReplicas"] > old.get("updatedReplicas", 0)
            or new_old < old_old
            or new["readyReplicas"] > old.get("readyReplicas", 0)
            or new["availableReplicas"] > old.get("availableReplicas", 0)
        )

    def _timed_out(self, d: Obj, progressing: Obj | None) -> bool:
        deadline = d["spec"].get("progressDeadlineSeconds")
        if deadline is None or progressing is None:
            return False
        if progressing["reason"] == "NewReplicaSetAvailable":
            return False
        if progressing["reason"] == "ProgressDeadlineExceeded":
            return True
        since = self._progress_at.get(d["metadata"]["uid"]) or parse_time(
            progressing["lastUpdateTime"]
        )
        return self._clock() > since + float(deadline)
