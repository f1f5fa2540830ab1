"""Starting executions: shared by the client, cron schedules and pipeline triggers."""

from __future__ import annotations

import secrets
import time
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from models.ids import execution_id, slug
from models.pipeline import Pipeline, Trigger
from models.run import PipelineRunInput, TaskQueues
from models.search import run_search_attributes
from workflows.details import static_details, static_summary

__all__ = ["new_execution_id", "run_input", "start_execution", "start_options", "triggered_id"]


def new_execution_id(pipeline: Pipeline) -> str:
    """A fresh execution id: ``app/pipeline/<time-ordered unique>``."""
    unique = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
    return execution_id(pipeline.application, pipeline.name, unique)


def run_input(
    pipeline: Pipeline, trigger: Trigger, queues: TaskQueues, *, saved: bool
) -> PipelineRunInput:
    """The workflow input of a run."""
    return PipelineRunInput(pipeline=pipeline, trigger=trigger, queues=queues, saved=saved)


def start_options(pipeline: Pipeline, trigger: Trigger) -> dict[str, Any]:
    """Search attributes and UI texts every run starts with."""
    return {
        "search_attributes": run_search_attributes(
            pipeline.application, pipeline.name, trigger.type
        ),
        "static_summary": static_summary(pipeline, trigger.type),
        "static_details": static_details(pipeline),
    }


async def start_execution(
    client: Client,
    pipeline: Pipeline,
    trigger: Trigger,
    queues: TaskQueues,
    *,
    saved: bool,
    workflow_id: str | None = None,
    idempotent: bool = False,
) -> WorkflowHandle[Any, Any]:
    """Start one execution of ``pipeline``.

    Args:
        idempotent: With a fixed ``workflow_id``, return the running execution instead of
            failing when it was already started (a retried trigger).
    """
    return await client.start_workflow(
        "Pipeline",
        run_input(pipeline, trigger, queues, saved=saved),
        id=workflow_id or new_execution_id(pipeline),
        task_queue=queues.pipelines,
        id_conflict_policy=(
            WorkflowIDConflictPolicy.USE_EXISTING if idempotent else WorkflowIDConflictPolicy.FAIL
        ),
        **start_options(pipeline, trigger),
    )


def triggered_id(pipeline: Pipeline, cause: str) -> str:
    """A deterministic id for a run started by ``cause`` (so a retried trigger starts it once)."""
    return f"{slug(pipeline.application)}/{slug(pipeline.name)}/{cause}"
