"""scaleManifest, patchManifest, undoRolloutManifest, deleteManifest and errors, end to end."""

from __future__ import annotations

import asyncio
import time

from client.client import GennakerClient
from emulators.kubernetes import KubernetesSimulator
from models.loading import parse_pipeline
from models.status import Status
from tests.conftest import make_pipeline
from tests.workflows.kubernetes.conftest import ACCOUNT, deploy_stage, deployment
from tests.workflows.kubernetes.test_deploy import listed, live, prod_namespace


def _image(sim: KubernetesSimulator) -> str:
    return str(
        live(sim, "deployments", "web")["spec"]["template"]["spec"]["containers"][0]["image"]
    )


async def test_patch_scale_and_undo_rollout_restore_the_previous_image(
    gennaker: GennakerClient, simulator: KubernetesSimulator
) -> None:
    prod_namespace(simulator)
    target = {"account": ACCOUNT, "cloudProvider": "kubernetes", "location": "prod"}
    stages = [
        deploy_stage("deploy", deployment(image="nginx:1.25", replicas=2)),
        {
            "refId": "patch",
            "type": "patchManifest",
            "requisiteStageRefIds": ["deploy"],
            **target,
            "mode": "static",
            "manifestName": "deployment web",
            "patchBody": [
                {
                    "spec": {
                        "template": {
                            "spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}
                        }
                    }
                }
            ],
            "options": {"mergeStrategy": "strategic", "record": True},
        },
        {
            "refId": "scale",
            "type": "scaleManifest",
            "requisiteStageRefIds": ["patch"],
            **target,
            "mode": "dynamic",
            "cluster": "deployment web",
            "criteria": "newest",
            "replicas": "${parameters.replicas}",
        },
        {
            "refId": "undo",
            "type": "undoRolloutManifest",
            "requisiteStageRefIds": ["scale"],
            **target,
            "manifestName": "deployment web",
            "numRevisionsBack": 1,
        },
    ]
    view = await gennaker.wait(
        await gennaker.run(parse_pipeline(make_pipeline(stages)), {"replicas": "4"})
    )
    assert view.status == Status.SUCCEEDED, view.model_dump_json(indent=1)
    patched = view.stage("patch")
    assert patched is not None
    annotations = patched.outputs["outputs.manifests"][0]["metadata"]["annotations"]
    assert annotations["kubernetes.io/change-cause"].startswith("gennaker: pipeline 'pipe'")
    assert (
        patched.outputs["outputs.manifests"][0]["spec"]["template"]["spec"]["containers"][0][
            "image"
        ]
        == "nginx:1.26"
    )
    undo = view.stage("undo")
    assert undo is not None
    assert undo.outputs["undoRollout"] == [
        {
            "manifest": "deployment web",
            "fromRevision": 2,
            "toRevision": 1,
            "replicaSet": undo.outputs["undoRollout"][0]["replicaSet"],
            "images": ["nginx:1.25"],
        }
    ]
    # Back on the first image, at the scaled size, rolled out completely.
    final = live(simulator, "deployments", "web")
    assert _image(simulator) == "nginx:1.25"
    assert final["spec"]["replicas"] == 4
    assert final["status"]["updatedReplicas"] == final["status"]["availableReplicas"] == 4
    assert final["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert {p["spec"]["containers"][0]["image"] for p in listed(simulator, "pods")} == {
        "nginx:1.25"
    }


async def test_json_patch_and_a_missing_target_fail_clearly(
    gennaker: GennakerClient, simulator: KubernetesSimulator
) -> None:
    prod_namespace(simulator)
    stages = [
        deploy_stage("deploy", deployment(replicas=1)),
        {
            "refId": "json",
            "type": "patchManifest",
            "requisiteStageRefIds": ["deploy"],
            "account": ACCOUNT,
            "location": "prod",
            "manifestName": "deployment web",
            "patchBody": [{"op": "add", "path": "/metadata/labels/tier", "value": "frontend"}],
            "options": {"mergeStrategy": "json"},
        },
        {
            "refId": "missing",
            "type": "scaleManifest",
            "requisiteStageRefIds": ["json"],
            "account": ACCOUNT,
            "location": "prod",
            "manifestName": "deployment nope",
            "replicas": 2,
        },
    ]
    view = await gennaker.wait(await gennaker.run(parse_pipeline(make_pipeline(stages))))
    assert view.status == Status.TERMINAL
    assert live(simulator, "deployments", "web")["metadata"]["labels"]["tier"] == "frontend"
    error = view.stages[2].error or ""
    assert "deployment nope" in error and "namespace 'prod'" in error and "account 'local'" in error
    assert 'deployments.apps "nope" not found' in error


async def test_delete_by_label_cascades_to_replica_sets_and_pods(
    gennaker: GennakerClient, simulator: KubernetesSimulator
) -> None:
    prod_namespace(simulator)
    stages = [
        deploy_stage(
            "deploy", deployment(name="canary", replicas=2), deployment(name="baseline", replicas=1)
        ),
        {
            "refId": "delete",
            "type": "deleteManifest",
            "requisiteStageRefIds": ["deploy"],
            "account": ACCOUNT,
            "app": "sampleapp",
            "cloudProvider": "kubernetes",
            "kinds": ["deployment"],
            "labelSelectors": {
                "selectors": [{"key": "app", "kind": "EQUALS", "values": ["canary"]}]
            },
            "location": "prod",
            "mode": "label",
            "options": {"cascading": True},
        },
        {
            "refId": "again",
            "type": "deleteManifest",
            "requisiteStageRefIds": ["delete"],
            "account": ACCOUNT,
            "location": "prod",
            "manifestName": "deployment canary",
        },
    ]
    view = await gennaker.wait(await gennaker.run(parse_pipeline(make_pipeline(stages))))
    assert view.status == Status.SUCCEEDED, view.model_dump_json(indent=1)
    assert view.stages[1].outputs["outputs.deletedManifests"] == ["deployment canary"]
    assert view.stages[2].outputs["outputs.deletedManifests"] == []  # already gone: fine
    owners = {
        ref["name"]
        for kind in ("replicasets", "pods")
        for obj in listed(simulator, kind)
        for ref in obj["metadata"].get("ownerReferences", [])
    }
    assert [d["metadata"]["name"] for d in listed(simulator, "deployments")] == ["baseline"]
    assert all(not name.startswith("canary") for name in owners)
    assert [
        p for p in listed(simulator, "pods") if p["metadata"]["name"].startswith("canary")
    ] == []
    assert (
        len(
            [
                rs
                for rs in listed(simulator, "replicasets")
                if rs["metadata"]["name"].startswith("baseline")
            ]
        )
        == 1
    )


async def test_unknown_account_and_namespaces_fail_with_clear_errors(
    gennaker: GennakerClient, simulator: KubernetesSimulator
) -> None:
    async def error_of(**fields: object) -> str:
        stage = deploy_stage("1", deployment(), **fields)
        view = await gennaker.wait(await gennaker.run(parse_pipeline(make_pipeline([stage]))))
        assert view.status == Status.TERMINAL
        return view.stages[0].error or ""

    unknown = await error_of(account="nope")
    assert "unknown Kubernetes account 'nope' (known: local)" in unknown
    refused = await error_of(namespaceOverride="kube-system")
    assert (
        "namespace 'kube-system' is not one of Kubernetes account 'local''s namespaces" in refused
    )
    missing = await error_of()  # 'prod' is allowed but the cluster has no such namespace
    assert 'namespaces "prod" not found' in missing and "account 'local'" in missing


async def test_cancelling_a_deploy_stops_waiting_and_leaves_the_cluster_as_it_is(
    gennaker: GennakerClient, simulator: KubernetesSimulator
) -> None:
    prod_namespace(simulator)
    stuck = deployment(image="nginx:does-not-exist", replicas=1)
    execution_id = await gennaker.run(parse_pipeline(make_pipeline([deploy_stage("1", stuck)])))
    deadline = time.monotonic() + 20
    while "waitingForStable" not in (view := await gennaker.status(execution_id)).stages[0].context:
        assert time.monotonic() < deadline, view.model_dump_json(indent=1)
        await asyncio.sleep(0.1)
    started = time.monotonic()
    await gennaker.cancel(execution_id, reason="enough")
    view = await gennaker.wait(execution_id)
    assert time.monotonic() - started < 10
    assert view.status == Status.CANCELED
    assert view.stages[0].status == Status.CANCELED
    assert "nothing was undone" in view.stages[0].context["cancelNote"]
    assert live(simulator, "deployments", "web")["spec"]["replicas"] == 1
