"""ReplicaSet controller, fake kubelet, Endpoints controller and the Event recorder.

The kubelet is where time passes: a new Pod is Pending (``ContainerCreating``)
and becomes Running and Ready ``pod_ready_seconds`` after the kubelet first
sees it, unless one of its images matches ``bad_image``, in which case it stays
Pending in ``ImagePullBackOff`` for ever, as a pod with an image that cannot be
pulled does.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import deque
from collections.abc import Callable
from typing import Any

from emulators.kubernetes.objects import matches_selector, now_rfc3339, owned_by, parse_time
from emulators.kubernetes.resources import ResourceType, by_plural
from emulators.kubernetes.store import Store

__all__ = ["EndpointsController", "EventRecorder", "Kubelet", "ReplicaSetController"]

Obj = dict[str, Any]
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_MANAGED = "endpoints.gennaker.io/simulated"


def _type(group: str, plural: str) -> ResourceType:
    found = by_plural(group, plural)
    assert found is not None
    return found


PODS, SERVICES, ENDPOINTS, EVENTS = (
    _type("", "pods"),
    _type("", "services"),
    _type("", "endpoints"),
    _type("", "events"),
)
REPLICASETS = _type("apps", "replicasets")


def _ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


class EventRecorder:
    """Records core/v1 Events about objects, keeping the newest ``limit`` of them."""

    def __init__(self, store: Store, limit: int = 500) -> None:
        self._store = store
        self._limit = limit
        self._recorded: deque[tuple[str, str]] = deque()

    def __call__(
        self, obj: Obj, reason: str, message: str, component: str = "deployment-controller"
    ) -> None:
        meta = obj["metadata"]
        now = now_rfc3339()
        event = self._store.create(
            EVENTS,
            meta["namespace"],
            {
                "metadata": {"name": f"{meta['name']}.{random.getrandbits(64):016x}"},
                "involvedObject": {
                    "apiVersion": obj.get("apiVersion"),
                    "kind": obj.get("kind"),
                    "name": meta["name"],
                    "namespace": meta["namespace"],
                    "uid": meta["uid"],
                    "resourceVersion": meta.get("resourceVersion"),
                },
                "reason": reason,
                "message": message,
                "type": "Normal",
                "source": {"component": component},
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
                "reportingComponent": component,
                "reportingInstance": "",
            },
        )
        self._recorded.append((meta["namespace"], event["metadata"]["name"]))
        while len(self._recorded) > self._limit:
            namespace, name = self._recorded.popleft()
            if self._store.find(EVENTS, namespace, name) is not None:
                self._store.delete(EVENTS, namespace, name)


class ReplicaSetController:
    """Creates and deletes a ReplicaSet's Pods, and writes its status."""

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    def sync_all(self) -> None:
        """One step for every ReplicaSet."""
        pods_by_ns: dict[str, list[Obj]] = {}
        for rs in self._store.list(REPLICASETS):
            ns = rs["metadata"]["namespace"]
            if ns not in pods_by_ns:
                pods_by_ns[ns] = self._store.list(PODS, ns)
            pods = [p for p in pods_by_ns[ns] if owned_by(p, rs["metadata"]["uid"])]
            self._sync(rs, pods)

    def _sync(self, rs: Obj, pods: list[Obj]) -> None:
        ns, name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        wanted = rs["spec"].get("replicas", 1)
        if len(pods) < wanted:
            for _ in range(wanted - len(pods)):
                pods.append(self._create_pod(rs))
        elif len(pods) > wanted:
            # Kubernetes' ActivePods order: not ready first, then not running, then the newest.
            doomed = sorted(
                pods,
                key=lambda p: (
                    _ready(p),
                    (p.get("status") or {}).get("phase") == "Running",
                    -parse_time(p["metadata"]["creationTimestamp"]),
                ),
            )
            for pod in doomed[: len(pods) - wanted]:
                self._store.delete(PODS, ns, pod["metadata"]["name"])
                pods.remove(pod)
        min_ready = rs["spec"].get("minReadySeconds", 0) or 0
        now = self._clock()
        ready = [p for p in pods if _ready(p)]
        available = [
            p for p in ready if min_ready == 0 or now - parse_time(_ready_since(p)) >= min_ready
        ]
        status: Obj = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": len(ready),
            "availableReplicas": len(available),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if status != rs.get("status"):
            self._store.replace(
                REPLICASETS, ns, name, {**rs, "status": status}, subresource="status"
            )

    def _create_pod(self, rs: Obj) -> Obj:
        template = rs["spec"]["template"]
        meta = rs["metadata"]
        suffix = "".join(random.choice(_SAFE) for _ in range(5))
        return self._store.create(
            PODS,
            meta["namespace"],
            {
                "metadata": {
                    "name": f"{meta['name']}-{suffix}",
                    "labels": dict(template.get("metadata", {}).get("labels") or {}),
                    "annotations": dict(template.get("metadata", {}).get("annotations") or {}),
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "ReplicaSet",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "spec": {
                    **template["spec"],
                    "nodeName": "gennaker-sim-node",
                    "serviceAccountName": template["spec"].get("serviceAccountName", "default"),
                },
            },
        )


def _ready_since(pod: Obj) -> str | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition["type"] == "Ready":
            return str(condition.get("lastTransitionTime"))
    return None


class Kubelet:
    """Moves Pods from Pending to Running and Ready, or into ImagePullBackOff.

    Args:
        store: The simulator's store.
        clock: Wall-clock seconds.
        ready_seconds: How long a Pod takes to become Ready.
        bad_image: Images matching this regular expression cannot be pulled.
    """

    def __init__(
        self, store: Store, clock: Callable[[], float], ready_seconds: float, bad_image: str | None
    ) -> None:
        self._store = store
        self._clock = clock
        self._ready_seconds = ready_seconds
        self._bad = re.compile(bad_image) if bad_image else None
        self._seen: dict[str, float] = {}
        self._ips = 0

    def sync_all(self) -> None:
        """Advance every Pod that is not Running yet."""
        live = set()
        for pod in self._store.list(PODS):
            uid = pod["metadata"]["uid"]
            live.add(uid)
            if (pod.get("status") or {}).get("phase") == "Running":
                continue
            first = self._seen.setdefault(uid, self._clock())
            status = self._status(pod, first)
            if status != pod.get("status"):
                meta = pod["metadata"]
                self._store.replace(
                    PODS,
                    meta["namespace"],
                    meta["name"],
                    {**pod, "status": status},
                    subresource="status",
                )
        self._seen = {uid: t for uid, t in self._seen.items() if uid in live}

    def _status(self, pod: Obj, first_seen: float) -> Obj:
        old = pod.get("status") or {}
        started = old.get("startTime") or now_rfc3339(first_seen)
        if not old.get("podIP"):
            self._ips += 1
        pod_ip = old.get("podIP") or f"10.244.{self._ips // 250}.{self._ips % 250 + 1}"
        containers = pod["spec"].get("containers") or []
        bad = [
            c
            for c in containers
            if self._bad is not None and self._bad.search(str(c.get("image", "")))
        ]
        running = not bad and self._clock() - first_seen >= self._ready_seconds
        now = now_rfc3339()
        statuses = []
        for container in containers:
            image = str(container.get("image", ""))
            if running:
                digest = hashlib.sha256(image.encode()).hexdigest()
                state: Obj = {"running": {"startedAt": now}}
                image_id = f"docker.io/{image.split(':', maxsplit=1)[0]}@sha256:{digest}"
                container_id = f"containerd://{hashlib.sha256((pod['metadata']['uid'] + container['name']).encode()).hexdigest()}"
            elif container in bad:
                state = {
                    "waiting": {
                        "reason": "ImagePullBackOff",
                        "message": f'Back-off pulling image "{image}"',
                    }
                }
                image_id, container_id = "", None
            else:
                state = {"waiting": {"reason": "ContainerCreating"}}
                image_id, container_id = "", None
            statuses.append(
                {
                    "name": container["name"],
                    "image": image,
                    "imageID": image_id,
                    "ready": running,
                    "started": running,
                    "restartCount": 0,
                    "state": state,
                    "lastState": {},
                    **({"containerID": container_id} if container_id else {}),
                }
            )

        def condition(kind: str, ok: bool, reason: str | None = None) -> Obj:
            previous = next((c for c in old.get("conditions") or [] if c["type"] == kind), None)
            value = "True" if ok else "False"
            changed_at = (
                previous["lastTransitionTime"] if previous and previous["status"] == value else now
            )
            result: Obj = {
                "type": kind,
                "status": value,
                "lastProbeTime": None,
                "lastTransitionTime": changed_at,
            }
            if not ok and reason:
                result.update(
                    reason=reason,
                    message=f"containers with unready status: [{', '.join(c['name'] for c in containers)}]",
                )
            return result

        return {
            "phase": "Running" if running else "Pending",
            "conditions": [
                condition("PodScheduled", True),
                condition("Initialized", True),
                condition("ContainersReady", running, "ContainersNotReady"),
                condition("Ready", running, "ContainersNotReady"),
            ],
            "hostIP": "10.0.0.10",
            "hostIPs": [{"ip": "10.0.0.10"}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": started,
            "containerStatuses": statuses,
            "qosClass": "BestEffort",
        }


class EndpointsController:
    """Keeps an Endpoints object per Service with a selector: ready and not-ready Pod IPs."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def sync_all(self) -> None:
        """Write every Service's Endpoints; delete those whose Service is gone."""
        services = {
            (s["metadata"]["namespace"], s["metadata"]["name"]): s
            for s in self._store.list(SERVICES)
        }
        for service in services.values():
            selector = (service.get("spec") or {}).get("selector")
            if selector:
                self._sync(service, selector)
        for endpoints in self._store.list(ENDPOINTS):
            meta = endpoints["metadata"]
            if (meta.get("labels") or {}).get(_MANAGED) and (
                meta["namespace"],
                meta["name"],
            ) not in services:
                self._store.delete(ENDPOINTS, meta["namespace"], meta["name"])

    def _sync(self, service: Obj, selector: dict[str, str]) -> None:
        ns, name = service["metadata"]["namespace"], service["metadata"]["name"]
        pods = [
            p
            for p in self._store.list(PODS, ns)
            if matches_selector({"matchLabels": selector}, p["metadata"].get("labels") or {})
            and (p.get("status") or {}).get("podIP")
        ]

        def address(pod: Obj) -> Obj:
            meta = pod["metadata"]
            return {
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"].get("nodeName"),
                "targetRef": {
                    "kind": "Pod",
                    "name": meta["name"],
                    "namespace": ns,
                    "uid": meta["uid"],
                },
            }

        ports = []
        for port in service["spec"].get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, str) and not target.isdigit():
                target = next(
                    (
                        cp["containerPort"]
                        for p in pods
                        for c in p["spec"].get("containers") or []
                        for cp in c.get("ports") or []
                        if cp.get("name") == target
                    ),
                    port.get("port"),
                )
            ports.append(
                {
                    "name": port.get("name"),
                    "port": int(target),
                    "protocol": port.get("protocol", "TCP"),
                }
            )
        ready = [address(p) for p in pods if _ready(p)]
        not_ready = [address(p) for p in pods if not _ready(p)]
        subset: Obj = {"ports": ports}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        body: Obj = {
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": {**(service["metadata"].get("labels") or {}), _MANAGED: "true"},
            },
            "subsets": [subset] if pods else [],
        }
        current = self._store.find(ENDPOINTS, ns, name)
        if current is None:
            self._store.create(ENDPOINTS, ns, body)
        elif (
            current.get("subsets") != body["subsets"]
            or current["metadata"].get("labels") != body["metadata"]["labels"]
        ):
            self._store.replace(
                ENDPOINTS,
                ns,
                name,
                {
                    **current,
                    "subsets": body["subsets"],
                    "metadata": {**current["metadata"], "labels": body["metadata"]["labels"]},
                },
            )
