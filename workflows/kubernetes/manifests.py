"""Manifests as Spinnaker handles them (pure): kind names, stamping, deploy order, outputs.

Stamping follows clouddriver's ``KubernetesManifestAnnotater`` and
``KubernetesManifestLabeler``: moniker and artifact annotations, and the
``app.kubernetes.io/name``/``managed-by`` labels, on the object and on the pod
template of workloads (the template only gets values that do not change from
run to run, so a re-deploy of the same manifest starts no rollout).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from models.kubernetes import ManifestRef, Moniker

__all__ = [
    "ANNOTATION_EXECUTION",
    "LABEL_MANAGED_BY",
    "MANAGED_BY",
    "canonical_kind",
    "created_artifact",
    "deploy_order",
    "lower_camel",
    "names_by_namespace",
    "parse_manifest_name",
    "stamp",
    "trimmed",
]

MANAGED_BY = "gennaker"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_NAME = "app.kubernetes.io/name"
ANNOTATION_EXECUTION = "gennaker.io/execution-id"
ANNOTATION_STAGE = "gennaker.io/stage"

_KINDS = {
    k.lower(): k
    for k in (
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "Pod",
        "Service",
        "ConfigMap",
        "Secret",
        "ServiceAccount",
        "Namespace",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PersistentVolumeClaim",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "VirtualService",
        "DestinationRule",
        "Gateway",
        "Endpoints",
        "Event",
    )
}
_WORKLOADS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"}
# Kubernetes' own deploy order (clouddriver's KubernetesKind priorities).
_PRIORITY = {
    "Namespace": 0,
    "CustomResourceDefinition": 1,
    "ServiceAccount": 2,
    "Role": 2,
    "ClusterRole": 2,
    "RoleBinding": 2,
    "ClusterRoleBinding": 2,
    "ConfigMap": 3,
    "Secret": 3,
    "PersistentVolumeClaim": 3,
    "Service": 4,
}
_LATER = 5


def canonical_kind(kind: str) -> str:
    """``deployment`` or ``Deployment`` → ``Deployment``; unknown kinds get a capital."""
    return _KINDS.get(kind.lower(), kind[:1].upper() + kind[1:])


def lower_camel(kind: str) -> str:
    """``ReplicaSet`` → ``replicaSet`` (Spinnaker's spelling in names and artifacts)."""
    return kind[:1].lower() + kind[1:]


def parse_manifest_name(text: str) -> tuple[str, str]:
    """``"deployment web"`` → ``("Deployment", "web")``.

    Raises:
        ValueError: Not of the form ``<kind> <name>``.
    """
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(
            f"manifestName {text!r} is not of the form '<kind> <name>' (e.g. 'deployment web')"
        )
    return canonical_kind(parts[0]), parts[1]


def deploy_order(manifests: Iterable[Mapping[str, Any]]) -> list[int]:
    """Indexes of ``manifests`` in the order to apply them (namespaces and config first)."""
    indexed = list(enumerate(manifests))
    return [
        i
        for i, m in sorted(
            indexed, key=lambda im: (_PRIORITY.get(str(im[1].get("kind")), _LATER), im[0])
        )
    ]


def stamp(
    manifest: Mapping[str, Any],
    *,
    moniker: Moniker,
    account: str,
    namespace: str | None,
    execution_id: str = "",
    stage: str = "",
) -> dict[str, Any]:
    """A copy of ``manifest`` with namespace, moniker, artifact and managed-by metadata set.

    Args:
        manifest: The object as written in the stage.
        moniker: Application, and optionally cluster/stack/detail.
        account: The Kubernetes account (not stamped; used for nothing secret).
        namespace: Its namespace; None for cluster-scoped kinds.
        execution_id: Recorded on the object, not on its pod template.
        stage: The stage refId, recorded likewise.
    """
    obj = copy.deepcopy(dict(manifest))
    kind = str(obj.get("kind", ""))
    meta = obj.setdefault("metadata", {})
    name = str(meta.get("name", ""))
    if namespace:
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    app = moniker.app or name
    cluster = moniker.cluster or f"{lower_camel(kind)} {name}"
    annotations: dict[str, str] = {
        "moniker.spinnaker.io/application": app,
        "moniker.spinnaker.io/cluster": cluster,
    }
    if moniker.stack:
        annotations["moniker.spinnaker.io/stack"] = moniker.stack
    if moniker.detail:
        annotations["moniker.spinnaker.io/detail"] = moniker.detail
    artifact = {
        "artifact.spinnaker.io/type": f"kubernetes/{lower_camel(kind)}",
        "artifact.spinnaker.io/name": name,
        "artifact.spinnaker.io/location": namespace or "",
    }
    labels = {LABEL_NAME: app, LABEL_MANAGED_BY: MANAGED_BY}
    meta["annotations"] = {
        **(meta.get("annotations") or {}),
        **annotations,
        **artifact,
        **({ANNOTATION_EXECUTION: execution_id} if execution_id else {}),
        **({ANNOTATION_STAGE: stage} if stage else {}),
    }
    meta["labels"] = {**(meta.get("labels") or {}), **labels}
    template = (obj.get("spec") or {}).get("template") if kind in _WORKLOADS else None
    if isinstance(template, dict):
        template_meta = template.setdefault("metadata", {})
        template_meta["annotations"] = {**(template_meta.get("annotations") or {}), **annotations}
        template_meta["labels"] = {**(template_meta.get("labels") or {}), **labels}
    return obj


def trimmed(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object without status and ``managedFields``: what outputs keep."""
    result = {k: copy.deepcopy(v) for k, v in obj.items() if k != "status"}
    meta = result.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return result


def created_artifact(ref: ManifestRef, account: str) -> dict[str, Any]:
    """The artifact Spinnaker records for a deployed object (``outputs.createdArtifacts``)."""
    return {
        "type": f"kubernetes/{lower_camel(ref.kind)}",
        "name": ref.name,
        "reference": ref.name,
        "location": ref.namespace or "",
        "version": "",
        "customKind": ref.kind not in _KINDS.values(),
        "metadata": {"account": account},
    }


def names_by_namespace(refs: Iterable[ManifestRef]) -> dict[str, list[str]]:
    """``{"prod": ["deployment web", "service web"]}`` (cluster-scoped under ``""``)."""
    result: dict[str, list[str]] = {}
    for ref in refs:
        result.setdefault(ref.namespace or "", []).append(ref.display)
    return result
