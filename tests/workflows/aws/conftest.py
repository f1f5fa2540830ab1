"""Server groups made up for the pure planning tests; moto and real workers for the stage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import Client

from models.aws import Capacity, Instance, ServerGroup
from models.config import GennakerConfig
from models.naming import ServerGroupName
from tests.activities.aws import conftest as moto_fixtures
from tests.activities.aws.conftest import Aws, FakeHealth, Networks
from tests.conftest import running_workers
from tests.workflows.aws.stack import ACCOUNT, REGIONS, AwsStack
from workers.build import WorkerOptions

# moto's fixtures (one server for this directory, reset before every test).
_aws_session = moto_fixtures._aws_session
moto_server = moto_fixtures.moto_server
moto_url = moto_fixtures.moto_url
network = moto_fixtures.network
aws = moto_fixtures.aws

_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _make_group(
    name: str,
    age: int,
    *,
    enabled: bool = True,
    capacity: tuple[int, int, int] = (2, 2, 2),
    instances: int | None = None,
) -> ServerGroup:
    """A group created ``age`` minutes after a fixed epoch (higher is newer)."""
    parsed = ServerGroupName.parse(name)
    count = capacity[1] if instances is None else instances
    return ServerGroup(
        name=name,
        account="test",
        region="us-east-1",
        cluster=str(parsed.cluster),
        application=parsed.app,
        capacity=Capacity.of(*capacity),
        instances=[
            Instance(
                instance_id=f"i-{name}-{n}",
                lifecycle_state="InService",
                health_status="Healthy",
                healthy=True,
            )
            for n in range(count)
        ],
        enabled=enabled,
        created_time=_EPOCH + timedelta(minutes=age),
    )


@pytest.fixture
def group() -> Callable[..., ServerGroup]:
    """A factory: ``group("app-v001", age=1, enabled=False, capacity=(1, 2, 3))``."""
    return _make_group


def stack_config(url: str) -> GennakerConfig:
    """One account, ``test``, in three regions, pointed at moto."""
    return GennakerConfig.parse(
        {"aws": {"accounts": [{"name": ACCOUNT, "regions": list(REGIONS), "endpointUrl": url}]}}
    )


@pytest.fixture
async def stack(
    dev_client: Client, moto_url: str, aws: Aws, network: Networks
) -> AsyncIterator[AwsStack]:
    """Pipelines and AWS workers on fresh queues, moto reset, health driven by a fake."""
    health = FakeHealth()
    for region in REGIONS:
        network[region]  # seed every region's VPC, subnets and security group
    options = WorkerOptions(overrides={"aws": {"health": health, "poll_interval": 0.1}})
    async with running_workers(
        dev_client, config=stack_config(moto_url), kinds=("pipelines", "aws"), options=options
    ) as gennaker:
        yield AwsStack(gennaker, aws, health, network)
