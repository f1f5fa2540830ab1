"""The operations and error classification against the simulator, without Temporal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.kubernetes import ClientFactory, classify
from activities.kubernetes import operations as ops
from activities.kubernetes.clients import AccountClient
from emulators.kubernetes import KubernetesSimulator, write_kubeconfig
from models.config import GennakerConfig
from models.kubernetes import DeployManifestsRequest, FindManifestsRequest, ManifestRef, Moniker
from tests.conftest import UNREACHABLE

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1"}]},
        },
    },
}


def _config(kubeconfig: Path) -> GennakerConfig:
    return GennakerConfig.model_validate(
        {
            "kubernetes": {
                "accounts": [{"name": "local", "kubeconfig": str(kubeconfig), "namespaces": []}]
            }
        }
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[AccountClient]:
    with KubernetesSimulator(pod_ready_seconds=0.05) as sim:
        yield ClientFactory(_config(sim.write_kubeconfig(tmp_path / "kubeconfig"))).for_account(
            "local"
        )


def _deploy(client: AccountClient, **fields: object) -> ops.DeployManifestsResult:
    return ops.apply(
        client,
        DeployManifestsRequest(
            account="local", manifests=[DEPLOYMENT], moniker=Moniker(app="shop"), **fields
        ),
    )  # type: ignore[arg-type]


def test_apply_is_idempotent_and_keeps_what_controllers_wrote(client: AccountClient) -> None:
    first = _deploy(client)
    ref = first.refs[0]
    assert ref == ManifestRef(
        kind="Deployment", name="web", namespace="default", api_version="apps/v1"
    )
    assert "status" not in first.manifests[0]
    import time

    deadline = time.monotonic() + 5
    while not ops.status(client, ref).stable:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again = _deploy(client)
    live = ops.get(client, ref)
    assert again.manifests[0]["metadata"]["generation"] == 1
    # The Deployment controller's revision annotation survives a re-apply.
    assert live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert len(ops.history(client, ref).revisions) == 1


def test_find_and_delete_tolerate_what_is_already_gone(client: AccountClient) -> None:
    request = FindManifestsRequest(account="local", manifest_name="deployment web", missing_ok=True)
    assert ops.find(client, request) == []
    _deploy(client)
    refs = ops.find(client, request)
    assert [r.display for r in refs] == ["deployment web"]
    result = ops.delete(client, refs * 2, cascading=True, grace_period_seconds=0)
    assert (len(result.deleted), len(result.missing)) == (1, 1)


def test_errors_are_classified_and_name_the_object(client: AccountClient) -> None:
    ref = ManifestRef(kind="Deployment", name="nope", namespace="default")
    with pytest.raises(Exception) as missing:
        ops.get(client, ref)
    failure = classify(missing.value, account="local", what=ref.place)
    assert failure.non_retryable and failure.type == "KubernetesNotFound"
    assert failure.message.startswith(
        "deployment nope in namespace 'default' (account 'local'): 404 NotFound"
    )
    with pytest.raises(Exception) as unserved:
        client.resource("Widget", "example.com/v1")
    assert classify(unserved.value, account="local", what="x").non_retryable
    bad = dict(DEPLOYMENT, metadata={"name": "Bad_Name"})
    with pytest.raises(Exception) as invalid:
        ops.apply(
            client, DeployManifestsRequest(account="local", manifests=[bad], moniker=Moniker())
        )
    refused = classify(invalid.value, account="local", what="deploying")
    assert (
        refused.non_retryable
        and refused.type == "KubernetesInvalid"
        and "422 Invalid" in refused.message
    )


def test_an_unreachable_cluster_is_retryable(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://{UNREACHABLE}")
    with pytest.raises(Exception) as unreachable:
        ClientFactory(_config(kubeconfig)).for_account("local")
    failure = classify(unreachable.value, account="local", what="deploying")
    assert isinstance(failure, ApplicationError) and not failure.non_retryable
    assert "cannot reach the Kubernetes API" in failure.message


def test_a_missing_kubeconfig_is_not_retried(tmp_path: Path) -> None:
    with pytest.raises(Exception) as broken:
        ClientFactory(_config(tmp_path / "absent")).for_account("local")
    failure = classify(broken.value, account="local", what="deploying")
    assert failure.non_retryable, failure.message
