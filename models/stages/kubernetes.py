"""Spinnaker's Kubernetes manifest stages: deploy, delete, scale, patch, undo rollout.

Field names are Spinnaker's (orca-clouddriver ``pipeline/manifest/*``, deck
``manifest/selector/IManifestSelector.ts``). What Gennaker does not do yet is
refused when the pipeline is loaded, naming the field: manifests from artifacts
(``source: artifact``) and traffic management with ``enabled: true``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from models.kubernetes import FindManifestsRequest, LabelSelector, Moniker
from models.stage import StageConfig, _Lenient, stage_type

__all__ = [
    "DeleteManifestStage",
    "DeleteOptions",
    "DeployManifestStage",
    "ManifestSelectorStage",
    "PatchManifestStage",
    "PatchOptions",
    "ScaleManifestStage",
    "TrafficManagement",
    "UndoRolloutManifestStage",
]


def _only_text(source: str | None, what: str) -> str:
    if source not in (None, "text"):
        raise ValueError(
            f"source {source!r} is not supported: put the {what} in the stage itself (source: text)"
        )
    return "text"


class TrafficManagement(_Lenient):
    """``trafficManagement``: accepted when disabled; Gennaker applies manifests as they are."""

    enabled: bool = False
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _disabled_only(self) -> TrafficManagement:
        if self.enabled:
            strategy = self.options.get("strategy") or "none"
            raise ValueError(
                f"trafficManagement with enabled: true (strategy {strategy!r}) is not supported: "
                "Gennaker does not manage Service traffic for manifests yet; set "
                "trafficManagement.enabled to false and route traffic with your manifests"
            )
        return self


@stage_type("deployManifest")
class DeployManifestStage(StageConfig):
    """Apply manifests (create or update by name), then wait until they are stable."""

    account: str = Field(min_length=1, validation_alias=AliasChoices("account", "credentials"))
    namespace_override: str | None = Field(default=None, alias="namespaceOverride")
    moniker: Moniker | None = None
    source: str = "text"
    manifests: list[dict[str, Any]] = Field(default_factory=list)
    skip_expression_evaluation: bool = Field(default=False, alias="skipExpressionEvaluation")
    traffic_management: TrafficManagement | None = Field(default=None, alias="trafficManagement")

    @field_validator("source", mode="before")
    @classmethod
    def _text_source(cls, value: Any) -> str:
        return _only_text(value, "manifests")

    @field_validator("namespace_override", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return value or None

    @field_validator("skip_expression_evaluation", mode="before")
    @classmethod
    def _null_is_false(cls, value: Any) -> Any:
        return False if value is None else value

    @model_validator(mode="after")
    def _has_manifests(self) -> DeployManifestStage:
        if not self.manifests:
            raise ValueError("a deployManifest stage needs 'manifests' (at least one)")
        return self


class ManifestSelectorStage(StageConfig):
    """Target selection shared by the stages that act on existing objects.

    ``mode`` defaults from what is set: ``manifestName`` → static, ``cluster`` →
    dynamic, ``labelSelectors`` → label.
    """

    account: str = Field(min_length=1, validation_alias=AliasChoices("account", "credentials"))
    location: str | None = None
    mode: Literal["static", "dynamic", "label"] | None = None
    manifest_name: str | None = Field(default=None, alias="manifestName")
    cluster: str | None = None
    criteria: str | None = None
    kind: str | None = None
    kinds: list[str] = Field(default_factory=list)
    label_selectors: dict[str, Any] = Field(default_factory=dict, alias="labelSelectors")
    app: str | None = None

    @field_validator("kinds", "label_selectors", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any, info: Any) -> Any:
        if value is None:
            return [] if info.field_name == "kinds" else {}
        return value

    @field_validator("location", "manifest_name", "cluster", "criteria", "kind", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return value or None

    @model_validator(mode="after")
    def _selects_something(self) -> ManifestSelectorStage:
        mode = self.selection_mode
        if mode == "static" and not self.manifest_name:
            raise ValueError("target selection needs 'manifestName' (e.g. 'deployment web')")
        if mode == "dynamic" and not (self.cluster and self.criteria):
            raise ValueError("dynamic target selection needs 'cluster' and 'criteria'")
        if mode == "label" and not self.kinds:
            raise ValueError("label target selection needs 'kinds'")
        for selector in self.selectors:
            LabelSelector.model_validate(selector)
        return self

    @property
    def selection_mode(self) -> Literal["static", "dynamic", "label"]:
        """The mode set, or the one the other fields imply."""
        if self.mode:
            return self.mode
        if self.manifest_name:
            return "static"
        if self.cluster:
            return "dynamic"
        return "label" if self.kinds or self.selectors else "static"

    @property
    def selectors(self) -> list[dict[str, Any]]:
        """``labelSelectors.selectors``."""
        return list(self.label_selectors.get("selectors") or [])

    def find_request(self, *, missing_ok: bool = False) -> FindManifestsRequest:
        """The ``kubernetes.findManifests`` request for this selection."""
        return FindManifestsRequest(
            account=self.account,
            location=self.location,
            mode=self.selection_mode,
            manifest_name=self.manifest_name,
            cluster=self.cluster,
            kind=self.kind,
            criteria=self.criteria,
            kinds=self.kinds,
            label_selectors=[LabelSelector.model_validate(s) for s in self.selectors],
            missing_ok=missing_ok,
        )


class DeleteOptions(_Lenient):
    """``deleteManifest.options``."""

    cascading: bool = True
    grace_period_seconds: int | None = Field(default=None, alias="gracePeriodSeconds", ge=0)

    @field_validator("cascading", mode="before")
    @classmethod
    def _null_is_true(cls, value: Any) -> Any:
        return True if value is None else value


@stage_type("deleteManifest")
class DeleteManifestStage(ManifestSelectorStage):
    """Delete the selected objects (and, cascading, what they own)."""

    options: DeleteOptions = Field(default_factory=DeleteOptions)

    @field_validator("options", mode="before")
    @classmethod
    def _null_options(cls, value: Any) -> Any:
        return {} if value is None else value


@stage_type("scaleManifest")
class ScaleManifestStage(ManifestSelectorStage):
    """Set the selected objects' replicas, then wait until they are stable."""

    replicas: int = Field(ge=0)


class PatchOptions(_Lenient):
    """``patchManifest.options``."""

    merge_strategy: Literal["strategic", "merge", "json"] = Field(
        default="strategic", alias="mergeStrategy"
    )
    record: bool = False


@stage_type("patchManifest")
class PatchManifestStage(ManifestSelectorStage):
    """Patch the selected objects, then wait until they are stable."""

    patch_body: Any = Field(alias="patchBody")
    source: str = "text"
    options: PatchOptions = Field(default_factory=PatchOptions)

    @field_validator("source", mode="before")
    @classmethod
    def _text_source(cls, value: Any) -> str:
        return _only_text(value, "patch")

    @field_validator("options", mode="before")
    @classmethod
    def _null_options(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def patch(self) -> Any:
        """The patch: deck stores a merge patch as a one-item list; a JSON patch is a list."""
        body = self.patch_body
        if self.options.merge_strategy != "json" and isinstance(body, list) and len(body) == 1:
            return body[0]
        return body

    @model_validator(mode="after")
    def _patch_shape(self) -> PatchManifestStage:
        if self.options.merge_strategy == "json" and not isinstance(self.patch, list):
            raise ValueError(
                "patchBody must be a list of JSON patch operations when mergeStrategy is json"
            )
        if self.options.merge_strategy != "json" and not isinstance(self.patch, dict):
            raise ValueError(
                f"patchBody must be an object when mergeStrategy is {self.options.merge_strategy}"
            )
        return self


@stage_type("undoRolloutManifest")
class UndoRolloutManifestStage(ManifestSelectorStage):
    """Roll a Deployment back ``numRevisionsBack`` revisions, then wait until it is stable."""

    num_revisions_back: int = Field(default=1, alias="numRevisionsBack", ge=1)
