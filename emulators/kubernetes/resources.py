"""The resource table of the simulated API server, and its discovery documents.

One row per resource type the simulator serves. Discovery (``/api``, ``/apis``,
``/api/v1``, ``/apis/<group>/<version>``) is generated from the table, so the
official client's ``DynamicClient`` and ``kubectl`` find every kind here and
nothing else. The Istio types are served as if their CRDs were installed: the
Spinnaker pipelines Gennaker loads route canary traffic with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RESOURCES", "ResourceType", "by_kind", "by_plural", "discovery"]

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One served resource type.

    Attributes:
        group: API group; ``""`` for the core group.
        version: API version within the group.
        plural: The URL name (``deployments``).
        kind: The object kind (``Deployment``).
        namespaced: Whether objects live in a namespace.
        short_names: ``kubectl`` short names.
        subresources: Served subresources (``status``, ``scale``, ``log``).
    """

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """``apps/v1``, or ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def has_status(self) -> bool:
        """Whether status is written only through ``/status``."""
        return "status" in self.subresources


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "namespaces", "Namespace", False, ("ns",), ("status",)),
    ResourceType("", "v1", "pods", "Pod", True, ("po",), ("status", "log")),
    ResourceType("", "v1", "services", "Service", True, ("svc",), ("status",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    ResourceType("", "v1", "secrets", "Secret", True),
    ResourceType("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    ResourceType("", "v1", "events", "Event", True, ("ev",)),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    ResourceType("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("status", "scale")),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("status", "scale")),
    ResourceType(
        "networking.istio.io", "v1alpha3", "virtualservices", "VirtualService", True, ("vs",)
    ),
    ResourceType(
        "networking.istio.io", "v1alpha3", "destinationrules", "DestinationRule", True, ("dr",)
    ),
)

_BY_PLURAL = {(r.group, r.plural): r for r in RESOURCES}
_BY_KIND = {(r.api_version, r.kind): r for r in RESOURCES}


def by_plural(group: str, plural: str) -> ResourceType | None:
    """The resource type served at ``group``/``plural``, if any."""
    return _BY_PLURAL.get((group, plural))


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    """The resource type of ``apiVersion``/``kind``, if served."""
    return _BY_KIND.get((api_version, kind))


def _resource_entry(r: ResourceType) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {
            "name": r.plural,
            "singularName": r.kind.lower(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": _VERBS,
            **({"shortNames": list(r.short_names)} if r.short_names else {}),
        }
    ]
    for sub in r.subresources:
        entry: dict[str, Any] = {
            "name": f"{r.plural}/{sub}",
            "singularName": "",
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": ["get", "patch", "update"],
        }
        if sub == "scale":
            entry.update(kind="Scale", group="autoscaling", version="v1")
        elif sub == "log":
            entry.update(kind="Pod", verbs=["get"])
        entries.append(entry)
    return entries


def discovery(path: str, server_address: str) -> dict[str, Any] | None:
    """The discovery document at ``path``, or None when ``path`` is not a discovery path."""
    if path == "/version":
        return {
            "major": "1",
            "minor": "30",
            "gitVersion": "v1.30.0-gennaker-simulator",
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2024-01-01T00:00:00Z",
            "goVersion": "go1.22.0",
            "compiler": "gc",
            "platform": "linux/amd64",
        }
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
            ],
        }
    groups: dict[str, list[str]] = {}
    for r in RESOURCES:
        if r.group and r.version not in groups.setdefault(r.group, []):
            groups[r.group].append(r.version)
    if path == "/apis":
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": name,
                    "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
                    "preferredVersion": {
                        "groupVersion": f"{name}/{versions[0]}",
                        "version": versions[0],
                    },
                }
                for name, versions in groups.items()
            ],
        }
    parts = path.strip("/").split("/")
    if parts[0] == "apis" and len(parts) == 2 and parts[1] in groups:
        versions = groups[parts[1]]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": parts[1],
            "versions": [{"groupVersion": f"{parts[1]}/{v}", "version": v} for v in versions],
            "preferredVersion": {
                "groupVersion": f"{parts[1]}/{versions[0]}",
                "version": versions[0],
            },
        }
    if path == "/api/v1":
        group, version = "", "v1"
    elif parts[0] == "apis" and len(parts) == 3 and parts[2] in groups.get(parts[1], []):
        group, version = parts[1], parts[2]
    else:
        return None
    resources = [r for r in RESOURCES if r.group == group and r.version == version]
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [entry for r in resources for entry in _resource_entry(r)],
    }
