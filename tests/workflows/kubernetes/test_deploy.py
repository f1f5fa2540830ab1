"""deployManifest through real workers on the dev server, against the simulator."""

from __future__ import annotations

import time
from typing import Any

from client.client import GennakerClient
from emulators.kubernetes import KubernetesSimulator
from models.loading import parse_pipeline
from models.status import Status
from tests.conftest import make_pipeline
from tests.workflows.kubernetes.conftest import ACCOUNT, deploy_stage, deployment

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]},
}


def _types(sim: KubernetesSimulator) -> dict[str, Any]:
    return {t.plural: t for t in sim.cluster.store.resource_types()}


def live(
    sim: KubernetesSimulator, plural: str, name: str, namespace: str = "prod"
) -> dict[str, Any]:
    """An object as the simulator stores it."""
    return sim.cluster.store.get(_types(sim)[plural], namespace, name)


def listed(sim: KubernetesSimulator, plural: str, namespace: str = "prod") -> list[dict[str, Any]]:
    """Every object of one type in a namespace."""
    return sim.cluster.store.list(_types(sim)[plural], namespace)


def prod_namespace(sim: KubernetesSimulator) -> None:
    sim.cluster.store.create(_types(sim)["namespaces"], "", {"metadata": {"name": "prod"}})


async def test_deploy_then_update_waits_for_the_rolling_update(
    gennaker: GennakerClient, simulator: KubernetesSimulator
) -> None:
    prod_namespace(simulator)
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "web-config"},
        "data": {"RATE": "${parameters.rate}"},
    }

    def pipeline(image: str) -> Any:
        return parse_pipeline(
            make_pipeline(
                [deploy_stage("1", deployment(image=image, replicas=4), SERVICE, config_map)],
                application="webapp",
            )
        )

    view = await gennaker.wait(await gennaker.run(pipeline("nginx:1.25"), {"rate": "0.9"}))
    assert view.status == Status.SUCCEEDED, view.model_dump_json(indent=1)
    outputs = view.stages[0].outputs
    assert outputs["deploy.account.name"] == ACCOUNT
    assert outputs["manifestNamesByNamespace"] == {
        "prod": ["deployment web", "service web", "configMap web-config"]
    }
    assert [a["type"] for a in outputs["outputs.createdArtifacts"]] == [
        "kubernetes/deployment",
        "kubernetes/service",
        "kubernetes/configMap",
    ]
    applied = outputs["outputs.manifests"][0]
    assert applied["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "gennaker"
    assert applied["metadata"]["annotations"]["moniker.spinnaker.io/application"] == "webapp"
    assert live(simulator, "configmaps", "web-config")["data"] == {"RATE": "0.9"}
    first = live(simulator, "deployments", "web")
    assert first["status"]["availableReplicas"] == 4

    started = time.monotonic()
    view = await gennaker.wait(await gennaker.run(pipeline("nginx:1.26"), {"rate": "0.8"}))
    took = time.monotonic() - started
    assert view.status == Status.SUCCEEDED, view.model_dump_json(indent=1)
    # The stage ended only once the rolling update was complete.
    updated = live(simulator, "deployments", "web")
    assert updated["metadata"]["generation"] == 2
    assert updated["status"]["observedGeneration"] == 2
    assert updated["status"]["updatedReplicas"] == updated["status"]["availableReplicas"] == 4
    assert updated["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    pods = listed(simulator, "pods")
    assert len(pods) == 4
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:1.26"}
    replica_sets = {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs
        for rs in listed(simulator, "replicasets")
    }
    assert replica_sets["nginx:1.25"]["spec"]["replicas"] == 0
    assert took >= 2 * 0.2  # at least two waves of pods had to become ready
    endpoints = live(simulator, "endpoints", "web")
    assert len(endpoints["subsets"][0]["addresses"]) == 4


async def test_a_bad_image_fails_with_the_progress_deadline_message(
    gennaker: GennakerClient, simulator: KubernetesSimulator
) -> None:
    prod_namespace(simulator)
    bad = deployment(image="nginx:does-not-exist", replicas=2, progressDeadlineSeconds=2)
    view = await gennaker.wait(
        await gennaker.run(parse_pipeline(make_pipeline([deploy_stage("1", bad)])))
    )
    assert view.status == Status.TERMINAL
    error = view.stages[0].error or ""
    assert 'deployment "web" exceeded its progress deadline' in error, error
    assert "ImagePullBackOff" in error and "nginx:does-not-exist" in error
    assert "account 'local'" in error and "namespace 'prod'" in error
    # The deploy itself happened: the outputs name what was applied.
    assert view.stages[0].outputs["manifestNamesByNamespace"] == {"prod": ["deployment web"]}
    progressing = [
        c
        for c in live(simulator, "deployments", "web")["status"]["conditions"]
        if c["type"] == "Progressing"
    ]
    assert progressing[0]["reason"] == "ProgressDeadlineExceeded"
