"""Canary configs kept in Temporal, and the HTML report of a canary stage.

:class:`CanaryConfigs` saves Kayenta canary configs by id (one entity workflow
each, versioned), for ``canaryConfigId`` in ``kayentaCanary`` stages.
:func:`canary_report` reads a canary stage's outcome from its execution, fetches
the decisive interval's series again from the metric source (the worker
configuration says how to reach it) and renders one self-contained HTML page.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy

from client.client import GennakerClient
from client.entities import query_if_running, update_failure
from models.config import GennakerConfig
from models.errors import (
    CanaryConfigError,
    FieldProblem,
    GennakerError,
    NotFoundError,
    RefusedError,
)
from models.execution import StageView
from models.run import TaskQueues
from models.status import Status
from workflows.canary.configs import (
    CANARY_CONFIG_WORKFLOW,
    canary_config_problems,
    canary_config_workflow_id,
)
from workflows.canary.messages import (
    ApplyCanaryConfig,
    CanaryConfigApplied,
    CanaryConfigRecord,
    DeleteCanaryConfig,
    SidePair,
)
from workflows.canary.results import metric_key

if TYPE_CHECKING:
    from activities.canary.report import CanaryReport, ReportMetric, ReportRun

__all__ = ["CanaryConfigs", "canary_report", "config_id_of", "report_metrics"]

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")
_CLOSE_WAIT_SECONDS = 10.0


def config_id_of(config: dict[str, Any]) -> str:
    """The id a config is saved under: its ``id``, else its ``name`` made id-safe.

    Raises:
        CanaryConfigError: The config has neither.
    """
    given = config.get("id") or config.get("name")
    if not isinstance(given, str) or not given.strip():
        raise CanaryConfigError([FieldProblem("id", "a saved canary config needs an id or a name")])
    return str(config.get("id") or _UNSAFE_ID.sub("-", given.strip()).strip("-").lower())


class CanaryConfigs:
    """Saved canary configs (one ``CanaryConfig`` workflow each, on the pipelines queue)."""

    def __init__(self, client: Client, queues: TaskQueues | None = None) -> None:
        self._client = client
        self._queues = queues or TaskQueues()

    def _handle(self, config_id: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(canary_config_workflow_id(config_id))

    async def apply(
        self, config: dict[str, Any], *, user: str = "anonymous", source: str | None = None
    ) -> CanaryConfigApplied:
        """Save ``config`` (a new version only when it changed).

        Raises:
            CanaryConfigError: The config is not valid (naming ``source`` and the field).
        """
        config_id = config_id_of(config)
        where = source or f"canary config {config_id!r}"
        problems = canary_config_problems(config)
        if problems:
            raise CanaryConfigError(
                [FieldProblem(p["path"], p["message"]) for p in problems], where
            )
        for _ in range(3):
            try:
                result: CanaryConfigApplied = await self._client.execute_update_with_start_workflow(
                    "apply",
                    ApplyCanaryConfig(config={**config, "id": config_id}, user=user),
                    start_workflow_operation=WithStartWorkflowOperation(
                        CANARY_CONFIG_WORKFLOW,
                        CanaryConfigRecord(id=config_id),
                        id=canary_config_workflow_id(config_id),
                        task_queue=self._queues.pipelines,
                        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                        static_summary=f"canary config {config_id}",
                    ),
                    result_type=CanaryConfigApplied,
                )
                return result
            except WorkflowUpdateFailedError as err:
                failure = update_failure(err)
                if failure is not None and failure.type == "Deleted":
                    await self._closed(config_id)
                    continue
                if failure is not None and failure.type == "InvalidCanaryConfig":
                    details = failure.details[0] if failure.details else []
                    raise CanaryConfigError(
                        [FieldProblem(p["path"], p["message"]) for p in details] or failure.message,
                        where,
                    ) from None
                raise RefusedError(f"{where}: {failure.message if failure else err}") from None
        raise RefusedError(f"{where}: the config's entry kept closing; try again")

    async def get(self, config_id: str) -> CanaryConfigRecord:
        """A saved config with its versions.

        Raises:
            NotFoundError: No config has that id.
        """
        record = await query_if_running(self._handle(config_id), "get", CanaryConfigRecord)
        if record is None or not record.versions:
            raise NotFoundError(f"no saved canary config {config_id!r}")
        return record

    async def list(self) -> builtins.list[dict[str, Any]]:
        """Summaries of every saved config (``id``, ``name``, ``applications``, ``version``, ...).

        Listings come from the visibility store, which may lag a write by a moment.
        """
        query = f"WorkflowType = '{CANARY_CONFIG_WORKFLOW}' AND ExecutionStatus = 'Running'"
        rows = []
        async for execution in self._client.list_workflows(query):
            memo = await execution.memo()
            if memo:
                rows.append(dict(memo))
        rows.sort(key=lambda row: str(row.get("id", "")))
        return rows

    async def delete(self, config_id: str, *, user: str = "anonymous") -> None:
        """Delete a saved config.

        Raises:
            NotFoundError: No config has that id.
        """
        await self.get(config_id)
        try:
            await self._handle(config_id).execute_update(
                "delete", DeleteCanaryConfig(user=user), result_type=None
            )
        except WorkflowUpdateFailedError:
            raise NotFoundError(f"no saved canary config {config_id!r}") from None
        await self._closed(config_id)

    async def _closed(self, config_id: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._handle(config_id).result(), _CLOSE_WAIT_SECONDS)


# -- the report ------------------------------------------------------------------------------------
# The report needs numpy, scipy, matplotlib and the metric sources: imported when a
# report is made, so that other commands start fast.


async def canary_report(
    gennaker: GennakerClient, execution_id: str, stage_key: str, worker_config: GennakerConfig
) -> str:
    """The HTML report of canary stage ``stage_key`` (refId or name) of an execution.

    Raises:
        NotFoundError: No such execution or stage.
        RefusedError: The stage is not a ``kayentaCanary`` stage.
    """
    from activities.canary.report import CanaryReport, render_report

    view = await gennaker.status(execution_id)
    stage = view.stage(stage_key)
    if stage is None:
        raise NotFoundError(f"execution {execution_id} has no stage {stage_key!r}")
    if stage.type != "kayentaCanary":
        raise RefusedError(f"stage {stage.name!r} is a {stage.type} stage, not kayentaCanary")
    outputs = stage.outputs
    settings = stage.context.get("canaryConfig") or {}
    thresholds = settings.get("scoreThresholds") or {"pass": 75, "marginal": 50}
    runs = outputs.get("canaryRuns") or []
    report = CanaryReport(
        execution_id=execution_id,
        application=view.application,
        pipeline=view.pipeline,
        stage_name=stage.name,
        stage_ref=stage.ref_id,
        status=str(stage.status),
        passed=stage.status == Status.SUCCEEDED,
        message=str(outputs.get("canaryScoreMessage") or stage.error or stage.status),
        thresholds=(_float(thresholds.get("pass")), _float(thresholds.get("marginal"))),
        runs=[_run(run) for run in runs],
        generated=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
    if outputs.get("truncated") or outputs.get("metricsCompacted"):
        report.notes.append("The stage kept only some metric numbers; the rest are recomputed.")
    config = await _kayenta_config(gennaker, stage, report)
    if config is not None and runs:
        report.metrics = await asyncio.to_thread(
            report_metrics, config, runs[-1], outputs, settings, worker_config, report.notes
        )
    return render_report(report)


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _run(run: dict[str, Any]) -> ReportRun:
    from activities.canary.report import ReportRun

    scope = next(iter((run.get("scopes") or {"": {}}).values()))
    experiment = scope.get("experimentScope") or {}
    control = scope.get("controlScope") or {}
    return ReportRun(
        index=int(run.get("index", 0)),
        score=float(run.get("canaryScore", 0.0)),
        classification=str(run.get("classification", "")),
        experiment_window=(experiment.get("start", "?"), experiment.get("end", "?")),
        control_window=(control.get("start", "?"), control.get("end", "?")),
        warnings=list(run.get("warnings") or []),
        not_passing=[f"{k} ({v})" for k, v in (run.get("notPassing") or {}).items()],
    )


async def _kayenta_config(
    gennaker: GennakerClient, stage: StageView, report: CanaryReport
) -> dict[str, Any] | None:
    """The Kayenta config the stage used: inline, or the saved version it ran with."""
    settings = stage.context.get("canaryConfig") or {}
    inline = settings.get("config") or settings.get("inlineConfig")
    if isinstance(inline, dict):
        report.config_name = str(inline.get("name") or "inline config")
        return inline
    config_id = stage.outputs.get("canaryConfigId") or settings.get("canaryConfigId")
    if not config_id:
        return None
    version = stage.outputs.get("canaryConfigVersion")
    try:
        record = await CanaryConfigs(gennaker.temporal, gennaker.queues).get(str(config_id))
    except NotFoundError:
        report.notes.append(f"The saved canary config {config_id!r} no longer exists.")
        return None
    config = record.at(version)
    if config is None:
        report.notes.append(
            f"Version {version} of {config_id!r} is no longer kept; using v{record.version}."
        )
        config, version = record.config, record.version
    report.config_name = f"{config_id} v{version or record.version}"
    return config


def report_metrics(
    config_data: dict[str, Any],
    run: dict[str, Any],
    outputs: dict[str, Any],
    settings: dict[str, Any],
    worker_config: GennakerConfig,
    notes: builtins.list[str],
) -> builtins.list[ReportMetric]:
    """Fetch the decisive run's series again and pair them with the recorded verdicts."""
    from activities.canary import Sources, collect, parse_config, summarise
    from activities.canary.judge import judge
    from activities.canary.report import ReportMetric
    from models.canary import ScoreThresholds

    config = parse_config(config_data)
    scopes = {
        name: SidePair.model_validate(pair) for name, pair in (run.get("scopes") or {}).items()
    }
    sources = Sources(worker_config)
    try:
        mixed = collect(config, scopes, sources, settings.get("metricsAccountName"))
    except GennakerError as err:
        notes.append(f"The series could not be fetched again, so there are no plots: {err}")
        mixed = []
    finally:
        sources.close()
    recorded: dict[str, dict[str, Any]] = {
        metric_key(m.get("name", ""), m.get("tags")): m
        for m in outputs.get("metrics") or []
        if isinstance(m, dict)
    }
    compacted = bool(outputs.get("metricsCompacted"))
    incomplete = [
        key
        for key in (metric_key(m.pair.name, m.pair.tags) for m in mixed)
        if key not in recorded or (compacted and recorded[key].get("classification") == "Pass")
    ]
    if incomplete:
        # Outputs kept short: judge the fetched series again, with the run's seed, for the
        # numbers; what the stage recorded (classification, ratio) still wins.
        thresholds = ScoreThresholds.model_validate({"pass": 0.0, "marginal": 0.0})
        judged = judge(config, thresholds, [m.pair for m in mixed], seed=int(run.get("seed", 0)))
        for verdict in summarise(judged, int(run.get("index", 0)), 0).metrics:
            key = metric_key(verdict.name, verdict.tags)
            if key in incomplete:
                again = verdict.model_dump(mode="json", by_alias=True)
                recorded[key] = {**again, **recorded.get(key, {})}
        notes.append(
            "Numbers of "
            + ", ".join(incomplete)
            + " were recomputed from the series fetched again."
        )
    if not mixed:
        return [ReportMetric(key=key, verdict=verdict) for key, verdict in recorded.items()]
    metrics = []
    for item in mixed:
        pair = item.pair
        key = metric_key(pair.name, pair.tags)
        attributes = pair.attributes or {}
        metrics.append(
            ReportMetric(
                key=key,
                verdict=recorded.get(key, {}),
                control_ms=item.control_ms,
                control=list(pair.values.control),
                experiment_ms=item.experiment_ms,
                experiment=list(pair.values.experiment),
                queries=(
                    str((attributes.get("control") or {}).get("query", "")),
                    str((attributes.get("experiment") or {}).get("query", "")),
                ),
            )
        )
    return metrics
