"""A stateful Kubernetes API simulator: the local stand-in for a cluster.

No real API server can be had offline, so Gennaker ships a small one: a
resource table with discovery, a store with resourceVersions and watch,
``status``/``scale`` subresources, four PATCH flavours, cascading delete, and a
controller thread (Deployment rolling updates as Kubernetes does them,
ReplicaSets, a fake kubelet, Endpoints). The official Python client and
``kubectl --validate=false`` work against it.

- :class:`KubernetesSimulator`: served from threads of this process (tests).
- :class:`SimulatorProcess`: ``python -m emulators.kubernetes --port P`` as a child.
- :func:`write_kubeconfig`: a kubeconfig pointing at either.

Knobs: ``SIM_POD_READY_SECONDS`` (how long a Pod takes to become Ready) and
``SIM_BAD_IMAGE`` (a regular expression of images that stay in ImagePullBackOff).
"""

from __future__ import annotations

from emulators.kubernetes.cluster import DEFAULT_BAD_IMAGE, Cluster
from emulators.kubernetes.fixture import (
    CONTEXT,
    KubernetesSimulator,
    SimulatorProcess,
    free_port,
    write_kubeconfig,
)

__all__ = [
    "CONTEXT",
    "DEFAULT_BAD_IMAGE",
    "Cluster",
    "KubernetesSimulator",
    "SimulatorProcess",
    "free_port",
    "write_kubeconfig",
]
