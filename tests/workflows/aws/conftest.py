"""Server groups made up for the pure planning tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from models.aws import Capacity, Instance, ServerGroup
from models.naming import ServerGroupName

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
