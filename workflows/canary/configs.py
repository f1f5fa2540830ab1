"""Saved canary configs without a database: one entity workflow per config id.

Like the pipeline registry, each config lives in a long-running workflow
(``gennaker-canary-config/<id>``) that holds the current config, its version
history and a few earlier configs (so a report on an older run can show what it
used). Its memo carries a summary for listings. Update ``apply`` saves a new
version, update ``delete`` ends the entry, query ``get`` reads it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pydantic
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.canary import CanaryConfig
    from models.config import problems_from_pydantic
    from workflows.canary.messages import (
        ApplyCanaryConfig,
        CanaryConfigApplied,
        CanaryConfigRecord,
        CanaryConfigVersion,
        DeleteCanaryConfig,
    )

__all__ = [
    "CANARY_CONFIG_WORKFLOW",
    "CanaryConfigWorkflow",
    "canary_config_problems",
    "canary_config_workflow_id",
    "normalised_config",
]

CANARY_CONFIG_WORKFLOW = "CanaryConfig"
"""The workflow type of a saved canary config."""

_KEEP_PREVIOUS = 10
_MAX_VERSIONS = 100
_MAX_HISTORY = 5000
_VOLATILE = ("createdTimestamp", "updatedTimestamp", "createdTimestampIso", "updatedTimestampIso")


def canary_config_workflow_id(config_id: str) -> str:
    """The entity workflow of the saved canary config ``config_id``."""
    return f"gennaker-canary-config/{config_id}"


def canary_config_problems(config: dict[str, Any]) -> list[dict[str, str]]:
    """Why ``config`` is not a usable Kayenta canary config (``[]`` when it is)."""
    try:
        parsed = CanaryConfig.model_validate(config)
    except pydantic.ValidationError as err:
        return [{"path": p.path, "message": p.message} for p in problems_from_pydantic(err)]
    problems = []
    if not parsed.metrics:
        problems.append({"path": "metrics", "message": "a canary config needs at least one metric"})
    for index, metric in enumerate(parsed.metrics):
        if not metric.query.get("type"):
            problems.append(
                {"path": f"metrics[{index}].query.type", "message": "every query needs a type"}
            )
    return problems


def normalised_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config as saved: validated, with Kayenta's bookkeeping fields left to us."""
    data = CanaryConfig.model_validate(config).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    for volatile in _VOLATILE:
        data.pop(volatile, None)
    return data


def _digest(config: dict[str, Any]) -> str:
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@workflow.defn(name=CANARY_CONFIG_WORKFLOW)
class CanaryConfigWorkflow:
    """One saved canary config. Updates: ``apply``, ``delete``; query: ``get``."""

    @workflow.init
    def __init__(self, record: CanaryConfigRecord) -> None:
        self._record = record
        self._deleted = False

    @workflow.run
    async def run(self, record: CanaryConfigRecord) -> None:
        """Live until deleted; continue-as-new when the history grows."""
        if not self._record.versions:
            # Started by an apply that may be refused: then nothing is saved, so end.
            await workflow.wait_condition(workflow.all_handlers_finished)
            if not self._record.versions:
                return
        await workflow.wait_condition(lambda: self._deleted or self._should_continue_as_new())
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._deleted:
            workflow.continue_as_new(self._record)

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or (
            info.get_current_history_length() > _MAX_HISTORY
        )

    @workflow.query
    def get(self) -> CanaryConfigRecord:
        """The current config, its versions and recent earlier configs."""
        self._check_alive()
        return self._record

    @workflow.update
    def apply(self, request: ApplyCanaryConfig) -> CanaryConfigApplied:
        """Save a new version when the config changed."""
        config = normalised_config({**request.config, "id": self._record.id})
        digest = _digest(config)
        created = not self._record.versions
        if not created and self._record.versions[-1].digest == digest:
            return CanaryConfigApplied(
                id=self._record.id, version=self._record.version, changed=False
            )
        now = workflow.now()
        if not created:
            self._record.previous[self._record.version] = self._record.config
            for old in sorted(self._record.previous)[:-_KEEP_PREVIOUS]:
                del self._record.previous[old]
        version = CanaryConfigVersion(
            version=self._record.version + 1,
            user=request.user,
            time=int(now.timestamp() * 1000),
            digest=digest,
        )
        self._record.config = config
        self._record.versions = [*self._record.versions, version][-_MAX_VERSIONS:]
        workflow.upsert_memo(
            {
                "id": self._record.id,
                "name": config.get("name"),
                "applications": config.get("applications", []),
                "metrics": len(config.get("metrics", [])),
                "version": version.version,
                "updated": version.time,
                "updatedBy": version.user,
            }
        )
        return CanaryConfigApplied(
            id=self._record.id, version=version.version, changed=True, created=created
        )

    @apply.validator
    def _validate_apply(self, request: ApplyCanaryConfig) -> None:
        self._check_alive()
        given = request.config.get("id")
        if given not in (None, "", self._record.id):
            raise ApplicationError(
                f"canary config entry {self._record.id!r} cannot save config id {given!r}",
                type="WrongEntry",
                non_retryable=True,
            )
        problems = canary_config_problems(request.config)
        if problems:
            raise ApplicationError(
                "; ".join(f"{p['path']}: {p['message']}" for p in problems),
                problems,
                type="InvalidCanaryConfig",
                non_retryable=True,
            )

    @workflow.update
    def delete(self, request: DeleteCanaryConfig) -> None:
        """Delete the config; the entry then ends."""
        workflow.logger.info("canary config %s deleted by %s", self._record.id, request.user)
        self._deleted = True

    @delete.validator
    def _validate_delete(self, request: DeleteCanaryConfig) -> None:
        self._check_alive()

    def _check_alive(self) -> None:
        if self._deleted:
            raise ApplicationError(
                f"canary config {self._record.id!r} was deleted", type="Deleted", non_retryable=True
            )
