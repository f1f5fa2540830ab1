"""The simulator's state: objects, a resourceVersion counter, and a bounded event log.

Everything happens under one re-entrant lock; watchers wait on a condition of
that lock and read the event log from their resourceVersion. Reads hand out
deep copies, so callers may change what they got and write it back.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from emulators.kubernetes.objects import (
    ApiError,
    apply_defaults,
    now_rfc3339,
    owned_by,
    validate,
)
from emulators.kubernetes.resources import RESOURCES, ResourceType

__all__ = ["Store", "WatchEvent"]

_SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_NAMESPACES = RESOURCES[0]
assert _NAMESPACES.plural == "namespaces"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change, as watchers see it."""

    resource_version: int
    type: str  # ADDED, MODIFIED, DELETED
    resource: ResourceType
    object: dict[str, Any]


def _details(rtype: ResourceType, name: str) -> dict[str, Any]:
    return {"name": name, "group": rtype.group, "kind": rtype.plural}


def _qualified(rtype: ResourceType) -> str:
    return f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural


def not_found(rtype: ResourceType, name: str) -> ApiError:
    """The 404 the API server answers for a missing object."""
    return ApiError(
        404, "NotFound", f'{_qualified(rtype)} "{name}" not found', _details(rtype, name)
    )


class Store:
    """Objects by (resource type, namespace, name), with a global resourceVersion.

    Args:
        history: How many events the watch log keeps; older resourceVersions get 410 Gone.
    """

    def __init__(self, history: int = 5000) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objects: dict[tuple[ResourceType, str, str], dict[str, Any]] = {}
        self._rv = 0
        self._log: deque[WatchEvent] = deque(maxlen=history)
        self._ips = itertools.count(1)
        for name in _SYSTEM_NAMESPACES:
            self.create(_NAMESPACES, "", {"metadata": {"name": name}})

    # -- reads ----------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion."""
        return self._rv

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        """A copy of one object; 404 when missing."""
        with self.lock:
            obj = self._objects.get((rtype, namespace if rtype.namespaced else "", name))
            if obj is None:
                raise not_found(rtype, name)
            return copy.deepcopy(obj)

    def find(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        """A copy of one object, or None."""
        try:
            return self.get(rtype, namespace, name)
        except ApiError:
            return None

    def list(
        self,
        rtype: ResourceType,
        namespace: str | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Copies of the objects of one type (in one namespace, matching ``where``), by name."""
        with self.lock:
            found = [
                copy.deepcopy(obj)
                for (kind, ns, _), obj in sorted(self._objects.items(), key=lambda kv: kv[0][1:])
                if kind == rtype
                and (namespace is None or ns == namespace)
                and (where is None or where(obj))
            ]
            return found

    def events_since(self, resource_version: int) -> Iterator[WatchEvent]:
        """Events after ``resource_version``; 410 Gone if the log no longer reaches back."""
        with self.lock:
            if self._log and resource_version < self._log[0].resource_version - 1:
                raise ApiError(
                    410, "Expired", f"too old resource version: {resource_version} ({self._rv})"
                )
            return iter([e for e in self._log if e.resource_version > resource_version])

    # -- writes ---------------------------------------------------------------------------------

    def _record(self, rtype: ResourceType, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        self._log.append(WatchEvent(self._rv, kind, rtype, copy.deepcopy(obj)))
        self.changed.notify_all()
        return copy.deepcopy(obj)

    def _next_ip(self) -> str:
        n = next(self._ips)
        return f"10.96.{n // 250}.{n % 250 + 1}"

    def _check_namespace(self, rtype: ResourceType, namespace: str) -> None:
        if rtype.namespaced and (_NAMESPACES, "", namespace) not in self._objects:
            raise not_found(_NAMESPACES, namespace)

    def create(
        self, rtype: ResourceType, namespace: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create an object; 409 AlreadyExists when the name is taken."""
        obj = copy.deepcopy(dict(body))
        meta = obj.setdefault("metadata", {})
        with self.lock:
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            name = str(meta.get("name") or "")
            if rtype.namespaced:
                if meta.get("namespace") not in (None, "", namespace):
                    raise ApiError(
                        400,
                        "BadRequest",
                        "the namespace of the provided object does not match the namespace "
                        "sent on the request",
                    )
                meta["namespace"] = namespace
                self._check_namespace(rtype, namespace)
            else:
                meta.pop("namespace", None)
            key = (rtype, namespace if rtype.namespaced else "", name)
            obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
            validate(rtype.kind, rtype.group, obj, None)
            if key in self._objects:
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{_qualified(rtype)} "{name}" already exists',
                    _details(rtype, name),
                )
            if rtype.has_status and rtype.kind not in ("Namespace", "Service"):
                obj["status"] = {}  # status is the controllers' to write
            apply_defaults(rtype.kind, obj, self._next_ip)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            if "spec" in obj and rtype.kind not in ("Namespace", "Service"):
                meta["generation"] = 1
            for field in ("resourceVersion", "deletionTimestamp"):
                meta.pop(field, None)
            self._objects[key] = obj
            return self._record(rtype, "ADDED", obj)

    def replace(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        body: Mapping[str, Any],
        *,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        """Replace an object (PUT), or only its status (``subresource="status"``).

        Writes to the main endpoint keep the stored status of types with a status
        subresource; status writes keep everything but the status. A write that
        changes nothing keeps the resourceVersion. ``generation`` counts spec changes.
        """
        with self.lock:
            key = (rtype, namespace if rtype.namespaced else "", name)
            old = self._objects.get(key)
            if old is None:
                raise not_found(rtype, name)
            new = copy.deepcopy(dict(body))
            meta = new.setdefault("metadata", {})
            expected = meta.get("resourceVersion")
            if expected and expected != old["metadata"]["resourceVersion"]:
                raise ApiError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {_qualified(rtype)} "{name}": the object '
                    "has been modified; please apply your changes to the latest version and try again",
                    _details(rtype, name),
                )
            if meta.get("name") not in (None, name):
                raise ApiError(400, "BadRequest", "the name of the object does not match the URL")
            if subresource == "status":
                status = new.get("status")
                new = copy.deepcopy(old)
                new["status"] = status
            else:
                for field in ("uid", "creationTimestamp", "generation", "deletionTimestamp"):
                    if field in old["metadata"]:
                        meta[field] = old["metadata"][field]
                meta["name"] = name
                if rtype.namespaced:
                    meta["namespace"] = namespace
                new["apiVersion"], new["kind"] = rtype.api_version, rtype.kind
                if rtype.has_status:
                    new["status"] = copy.deepcopy(old.get("status"))
                    if new["status"] is None:
                        new.pop("status")
                validate(rtype.kind, rtype.group, new, old)
                if rtype.kind == "Service" and isinstance(new.get("spec"), dict):
                    new["spec"].setdefault("clusterIP", old.get("spec", {}).get("clusterIP"))
                apply_defaults(rtype.kind, new, self._next_ip)
                if "generation" in meta and new.get("spec") != old.get("spec"):
                    meta["generation"] = int(meta["generation"]) + 1
            meta["resourceVersion"] = old["metadata"]["resourceVersion"]
            if new == old:
                return copy.deepcopy(old)
            self._objects[key] = new
            return self._record(rtype, "MODIFIED", new)

    def delete(
        self, rtype: ResourceType, namespace: str, name: str, propagation: str = "Background"
    ) -> dict[str, Any]:
        """Delete an object; its dependents too unless ``propagation`` is ``Orphan``.

        Dependents (objects whose ownerReferences name the deleted uid) are deleted
        at once for both ``Background`` and ``Foreground``: the simulator has no
        separate garbage collector. Deleting a namespace deletes what it holds.
        """
        with self.lock:
            key = (rtype, namespace if rtype.namespaced else "", name)
            obj = self._objects.pop(key, None)
            if obj is None:
                raise not_found(rtype, name)
            uid = obj["metadata"]["uid"]
            obj["metadata"]["deletionTimestamp"] = now_rfc3339()
            deleted = self._record(rtype, "DELETED", obj)
            for (kind, ns, other), dependent in list(self._objects.items()):
                if rtype.kind == "Namespace" and kind.namespaced and ns == name:
                    self.delete(kind, ns, other)
                elif owned_by(dependent, uid):
                    if propagation == "Orphan":
                        refs = dependent["metadata"]["ownerReferences"]
                        dependent["metadata"]["ownerReferences"] = [
                            r for r in refs if r.get("uid") != uid
                        ]
                        self._record(kind, "MODIFIED", dependent)
                    elif (kind, ns, other) in self._objects:
                        self.delete(kind, ns, other, propagation)
            return deleted

    def wait(self, timeout: float) -> None:
        """Block until something changes or ``timeout`` seconds pass (hold no lock)."""
        with self.changed:
            self.changed.wait(timeout)

    @staticmethod
    def resource_types() -> tuple[ResourceType, ...]:
        """Every served type."""
        return RESOURCES

    @staticmethod
    def clock() -> float:
        """Wall-clock seconds (one place, so controllers agree)."""
        return time.time()
