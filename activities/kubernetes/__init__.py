"""The Kubernetes provider's activities (official ``kubernetes`` client), on ``gennaker-kubernetes``.

``KubernetesActivities(config).all()`` lists them for the worker; run them with
a thread-pool ``activity_executor`` (they are synchronous) and the pydantic data
converter. Accounts come from the worker configuration's ``kubernetes.accounts``
(kubeconfig, context, allowed namespaces).
"""

from __future__ import annotations

from activities.kubernetes.activities import KubernetesActivities
from activities.kubernetes.clients import AccountClient, ClientFactory
from activities.kubernetes.errors import ROLLOUT_FAILED, ROLLOUT_TIMEOUT, classify

__all__ = [
    "ROLLOUT_FAILED",
    "ROLLOUT_TIMEOUT",
    "AccountClient",
    "ClientFactory",
    "KubernetesActivities",
    "classify",
]
