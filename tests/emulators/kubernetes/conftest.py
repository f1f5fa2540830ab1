"""The simulator served from threads, and official clients of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import config as kubeconfig

from emulators.kubernetes import KubernetesSimulator


@pytest.fixture
def simulator() -> Iterator[KubernetesSimulator]:
    with KubernetesSimulator(pod_ready_seconds=0.1) as sim:
        yield sim


@pytest.fixture
def api(simulator: KubernetesSimulator, tmp_path: Path) -> k8s.ApiClient:
    """The official client, configured from a kubeconfig the simulator wrote."""
    path = simulator.write_kubeconfig(tmp_path / "kubeconfig")
    return kubeconfig.new_client_from_config(str(path))


def deployment_body(
    name: str = "web", replicas: int = 3, image: str = "nginx:1.25", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image}]},
            },
            **spec,
        },
    }
