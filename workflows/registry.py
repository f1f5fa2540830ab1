"""The pipeline registry without a database: one long-lived entity workflow per saved pipeline.

Its state is the current config, whether it is disabled, and its version
history (who, when, a diff). Its memo carries a summary for listings, and its
search attributes say whether it is enabled and whether it follows other
pipelines (``GennakerTrigger = 'pipeline'``), so pipeline triggers only look at
the entries that can fire. Every change also brings the pipeline's cron
Schedules in line; it continues-as-new when its history grows.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.errors import FieldProblem, PipelineError, ValidationError
    from models.pipeline import Pipeline, resolve_parameters
    from models.quartz import parse_quartz
    from models.registry import ApplyRequest, ApplyResult, PipelineRecord, PipelineVersion
    from models.run import TaskQueues
    from models.search import SEARCH

__all__ = [
    "PIPELINE_TRIGGER_STATUSES",
    "ApplyPipeline",
    "DeleteRequest",
    "DisableRequest",
    "PipelineConfigWorkflow",
    "RegistryInput",
    "SyncSchedulesRequest",
    "apply_problems",
    "config_digest",
    "config_text",
]

PIPELINE_TRIGGER_STATUSES = ("successful", "failed", "canceled", "suspended")
"""What a ``pipeline`` trigger's ``status`` may list (echo's values)."""

_MAX_VERSIONS = 50
_MAX_DIFF_CHARS = 8000
_MAX_HISTORY = 5000
_RETRY_MIN_SECONDS = 10.0
_RETRY_MAX_SECONDS = 600.0
_VOLATILE = ("updateTs", "lastModifiedBy", "index")


class _Message(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class RegistryInput(_Message):
    """Start (or continue) a registry entry."""

    record: PipelineRecord
    queues: TaskQueues = Field(default_factory=TaskQueues)
    schedule_ids: list[str] | None = None
    """Schedules this entry made; ``None`` until its first sync (which then looks them up)."""
    sync_pending: bool = False


class ApplyPipeline(ApplyRequest):
    """``apply``: save ``pipeline`` as a new version (a no-op when nothing changed).

    ``keep_disabled`` is set when the file did not say ``disabled``: the entry then keeps
    the state ``pipeline disable``/``enable`` gave it instead of re-enabling it.
    """

    keep_disabled: bool = Field(default=False, alias="keepDisabled")


class DisableRequest(_Message):
    """``set_disabled``: disable (refuse triggers and runs, pause schedules) or enable."""

    disabled: bool
    user: str = "anonymous"


class DeleteRequest(_Message):
    """``delete``: remove the pipeline and its schedules."""

    user: str = "anonymous"


class SyncSchedulesRequest(_Message):
    """What ``gennaker.sync_schedules`` needs to make the Schedules match the entry."""

    pipeline: Pipeline
    disabled: bool
    deleted: bool
    known: list[str] | None = None
    queues: TaskQueues = Field(default_factory=TaskQueues)


def config_text(pipeline: Pipeline) -> str:
    """The config as stable, pretty JSON (the thing versions and diffs are made of).

    Defaults are left out, so a field added to the model later does not turn every
    saved pipeline into a changed one; Spinnaker's bookkeeping fields are dropped.
    """
    data = pipeline.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for volatile in _VOLATILE:
        data.pop(volatile, None)
    return json.dumps(data, indent=2, sort_keys=True)


def config_digest(pipeline: Pipeline) -> str:
    """A digest of :func:`config_text`: equal digests mean nothing changed."""
    return _digest(config_text(pipeline))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def apply_problems(pipeline: Pipeline) -> list[FieldProblem]:
    """What would make a saved pipeline unusable, each under its field path.

    Checked by the client before an apply and again by the entry itself. Stage
    fields are the loader's business (:func:`models.loading.parse_pipeline`); these
    are the things only saving makes matter: names that become ids, cron and
    pipeline triggers that could never start a run.
    """
    problems: list[FieldProblem] = []
    for field, value in (("application", pipeline.application), ("name", pipeline.name)):
        if "/" in value:
            problems.append(FieldProblem(field, f"{value!r} must not contain '/'"))
        elif value != value.strip():
            problems.append(FieldProblem(field, f"{value!r} has leading or trailing spaces"))
    cron_ids: dict[str, int] = {}
    for index, trigger in enumerate(pipeline.triggers):
        path = f"triggers[{index}]"
        if not trigger.enabled:
            continue  # kept as written; it starts nothing (the loader still checks its cron)
        if trigger.type == "cron":
            problems.extend(_cron_problems(pipeline, index))
            key = trigger.id or str(index)
            if key in cron_ids:
                problems.append(
                    FieldProblem(
                        f"{path}.id",
                        f"duplicate trigger id {key!r} (also triggers[{cron_ids[key]}])",
                    )
                )
            cron_ids.setdefault(key, index)
        elif trigger.type == "pipeline":
            problems.extend(_pipeline_trigger_problems(pipeline, index))
    return problems


def _cron_problems(pipeline: Pipeline, index: int) -> list[FieldProblem]:
    trigger = pipeline.triggers[index]
    path = f"triggers[{index}]"
    if not trigger.cron_expression or not trigger.cron_expression.strip():
        return [FieldProblem(f"{path}.cronExpression", "a cron trigger needs a cronExpression")]
    try:
        parse_quartz(
            trigger.cron_expression,
            hash_key=trigger.id or str(index),
            path=f"{path}.cronExpression",
        )
    except PipelineError as err:
        return list(err.problems)
    return _parameter_problems(pipeline, index)


def _pipeline_trigger_problems(pipeline: Pipeline, index: int) -> list[FieldProblem]:
    trigger = pipeline.triggers[index]
    path = f"triggers[{index}]"
    problems: list[FieldProblem] = []
    if not trigger.application:
        problems.append(
            FieldProblem(f"{path}.application", "a pipeline trigger needs the upstream application")
        )
    if not trigger.pipeline:
        problems.append(
            FieldProblem(
                f"{path}.pipeline",
                "a pipeline trigger needs the upstream pipeline (its id or name)",
            )
        )
    if not trigger.status:
        problems.append(
            FieldProblem(
                f"{path}.status",
                f"list at least one of {', '.join(PIPELINE_TRIGGER_STATUSES)} "
                "(an empty list never fires)",
            )
        )
    for position, status in enumerate(trigger.status):
        if str(status).lower() not in PIPELINE_TRIGGER_STATUSES:
            problems.append(
                FieldProblem(
                    f"{path}.status[{position}]",
                    f"{status!r} is not one of {', '.join(PIPELINE_TRIGGER_STATUSES)}",
                )
            )
    if trigger.application == pipeline.application and trigger.pipeline in {
        pipeline.name,
        pipeline.id,
    } - {None}:
        problems.append(
            FieldProblem(
                f"{path}.pipeline", "a pipeline cannot trigger itself (it would run forever)"
            )
        )
    if not problems:
        problems.extend(_parameter_problems(pipeline, index))
    return problems


def _parameter_problems(pipeline: Pipeline, index: int) -> list[FieldProblem]:
    """A trigger must be able to start a run: required parameters need a value or a default."""
    trigger = pipeline.triggers[index]
    try:
        resolve_parameters(pipeline, dict(trigger.parameters))
    except ValidationError as err:
        return [FieldProblem(f"triggers[{index}].{p.path}", p.message) for p in err.problems]
    return []


def _follows_pipelines(pipeline: Pipeline) -> bool:
    return any(t.type == "pipeline" and t.enabled for t in pipeline.triggers)


def _memo(record: PipelineRecord) -> dict[str, Any]:
    pipeline = record.pipeline
    latest = record.versions[-1] if record.versions else None
    return {
        "application": record.application,
        "name": record.name,
        "id": pipeline.id,
        "version": record.version,
        "disabled": record.disabled,
        "stages": len(pipeline.stages),
        "updated": latest.time if latest else None,
        "updatedBy": latest.user if latest else None,
        "triggers": [
            t.model_dump(mode="json", by_alias=True, exclude_defaults=True) | {"type": t.type}
            for t in pipeline.triggers
        ],
    }


@workflow.defn(name="PipelineConfig")
class PipelineConfigWorkflow:
    """One saved pipeline. Updates: ``apply``, ``set_disabled``, ``delete``; query: ``record``."""

    @workflow.init
    def __init__(self, input: RegistryInput) -> None:
        self._record = input.record
        self._queues = input.queues
        self._schedule_ids = input.schedule_ids
        self._sync_pending = input.sync_pending
        self._retry_after = _RETRY_MIN_SECONDS
        self._deleting = False
        self._deleted = False
        # Concurrent updates save in arrival order; schedule syncs must not interleave.
        self._sync_lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: RegistryInput) -> None:
        """Live until deleted; retry a failed schedule sync; continue-as-new when history grows."""
        if not self._record.versions:
            # Started by an apply (update-with-start): if the apply was refused, there is
            # nothing saved and the entry must not linger as an empty pipeline.
            await workflow.wait_condition(workflow.all_handlers_finished)
            if not self._record.versions:
                return
        while not (self._deleted or self._should_continue_as_new()):
            if not self._sync_pending:
                await workflow.wait_condition(
                    lambda: self._deleted or self._sync_pending or self._should_continue_as_new()
                )
                continue
            try:
                await workflow.wait_condition(
                    lambda: self._deleted or self._should_continue_as_new(),
                    timeout=self._retry_after,
                )
            except TimeoutError:
                # A schedule sync failed (server trouble, bad worker timezone): try again.
                try:
                    await self._sync()
                except ApplicationError as err:
                    workflow.logger.warning("schedule sync still failing: %s", err.message)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._deleted:
            return
        workflow.continue_as_new(
            RegistryInput(
                record=self._record,
                queues=self._queues,
                schedule_ids=self._schedule_ids,
                sync_pending=self._sync_pending,
            ),
            memo=_memo(self._record),
        )

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > (
            _MAX_HISTORY
        )

    @workflow.query
    def record(self) -> PipelineRecord:
        """The current config, state and version history."""
        self._check_alive()
        return self._record

    # -- apply ----------------------------------------------------------------------------------

    @workflow.update
    async def apply(self, request: ApplyPipeline) -> ApplyResult:
        """Save a new version when the config changed; bring the cron schedules in line."""
        pipeline = self._incoming(request)
        text = config_text(pipeline)
        digest = _digest(text)
        created = not self._record.versions
        if not created and self._record.versions[-1].digest == digest:
            return ApplyResult(changed=False, version=self._record.version)
        version = self._save(pipeline, request.user, text, digest)
        await self._sync_or_explain(f"saved {self._key()} v{version.version}")
        return ApplyResult(
            changed=True, version=version.version, diff=version.diff, created=created
        )

    @apply.validator
    def _validate_apply(self, request: ApplyPipeline) -> None:
        self._check_alive()
        pipeline = request.pipeline
        if (pipeline.application, pipeline.name) != (self._record.application, self._record.name):
            raise ApplicationError(
                f"registry entry {self._key()} cannot save {pipeline.key}",
                type="WrongEntry",
                non_retryable=True,
            )
        problems = apply_problems(pipeline)
        if problems:
            raise ApplicationError(
                "; ".join(str(p) for p in problems),
                [{"path": p.path, "message": p.message} for p in problems],
                type="InvalidPipeline",
                non_retryable=True,
            )

    def _incoming(self, request: ApplyPipeline) -> Pipeline:
        if request.keep_disabled:
            return request.pipeline.model_copy(update={"disabled": self._record.disabled})
        return request.pipeline

    def _save(self, pipeline: Pipeline, user: str, text: str, digest: str) -> PipelineVersion:
        previous = config_text(self._record.pipeline) if self._record.versions else ""
        number = self._record.version + 1
        diff = "".join(
            difflib.unified_diff(
                previous.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"v{number - 1}",
                tofile=f"v{number}",
                n=2,
            )
        )
        if len(diff) > _MAX_DIFF_CHARS:
            diff = diff[:_MAX_DIFF_CHARS] + "\n... (diff cut short)\n"
        version = PipelineVersion(
            version=number,
            user=user,
            time=int(workflow.now().timestamp() * 1000),
            digest=digest,
            diff=diff,
        )
        self._record.pipeline = pipeline
        self._record.disabled = pipeline.disabled
        self._record.versions = [*self._record.versions, version][-_MAX_VERSIONS:]
        workflow.upsert_memo(_memo(self._record))
        workflow.upsert_search_attributes(
            [
                SEARCH.status.value_set("DISABLED" if pipeline.disabled else "ENABLED"),
                SEARCH.trigger.value_set("pipeline" if _follows_pipelines(pipeline) else "none"),
            ]
        )
        return version

    # -- disable, enable, delete ----------------------------------------------------------------

    @workflow.update
    async def set_disabled(self, request: DisableRequest) -> PipelineRecord:
        """Disable (refuse triggers and runs, pause schedules) or enable; recorded as a version."""
        if self._record.disabled != request.disabled:
            pipeline = self._record.pipeline.model_copy(update={"disabled": request.disabled})
            text = config_text(pipeline)
            version = self._save(pipeline, request.user, text, _digest(text))
            state = "disabled" if request.disabled else "enabled"
            await self._sync_or_explain(f"{state} {self._key()} (v{version.version})")
        return self._record

    @set_disabled.validator
    def _validate_set_disabled(self, request: DisableRequest) -> None:
        self._check_alive()

    @workflow.update
    async def delete(self, request: DeleteRequest) -> None:
        """Delete the pipeline and its schedules; the entry then ends."""
        self._deleting = True
        try:
            await self._sync()
        except ApplicationError as err:
            self._deleting = False
            raise ApplicationError(
                f"{self._key()} was not deleted: {err.message}", type="DeleteFailed"
            ) from None
        workflow.logger.info("%s deleted by %s", self._key(), request.user)
        self._deleted = True

    @delete.validator
    def _validate_delete(self, request: DeleteRequest) -> None:
        self._check_alive()

    def _check_alive(self) -> None:
        if self._deleting or self._deleted:
            raise ApplicationError(
                f"pipeline {self._key()} was deleted", type="Deleted", non_retryable=True
            )

    def _key(self) -> str:
        return f"{self._record.application}/{self._record.name}"

    # -- schedules ------------------------------------------------------------------------------

    async def _sync_or_explain(self, done: str) -> None:
        try:
            await self._sync()
        except ApplicationError as err:
            raise ApplicationError(
                f"{done}, but its cron schedules could not be updated yet "
                f"(the entry keeps trying): {err.message}",
                type="SchedulesPending",
                non_retryable=True,
            ) from None

    async def _sync(self) -> None:
        """Make the Schedules match the entry as it is when the sync starts (serialised)."""
        async with self._sync_lock:
            request = SyncSchedulesRequest(
                pipeline=self._record.pipeline,
                disabled=self._record.disabled,
                deleted=self._deleting or self._deleted,
                known=self._schedule_ids,
                queues=self._queues,
            )
            try:
                ids: list[str] = await workflow.execute_activity(
                    "gennaker.sync_schedules",
                    request,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(
                        maximum_attempts=4, non_retryable_error_types=["BadCron"]
                    ),
                    result_type=list[str],
                )
            except ActivityError as err:
                if self._sync_pending:
                    self._retry_after = min(self._retry_after * 2, _RETRY_MAX_SECONDS)
                self._sync_pending = True
                cause = err.cause
                message = cause.message if isinstance(cause, ApplicationError) else str(err)
                raise ApplicationError(message, type="SyncFailed") from None
            self._schedule_ids = ids
            self._sync_pending = False
            self._retry_after = _RETRY_MIN_SECONDS
