"""Handlers of the Kubernetes manifest stages (workflow code: deterministic).

Each stage is Orca's task list as activities on the Kubernetes queue:

- ``deployManifest``: apply → wait until stable (fails on ``ProgressDeadlineExceeded``
  or the stability timeout);
- ``scaleManifest``, ``patchManifest``, ``undoRolloutManifest``: find the targets →
  act → wait until stable;
- ``deleteManifest``: find → delete (cascading by default; what is already gone
  counts as deleted).

Cancelling a stage stops the waiting at once and leaves the cluster as
Kubernetes leaves it: what was applied stays applied and its rollout goes on
(Spinnaker does not undo a deploy on cancel either); the stage context says so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pydantic
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.kubernetes import (
        DeleteManifestsRequest,
        DeleteManifestsResult,
        DeployManifestsRequest,
        DeployManifestsResult,
        FindManifestsResult,
        ManifestRef,
        ManifestResult,
        Moniker,
        PatchManifestRequest,
        RollBackRequest,
        RolloutHistory,
        ScaleManifestRequest,
        TargetRequest,
        WaitStableRequest,
        WaitStableResult,
    )
    from models.stages.kubernetes import (
        DeleteManifestStage,
        DeployManifestStage,
        ManifestSelectorStage,
        PatchManifestStage,
        ScaleManifestStage,
        UndoRolloutManifestStage,
    )

from workflows.expressions import render
from workflows.kubernetes.manifests import names_by_namespace
from workflows.kubernetes.targets import undo_target
from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = [
    "STABLE_TIMEOUT_SECONDS",
    "DeleteManifestHandler",
    "DeployManifestHandler",
    "PatchManifestHandler",
    "ScaleManifestHandler",
    "UndoRolloutManifestHandler",
]

STABLE_TIMEOUT_SECONDS = 30 * 60
"""How long a manifest may take to become stable (Orca's ``WaitForManifestStableTask``)."""

_CANCEL_NOTE = (
    "cancelled while waiting for the rollout: what was applied stays applied and "
    "Kubernetes goes on rolling it out; nothing was undone"
)


async def _wait_stable(
    ctx: StageContext, account: str, refs: list[ManifestRef]
) -> WaitStableResult:
    """Wait (in one heartbeating activity) until every object is stable."""
    names = ", ".join(r.display for r in refs)
    ctx.show(f"waiting for {names} to become stable")
    ctx.context["waitingForStable"] = [r.display for r in refs]
    result: WaitStableResult = await ctx.activity(
        "kubernetes.waitForStable",
        WaitStableRequest(account=account, refs=refs, timeout_seconds=STABLE_TIMEOUT_SECONDS),
        queue=ctx.queues.kubernetes,
        result_type=WaitStableResult,
        target=names,
        start_to_close=timedelta(seconds=STABLE_TIMEOUT_SECONDS + 120),
        heartbeat=timedelta(seconds=30),
    )
    ctx.context.pop("waitingForStable", None)
    ctx.context["stableMessages"] = {s.ref.display: s.message for s in result.statuses}
    ctx.show(None)
    return result


async def _find(
    stage: ManifestSelectorStage, ctx: StageContext, *, missing_ok: bool = False
) -> list[ManifestRef]:
    try:
        request = stage.find_request(missing_ok=missing_ok)
    except pydantic.ValidationError as err:
        raise StageFailed(f"target selection: {err}") from None
    found: FindManifestsResult = await ctx.activity(
        "kubernetes.findManifests",
        request,
        queue=ctx.queues.kubernetes,
        result_type=FindManifestsResult,
        target=stage.manifest_name or stage.cluster or ", ".join(stage.kinds),
    )
    ctx.context["targets"] = [r.display for r in found.refs]
    return found.refs


def _outputs(account: str, results: list[ManifestResult]) -> dict[str, Any]:
    return {
        "outputs.manifests": [r.manifest for r in results],
        "manifestNamesByNamespace": names_by_namespace(r.ref for r in results),
        "deploy.account.name": account,
    }


class _ManifestHandler(BaseHandler):
    async def on_cancel(self, stage: Any, ctx: StageContext) -> None:
        """Nothing to undo: note that the cluster was left as it was."""
        ctx.context["cancelNote"] = _CANCEL_NOTE


@handles("deployManifest")
class DeployManifestHandler(_ManifestHandler):
    """Orca's deploy → wait-for-stable tasks, with Spinnaker's outputs."""

    raw_fields = frozenset({"manifests"})

    async def run(self, stage: DeployManifestStage, ctx: StageContext) -> StageResult:
        """Render (unless ``skipExpressionEvaluation``), apply, wait until stable."""
        manifests = stage.manifests
        if not stage.skip_expression_evaluation:
            manifests, failures = render(manifests, ctx.scope())
            if failures:
                summary = ctx.context.setdefault("expressionEvaluationSummary", {})
                summary.update({f.expression: f.reason for f in failures})
                if stage.fail_on_failed_expressions:
                    reasons = "; ".join(f"{f.expression}: {f.reason}" for f in failures)
                    raise StageFailed(f"failed expressions in manifests: {reasons}")
        ctx.context["manifests"] = manifests
        moniker = stage.moniker or Moniker()
        try:
            request = DeployManifestsRequest(
                account=stage.account,
                manifests=manifests,
                namespace_override=stage.namespace_override,
                moniker=moniker.model_copy(update={"app": moniker.app or ctx.pipeline.application}),
                execution_id=ctx.execution_id,
                stage=ctx.ref_id,
            )
        except pydantic.ValidationError as err:
            raise StageFailed(f"invalid manifests: {err}") from None
        names = ", ".join(
            f"{m.get('kind')} {(m.get('metadata') or {}).get('name')}" for m in manifests
        )
        result: DeployManifestsResult = await ctx.activity(
            "kubernetes.deployManifests",
            request,
            queue=ctx.queues.kubernetes,
            result_type=DeployManifestsResult,
            target=names,
        )
        outputs = {
            "outputs.manifests": result.manifests,
            "outputs.createdArtifacts": result.created_artifacts,
            "outputs.boundArtifacts": [],
            "manifestNamesByNamespace": result.manifest_names_by_namespace,
            "deploy.account.name": stage.account,
        }
        ctx.outputs.update(outputs)
        ctx.context["deploy.account.name"] = stage.account
        ctx.context["manifestNamesByNamespace"] = result.manifest_names_by_namespace
        await _wait_stable(ctx, stage.account, result.refs)
        return StageResult(outputs=outputs)


@handles("deleteManifest")
class DeleteManifestHandler(_ManifestHandler):
    """Find the targets, delete them; already gone is fine (``kubectl delete --ignore-not-found``)."""

    async def run(self, stage: DeleteManifestStage, ctx: StageContext) -> StageResult:
        """Find and delete."""
        refs = await _find(stage, ctx, missing_ok=True)
        result: DeleteManifestsResult = await ctx.activity(
            "kubernetes.deleteManifests",
            DeleteManifestsRequest(
                account=stage.account,
                refs=refs,
                cascading=stage.options.cascading,
                grace_period_seconds=stage.options.grace_period_seconds,
            ),
            queue=ctx.queues.kubernetes,
            result_type=DeleteManifestsResult,
            target=", ".join(r.display for r in refs) or "nothing",
        )
        gone = [*result.deleted, *result.missing]
        if not gone:
            ctx.context["note"] = "no object matched the target selection; nothing to delete"
        return StageResult(
            outputs={
                "outputs.deletedManifests": [r.display for r in result.deleted],
                "manifestNamesByNamespace": names_by_namespace(gone),
                "deploy.account.name": stage.account,
            }
        )


@handles("scaleManifest")
class ScaleManifestHandler(_ManifestHandler):
    """Find → scale → wait until stable."""

    async def run(self, stage: ScaleManifestStage, ctx: StageContext) -> StageResult:
        """Scale every target to ``replicas``."""
        results = []
        for ref in await _find(stage, ctx):
            results.append(
                await ctx.activity(
                    "kubernetes.scaleManifest",
                    ScaleManifestRequest(account=stage.account, ref=ref, replicas=stage.replicas),
                    queue=ctx.queues.kubernetes,
                    result_type=ManifestResult,
                    target=f"{ref.display} to {stage.replicas}",
                )
            )
        ctx.outputs.update(_outputs(stage.account, results))
        await _wait_stable(ctx, stage.account, [r.ref for r in results])
        return StageResult(outputs=_outputs(stage.account, results))


@handles("patchManifest")
class PatchManifestHandler(_ManifestHandler):
    """Find → patch → wait until stable."""

    async def run(self, stage: PatchManifestStage, ctx: StageContext) -> StageResult:
        """Patch every target."""
        cause = f"gennaker: pipeline {ctx.pipeline.name!r}, execution {ctx.execution_id}, stage {ctx.ref_id}"
        results = []
        for ref in await _find(stage, ctx):
            results.append(
                await ctx.activity(
                    "kubernetes.patchManifest",
                    PatchManifestRequest(
                        account=stage.account,
                        ref=ref,
                        patch_body=stage.patch,
                        merge_strategy=stage.options.merge_strategy,
                        record=stage.options.record,
                        change_cause=cause,
                    ),
                    queue=ctx.queues.kubernetes,
                    result_type=ManifestResult,
                    target=f"{ref.display} ({stage.options.merge_strategy} patch)",
                )
            )
        ctx.outputs.update(_outputs(stage.account, results))
        await _wait_stable(ctx, stage.account, [r.ref for r in results])
        return StageResult(outputs=_outputs(stage.account, results))


@handles("undoRolloutManifest")
class UndoRolloutManifestHandler(_ManifestHandler):
    """Find → read the revisions → roll back ``numRevisionsBack`` → wait until stable.

    The revision is chosen in the workflow and the roll-back names its
    ReplicaSet, so a retried roll-back lands on the same revision.
    """

    async def run(self, stage: UndoRolloutManifestStage, ctx: StageContext) -> StageResult:
        """Undo the rollout of every target."""
        results, undone = [], []
        for ref in await _find(stage, ctx):
            history: RolloutHistory = await ctx.activity(
                "kubernetes.rolloutHistory",
                TargetRequest(account=stage.account, ref=ref),
                queue=ctx.queues.kubernetes,
                result_type=RolloutHistory,
                target=ref.display,
            )
            try:
                target = undo_target(history, stage.num_revisions_back)
            except ValueError as err:
                raise StageFailed(str(err)) from None
            undone.append(
                {
                    "manifest": ref.display,
                    "fromRevision": history.current,
                    "toRevision": target.revision,
                    "replicaSet": target.replica_set,
                    "images": target.images,
                }
            )
            ctx.context["undoRollout"] = undone
            results.append(
                await ctx.activity(
                    "kubernetes.rollBack",
                    RollBackRequest(account=stage.account, ref=ref, replica_set=target.replica_set),
                    queue=ctx.queues.kubernetes,
                    result_type=ManifestResult,
                    target=f"{ref.display} to revision {target.revision}",
                )
            )
        outputs = {**_outputs(stage.account, results), "undoRollout": undone}
        ctx.outputs.update(outputs)
        await _wait_stable(ctx, stage.account, [r.ref for r in results])
        return StageResult(outputs=outputs)
