"""``pipeline``: run a saved pipeline as a child execution and end with its status."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
)
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from models.errors import ValidationError
    from models.ids import execution_id
    from models.pipeline import Trigger, resolve_parameters
    from models.registry import LoadedPipeline, LoadPipelineRequest
    from models.run import PipelineRunInput
    from models.search import run_search_attributes
    from models.stages import PipelineStage
    from models.status import Status

from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["ChildPipelineHandler", "start_child_pipeline"]


async def start_child_pipeline(
    ctx: StageContext,
    application: str,
    pipeline: str,
    parameters: dict[str, object],
    *,
    wait: bool,
) -> tuple[str, workflow.ChildWorkflowHandle[object, object]]:
    """Start saved pipeline ``application``/``pipeline`` as a child of this stage.

    Raises:
        StageFailed: The pipeline is unknown or disabled, or a parameter is wrong.
    """
    try:
        loaded: LoadedPipeline = await ctx.local_activity(
            "gennaker.load_pipeline",
            LoadPipelineRequest(application=application, pipeline=pipeline),
            result_type=LoadedPipeline,
        )
    except ActivityError as err:
        cause = err.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(err)
        raise StageFailed(message) from None
    child = loaded.pipeline
    try:
        resolved = resolve_parameters(child, dict(parameters))
    except ValidationError as err:
        raise StageFailed(str(err)) from None
    trigger = Trigger(
        type="pipeline",
        user=ctx.trigger.user,
        parameters=resolved,
        parentExecution={
            "id": ctx.execution_id,
            "application": ctx.pipeline.application,
            "name": ctx.pipeline.name,
            "pipelineConfigId": ctx.pipeline.id,
            "stageId": ctx.ref_id,
        },
        parentPipelineStageId=ctx.ref_id,
    )
    child_id = execution_id(child.application, child.name, str(workflow.uuid4())[:13])
    handle = await workflow.start_child_workflow(
        "Pipeline",
        PipelineRunInput(pipeline=child, trigger=trigger, queues=ctx.queues, saved=True),
        id=child_id,
        task_queue=ctx.queues.pipelines,
        search_attributes=run_search_attributes(child.application, child.name, "pipeline"),
        parent_close_policy=ParentClosePolicy.REQUEST_CANCEL if wait else ParentClosePolicy.ABANDON,
        static_summary=f"{child.application}/{child.name}: child of {ctx.execution_id}",
    )
    return child_id, handle


def child_outcome(err: ChildWorkflowError) -> tuple[str, str]:
    """(status, message) of a child pipeline that did not succeed."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        status = "TERMINAL"
        if cause.type == "PipelineCanceled":
            status = "CANCELED"
        return status, cause.message
    if isinstance(cause, CancelledError):
        return "CANCELED", "child execution was canceled"
    return "TERMINAL", str(cause or err)


@handles("pipeline")
class ChildPipelineHandler(BaseHandler):
    """Starts the child; with ``waitForCompletion`` the stage ends with the child's status."""

    async def run(self, stage: PipelineStage, ctx: StageContext) -> StageResult:
        """Start, then (usually) wait."""
        child_id, handle = await start_child_pipeline(
            ctx,
            stage.application,
            stage.pipeline,
            stage.pipeline_parameters,
            wait=stage.wait_for_completion,
        )
        ctx.context["executionId"] = child_id
        ctx.outputs["executionId"] = child_id
        ctx.show(f"child execution `{child_id}`")
        if not stage.wait_for_completion:
            return StageResult(outputs={"executionId": child_id})
        try:
            await handle
        except ChildWorkflowError as err:
            status, message = child_outcome(err)
            ctx.outputs["status"] = status
            if status == "CANCELED":
                return StageResult(
                    outputs={"executionId": child_id, "status": status}, status=Status.CANCELED
                )
            raise StageFailed(f"child execution {child_id} ended {status}: {message}") from None
        return StageResult(outputs={"executionId": child_id, "status": "SUCCEEDED"})
