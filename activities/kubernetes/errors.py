"""Turn Kubernetes client errors into Temporal activity failures.

Temporal retries what may succeed later and stops on what cannot:

- 4xx answers (not found, invalid, forbidden, an unserved kind, a bad
  kubeconfig, a namespace the account may not use) are non-retryable, with a
  message naming the kind, name, namespace and account;
- 409 Conflict (someone else wrote first), 429, 5xx and connection failures are
  retryable; Temporal's retry policy provides the backoff.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.dynamic.exceptions import ResourceNotFoundError, ResourceNotUniqueError
from temporalio.exceptions import ApplicationError, CancelledError

from models.errors import GennakerError, NotFoundError, ValidationError

__all__ = [
    "KUBERNETES_CONFIG",
    "KUBERNETES_ERROR",
    "KUBERNETES_FORBIDDEN",
    "KUBERNETES_INVALID",
    "KUBERNETES_NOT_FOUND",
    "KUBERNETES_UNAVAILABLE",
    "ROLLOUT_FAILED",
    "ROLLOUT_TIMEOUT",
    "classify",
    "translated",
]

KUBERNETES_NOT_FOUND = "KubernetesNotFound"
KUBERNETES_INVALID = "KubernetesInvalid"
KUBERNETES_FORBIDDEN = "KubernetesForbidden"
KUBERNETES_CONFIG = "KubernetesConfigError"
KUBERNETES_UNAVAILABLE = "KubernetesUnavailable"
KUBERNETES_ERROR = "KubernetesError"
ROLLOUT_FAILED = "KubernetesRolloutFailed"
"""A rollout that cannot succeed (``ProgressDeadlineExceeded``, a failed pod)."""
ROLLOUT_TIMEOUT = "KubernetesRolloutTimeout"
"""A rollout that was not stable in time."""

_RETRYABLE_4XX = {408, 409, 429}


def _api_message(err: ApiException) -> tuple[str, str]:
    """(reason, message) from the API server's ``Status`` body."""
    try:
        body = json.loads(err.body or "")
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict):
        return str(body.get("reason") or err.reason or ""), str(body.get("message") or "").strip()
    return str(err.reason or ""), str(err.body or "").strip()[:300]


def classify(err: BaseException, *, account: str, what: str) -> ApplicationError:
    """The Temporal failure for ``err``; ``what`` names the object and namespace."""
    where = f"{what} (account {account!r})"
    if isinstance(err, ApplicationError):
        return err
    if isinstance(err, ApiException) and err.status:
        reason, text = _api_message(err)
        message = f"{where}: {err.status} {reason}: {text}"
        status = int(err.status)
        if status == 404:
            return ApplicationError(message, type=KUBERNETES_NOT_FOUND, non_retryable=True)
        if status in (401, 403):
            return ApplicationError(message, type=KUBERNETES_FORBIDDEN, non_retryable=True)
        if status in _RETRYABLE_4XX or status >= 500:
            return ApplicationError(
                message, type=KUBERNETES_UNAVAILABLE if status >= 500 else KUBERNETES_ERROR
            )
        return ApplicationError(message, type=KUBERNETES_INVALID, non_retryable=True)
    if isinstance(err, ApiException | urllib3.exceptions.HTTPError | OSError):
        return ApplicationError(
            f"cannot reach the Kubernetes API for {where}: {err}", type=KUBERNETES_UNAVAILABLE
        )
    if isinstance(err, ConfigException):
        return ApplicationError(
            f"cannot load the kubeconfig for {where}: {err}",
            type=KUBERNETES_CONFIG,
            non_retryable=True,
        )
    if isinstance(err, ResourceNotFoundError | ResourceNotUniqueError):
        return ApplicationError(
            f"{where}: the cluster does not serve this kind: {err}",
            type=KUBERNETES_INVALID,
            non_retryable=True,
        )
    if isinstance(err, NotFoundError):
        return ApplicationError(f"{err} ({where})", type=KUBERNETES_NOT_FOUND, non_retryable=True)
    if isinstance(err, ValidationError | ValueError):
        return ApplicationError(f"{where}: {err}", type=KUBERNETES_INVALID, non_retryable=True)
    if isinstance(err, GennakerError):
        return ApplicationError(f"{err} ({where})", type=type(err).__name__, non_retryable=True)
    return ApplicationError(f"{type(err).__name__}: {err} ({where})", type=KUBERNETES_ERROR)


@contextmanager
def translated(account: str, what: str) -> Iterator[None]:
    """Re-raise anything but cancellation as a classified ``ApplicationError``."""
    try:
        yield
    except (CancelledError, ApplicationError):
        raise
    except Exception as err:  # noqa: BLE001 - every failure is classified, none swallowed
        # Not chained: the engine shows the innermost failure, and ours says more.
        raise classify(err, account=account, what=what) from None
