"""The shared Spinnaker/Istio pipelines' Kubernetes stages, run against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client

from emulators.kubernetes import KubernetesSimulator
from models.errors import PipelineError
from models.loading import load_pipeline_files, parse_pipeline
from models.stages.kubernetes import DeleteManifestStage
from models.status import Status
from tests.conftest import make_pipeline
from tests.workflows.kubernetes.conftest import account_config, kubernetes_workers
from tests.workflows.kubernetes.test_deploy import listed, live

SHARED = Path(__file__).parents[2] / "fixtures" / "spinnaker-istio-canary"


async def test_prod_deploy_then_canary_failed_pipelines_run(
    dev_client: Client, simulator: KubernetesSimulator, tmp_path: Path
) -> None:
    kubeconfig = simulator.write_kubeconfig(tmp_path / "kubeconfig")
    config = account_config(kubeconfig, ["sampleapp"]).model_copy()
    config.kubernetes.accounts[0].name = "gke-1-acct"
    prod = load_pipeline_files([SHARED / "prod-deploy-pipeline.json"])[0][1]
    failed = load_pipeline_files([SHARED / "canary-failed-pipeline.json"])[0][1]
    async with kubernetes_workers(dev_client, config) as gennaker:
        view = await gennaker.wait(await gennaker.run(prod, {"successRate": "70"}))
        assert view.status == Status.SUCCEEDED, view.model_dump_json(indent=1)
        # Namespace first, then the config map with the parameter rendered, then the app.
        assert live(simulator, "configmaps", "sampleapp-config-prod", "sampleapp")["data"] == {
            "SUCCESS_RATE": "70"
        }
        deployment = live(simulator, "deployments", "sampleapp", "sampleapp")
        assert deployment["status"]["availableReplicas"] == 4
        service_endpoints = live(simulator, "endpoints", "sampleapp", "sampleapp")
        assert len(service_endpoints["subsets"][0]["addresses"]) == 4
        view = await gennaker.wait(await gennaker.run(failed))
    assert view.status == Status.SUCCEEDED, view.model_dump_json(indent=1)
    routes = live(simulator, "virtualservices", "sampleapp-virtual-service", "sampleapp")["spec"][
        "http"
    ][0]["route"]
    assert [r["weight"] for r in routes] == [100, 0, 0]
    # Nothing matched the canary and baseline label selectors: deleted nothing, succeeded.
    assert [s.outputs["outputs.deletedManifests"] for s in view.stages[1:]] == [[], []]
    assert [d["metadata"]["name"] for d in listed(simulator, "deployments", "sampleapp")] == [
        "sampleapp"
    ]


def test_unsupported_manifest_features_are_refused_when_loading() -> None:
    def problems(stage: dict[str, object]) -> str:
        with pytest.raises(PipelineError) as caught:
            parse_pipeline(make_pipeline([{"refId": "1", "account": "a", **stage}]))
        return str(caught.value)

    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    traffic = problems(
        {
            "type": "deployManifest",
            "manifests": [manifest],
            "trafficManagement": {"enabled": True, "options": {"strategy": "redblack"}},
        }
    )
    assert (
        "trafficManagement" in traffic
        and "enabled: true (strategy 'redblack') is not supported" in traffic
    )
    artifact = problems({"type": "deployManifest", "source": "artifact", "manifestArtifactId": "x"})
    assert "source 'artifact' is not supported" in artifact
    assert "needs 'manifests'" in problems({"type": "deployManifest"})
    assert "needs 'cluster' and 'criteria'" in problems(
        {"type": "scaleManifest", "mode": "dynamic", "replicas": 1}
    )
    json_patch = problems(
        {
            "type": "patchManifest",
            "manifestName": "deployment web",
            "patchBody": {"a": 1},
            "options": {"mergeStrategy": "json"},
        }
    )
    assert "list of JSON patch operations" in json_patch


def test_selection_mode_follows_the_fields_set() -> None:
    stages = [
        {"manifestName": "deployment web"},
        {"cluster": "deployment web", "criteria": "oldest"},
        {"kinds": ["deployment"], "labelSelectors": {"selectors": []}},
    ]
    modes = [
        DeleteManifestStage.model_validate(
            {"refId": "1", "type": "deleteManifest", "account": "a", **s}
        ).selection_mode
        for s in stages
    ]
    assert modes == ["static", "dynamic", "label"]
