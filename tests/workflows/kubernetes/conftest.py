"""A Kubernetes simulator per test, a worker config pointing at it, and manifest builders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from client.client import GennakerClient
from emulators.kubernetes import KubernetesSimulator
from models.config import GennakerConfig
from tests.conftest import running_workers
from workers.build import WorkerOptions

ACCOUNT = "local"
POD_READY_SECONDS = 0.2


@pytest.fixture
def simulator() -> Iterator[KubernetesSimulator]:
    """A fresh simulated cluster; Pods become Ready after 0.2 s."""
    with KubernetesSimulator(pod_ready_seconds=POD_READY_SECONDS) as sim:
        yield sim


def account_config(kubeconfig: Path, namespaces: list[str] | None = None) -> GennakerConfig:
    """A worker configuration with one Kubernetes account, ``local``."""
    return GennakerConfig.model_validate(
        {
            "kubernetes": {
                "accounts": [
                    {
                        "name": ACCOUNT,
                        "kubeconfig": str(kubeconfig),
                        "namespaces": namespaces or ["default", "prod"],
                    }
                ]
            }
        }
    )


@pytest.fixture
def k8s_config(simulator: KubernetesSimulator, tmp_path: Path) -> GennakerConfig:
    """Account ``local`` → the simulator, namespaces ``default`` and ``prod``."""
    return account_config(simulator.write_kubeconfig(tmp_path / "kubeconfig"))


@asynccontextmanager
async def kubernetes_workers(
    client: Client, config: GennakerConfig
) -> AsyncIterator[GennakerClient]:
    """Pipelines and Kubernetes workers on fresh queues, polling rollouts every 0.1 s."""
    options = WorkerOptions(overrides={"kubernetes": {"poll_interval": 0.1}})
    async with running_workers(
        client, config=config, kinds=("pipelines", "kubernetes"), options=options
    ) as gennaker:
        yield gennaker


@pytest.fixture
async def gennaker(dev_client: Client, k8s_config: GennakerConfig) -> AsyncIterator[GennakerClient]:
    """A GennakerClient whose workers reach the simulator as account ``local``."""
    async with kubernetes_workers(dev_client, k8s_config) as client:
        yield client


def deployment(
    name: str = "web", image: str = "nginx:1.25", replicas: int = 3, **spec: Any
) -> dict[str, Any]:
    """A Deployment manifest."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": name, "image": image, "ports": [{"containerPort": 80}]}]
                },
            },
            **spec,
        },
    }


def deploy_stage(ref: str, *manifests: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A deployManifest stage for account ``local``, namespace ``prod``."""
    return {
        "refId": ref,
        "type": "deployManifest",
        "name": f"Deploy {ref}",
        "account": ACCOUNT,
        "cloudProvider": "kubernetes",
        "namespaceOverride": "prod",
        "source": "text",
        "manifests": list(manifests),
        "trafficManagement": {"enabled": False, "options": {"enableTraffic": False}},
        **fields,
    }


def app_name() -> str:
    """A unique application name."""
    return f"k8s{uuid.uuid4().hex[:6]}"
