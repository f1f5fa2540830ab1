"""The controllers, stepped by hand: rolling-update arithmetic, Recreate, deadlines, history."""

from __future__ import annotations

import time
from typing import Any

import pytest

from emulators.kubernetes import Cluster
from emulators.kubernetes.deployments import max_unavailable, resolve_fraction
from emulators.kubernetes.resources import by_plural
from tests.emulators.kubernetes.conftest import deployment_body

DEPLOYMENTS = by_plural("apps", "deployments")
REPLICASETS = by_plural("apps", "replicasets")
PODS = by_plural("", "pods")
assert DEPLOYMENTS and REPLICASETS and PODS


def _deployment(cluster: Cluster, name: str = "web") -> dict[str, Any]:
    return cluster.store.get(DEPLOYMENTS, "default", name)  # type: ignore[arg-type]


def _replica_sets(cluster: Cluster) -> list[dict[str, Any]]:
    return cluster.store.list(REPLICASETS, "default")  # type: ignore[arg-type]


def _complete(d: dict[str, Any]) -> bool:
    status, replicas = d["status"], d["spec"]["replicas"]
    return (
        status.get("observedGeneration") == d["metadata"]["generation"]
        and status.get("updatedReplicas") == replicas
        and status.get("replicas") == replicas
        and status.get("availableReplicas") == replicas
    )


def _set_image(cluster: Cluster, image: str) -> None:
    d = _deployment(cluster)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    cluster.store.replace(DEPLOYMENTS, "default", "web", d)  # type: ignore[arg-type]


def _step_until_complete(cluster: Cluster, check: Any = None, steps: int = 200) -> int:
    for n in range(steps):
        cluster.step()
        if check is not None:
            check()
        if _complete(_deployment(cluster)):
            return n
    raise AssertionError(f"not complete after {steps} steps: {_deployment(cluster)['status']}")


def test_int_or_percent_rounding() -> None:
    assert resolve_fraction("25%", 10, True) == 3
    assert resolve_fraction("25%", 10, False) == 2
    assert resolve_fraction(1, 10, True) == 1
    zero = deployment_body(
        replicas=4,
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
    )
    assert max_unavailable(zero) == 1  # Kubernetes never lets a rollout be stuck by its own limits


@pytest.mark.parametrize(("surge", "unavailable"), [("25%", "25%"), (1, 0), (0, 1), ("50%", "10%")])
def test_rolling_update_stays_within_max_surge_and_max_unavailable(
    surge: Any, unavailable: Any
) -> None:
    cluster = Cluster(pod_ready_seconds=0)
    body = deployment_body(
        replicas=10,
        strategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
        },
    )
    cluster.store.create(DEPLOYMENTS, "default", body)  # type: ignore[arg-type]
    _step_until_complete(cluster)
    d = _deployment(cluster)
    d["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    most = 10 + resolve_fraction(surge, 10, True)
    least = 10 - max_unavailable(d)

    def within_limits() -> None:
        replica_sets = _replica_sets(cluster)
        pods = sum(rs["spec"]["replicas"] for rs in replica_sets)
        available = sum(rs["status"].get("availableReplicas", 0) for rs in replica_sets)
        assert pods <= most, f"{pods} pods > {most}"
        assert available >= least, f"{available} available < {least}"

    _set_image(cluster, "nginx:1.26")
    _step_until_complete(cluster, within_limits)
    replica_sets = sorted(
        _replica_sets(cluster),
        key=lambda rs: rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
    )
    assert [rs["spec"]["replicas"] for rs in replica_sets] == [0, 10]
    d = _deployment(cluster)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    reasons = {c["type"]: c["reason"] for c in d["status"]["conditions"]}
    assert reasons == {
        "Available": "MinimumReplicasAvailable",
        "Progressing": "NewReplicaSetAvailable",
    }


def test_recreate_removes_every_old_pod_before_starting_new_ones() -> None:
    cluster = Cluster(pod_ready_seconds=0)
    cluster.store.create(
        DEPLOYMENTS, "default", deployment_body(replicas=3, strategy={"type": "Recreate"})
    )  # type: ignore[arg-type]
    _step_until_complete(cluster)
    _set_image(cluster, "nginx:1.26")

    def never_mixed() -> None:
        images = {p["spec"]["containers"][0]["image"] for p in cluster.store.list(PODS, "default")}  # type: ignore[arg-type]
        assert len(images) <= 1, images

    _step_until_complete(cluster, never_mixed)


def test_a_rollback_makes_the_old_replica_set_the_newest_revision_and_history_is_capped() -> None:
    cluster = Cluster(pod_ready_seconds=0)
    cluster.store.create(
        DEPLOYMENTS, "default", deployment_body(replicas=2, revisionHistoryLimit=1)
    )  # type: ignore[arg-type]
    _step_until_complete(cluster)
    for image in ("nginx:1.26", "nginx:1.27", "nginx:1.25"):
        _set_image(cluster, image)
        _step_until_complete(cluster)
    for _ in range(3):
        cluster.step()
    revisions = {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        for rs in _replica_sets(cluster)
    }
    # 1.25 came back as revision 4; one old revision is kept (revisionHistoryLimit 1).
    assert revisions == {"nginx:1.27": "3", "nginx:1.25": "4"}


def test_a_pod_that_cannot_pull_its_image_exceeds_the_progress_deadline() -> None:
    cluster = Cluster(pod_ready_seconds=0, bad_image=r":broken$")
    cluster.store.create(
        DEPLOYMENTS, "default", deployment_body(replicas=2, progressDeadlineSeconds=1)
    )  # type: ignore[arg-type]
    _step_until_complete(cluster)
    _set_image(cluster, "nginx:broken")
    deadline = time.monotonic() + 5
    while True:
        cluster.step()
        conditions = {c["type"]: c for c in _deployment(cluster)["status"]["conditions"]}
        if conditions["Progressing"]["reason"] == "ProgressDeadlineExceeded":
            break
        assert time.monotonic() < deadline, conditions
        time.sleep(0.05)
    assert conditions["Progressing"]["status"] == "False"
    assert "has timed out progressing" in conditions["Progressing"]["message"]
    # The old pods keep serving: availability stays at replicas - maxUnavailable or more.
    assert _deployment(cluster)["status"]["availableReplicas"] >= 2 - max_unavailable(
        _deployment(cluster)
    )
    waiting = [
        p["status"]["containerStatuses"][0]["state"]["waiting"]
        for p in cluster.store.list(PODS, "default")  # type: ignore[arg-type]
        if p["spec"]["containers"][0]["image"] == "nginx:broken"
    ]
    assert waiting and all(w["reason"] == "ImagePullBackOff" for w in waiting)


def test_a_paused_deployment_does_not_roll_out() -> None:
    cluster = Cluster(pod_ready_seconds=0)
    cluster.store.create(DEPLOYMENTS, "default", deployment_body(replicas=2))  # type: ignore[arg-type]
    _step_until_complete(cluster)
    d = _deployment(cluster)
    d["spec"]["paused"] = True
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    cluster.store.replace(DEPLOYMENTS, "default", "web", d)  # type: ignore[arg-type]
    for _ in range(10):
        cluster.step()
    assert len(_replica_sets(cluster)) == 1
    progressing = [
        c for c in _deployment(cluster)["status"]["conditions"] if c["type"] == "Progressing"
    ]
    assert progressing[0]["reason"] == "DeploymentPaused"
