"""``kayentaCanary``: multi-interval automated canary analysis (Orca's ``KayentaCanaryStage``).

The stage resolves its canary config, optionally deploys a baseline and a canary
(``deployments``), plans its runs (:mod:`workflows.canary.planning`), then for
each run waits on a durable timer (no worker is busy while a three-hour canary
waits) and judges the run on the canary queue. A run at or below the marginal
score fails the stage at once; otherwise the last score decides. Deployed server
groups are destroyed afterwards, whether the analysis passed, failed or was
cancelled (after ``delayBeforeCleanup`` only when it passed, as in Orca). The Web UI's current details show each interval's score as it comes.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from models.stages.canary import KayentaCanaryStage
    from workflows.canary.messages import (
        JudgementRequest,
        JudgementSummary,
        PreparedConfig,
        PrepareRequest,
        ScopeWindowSpec,
        SidePair,
    )
    from workflows.canary.planning import (
        RUN_FAILED_MESSAGE,
        CanaryPlan,
        DeployedScope,
        PlanError,
        PlannedRun,
        Thresholds,
        aggregate,
        plan_canary,
        run_fails,
    )
    from workflows.canary.results import live_details, run_record, stage_outputs, window_spec

from workflows.canary.deploy import deploy_canary, destroy_canary, failure_message
from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["KayentaCanaryHandler"]

_PREPARE_RETRY = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=10))
_JUDGE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=10,
)


def _seed(key: str, index: int) -> int:
    # Replayable noise for the judge's constant-series case: same run, same verdict.
    return int.from_bytes(hashlib.sha256(f"{key}#{index}".encode()).digest()[:4], "big")


def _request(
    prepared: PreparedConfig,
    stage: KayentaCanaryStage,
    run: PlannedRun,
    thresholds: Thresholds,
    seed: int,
) -> JudgementRequest:
    scopes = {
        name: SidePair(
            control_scope=ScopeWindowSpec.model_validate(window_spec(control)),
            experiment_scope=ScopeWindowSpec.model_validate(window_spec(experiment)),
        )
        for name, (control, experiment) in run.scopes.items()
    }
    return JudgementRequest(
        config=prepared.config,
        metricsAccountName=stage.canary_config.metrics_account_name,
        scopes=scopes,
        # The judge needs numbers; Orca's Int model reads a missing threshold as 0.
        **{"pass": thresholds.pass_ or 0.0, "marginal": thresholds.marginal or 0.0},
        seed=seed,
        index=run.index,
    )


@handles("kayentaCanary")
class KayentaCanaryHandler(BaseHandler):
    """Runs the canary's intervals; destroys what ``deployments`` created, whatever happens."""

    async def run(self, stage: KayentaCanaryStage, ctx: StageContext) -> StageResult:
        """Prepare, (deploy,) analyse every interval, aggregate (, clean up)."""
        prepared = await self._prepare(stage, ctx)
        # Refuse a plan that cannot run before anything is deployed.
        _plan(stage, ctx, None)
        if stage.deployments is None:
            return await self._analyse(stage, ctx, prepared, None)
        try:
            deployed = await deploy_canary(stage, ctx)
            ctx.context["deployedServerGroups"] = self._deployed_view(deployed)
            result = await self._analyse(stage, ctx, prepared, deployed)
        except BaseException as err:
            if not ctx.cancelling:
                # As Orca's failure path: clean up at once (no delayBeforeCleanup).
                failures = await destroy_canary(ctx)
                if failures:
                    ctx.context["cleanupError"] = "; ".join(failures)
                if isinstance(err, StageFailed) and failures:
                    raise StageFailed(
                        f"{err}; clean-up failed: {'; '.join(failures)}", outputs=err.outputs
                    ) from None
            raise
        failures = await destroy_canary(ctx, delay=stage.deployments.cleanup_delay)
        if failures:
            raise StageFailed(
                "the canary passed, but destroying its server groups failed: "
                + "; ".join(failures),
                outputs=result.outputs,
            )
        return result

    async def on_cancel(self, stage: KayentaCanaryStage, ctx: StageContext) -> None:
        """Destroy the canary's server groups (Orca's ``cleanupCanaryClusters``)."""
        failures = await destroy_canary(ctx)
        if failures:
            ctx.context["cleanupError"] = "; ".join(failures)

    @staticmethod
    def _deployed_view(
        deployed: dict[str, tuple[DeployedScope, DeployedScope]],
    ) -> dict[str, Any]:
        return {
            name: {
                "control": {"serverGroup": c.name, "region": c.location, "cluster": c.cluster},
                "experiment": {"serverGroup": e.name, "region": e.location, "cluster": e.cluster},
            }
            for name, (c, e) in deployed.items()
        }

    async def _prepare(self, stage: KayentaCanaryStage, ctx: StageContext) -> PreparedConfig:
        config = stage.canary_config
        try:
            prepared: PreparedConfig = await ctx.activity(
                "canary.prepare",
                PrepareRequest(
                    canaryConfigId=config.canary_config_id,
                    config=config.config,
                    metricsAccountName=config.metrics_account_name,
                ),
                queue=ctx.queues.canary,
                result_type=PreparedConfig,
                target=config.canary_config_id or "inline canary config",
                start_to_close=timedelta(minutes=1),
                retry=_PREPARE_RETRY,
            )
        except ActivityError as err:
            raise StageFailed(failure_message(err)) from None
        ctx.outputs["canaryConfigId"] = prepared.canary_config_id
        if prepared.version is not None:
            ctx.outputs["canaryConfigVersion"] = prepared.version
        return prepared

    async def _analyse(
        self,
        stage: KayentaCanaryStage,
        ctx: StageContext,
        prepared: PreparedConfig,
        deployed: dict[str, tuple[DeployedScope, DeployedScope]] | None,
    ) -> StageResult:
        settings = stage.canary_config
        thresholds = Thresholds(settings.score_thresholds.pass_, settings.score_thresholds.marginal)
        plan = _plan(stage, ctx, deployed)
        ctx.context["canaryPlan"] = plan.summary()
        runs: list[dict[str, Any]] = []
        last: JudgementSummary | None = None

        def publish(message: str | None = None, **extra: Any) -> dict[str, Any]:
            outputs = stage_outputs(runs, last, message, extra=extra)
            ctx.outputs.update(outputs)
            return outputs

        if plan.warmup_seconds > 0:
            ctx.show(live_details(plan, runs, thresholds, f"Warmup Wait ({plan.warmup_seconds}s)"))
            await ctx.sleep(plan.warmup_seconds, skippable=False)
        for run in plan.runs:
            if run.wait_seconds > 0:
                doing = f"Interval Wait #{run.index} ({run.wait_seconds}s)"
                ctx.show(live_details(plan, runs, thresholds, doing))
                await ctx.sleep(run.wait_seconds, skippable=False)
            ctx.show(live_details(plan, runs, thresholds, f"{run.name} of {len(plan.runs)}"))
            started = ctx.now()
            try:
                summary: JudgementSummary = await ctx.activity(
                    "canary.judge",
                    _request(
                        prepared, stage, run, thresholds, _seed(ctx.idempotency_key, run.index)
                    ),
                    queue=ctx.queues.canary,
                    result_type=JudgementSummary,
                    target=run.name,
                    start_to_close=timedelta(minutes=30),
                    heartbeat=timedelta(minutes=5),
                    retry=_JUDGE_RETRY,
                )
            except ActivityError as err:
                message = f"{run.name} failed: {failure_message(err)}"
                raise StageFailed(message, outputs=publish(message)) from None
            last = summary
            runs.append(run_record(summary, run, started, ctx.now()))
            if run_fails(summary.score, thresholds):
                outputs = publish(RUN_FAILED_MESSAGE, didPassThresholds=False)
                ctx.show(live_details(plan, runs, thresholds, f"failed at {run.name}"))
                raise StageFailed(RUN_FAILED_MESSAGE, outputs=outputs)
            publish()
        verdict = aggregate([run["canaryScore"] for run in runs], thresholds)
        outputs = publish(verdict.message, didPassThresholds=verdict.succeeded)
        ctx.show(live_details(plan, runs, thresholds, verdict.message))
        if not verdict.succeeded:
            raise StageFailed(verdict.message, outputs=outputs)
        return StageResult(outputs=outputs)


def _plan(
    stage: KayentaCanaryStage,
    ctx: StageContext,
    deployed: dict[str, tuple[DeployedScope, DeployedScope]] | None,
) -> CanaryPlan:
    try:
        return plan_canary(stage.canary_config, ctx.now(), deployed)
    except PlanError as err:
        raise StageFailed(str(err)) from None
