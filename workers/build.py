"""Building the workers of each task queue (one process may run several)."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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


# Provider queues: (module, activities class). A provider whose extra is not
# installed (its module does not import) gets no worker; `up` and `doctor` say so.
_PROVIDERS = {
    "aws": ("activities.aws", "AwsActivities"),
    "kubernetes": ("activities.kubernetes", "KubernetesActivities"),
    "canary": ("activities.canary", "CanaryActivities"),
}


def _provider(
    kind: str, client: Client, config: GennakerConfig, queues: TaskQueues, options: WorkerOptions
) -> Worker | None:
    module_name, class_name = _PROVIDERS[kind]
    try:
        activities_class = getattr(importlib.import_module(module_name), class_name)
    except ImportError:
        return None
    activities = activities_class(config, **options.overrides.get(kind, {}))
    return Worker(
        client,
        task_queue=getattr(queues, kind),
        activities=activities.all(),
        # Provider activities call blocking SDKs (boto3, the kubernetes client, scipy).
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_concurrent_activities=options.max_concurrent_activities,
    )


_BUILDERS: dict[
    str, Callable[[Client, GennakerConfig, TaskQueues, WorkerOptions], Worker | None]
] = {
    "pipelines": _pipelines,
    **{kind: functools.partial(_provider, kind) for kind in _PROVIDERS},
}
