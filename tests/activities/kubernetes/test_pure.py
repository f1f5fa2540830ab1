"""The provider's pure logic: stamping, deploy order, stability, target selection, undo."""

from __future__ import annotations

from typing import Any

import pytest

from models.kubernetes import LabelSelector, ManifestRef, Moniker, Revision, RolloutHistory
from workflows.kubernetes import (
    canonical_kind,
    choose_by_criteria,
    deploy_order,
    in_cluster,
    label_selector_text,
    names_by_namespace,
    parse_manifest_name,
    stability,
    stamp,
    undo_target,
)


def _deployment(**status: Any) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": 2},
        "spec": {"replicas": 3},
        "status": {"observedGeneration": 2, **status},
    }


def test_stamp_adds_moniker_artifact_and_managed_by_without_touching_the_input() -> None:
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "elsewhere", "labels": {"app": "web"}},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}},
    }
    stamped = stamp(
        manifest,
        moniker=Moniker(app="shop", stack="prod"),
        account="a",
        namespace="prod",
        execution_id="e1",
        stage="3",
    )
    meta = stamped["metadata"]
    assert meta["namespace"] == "prod"
    assert meta["labels"] == {
        "app": "web",
        "app.kubernetes.io/name": "shop",
        "app.kubernetes.io/managed-by": "gennaker",
    }
    assert meta["annotations"]["moniker.spinnaker.io/cluster"] == "deployment web"
    assert meta["annotations"]["moniker.spinnaker.io/stack"] == "prod"
    assert meta["annotations"]["artifact.spinnaker.io/location"] == "prod"
    assert meta["annotations"]["gennaker.io/execution-id"] == "e1"
    template = stamped["spec"]["template"]["metadata"]
    assert template["labels"]["app.kubernetes.io/managed-by"] == "gennaker"
    # Per-run values stay off the pod template, so a re-deploy starts no rollout.
    assert "gennaker.io/execution-id" not in template["annotations"]
    assert (
        manifest["metadata"]["namespace"] == "elsewhere"
        and "annotations" not in manifest["metadata"]
    )
    cluster_scoped = stamp(
        {"kind": "Namespace", "metadata": {"name": "prod", "namespace": "x"}},
        moniker=Moniker(),
        account="a",
        namespace=None,
    )
    assert "namespace" not in cluster_scoped["metadata"]
    assert cluster_scoped["metadata"]["labels"]["app.kubernetes.io/name"] == "prod"


def test_namespaces_and_configuration_are_applied_before_workloads() -> None:
    kinds = ["Deployment", "Service", "ConfigMap", "Namespace", "VirtualService", "Secret"]
    order = deploy_order([{"kind": k} for k in kinds])
    assert [kinds[i] for i in order] == [
        "Namespace",
        "ConfigMap",
        "Secret",
        "Service",
        "Deployment",
        "VirtualService",
    ]


def test_kind_names() -> None:
    assert canonical_kind("replicaset") == "ReplicaSet"
    assert canonical_kind("virtualService") == "VirtualService"
    assert canonical_kind("widget") == "Widget"
    assert parse_manifest_name("deployment web") == ("Deployment", "web")
    with pytest.raises(ValueError, match="not of the form"):
        parse_manifest_name("web")
    refs = [
        ManifestRef(kind="Deployment", name="web", namespace="prod"),
        ManifestRef(kind="Namespace", name="prod"),
    ]
    assert names_by_namespace(refs) == {"prod": ["deployment web"], "": ["namespace prod"]}


@pytest.mark.parametrize(
    ("status", "stable", "failed", "message"),
    [
        ({"observedGeneration": 1}, False, False, "spec update to be observed"),
        (
            {"updatedReplicas": 1, "replicas": 3},
            False,
            False,
            "1 of 3 new replicas have been updated",
        ),
        (
            {"updatedReplicas": 3, "replicas": 4},
            False,
            False,
            "1 old replicas are pending termination",
        ),
        (
            {"updatedReplicas": 3, "replicas": 3, "availableReplicas": 2},
            False,
            False,
            "2 of 3 updated replicas are available",
        ),
        (
            {"updatedReplicas": 3, "replicas": 3, "availableReplicas": 3},
            True,
            False,
            "successfully rolled out",
        ),
        (
            {
                "conditions": [
                    {
                        "type": "Progressing",
                        "reason": "ProgressDeadlineExceeded",
                        "message": 'ReplicaSet "web-1" has timed out progressing.',
                    }
                ]
            },
            False,
            True,
            'deployment "web" exceeded its progress deadline: ReplicaSet "web-1" has timed out',
        ),
    ],
)
def test_deployment_stability_follows_kubectl_rollout_status(
    status: dict[str, Any], stable: bool, failed: bool, message: str
) -> None:
    result = stability(_deployment(**status))
    assert result[:2] == (stable, failed)
    assert message in result[2]


def test_other_kinds_stability() -> None:
    assert stability({"kind": "ConfigMap"})[0]
    pending = {
        "kind": "Pod",
        "status": {
            "phase": "Pending",
            "containerStatuses": [
                {
                    "name": "c",
                    "state": {"waiting": {"reason": "ImagePullBackOff", "message": "nope"}},
                }
            ],
        },
    }
    assert stability(pending) == (False, False, "pod is Pending (c: ImagePullBackOff: nope)")
    assert stability({"kind": "Pod", "status": {"phase": "Failed", "reason": "Evicted"}})[1]
    rs = {
        "kind": "ReplicaSet",
        "metadata": {"generation": 1},
        "spec": {"replicas": 2},
        "status": {"observedGeneration": 1, "replicas": 2, "readyReplicas": 1},
    }
    assert stability(rs) == (False, False, "waiting for replicas: 1 of 2 ready")


def _obj(name: str, created: str, replicas: int, cluster: str | None = None) -> dict[str, Any]:
    annotations = {"moniker.spinnaker.io/cluster": cluster} if cluster else {}
    return {
        "metadata": {"name": name, "creationTimestamp": created, "annotations": annotations},
        "spec": {"replicas": replicas},
    }


def test_dynamic_criteria() -> None:
    objects = [
        _obj("web-v000", "2024-01-01T00:00:00Z", 5),
        _obj("web-v001", "2024-01-02T00:00:00Z", 1),
        _obj("web-v002", "2024-01-03T00:00:00Z", 5),
    ]
    pick = {
        c: choose_by_criteria(objects, c)["metadata"]["name"]
        for c in ("newest", "second newest", "oldest", "largest", "SMALLEST")
    }
    assert pick == {
        "newest": "web-v002",
        "second newest": "web-v001",
        "oldest": "web-v000",
        "largest": "web-v002",
        "SMALLEST": "web-v001",
    }
    with pytest.raises(ValueError, match="unknown criteria"):
        choose_by_criteria(objects, "random")
    with pytest.raises(ValueError, match="needs 2"):
        choose_by_criteria(objects[:1], "secondNewest")


def test_cluster_membership() -> None:
    assert in_cluster(_obj("web-v003", "", 1), "replicaSet web", "ReplicaSet")
    assert not in_cluster(_obj("webapp", "", 1), "deployment web", "Deployment")
    assert in_cluster(
        _obj("anything", "", 1, cluster="deployment web"), "deployment web", "Deployment"
    )
    assert not in_cluster(
        _obj("web", "", 1, cluster="deployment other"), "deployment web", "Deployment"
    )


def test_label_selectors_in_kubernetes_syntax() -> None:
    selectors = [
        LabelSelector(key="app", kind="EQUALS", values=["web"]),
        LabelSelector(key="tier", kind="NOT_CONTAINS", values=["db", "cache"]),
        LabelSelector(key="canary", kind="NOT_EXISTS"),
        LabelSelector(key="anything", kind="ANY"),
    ]
    assert label_selector_text(selectors) == "app=web,tier notin (db,cache),!canary"
    with pytest.raises(ValueError, match="needs at least one value"):
        label_selector_text([LabelSelector(key="app", kind="EQUALS")])


def test_undo_target_counts_back_from_the_current_revision() -> None:
    history = RolloutHistory(
        ref=ManifestRef(kind="Deployment", name="web"),
        current=3,
        revisions=[Revision(revision=r, replica_set=f"web-{r}") for r in (3, 2, 1)],
    )
    assert undo_target(history, 1).replica_set == "web-2"
    assert undo_target(history, 2).replica_set == "web-1"
    with pytest.raises(ValueError, match="is at revision 3 and has 2 older revision"):
        undo_target(history, 3)
