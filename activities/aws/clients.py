"""boto3 clients per account and region, from the worker's configuration.

Credentials come only from boto3's standard chain on the worker (environment,
shared files, instance or task role). An account's ``assumeRole`` is assumed
through STS on top of that chain; ``endpointUrl`` points every client at a
compatible endpoint such as moto. Pipelines only ever carry account names.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from models.config import AwsAccount, GennakerConfig
from models.errors import ValidationError

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

__all__ = ["ClientFactory", "RegionClients"]

# Temporal owns retries and their backoff; botocore only smooths over blips.
_BOTOCORE = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="gennaker",
)

# Refresh assumed-role sessions well before their credentials expire.
_REFRESH_MARGIN_SECONDS = 300.0
_ROLE_SESSION_SECONDS = 3600


@dataclass(frozen=True)
class RegionClients:
    """The clients for one account in one region.

    Attributes:
        account: The account's name in the configuration.
        region: The AWS region.
        endpoint_url: The account's endpoint override, or None for AWS itself.
        ec2: EC2 (images, launch templates, networking).
        autoscaling: Auto Scaling.
        elbv2: Elastic Load Balancing v2 (target groups).
        assumed: Credentials of the account's assumed role, or None for the worker's own.
    """

    account: str
    region: str
    endpoint_url: str | None
    ec2: EC2Client
    autoscaling: AutoScalingClient
    elbv2: ElasticLoadBalancingv2Client
    assumed: dict[str, str] | None = None

    def credential_environment(self) -> dict[str, str]:
        """The credentials as ``AWS_*`` variables, for a subprocess such as Packer.

        Raises:
            ValidationError: boto3's chain found no credentials.
        """
        access_key: str | None
        secret_key: str | None
        token: str | None
        if self.assumed is not None:
            access_key = self.assumed["aws_access_key_id"]
            secret_key = self.assumed["aws_secret_access_key"]
            token = self.assumed["aws_session_token"]
        else:
            credentials = _base_session().get_credentials()
            if credentials is None:
                raise ValidationError(
                    f"no AWS credentials for account {self.account!r}: "
                    "configure boto3's credential chain on the worker"
                )
            frozen = credentials.get_frozen_credentials()
            access_key, secret_key, token = frozen.access_key, frozen.secret_key, frozen.token
        env = {
            "AWS_ACCESS_KEY_ID": access_key or "",
            "AWS_SECRET_ACCESS_KEY": secret_key or "",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }
        if token:
            env["AWS_SESSION_TOKEN"] = token
        return env


_SESSION_LOCK = threading.Lock()
_SESSION: boto3.Session | None = None


def _base_session() -> boto3.Session:
    """One boto3 session per process: the standard chain, resolved once.

    Sharing it matters: a session caches the service models, and a client from a
    fresh session costs about 0.25 s against about 0.02 s from a warm one.
    """
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            _SESSION = boto3.Session()
        return _SESSION


class ClientFactory:
    """Makes and caches :class:`RegionClients` per account and region (thread-safe).

    Args:
        config: The worker configuration.
    """

    def __init__(self, config: GennakerConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[RegionClients, float]] = {}

    def account(self, name: str) -> AwsAccount:
        """The configured account; raises NotFoundError naming it."""
        return self._config.aws_account(name)

    def check(self, account: str, region: str) -> AwsAccount:
        """Check that ``account`` exists and allows ``region``.

        Raises:
            NotFoundError: The account is not configured.
            ValidationError: The region is not one of the account's.
        """
        configured = self._config.aws_account(account)
        if region not in configured.regions:
            known = ", ".join(configured.regions)
            raise ValidationError(
                f"region {region!r} is not configured for AWS account {account!r} (known: {known})"
            )
        return configured

    def for_region(self, account: str, region: str) -> RegionClients:
        """The clients for ``account`` in ``region``.

        Raises:
            NotFoundError: The account is not configured.
            ValidationError: The region is not one of the account's.
        """
        configured = self.check(account, region)
        key = (account, region)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[1] - time.time() > _REFRESH_MARGIN_SECONDS:
                return cached[0]
            clients, expires = self._make(configured, region)
            self._cache[key] = (clients, expires)
            return clients

    def _make(self, account: AwsAccount, region: str) -> tuple[RegionClients, float]:
        session = _base_session()
        kwargs: dict[str, Any] = {"region_name": region, "config": _BOTOCORE}
        if account.endpoint_url:
            kwargs["endpoint_url"] = account.endpoint_url
        assumed, expires = None, float("inf")
        if account.assume_role:
            assumed, expires = self._assume(session, account, kwargs)
            kwargs |= assumed
        clients = RegionClients(
            account=account.name,
            region=region,
            endpoint_url=account.endpoint_url,
            ec2=session.client("ec2", **kwargs),
            autoscaling=session.client("autoscaling", **kwargs),
            elbv2=session.client("elbv2", **kwargs),
            assumed=assumed,
        )
        return clients, expires

    @staticmethod
    def _assume(
        session: boto3.Session, account: AwsAccount, kwargs: dict[str, Any]
    ) -> tuple[dict[str, str], float]:
        assert account.assume_role is not None
        sts = session.client("sts", **kwargs)
        response = sts.assume_role(
            RoleArn=account.assume_role,
            RoleSessionName=re.sub(r"[^\w+=,.@-]", "-", f"gennaker-{account.name}")[:64],
            DurationSeconds=_ROLE_SESSION_SECONDS,
        )
        credentials = response["Credentials"]
        assumed = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
        return assumed, credentials["Expiration"].timestamp()
