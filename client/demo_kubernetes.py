"""``make demo``'s Kubernetes part: deploy → update → undo, against a LOCAL SIMULATOR.

:func:`run_kubernetes_demo` starts Gennaker's Kubernetes API simulator
(``emulators.kubernetes``: an HTTP API server with a Deployment controller, but
no real nodes or containers), writes a kubeconfig for it, runs its own pipeline
and Kubernetes workers on fresh task queues, and runs one pipeline:
``deployManifest`` (nginx 1.25) → ``deployManifest`` (nginx 1.26, a rolling
update) → ``undoRolloutManifest`` (back to 1.25). It says plainly that the
cluster is a simulator. Run it alone with ``python -m client.demo_kubernetes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from client.client import GennakerClient
from emulators.kubernetes import KubernetesSimulator
from emulators.kubernetes.resources import by_plural
from models.config import GennakerConfig
from models.execution import ExecutionView
from models.loading import parse_pipeline
from models.pipeline import Pipeline
from models.run import TaskQueues
from workers.build import build_workers

__all__ = ["demo_pipeline", "run_kubernetes_demo"]

ACCOUNT = "demo-k8s"
NAMESPACE = "demo"


def _deployment(image: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "web", "image": image, "ports": [{"containerPort": 80}]}
                    ]
                },
            },
        },
    }


def demo_pipeline() -> Pipeline:
    """Deploy nginx 1.25 with a Service, roll to 1.26, then undo back to 1.25."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]},
    }
    common = {"account": ACCOUNT, "cloudProvider": "kubernetes"}
    deploy = {**common, "type": "deployManifest", "namespaceOverride": NAMESPACE, "source": "text"}
    return parse_pipeline(
        {
            "application": "webshop",
            "name": "kubernetes-demo",
            "stages": [
                {
                    **deploy,
                    "refId": "1",
                    "name": "Deploy 1.25",
                    "manifests": [namespace, service, _deployment("nginx:1.25")],
                },
                {
                    **deploy,
                    "refId": "2",
                    "name": "Update to 1.26",
                    "requisiteStageRefIds": ["1"],
                    "manifests": [_deployment("nginx:1.26")],
                },
                {
                    **common,
                    "refId": "3",
                    "name": "Undo rollout",
                    "type": "undoRolloutManifest",
                    "requisiteStageRefIds": ["2"],
                    "location": NAMESPACE,
                    "mode": "static",
                    "manifestName": "deployment web",
                    "numRevisionsBack": 1,
                },
            ],
        }
    )


async def run_kubernetes_demo(
    gennaker: GennakerClient,
    *,
    console: Console | None = None,
    follow: Callable[[str], Awaitable[ExecutionView]] | None = None,
    scratch: Path | None = None,
    **_: Any,
) -> list[ExecutionView]:
    """Run the deploy → update → undo pipeline against the local Kubernetes simulator.

    Args:
        gennaker: A client of the demo's Temporal server; the demo runs its own
            pipeline and Kubernetes workers on fresh task queues there, configured
            with one account (``demo-k8s``) that points at the simulator.
        console: Where progress goes (a new rich console by default).
        follow: Shows a run while it goes and returns its final view
            (``gennaker.wait`` by default).
        scratch: Where the kubeconfig is written (a temporary directory by default).

    Returns:
        The execution view of the run.
    """
    console = console or Console()
    folder = Path(scratch or tempfile.mkdtemp(prefix="gennaker-k8s-demo-"))
    with KubernetesSimulator(pod_ready_seconds=0.5) as simulator:
        kubeconfig = simulator.write_kubeconfig(folder / "kubeconfig-simulator")
        console.print(
            f"  Kubernetes stand-in: a LOCAL SIMULATOR of the Kubernetes API at {simulator.url} "
            "(Gennaker's emulators.kubernetes: real API semantics and rolling updates, "
            "but no nodes and no containers; not a real cluster)"
        )
        console.print(f"  kubeconfig: {kubeconfig} (context gennaker-simulator)")
        config = GennakerConfig.model_validate(
            {
                "kubernetes": {
                    "accounts": [
                        {"name": ACCOUNT, "kubeconfig": str(kubeconfig), "namespaces": [NAMESPACE]}
                    ]
                }
            }
        )
        queues = TaskQueues.with_suffix(f"k8sdemo{uuid.uuid4().hex[:6]}")
        workers = build_workers(
            gennaker.temporal, config, queues, kinds=("pipelines", "kubernetes")
        )
        tasks = [asyncio.create_task(worker.run()) for worker in workers]
        try:
            ours = GennakerClient(gennaker.temporal, queues)
            execution_id = await ours.run(demo_pipeline(), user="demo")
            console.print(f"  started [bold]{execution_id}[/]: deploy 1.25 → update to 1.26 → undo")
            view = await (follow or ours.wait)(execution_id)
        finally:
            for worker in workers:
                await worker.shutdown()
            for task in tasks:
                with contextlib.suppress(Exception):
                    await task
        deployments = by_plural("apps", "deployments")
        assert deployments is not None
        live = simulator.cluster.store.find(deployments, NAMESPACE, "web")
    for stage in view.stages:
        detail = (
            stage.error
            or ", ".join(
                f"{u['manifest']} revision {u['fromRevision']} → {u['toRevision']} ({', '.join(u['images'])})"
                for u in stage.outputs.get("undoRollout", [])
            )
            or ", ".join(
                name
                for names in (stage.outputs.get("manifestNamesByNamespace") or {}).values()
                for name in names
            )
        )
        console.print(f"  {stage.name}: {stage.status} {detail}")
    if live is not None:
        status = live.get("status") or {}
        image = live["spec"]["template"]["spec"]["containers"][0]["image"]
        revision = live["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision")
        console.print(
            f"  simulator: deployment web runs {image} (revision {revision}), "
            f"{status.get('availableReplicas', 0)}/{live['spec']['replicas']} replicas available"
        )
    return [view]


async def _main() -> None:
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    from emulators.temporal import DevServer, free_port

    with DevServer(port=free_port(), ui_port=None) as server:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        views = await run_kubernetes_demo(GennakerClient(client))
        print("demo", views[0].status)


if __name__ == "__main__":
    asyncio.run(_main())
