"""What the Kubernetes activities do, with the official client's dynamic API.

Every operation is idempotent: apply is server-side apply by name (a retry
applies the same object again), delete treats "already gone" as done, scale and
roll-back set absolute values. The Temporal parts (heartbeats, cancellation,
error translation) are the caller's.
"""

from __future__ import annotations

import copy
from typing import Any

from activities.kubernetes.clients import REQUEST_TIMEOUT, AccountClient
from models.errors import NotFoundError, ValidationError
from models.kubernetes import (
    DeleteManifestsResult,
    DeployManifestsRequest,
    DeployManifestsResult,
    FindManifestsRequest,
    ManifestRef,
    ManifestResult,
    ManifestStatus,
    PatchManifestRequest,
    Revision,
    RolloutHistory,
)
from workflows.kubernetes.manifests import (
    canonical_kind,
    created_artifact,
    deploy_order,
    names_by_namespace,
    parse_manifest_name,
    stamp,
    trimmed,
)
from workflows.kubernetes.status import pod_problems, stability
from workflows.kubernetes.targets import choose_by_criteria, in_cluster, label_selector_text

__all__ = [
    "FIELD_MANAGER",
    "REVISION",
    "apply",
    "delete",
    "find",
    "get",
    "history",
    "patch",
    "roll_back",
    "scale",
    "status",
]

FIELD_MANAGER = "gennaker"
REVISION = "deployment.kubernetes.io/revision"
_PATCH_TYPES = {
    "strategic": "application/strategic-merge-patch+json",
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
}


def _dynamic(client: AccountClient) -> Any:
    # The dynamic client is untyped; one place says so.
    return client.dynamic


def _to_dict(obj: Any) -> dict[str, Any]:
    return dict(obj.to_dict()) if hasattr(obj, "to_dict") else dict(obj)


def _ref(obj: dict[str, Any]) -> ManifestRef:
    meta = obj.get("metadata") or {}
    return ManifestRef(
        kind=str(obj["kind"]),
        name=str(meta["name"]),
        namespace=meta.get("namespace"),
        api_version=obj.get("apiVersion"),
    )


def _namespace(client: AccountClient, resource: Any, ref_namespace: str | None) -> str | None:
    if not resource.namespaced:
        return None
    namespace = ref_namespace or client.default_namespace
    client.check_namespace(namespace)
    return namespace


def get(client: AccountClient, ref: ManifestRef) -> dict[str, Any]:
    """The live object ``ref`` names (NotFound → the client's ApiException)."""
    resource = client.resource(ref.kind, ref.api_version)
    namespace = _namespace(client, resource, ref.namespace)
    return _to_dict(
        _dynamic(client).get(
            resource, name=ref.name, namespace=namespace, _request_timeout=REQUEST_TIMEOUT
        )
    )


def apply(client: AccountClient, request: DeployManifestsRequest) -> DeployManifestsResult:
    """Server-side apply each manifest (namespaces and config first), stamped as Spinnaker does."""
    for index, manifest in enumerate(request.manifests):
        meta = manifest.get("metadata")
        if (
            not manifest.get("apiVersion")
            or not manifest.get("kind")
            or not isinstance(meta, dict)
            or not meta.get("name")
        ):
            raise ValidationError(f"manifests[{index}] needs apiVersion, kind and metadata.name")
    applied: dict[int, dict[str, Any]] = {}
    for index in deploy_order(request.manifests):
        manifest = request.manifests[index]
        resource = client.resource(manifest["kind"], manifest["apiVersion"])
        namespace = _namespace(
            client, resource, request.namespace_override or manifest["metadata"].get("namespace")
        )
        if manifest["kind"] == "Namespace":
            client.check_namespace(manifest["metadata"]["name"])
        body = stamp(
            manifest,
            moniker=request.moniker,
            account=client.name,
            namespace=namespace,
            execution_id=request.execution_id,
            stage=request.stage,
        )
        result = _dynamic(client).server_side_apply(
            resource,
            body=body,
            name=body["metadata"]["name"],
            namespace=namespace,
            field_manager=FIELD_MANAGER,
            force_conflicts=True,
            _request_timeout=REQUEST_TIMEOUT,
        )
        applied[index] = trimmed(_to_dict(result))
    manifests = [applied[i] for i in range(len(request.manifests))]
    refs = [_ref(m) for m in manifests]
    return DeployManifestsResult(
        refs=refs,
        manifests=manifests,
        created_artifacts=[created_artifact(r, client.name) for r in refs],
        manifest_names_by_namespace=names_by_namespace(refs),
    )


def _list(
    client: AccountClient, kind: str, namespace: str, selector: str | None = None
) -> list[dict[str, Any]]:
    resource = client.resource(kind)
    listing = _dynamic(client).get(
        resource,
        namespace=_namespace(client, resource, namespace),
        label_selector=selector,
        _request_timeout=REQUEST_TIMEOUT,
    )
    items = []
    for item in _to_dict(listing).get("items") or []:
        item.setdefault("kind", resource.kind)
        item.setdefault("apiVersion", resource.group_version)
        items.append(item)
    return items


def find(client: AccountClient, request: FindManifestsRequest) -> list[ManifestRef]:
    """The objects a manifest stage's target selection names (see :class:`FindManifestsRequest`)."""
    location = request.location or client.default_namespace
    request = request.model_copy(update={"location": location})
    if request.mode == "static":
        if not request.manifest_name:
            raise ValidationError(
                "target selection 'static' needs manifestName (e.g. 'deployment web')"
            )
        kind, name = parse_manifest_name(request.manifest_name)
        ref = ManifestRef(kind=kind, name=name, namespace=location)
        try:
            return [_ref(get(client, ref))]
        except Exception as err:
            if request.missing_ok and getattr(err, "status", None) == 404:
                return []
            raise
    if request.mode == "dynamic":
        if not request.cluster or not request.criteria:
            raise ValidationError("target selection 'dynamic' needs cluster and criteria")
        kind = canonical_kind(
            request.kind or (request.cluster.split()[0] if " " in request.cluster else "")
        )
        if not kind:
            raise ValidationError(
                "target selection 'dynamic' needs kind (or a cluster like 'deployment web')"
            )
        members = [o for o in _list(client, kind, location) if in_cluster(o, request.cluster, kind)]
        if not members:
            raise NotFoundError(
                f"cluster {request.cluster!r} has no {kind} in namespace {location!r}"
            )
        return [_ref(dict(choose_by_criteria(members, request.criteria)))]
    if not request.kinds:
        raise ValidationError("target selection 'label' needs kinds")
    selector = label_selector_text(request.label_selectors)
    return [
        _ref(o) for kind in request.kinds for o in _list(client, kind, location, selector or None)
    ]


def delete(
    client: AccountClient,
    refs: list[ManifestRef],
    *,
    cascading: bool,
    grace_period_seconds: int | None,
) -> DeleteManifestsResult:
    """Delete each object (dependents too when ``cascading``); gone already counts as done."""
    options: dict[str, Any] = {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": "Background" if cascading else "Orphan",
    }
    if grace_period_seconds is not None:
        options["gracePeriodSeconds"] = grace_period_seconds
    deleted, missing = [], []
    for ref in refs:
        resource = client.resource(ref.kind, ref.api_version)
        namespace = _namespace(client, resource, ref.namespace)
        try:
            _dynamic(client).delete(
                resource,
                name=ref.name,
                namespace=namespace,
                body=options,
                _request_timeout=REQUEST_TIMEOUT,
            )
            deleted.append(ref)
        except Exception as err:
            if getattr(err, "status", None) != 404:
                raise
            missing.append(ref)
    return DeleteManifestsResult(deleted=deleted, missing=missing)


def scale(client: AccountClient, ref: ManifestRef, replicas: int) -> ManifestResult:
    """Set ``spec.replicas`` through the ``scale`` subresource."""
    resource = client.resource(ref.kind, ref.api_version)
    if "scale" not in resource.subresources:
        raise ValidationError(f"{ref.display} cannot be scaled: its kind has no scale subresource")
    namespace = _namespace(client, resource, ref.namespace)
    _dynamic(client).patch(
        resource.subresources["scale"],
        body={"spec": {"replicas": replicas}},
        name=ref.name,
        namespace=namespace,
        content_type="application/merge-patch+json",
        _request_timeout=REQUEST_TIMEOUT,
    )
    obj = get(client, ref)
    return ManifestResult(ref=_ref(obj), manifest=trimmed(obj))


def patch(client: AccountClient, request: PatchManifestRequest) -> ManifestResult:
    """Patch an object with the request's strategy; record the change cause when asked."""
    ref = request.ref
    body = request.patch_body
    if request.merge_strategy == "json" and not isinstance(body, list):
        raise ValidationError("patchBody must be a list of operations when mergeStrategy is json")
    if request.merge_strategy != "json" and not isinstance(body, dict):
        raise ValidationError(
            f"patchBody must be an object when mergeStrategy is {request.merge_strategy}"
        )
    resource = client.resource(ref.kind, ref.api_version)
    namespace = _namespace(client, resource, ref.namespace)
    for content_type, payload in (
        (_PATCH_TYPES[request.merge_strategy], body),
        *(
            [
                (
                    "application/merge-patch+json",
                    {
                        "metadata": {
                            "annotations": {"kubernetes.io/change-cause": request.change_cause}
                        }
                    },
                )
            ]
            if request.record and request.change_cause
            else []
        ),
    ):
        _dynamic(client).patch(
            resource,
            body=payload,
            name=ref.name,
            namespace=namespace,
            content_type=content_type,
            _request_timeout=REQUEST_TIMEOUT,
        )
    obj = get(client, ref)
    return ManifestResult(ref=_ref(obj), manifest=trimmed(obj))


def _owned_replica_sets(client: AccountClient, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    uid = deployment["metadata"]["uid"]
    labels = (deployment["spec"].get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None
    return [
        rs
        for rs in _list(client, "ReplicaSet", deployment["metadata"]["namespace"], selector)
        if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences") or [])
    ]


def _require_deployment(ref: ManifestRef) -> None:
    if canonical_kind(ref.kind) != "Deployment":
        raise ValidationError(f"undoRolloutManifest supports deployments only, not {ref.display!r}")


def history(client: AccountClient, ref: ManifestRef) -> RolloutHistory:
    """A Deployment's revisions (its ReplicaSets), newest first."""
    _require_deployment(ref)
    deployment = get(client, ref)
    revisions = sorted(
        (
            Revision(
                revision=int((rs["metadata"].get("annotations") or {}).get(REVISION, "0")),
                replica_set=rs["metadata"]["name"],
                images=[
                    c.get("image", "")
                    for c in rs["spec"]["template"]["spec"].get("containers") or []
                ],
            )
            for rs in _owned_replica_sets(client, deployment)
        ),
        key=lambda r: -r.revision,
    )
    current = int((deployment["metadata"].get("annotations") or {}).get(REVISION, "0"))
    return RolloutHistory(ref=_ref(deployment), current=current, revisions=revisions)


def roll_back(client: AccountClient, ref: ManifestRef, replica_set: str) -> ManifestResult:
    """Make a Deployment run ``replica_set``'s pod template again (``kubectl rollout undo``).

    Setting the same template twice changes nothing, so a retry is harmless.
    """
    _require_deployment(ref)
    deployment = get(client, ref)
    owned = {rs["metadata"]["name"]: rs for rs in _owned_replica_sets(client, deployment)}
    if replica_set not in owned:
        raise NotFoundError(f"replica set {replica_set!r} does not belong to {ref.display}")
    template = copy.deepcopy(owned[replica_set]["spec"]["template"])
    (template.get("metadata", {}).get("labels") or {}).pop("pod-template-hash", None)
    resource = client.resource("Deployment", ref.api_version)
    _dynamic(client).patch(
        resource,
        body=[{"op": "replace", "path": "/spec/template", "value": template}],
        name=ref.name,
        namespace=deployment["metadata"]["namespace"],
        content_type="application/json-patch+json",
        _request_timeout=REQUEST_TIMEOUT,
    )
    obj = get(client, ref)
    return ManifestResult(ref=_ref(obj), manifest=trimmed(obj))


def status(client: AccountClient, ref: ManifestRef, *, explain: bool = False) -> ManifestStatus:
    """Whether ``ref`` is stable; with ``explain``, why its pods are not running."""
    obj = get(client, ref)
    stable, failed, message = stability(obj)
    if explain and not stable and obj.get("kind") == "Deployment":
        labels = (obj["spec"].get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        problems = sorted(
            {
                f"pod {p['metadata']['name']}: {problem}"
                for p in _list(client, "Pod", obj["metadata"]["namespace"], selector)
                for problem in pod_problems(p)
            }
        )
        if problems:
            message += "; " + "; ".join(problems[:5])
    return ManifestStatus(ref=_ref(obj), stable=stable, failed=failed, message=message)
