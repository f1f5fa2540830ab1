"""Shared test servers: one Temporal dev server and one time-skipping server per session."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from client.client import GennakerClient
from emulators.temporal import temporal_cli, test_server_binary
from models.config import GennakerConfig
from models.execution import ExecutionView
from models.run import TaskQueues
from models.search import SEARCH
from workers.build import WorkerOptions, build_workers

os.environ.setdefault("CHECKPOINT_DISABLE", "1")


def _pydantic_client(client: Client) -> Client:
    config = client.config()
    config["data_converter"] = pydantic_data_converter
    return Client(**config)


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (in memory) with Gennaker's search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=SEARCH.all(),
        ui=False,
        dev_server_log_level="error",
    )
    async with env:
        yield env


@pytest.fixture(scope="session")
async def dev_client(dev_env: WorkflowEnvironment) -> Client:
    """A client of the dev server that speaks pydantic."""
    return _pydantic_client(dev_env.client)


@pytest.fixture(scope="session")
async def skip_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, with Gennaker's search attributes registered."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_binary(),
        data_converter=pydantic_data_converter,
    )
    async with env:
        kinds = {
            "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
            "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        }
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={
                    key.name: kinds[key.indexed_value_type.name] for key in SEARCH.all()
                },
            )
        )
        yield env


UNREACHABLE = "127.0.0.1:1"
"""An address nothing answers on. Not a "free" ephemeral port: connecting to one of those
can, rarely, connect the socket to itself and look like a server."""


def unique_queues() -> TaskQueues:
    """Task queues no other test uses."""
    return TaskQueues.with_suffix(uuid.uuid4().hex[:8])


@asynccontextmanager
async def running_workers(
    client: Client,
    *,
    config: GennakerConfig | None = None,
    kinds: tuple[str, ...] = ("pipelines",),
    options: WorkerOptions | None = None,
    queues: TaskQueues | None = None,
) -> AsyncIterator[GennakerClient]:
    """Workers on fresh queues, and a GennakerClient that uses them."""
    queues = queues or unique_queues()
    workers: list[Worker] = build_workers(
        client, config or GennakerConfig(), queues, kinds=kinds, options=options
    )
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield GennakerClient(client, queues)
    finally:
        for worker in workers:
            await worker.shutdown()
        for task in tasks:
            # A worker failing at shutdown must not hide the test's own result.
            with contextlib.suppress(Exception):
                await task


@pytest.fixture
async def gennaker(dev_client: Client) -> AsyncIterator[GennakerClient]:
    """A GennakerClient with a pipelines worker on fresh queues of the dev server."""
    async with running_workers(dev_client) as client:
        yield client


def make_pipeline(stages: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A pipeline mapping with a unique application (so listings do not mix tests)."""
    return {
        "application": fields.pop("application", f"app{uuid.uuid4().hex[:6]}"),
        "name": fields.pop("name", "pipe"),
        "stages": stages,
        **fields,
    }


@pytest.fixture
def tmp_home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A scratch HOME (tools such as Packer and kubectl write caches there)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    yield tmp_path


@pytest.fixture(scope="session")
def aws_credentials() -> Iterator[None]:
    """Dummy credentials for boto3's chain (moto takes any); never the developer's real ones."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_SESSION_TOKEN", "testing")
        patch.setenv("AWS_CONFIG_FILE", "/nonexistent/gennaker-test-config")
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/gennaker-test-credentials")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.delenv("AWS_PROFILE", raising=False)
        yield


async def until_view(
    gennaker: GennakerClient,
    execution_id: str,
    check: Callable[[ExecutionView], bool],
    timeout: float = 30,
    *,
    fail_when_complete: bool = False,
) -> ExecutionView:
    """Poll a run's execution view until ``check`` holds.

    Args:
        fail_when_complete: Give up at once if the run ends without ``check`` holding.
    """
    deadline = time.monotonic() + timeout
    while True:
        view = await gennaker.status(execution_id)
        if check(view):
            return view
        if (fail_when_complete and view.status.complete) or time.monotonic() > deadline:
            raise AssertionError(f"condition not met; last view: {view.model_dump_json(indent=1)}")
        await asyncio.sleep(0.1)
