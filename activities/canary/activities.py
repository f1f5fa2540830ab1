"""The ``canary.*`` activities, served on the ``gennaker-canary`` queue.

- ``canary.prepare`` (async): resolve the stage's canary config (inline, or saved
  in the config registry, read through the worker's Temporal client) and check
  that every metric's source and account exist, so a bad config fails the stage
  before its first interval wait rather than hours later.
- ``canary.judge`` (sync, in the worker's thread pool): fetch, mix and judge one
  run; only the compact summary goes back into history.

Bad configs and queries fail at once (non-retryable ``CanaryConfig``); a metrics
store that fails transiently is retried by Temporal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.canary.analysis import judge_run, parse_config
from activities.canary.sources import Sources
from client.canary import CanaryConfigs
from models.config import GennakerConfig
from models.errors import CanaryConfigError, NotFoundError, ProviderError
from workflows.canary.messages import (
    CanaryConfigRecord,
    JudgementRequest,
    JudgementSummary,
    PreparedConfig,
    PrepareRequest,
)

__all__ = ["CanaryActivities"]


def _refused(err: Exception) -> ApplicationError:
    if isinstance(err, ProviderError):
        return ApplicationError(str(err), type="MetricsProvider", non_retryable=not err.retryable)
    return ApplicationError(str(err), type="CanaryConfig", non_retryable=True)


class CanaryActivities:
    """The canary activities, bound to the worker's configuration.

    Args:
        config: The worker configuration (metrics and AWS accounts).
        sources: Source type → factory ``(account, config) -> MetricSource`` to add
            or replace metric sources (tests); the built-in ones otherwise.
    """

    def __init__(self, config: GennakerConfig, sources: Mapping[str, Any] | None = None) -> None:
        self._config = config
        self._sources = Sources(config, sources)

    def close(self) -> None:
        """Close the metric sources' connections (when the worker stops)."""
        self._sources.close()

    def all(self) -> list[Callable[..., Any]]:
        """Every activity, for ``Worker(activities=...)``."""
        return [self.prepare, self.judge]

    @activity.defn(name="canary.prepare")
    async def prepare(self, request: PrepareRequest) -> PreparedConfig:
        """The config the runs will use, checked against the worker's accounts."""
        version: int | None = None
        if request.config is not None:
            data = request.config
            source = "canaryConfig.config"
        elif request.canary_config_id:
            record = await self._saved(request.canary_config_id)
            data, version = record.config, record.version
            source = f"canary config {request.canary_config_id!r} v{version}"
        else:
            raise ApplicationError(
                "give canaryConfigId or an inline config", type="CanaryConfig", non_retryable=True
            )
        try:
            config = parse_config(data, source)
            if not config.metrics:
                raise CanaryConfigError(f"{source} has no metrics")
            for metric in config.metrics:
                self._sources.for_metric(metric, request.metrics_account_name)
        except CanaryConfigError as err:
            raise _refused(err) from None
        return PreparedConfig(
            config=config.model_dump(mode="json", by_alias=True, exclude_none=True),
            canaryConfigId=request.canary_config_id or config.id,
            version=version,
            metricCount=len(config.metrics),
        )

    async def _saved(self, config_id: str) -> CanaryConfigRecord:
        try:
            return await CanaryConfigs(activity.client()).get(config_id)
        except NotFoundError:
            raise ApplicationError(
                f"no saved canary config {config_id!r} (save one with `gennaker canary config apply`)",
                type="CanaryConfigNotFound",
                non_retryable=True,
            ) from None

    @activity.defn(name="canary.judge")
    def judge(self, request: JudgementRequest) -> JudgementSummary:
        """Fetch every metric of one run, judge it, and return the summary."""

        def progress(metric: str) -> None:
            activity.heartbeat({"run": request.index, "fetched": metric})

        try:
            return judge_run(request, self._sources, progress=progress)
        except (CanaryConfigError, ProviderError) as err:
            raise _refused(err) from None
