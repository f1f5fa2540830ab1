"""The simulator's HTTP API through the official Python client (kubernetes 37)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from kubernetes import client as k8s
from kubernetes import watch
from kubernetes.dynamic import DynamicClient

from emulators.kubernetes import KubernetesSimulator, SimulatorProcess
from tests.emulators.kubernetes.conftest import deployment_body


def _until(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.05)


def test_discovery_serves_core_apps_and_istio_kinds(api: k8s.ApiClient, tmp_path: Path) -> None:
    dynamic = DynamicClient(api, cache_file=str(tmp_path / "discovery.json"))
    assert dynamic.resources.get(api_version="apps/v1", kind="Deployment").namespaced
    assert not dynamic.resources.get(api_version="v1", kind="Namespace").namespaced
    service = dynamic.resources.get(
        api_version="networking.istio.io/v1alpha3", kind="VirtualService"
    )
    assert service.name == "virtualservices"
    scale = dynamic.resources.get(api_version="apps/v1", kind="Deployment").subresources["scale"]
    assert scale.kind == "Scale"
    assert k8s.VersionApi(api).get_code().git_version.startswith("v1.30")


def test_crud_with_standard_errors(api: k8s.ApiClient) -> None:
    core = k8s.CoreV1Api(api)
    created = core.create_namespaced_config_map(
        "default", {"metadata": {"name": "c"}, "data": {"a": "1"}}
    )
    assert (
        created.metadata.uid
        and created.metadata.resource_version
        and created.metadata.creation_timestamp
    )
    with pytest.raises(k8s.ApiException) as exists:
        core.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
    assert exists.value.status == 409 and json.loads(exists.value.body)["reason"] == "AlreadyExists"
    stale = created.to_dict()
    core.replace_namespaced_config_map("c", "default", {**stale, "data": {"a": "2"}})
    with pytest.raises(k8s.ApiException) as conflict:
        core.replace_namespaced_config_map("c", "default", {**stale, "data": {"a": "3"}})
    assert conflict.value.status == 409 and json.loads(conflict.value.body)["reason"] == "Conflict"
    listing = core.list_namespaced_config_map("default")
    assert [c.data for c in listing.items] == [{"a": "2"}] and listing.metadata.resource_version
    core.delete_namespaced_config_map("c", "default")
    with pytest.raises(k8s.ApiException) as missing:
        core.read_namespaced_config_map("c", "default")
    body = json.loads(missing.value.body)
    assert (missing.value.status, body["reason"], body["message"]) == (
        404,
        "NotFound",
        'configmaps "c" not found',
    )
    with pytest.raises(k8s.ApiException) as no_namespace:
        core.create_namespaced_config_map("nope", {"metadata": {"name": "c"}})
    assert json.loads(no_namespace.value.body)["message"] == 'namespaces "nope" not found'


def test_invalid_deployments_are_refused(api: k8s.ApiClient) -> None:
    apps = k8s.AppsV1Api(api)
    body = deployment_body()
    body["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(k8s.ApiException) as invalid:
        apps.create_namespaced_deployment("default", body)
    assert invalid.value.status == 422
    assert (
        "`selector` does not match template `labels`" in json.loads(invalid.value.body)["message"]
    )
    apps.create_namespaced_deployment("default", deployment_body())
    with pytest.raises(k8s.ApiException) as immutable:
        apps.patch_namespaced_deployment(
            "web", "default", {"spec": {"selector": {"matchLabels": {"app": "x"}}}}
        )
    assert "field is immutable" in json.loads(immutable.value.body)["message"]


def test_status_only_through_the_subresource_and_generation_counts_spec_changes(
    api: k8s.ApiClient,
) -> None:
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment(
        "default", {**deployment_body(), "spec": {**deployment_body()["spec"], "paused": True}}
    )
    apps.patch_namespaced_deployment("web", "default", {"status": {"replicas": 99}})
    assert apps.read_namespaced_deployment("web", "default").status.replicas != 99
    apps.patch_namespaced_deployment_status("web", "default", {"status": {"collisionCount": 7}})
    assert apps.read_namespaced_deployment("web", "default").status.collision_count == 7
    before = apps.read_namespaced_deployment("web", "default").metadata
    apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"tier": "web"}}})
    after = apps.read_namespaced_deployment("web", "default").metadata
    assert (
        after.generation == before.generation and after.resource_version != before.resource_version
    )
    apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 5}})
    assert (
        apps.read_namespaced_deployment("web", "default").metadata.generation
        == before.generation + 1
    )


def test_scale_subresource_and_patch_flavours(api: k8s.ApiClient) -> None:
    apps = k8s.AppsV1Api(api)
    apps.create_namespaced_deployment("default", deployment_body())
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert (scale.spec.replicas, scale.status.selector) == (3, "app=web")
    apps.replace_namespaced_deployment_scale(
        "web", "default", {"metadata": {"name": "web"}, "spec": {"replicas": 2}}
    )
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 2
    # Strategic merge: containers merge by name, a new container is added.
    apps.patch_namespaced_deployment(
        "web",
        "default",
        {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}},
    )
    containers = apps.read_namespaced_deployment("web", "default").spec.template.spec.containers
    assert [c.name for c in containers] == ["web", "side"]
    dynamic = DynamicClient(api)
    resource = dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    # JSON merge patch replaces lists.
    dynamic.patch(
        resource,
        name="web",
        namespace="default",
        body={
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2"}]}}}
        },
        content_type="application/merge-patch+json",
    )
    containers = apps.read_namespaced_deployment("web", "default").spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("web", "nginx:2")]
    dynamic.patch(
        resource,
        name="web",
        namespace="default",
        body=[{"op": "replace", "path": "/spec/replicas", "value": 4}],
        content_type="application/json-patch+json",
    )
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 4
    # Server-side apply creates what is missing.
    dynamic.server_side_apply(
        dynamic.resources.get(api_version="v1", kind="ConfigMap"),
        body={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "applied"},
            "data": {"k": "v"},
        },
        namespace="default",
        field_manager="test",
    )
    assert k8s.CoreV1Api(api).read_namespaced_config_map("applied", "default").data == {"k": "v"}


def test_watch_streams_changes_from_a_resource_version(api: k8s.ApiClient) -> None:
    core = k8s.CoreV1Api(api)
    start = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "w"}, "data": {"a": "1"}})
    core.patch_namespaced_config_map("w", "default", {"data": {"a": "2"}})
    core.delete_namespaced_config_map("w", "default")
    seen = [
        (event["type"], event["object"].metadata.name)
        for event in watch.Watch().stream(
            core.list_namespaced_config_map, "default", resource_version=start, timeout_seconds=1
        )
    ]
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]
    started = time.monotonic()
    quiet = list(watch.Watch().stream(core.list_namespaced_secret, "default", timeout_seconds=1))
    assert quiet == [] and 0.9 < time.monotonic() - started < 5


def test_cascading_and_orphaning_deletes(api: k8s.ApiClient) -> None:
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    for name in ("cascade", "orphan"):
        apps.create_namespaced_deployment("default", deployment_body(name, replicas=2))
    _until(lambda: len(core.list_namespaced_pod("default").items) == 4)
    apps.delete_namespaced_deployment("cascade", "default", propagation_policy="Background")
    apps.delete_namespaced_deployment("orphan", "default", body={"propagationPolicy": "Orphan"})
    replica_sets = apps.list_namespaced_replica_set("default").items
    assert [rs.metadata.name.split("-")[0] for rs in replica_sets] == ["orphan"]
    assert replica_sets[0].metadata.owner_references in (None, [])
    pods = core.list_namespaced_pod("default").items
    assert {p.metadata.name.split("-")[0] for p in pods} == {"orphan"}
    deleted = core.delete_namespaced_pod(pods[0].metadata.name, "default")
    assert isinstance(deleted, k8s.V1Pod)  # pods answer the object, as the client expects


def test_pods_are_complete_models_and_endpoints_follow_readiness(
    api: k8s.ApiClient, simulator: KubernetesSimulator
) -> None:
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    core.create_namespaced_service(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        },
    )
    apps.create_namespaced_deployment("default", deployment_body(replicas=2))

    def ready_addresses() -> int:
        try:
            subsets = core.read_namespaced_endpoints("web", "default").subsets or []
        except k8s.ApiException:
            return 0  # the Endpoints controller has not run yet
        return sum(len(s.addresses or []) for s in subsets)

    _until(lambda: ready_addresses() == 2)
    pod = core.list_namespaced_pod("default", label_selector="app=web").items[0]
    status = pod.status.container_statuses[0]
    assert (pod.status.phase, status.ready, status.image) == ("Running", True, "nginx:1.25")
    assert status.image_id and status.state.running.started_at
    assert core.read_namespaced_endpoints("web", "default").subsets[0].ports[0].port == 80
    assert "no log" in core.read_namespaced_pod_log(pod.metadata.name, "default")


def test_keep_alive_requests_are_fast(api: k8s.ApiClient) -> None:
    core = k8s.CoreV1Api(api)
    core.list_namespace()
    started = time.monotonic()
    for _ in range(50):
        core.list_namespace()
    # Without TCP_NODELAY each request costs about 40 ms.
    assert time.monotonic() - started < 1.5


def test_runs_as_a_child_process(tmp_path: Path) -> None:
    with SimulatorProcess(pod_ready_seconds=0.1) as process:
        with urllib.request.urlopen(f"{process.url}/api/v1/namespaces/default") as answer:
            assert json.load(answer)["metadata"]["name"] == "default"
        path = process.write_kubeconfig(tmp_path / "kubeconfig")
        assert "127.0.0.1" in path.read_text()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{process.url}/readyz", timeout=1)


def test_concurrent_clients_see_one_consistent_store(
    simulator: KubernetesSimulator, api: k8s.ApiClient
) -> None:
    core = k8s.CoreV1Api(api)
    errors: list[BaseException] = []

    def create(start: int) -> None:
        try:
            for n in range(start, start + 10):
                core.create_namespaced_config_map("default", {"metadata": {"name": f"c{n}"}})
        except BaseException as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=create, args=(i * 10,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = [
        int(c.metadata.resource_version) for c in core.list_namespaced_config_map("default").items
    ]
    assert len(versions) == len(set(versions)) == 40
