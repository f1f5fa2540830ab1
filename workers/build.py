"""Building the workers of each task queue (one process may run several)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from models.config import GennakerConfig
from models.run import TaskQueues
from workers.sandbox import workflow_runner

__all__ = ["QUEUE_KINDS", "WorkerOptions", "build_workers"]

QUEUE_KINDS = ("pipelines", "aws", "kubernetes", "canary")


@dataclass
class WorkerOptions:
    """Knobs for workers (tests inject fakes through ``overrides``).

    Attributes:
        overrides: Per queue kind, keyword arguments for that queue's activity class
            (for example ``{"aws": {"health": FakeHealth()}}``).
    """

    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_concurrent_activities: int | None = None


def _pipelines(
    client: Client, config: GennakerConfig, queues: TaskQueues, options: WorkerOptions
) -> Worker:
    from activities.engine import EngineActivities
    from activities.webhook import WebhookActivities
    from workflows.canary.configs import CanaryConfigWorkflow
    from workflows.gate import ConcurrencyGateWorkflow
    from workflows.pipeline import PipelineWorkflow
    from workflows.registry import PipelineConfigWorkflow

    engine = EngineActivities(client, config, queues)
    webhook = WebhookActivities(**options.overrides.get("webhook", {}))
    return Worker(
        client,
        task_queue=queues.pipelines,
        workflows=[
            PipelineWorkflow,
            PipelineConfigWorkflow,
            ConcurrencyGateWorkflow,
            CanaryConfigWorkflow,
        ],
        activities=[*engine.all(), webhook.call, webhook.monitor],
        workflow_runner=workflow_runner(),
        max_concurrent_activities=options.max_concurrent_activities,
    )


def build_workers(
    client: Client,
    config: GennakerConfig,
    queues: TaskQueues,
    kinds: Sequence[str] = QUEUE_KINDS,
    options: WorkerOptions | None = None,
) -> list[Worker]:
    """One worker per queue kind in ``kinds`` (``pipelines``, ``aws``, ``kubernetes``, ``canary``).

    Kinds whose provider packages are not installed are skipped with a warning.
    """
    options = options or WorkerOptions()
    workers = []
    for kind in kinds:
        builder = _BUILDERS.get(kind)
        if builder is None:
            raise ValueError(f"unknown queue kind {kind!r} (known: {', '.join(QUEUE_KINDS)})")
        worker = builder(client, config, queues, options)
        if worker is not None:
            workers.append(worker)
    return workers


def _aws(
    client: Client, config: GennakerConfig, queues: TaskQueues, options: WorkerOptions
) -> Worker | None:
    try:
        from activities.aws import AwsActivities
    except ImportError:  # pragma: no cover - the aws extra is not installed
        return None
    aws = AwsActivities(config, **options.overrides.get("aws", {}))
    return Worker(
        client,
        task_queue=queues.aws,
        activities=aws.all(),
        activity_executor=_executor(),
        max_concurrent_activities=options.max_concurrent_activities,
    )


def _kubernetes(
    client: Client, config: GennakerConfig, queues: TaskQueues, options: WorkerOptions
) -> Worker | None:
    try:
        from activities.kubernetes import KubernetesActivities
    except ImportError:  # pragma: no cover - the kubernetes extra is not installed
        return None
    kubernetes = KubernetesActivities(config, **options.overrides.get("kubernetes", {}))
    return Worker(
        client,
        task_queue=queues.kubernetes,
        activities=kubernetes.all(),
        activity_executor=_executor(),
        max_concurrent_activities=options.max_concurrent_activities,
    )


def _canary(
    client: Client, config: GennakerConfig, queues: TaskQueues, options: WorkerOptions
) -> Worker | None:
    try:
        from activities.canary import CanaryActivities
    except ImportError:
        return None
    canary = CanaryActivities(config, **options.overrides.get("canary", {}))
    return Worker(
        client,
        task_queue=queues.canary,
        activities=canary.all(),
        activity_executor=_executor(),
        max_concurrent_activities=options.max_concurrent_activities,
    )


def _executor() -> Any:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=16)


_BUILDERS = {"pipelines": _pipelines, "aws": _aws, "kubernetes": _kubernetes, "canary": _canary}
