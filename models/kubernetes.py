"""Inputs and outputs of the Kubernetes activities (``kubernetes.*`` on ``gennaker-kubernetes``).

Plain pydantic data, so workflow code can import it. Fields carry camelCase
aliases and serialise by alias; both spellings are accepted on input. Workers
and clients use ``temporalio.contrib.pydantic.pydantic_data_converter``.

A manifest is named as Spinnaker names it: ``"<kind> <name>"`` with the kind in
lowerCamel (``"deployment web"``, ``"replicaSet web-v002"``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "LABEL_SELECTOR_KINDS",
    "DeleteManifestsRequest",
    "DeleteManifestsResult",
    "DeployManifestsRequest",
    "DeployManifestsResult",
    "FindManifestsRequest",
    "FindManifestsResult",
    "KubernetesModel",
    "LabelSelector",
    "ManifestRef",
    "ManifestResult",
    "ManifestStatus",
    "Moniker",
    "PatchManifestRequest",
    "Revision",
    "RollBackRequest",
    "RolloutHistory",
    "ScaleManifestRequest",
    "TargetRequest",
    "WaitStableRequest",
    "WaitStableResult",
]

LABEL_SELECTOR_KINDS = (
    "ANY",
    "EQUALS",
    "NOT_EQUALS",
    "CONTAINS",
    "NOT_CONTAINS",
    "EXISTS",
    "NOT_EXISTS",
)


class KubernetesModel(BaseModel):
    """Base: camelCase aliases, both spellings accepted, serialised by alias."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class Moniker(KubernetesModel):
    """Spinnaker's moniker: the application and cluster a manifest belongs to."""

    model_config = ConfigDict(extra="allow")

    app: str | None = None
    cluster: str | None = None
    stack: str | None = None
    detail: str | None = None
    sequence: int | None = None


class ManifestRef(KubernetesModel):
    """One object in one cluster: kind, name and namespace (None when cluster-scoped)."""

    kind: str = Field(min_length=1)
    name: str = Field(min_length=1)
    namespace: str | None = None
    api_version: str | None = None

    @property
    def display(self) -> str:
        """``deployment web``, as Spinnaker names manifests."""
        return f"{self.kind[:1].lower()}{self.kind[1:]} {self.name}"

    @property
    def place(self) -> str:
        """``deployment web in namespace 'prod'``, for messages."""
        return self.display + (f" in namespace {self.namespace!r}" if self.namespace else "")

    def where(self, account: str) -> str:
        """``deployment web in namespace 'prod' (account 'local')``, for messages."""
        return f"{self.place} (account {account!r})"


class DeployManifestsRequest(KubernetesModel):
    """Apply manifests: create each, or update it when it exists (server-side apply).

    Attributes:
        manifests: The objects, expressions already rendered.
        namespace_override: Puts every namespaced object in this namespace.
        moniker: Application (and optional cluster, stack, detail) to stamp.
        execution_id: Recorded on the objects (``gennaker.io/execution-id``).
        stage: The stage's refId, recorded likewise.
    """

    account: str = Field(min_length=1)
    manifests: list[dict[str, Any]] = Field(min_length=1)
    namespace_override: str | None = None
    moniker: Moniker
    execution_id: str = ""
    stage: str = ""


class DeployManifestsResult(KubernetesModel):
    """What was applied, in Spinnaker's output shapes."""

    refs: list[ManifestRef]
    manifests: list[dict[str, Any]]
    created_artifacts: list[dict[str, Any]]
    manifest_names_by_namespace: dict[str, list[str]]


class ManifestStatus(KubernetesModel):
    """Whether one object is stable, and why not."""

    ref: ManifestRef
    stable: bool
    failed: bool = False
    message: str = ""


class WaitStableRequest(KubernetesModel):
    """Wait until every object is stable (a Deployment's rollout complete)."""

    account: str = Field(min_length=1)
    refs: list[ManifestRef]
    timeout_seconds: float = Field(default=1800.0, gt=0)
    poll_interval_seconds: float | None = Field(default=None, gt=0)


class WaitStableResult(KubernetesModel):
    """The final status of each object."""

    statuses: list[ManifestStatus]


class LabelSelector(KubernetesModel):
    """One of Spinnaker's ``labelSelectors.selectors[]``."""

    key: str = Field(min_length=1)
    kind: Literal[
        "ANY", "EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS", "EXISTS", "NOT_EXISTS"
    ] = "EQUALS"
    values: list[str] = Field(default_factory=list)


class FindManifestsRequest(KubernetesModel):
    """Target selection: which objects a manifest stage acts on.

    ``static``: ``manifest_name`` (``"deployment web"``). ``dynamic``: the objects
    of ``cluster`` (``"deployment web"`` or a moniker cluster name) picked by
    ``criteria``. ``label``: objects of ``kinds`` matching ``label_selectors``.
    ``location`` is the namespace (the account's default namespace when None).
    """

    account: str = Field(min_length=1)
    location: str | None = None
    mode: Literal["static", "dynamic", "label"] = "static"
    manifest_name: str | None = None
    cluster: str | None = None
    kind: str | None = None
    criteria: str | None = None
    kinds: list[str] = Field(default_factory=list)
    label_selectors: list[LabelSelector] = Field(default_factory=list)
    missing_ok: bool = False


class FindManifestsResult(KubernetesModel):
    """The objects found (static mode with ``missing_ok``: possibly none)."""

    refs: list[ManifestRef]


class TargetRequest(KubernetesModel):
    """Base of requests that act on one object."""

    account: str = Field(min_length=1)
    ref: ManifestRef


class DeleteManifestsRequest(KubernetesModel):
    """Delete objects; dependents (ReplicaSets, Pods) too when ``cascading``."""

    account: str = Field(min_length=1)
    refs: list[ManifestRef]
    cascading: bool = True
    grace_period_seconds: int | None = Field(default=None, ge=0)


class DeleteManifestsResult(KubernetesModel):
    """What was deleted, and what was already gone."""

    deleted: list[ManifestRef]
    missing: list[ManifestRef] = Field(default_factory=list)


class ScaleManifestRequest(TargetRequest):
    """Set ``spec.replicas`` through the ``scale`` subresource."""

    replicas: int = Field(ge=0)


class PatchManifestRequest(TargetRequest):
    """Patch an object: strategic merge, JSON merge or JSON patch."""

    patch_body: Any
    merge_strategy: Literal["strategic", "merge", "json"] = "strategic"
    record: bool = False
    change_cause: str | None = None


class ManifestResult(KubernetesModel):
    """One object as the API server answered, trimmed for outputs."""

    ref: ManifestRef
    manifest: dict[str, Any]


class Revision(KubernetesModel):
    """One revision of a Deployment: its ReplicaSet and images."""

    revision: int
    replica_set: str
    images: list[str] = Field(default_factory=list)


class RolloutHistory(KubernetesModel):
    """A Deployment's revisions, newest first; ``current`` is the one it runs."""

    ref: ManifestRef
    current: int
    revisions: list[Revision]


class RollBackRequest(TargetRequest):
    """Make a Deployment run the pod template of one of its ReplicaSets again."""

    replica_set: str = Field(min_length=1)
