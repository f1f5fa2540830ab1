"""The activities behind a real Temporal worker, driven by a workflow that plans red/black."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.aws import AwsActivities
from models.aws import CreateServerGroupRequest
from tests.activities.aws.conftest import Aws
from tests.activities.aws.deploy_workflow import RedBlackDeploy

MakeRequest = Callable[..., CreateServerGroupRequest]


@pytest.fixture(scope="module")
async def temporal() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server (the venv's ``temporal`` CLI) on a free port."""
    binary = Path(sys.executable).parent / "temporal"
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(binary),
        data_converter=pydantic_data_converter,
        ui=False,
        dev_server_log_level="error",
    )
    async with env:
        yield env


async def test_red_black_twice_through_a_worker(
    temporal: WorkflowEnvironment,
    activities: AwsActivities,
    make_request: MakeRequest,
    aws: Aws,
) -> None:
    queue = f"aws-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            temporal.client,
            task_queue=queue,
            workflows=[RedBlackDeploy],
            activities=activities.all(),
            activity_executor=executor,
        ):
            results = []
            for run in ("first", "second"):
                results.append(
                    await temporal.client.execute_workflow(
                        RedBlackDeploy.run,
                        make_request(execution_id=f"{run}-{queue}"),
                        id=f"deploy-{run}-{queue}",
                        task_queue=queue,
                    )
                )

    assert results[0] == [
        "app-prod-v000",
        "created again: False",
        "wait until 100% of app-prod-v000 is healthy",
    ]
    assert results[1] == [
        "app-prod-v001",
        "created again: False",
        "wait until 100% of app-prod-v001 is healthy",
        "disable app-prod-v000",
    ]
    assert aws.group_names() == ["app-prod-v000", "app-prod-v001"]
    suspended = {
        name: {p["ProcessName"] for p in aws.group(name)["SuspendedProcesses"]}
        for name in aws.group_names()
    }
    assert suspended == {"app-prod-v000": {"AddToLoadBalancer"}, "app-prod-v001": set()}
