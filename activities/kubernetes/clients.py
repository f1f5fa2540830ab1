"""One API client per Kubernetes account, built from the account's kubeconfig.

Clients are made on first use and kept; a client whose discovery failed is not
kept, so a cluster that was down is tried again on the next activity. The
urllib3 retries of the official client are turned off: Temporal retries.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as _kubeconfig
from kubernetes.dynamic import DynamicClient as _DynamicClient

from models.config import GennakerConfig, KubernetesAccount
from models.errors import ValidationError
from workflows.kubernetes.manifests import canonical_kind

__all__ = ["REQUEST_TIMEOUT", "AccountClient", "ClientFactory"]

# The client ships py.typed but leaves these untyped; they are used as Any here.
kubeconfig: Any = _kubeconfig
DynamicClient: Any = _DynamicClient

REQUEST_TIMEOUT = (5.0, 30.0)
"""(connect, read) seconds of every API request."""


class AccountClient:
    """The official client for one account: the dynamic client plus the account's rules."""

    def __init__(
        self, account: KubernetesAccount, api: k8s.ApiClient, discovery_cache: str
    ) -> None:
        self.account = account
        self.api = api
        self.dynamic = DynamicClient(api, cache_file=discovery_cache)
        self._lock = threading.Lock()
        contexts, current = kubeconfig.list_kube_config_contexts(
            str(Path(account.kubeconfig).expanduser())
        )
        chosen = (
            next((c for c in contexts if c["name"] == account.context), current)
            if account.context
            else current
        )
        self.default_namespace = str(
            (chosen or {}).get("context", {}).get("namespace") or "default"
        )

    @property
    def name(self) -> str:
        """The account name."""
        return self.account.name

    def resource(self, kind: str, api_version: str | None = None) -> Any:
        """The served resource of ``kind`` (and ``api_version`` when given)."""
        with self._lock:  # the discoverer's cache is not thread-safe
            found = self.dynamic.resources.search(
                kind=canonical_kind(kind), **({"api_version": api_version} if api_version else {})
            )
            served = [r for r in found if "/" not in r.name]
            if not served:
                return self.dynamic.resources.get(
                    kind=canonical_kind(kind), api_version=api_version
                )
            return served[0]

    def check_namespace(self, namespace: str) -> None:
        """Refuse a namespace the account does not list (an empty list allows all)."""
        allowed = self.account.namespaces
        if allowed and namespace not in allowed:
            raise ValidationError(
                f"namespace {namespace!r} is not one of Kubernetes account {self.name!r}'s "
                f"namespaces ({', '.join(allowed)})"
            )


class ClientFactory:
    """Hands out one :class:`AccountClient` per account, made on first use."""

    def __init__(self, config: GennakerConfig) -> None:
        self._config = config
        self._clients: dict[str, AccountClient] = {}
        self._lock = threading.Lock()
        # One discovery cache per account and API server, shared by this user's workers;
        # the client refreshes it when a kind is missing.
        self._cache_dir = Path(tempfile.gettempdir()) / f"gennaker-k8s-discovery-{os.getuid()}"

    def for_account(self, name: str) -> AccountClient:
        """The client of account ``name``; NotFoundError naming it when unknown."""
        account = self._config.kubernetes_account(name)
        with self._lock:
            existing = self._clients.get(name)
            if existing is not None:
                return existing
        configuration = k8s.Configuration()
        kubeconfig.load_kube_config(
            config_file=str(Path(account.kubeconfig).expanduser()),
            context=account.context,
            client_configuration=configuration,
            persist_config=False,
        )
        configuration.retries = 0
        api = k8s.ApiClient(configuration)
        digest = hashlib.sha256(f"{name}\0{configuration.host}".encode()).hexdigest()[:16]
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        made = AccountClient(account, api, str(self._cache_dir / f"{digest}.json"))
        with self._lock:
            return self._clients.setdefault(name, made)
