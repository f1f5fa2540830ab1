"""The worker configuration file: accounts, roles and the execution-window timezone.

Pipelines name accounts; only workers know how to reach them. Workers (and
``gennaker up``) read one YAML file: ``--config FILE``, else ``$GENNAKER_CONFIG``,
else ``./gennaker.yaml``, else ``~/.gennaker/config.yaml``. A bad file is refused at
start with the key path that is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from models.errors import ConfigError, FieldProblem, NotFoundError

__all__ = [
    "AwsAccount",
    "AwsDefaults",
    "GennakerConfig",
    "KubernetesAccount",
    "MetricsAccount",
    "config_path",
    "load_config",
    "problems_from_pydantic",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AwsDefaults(_Strict):
    """Launch defaults used when a deploy stage does not say otherwise."""

    subnet_ids: list[str] = Field(default_factory=list, alias="subnetIds")
    security_groups: list[str] = Field(default_factory=list, alias="securityGroups")
    key_pair: str | None = Field(default=None, alias="keyPair")
    instance_profile: str | None = Field(default=None, alias="instanceProfile")


class AwsAccount(_Strict):
    """An AWS account a worker can reach. Credentials come from boto3's standard chain."""

    name: str
    regions: list[str] = Field(min_length=1)
    endpoint_url: str | None = Field(default=None, alias="endpointUrl")
    assume_role: str | None = Field(default=None, alias="assumeRole")
    defaults: AwsDefaults = Field(default_factory=AwsDefaults)


class KubernetesAccount(_Strict):
    """A Kubernetes cluster a worker can reach through a kubeconfig."""

    name: str
    kubeconfig: str = "~/.kube/config"
    context: str | None = None
    namespaces: list[str] = Field(default_factory=lambda: ["default"])


class MetricsAccount(_Strict):
    """A metrics store for canary analysis."""

    name: str
    type: Literal["prometheus", "cloudwatch", "inline"]
    url: str | None = None
    auth_header: str | None = Field(default=None, alias="authHeader")
    aws_account: str | None = Field(default=None, alias="awsAccount")

    @pydantic.model_validator(mode="after")
    def _needs_target(self) -> MetricsAccount:
        if self.type == "prometheus" and not self.url:
            raise ValueError("a prometheus account needs 'url'")
        if self.type == "cloudwatch" and not self.aws_account:
            raise ValueError("a cloudwatch account needs 'awsAccount'")
        return self


class AwsSection(_Strict):
    accounts: list[AwsAccount] = Field(default_factory=list)


class KubernetesSection(_Strict):
    accounts: list[KubernetesAccount] = Field(default_factory=list)


class MetricsSection(_Strict):
    accounts: list[MetricsAccount] = Field(default_factory=list)


class GennakerConfig(_Strict):
    """Everything a worker knows that pipelines must not: accounts, roles, timezone."""

    aws: AwsSection = Field(default_factory=AwsSection)
    kubernetes: KubernetesSection = Field(default_factory=KubernetesSection)
    metrics: MetricsSection = Field(default_factory=MetricsSection)
    roles: dict[str, list[str]] = Field(default_factory=dict)
    timezone: str = "America/Los_Angeles"

    @pydantic.field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown timezone {value!r}") from err
        return value

    def aws_account(self, name: str) -> AwsAccount:
        """The AWS account called ``name``; raises NotFoundError naming it."""
        for account in self.aws.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.aws.accounts) or "none configured"
        raise NotFoundError(f"unknown AWS account {name!r} (known: {known})")

    def kubernetes_account(self, name: str) -> KubernetesAccount:
        """The Kubernetes account called ``name``; raises NotFoundError naming it."""
        for account in self.kubernetes.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.kubernetes.accounts) or "none configured"
        raise NotFoundError(f"unknown Kubernetes account {name!r} (known: {known})")

    def metrics_account(self, name: str) -> MetricsAccount:
        """The metrics account called ``name``; raises NotFoundError naming it."""
        for account in self.metrics.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.metrics.accounts) or "none configured"
        raise NotFoundError(f"unknown metrics account {name!r} (known: {known})")

    def roles_of(self, user: str) -> list[str]:
        """The roles ``user`` holds (empty when the user is not listed)."""
        return list(self.roles.get(user, []))

    @classmethod
    def parse(cls, data: Any, source: str = "config") -> GennakerConfig:
        """Validate ``data``; raise ConfigError naming ``source`` and every wrong key path."""
        if data is None:
            data = {}
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as err:
            raise ConfigError(problems_from_pydantic(err), source) from None


def problems_from_pydantic(err: pydantic.ValidationError, prefix: str = "") -> list[FieldProblem]:
    """Turn pydantic's errors into ``FieldProblem``s with paths like ``aws.accounts[0].name``."""
    problems = []
    for item in err.errors(include_url=False):
        path = prefix
        for part in item["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += f".{part}" if path else str(part)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        problems.append(FieldProblem(path, message))
    return problems


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The configuration file to read: explicit, $GENNAKER_CONFIG, ./gennaker.yaml, ~/.gennaker/config.yaml."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("GENNAKER_CONFIG")
    if env:
        return Path(env).expanduser()
    for candidate in (Path("gennaker.yaml"), Path.home() / ".gennaker" / "config.yaml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | os.PathLike[str] | None = None) -> GennakerConfig:
    """Read and validate the worker configuration; an empty config when there is no file.

    Raises:
        ConfigError: The file is missing (when named explicitly), not YAML, or has a wrong key.
    """
    resolved = config_path(path)
    if resolved is None:
        return GennakerConfig()
    try:
        text = resolved.read_text()
    except OSError as err:
        raise ConfigError(f"cannot read configuration: {err.strerror}", str(resolved)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"not valid YAML: {err}", str(resolved)) from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError("the configuration must be a mapping", str(resolved))
    return GennakerConfig.parse(data, str(resolved))
