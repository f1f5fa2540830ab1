"""The simulated cluster: the store plus a controller thread.

Every ``interval`` seconds, under the store lock, the controllers take one step
each, in the order a change flows through a real cluster: Deployments (make and
scale ReplicaSets), ReplicaSets (make and delete Pods), the kubelet (start
Pods), Endpoints (publish ready Pods behind Services).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from emulators.kubernetes.deployments import DeploymentController
from emulators.kubernetes.store import Store
from emulators.kubernetes.workloads import (
    EndpointsController,
    EventRecorder,
    Kubelet,
    ReplicaSetController,
)

__all__ = ["DEFAULT_BAD_IMAGE", "Cluster"]

DEFAULT_BAD_IMAGE = r"(does-not-exist|doesnotexist|:bad$)"
"""Images matching this cannot be pulled unless ``SIM_BAD_IMAGE`` says otherwise."""

_log = logging.getLogger(__name__)


class Cluster:
    """A store and its controllers.

    Args:
        pod_ready_seconds: Seconds a Pod takes to become Ready
            (default ``$SIM_POD_READY_SECONDS``, else 0.5).
        bad_image: Regular expression of images that cannot be pulled
            (default ``$SIM_BAD_IMAGE``, else :data:`DEFAULT_BAD_IMAGE`).
        interval: Seconds between controller steps.
    """

    def __init__(
        self,
        *,
        pod_ready_seconds: float | None = None,
        bad_image: str | None = None,
        interval: float = 0.05,
    ) -> None:
        if pod_ready_seconds is None:
            pod_ready_seconds = float(os.environ.get("SIM_POD_READY_SECONDS", "0.5"))
        if bad_image is None:
            bad_image = os.environ.get("SIM_BAD_IMAGE") or DEFAULT_BAD_IMAGE
        self.store = Store()
        self.pod_ready_seconds = pod_ready_seconds
        self.bad_image = bad_image
        self._interval = interval
        events = EventRecorder(self.store)
        self._controllers = (
            DeploymentController(self.store, events, time.time),
            ReplicaSetController(self.store, time.time),
            Kubelet(self.store, time.time, pod_ready_seconds, bad_image),
            EndpointsController(self.store),
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self) -> None:
        """One step of every controller."""
        with self.store.lock:
            for controller in self._controllers:
                controller.sync_all()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a controller bug must not stop the cluster
                _log.exception("controller step failed")

    def start(self) -> None:
        """Start the controller thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="k8s-sim-controllers", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the controller thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
