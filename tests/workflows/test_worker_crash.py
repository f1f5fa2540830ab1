"""A worker killed with SIGKILL mid-pipeline: a new one finishes the run, nothing runs twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from client.client import GennakerClient
from emulators.http_stub import HttpStub
from models.loading import parse_pipeline
from models.run import TaskQueues
from models.status import Status
from tests.conftest import make_pipeline, until_view


def start_worker(address: str, suffix: str, home: Path) -> subprocess.Popen[bytes]:
    """``gennaker worker --queue pipelines`` as its own process (so it can be killed)."""
    gennaker = Path(sys.executable).parent / "gennaker"
    return subprocess.Popen(
        [
            str(gennaker),
            "worker",
            "--queue",
            "pipelines",
            "--address",
            address,
            "--queue-suffix",
            suffix,
        ],
        env={**os.environ, "HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def test_sigkilled_worker_restarts_and_no_finished_stage_runs_twice(
    dev_env: WorkflowEnvironment, dev_client: Client, tmp_path: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    suffix = uuid.uuid4().hex[:8]
    gennaker = GennakerClient(dev_client, TaskQueues.with_suffix(suffix))
    with HttpStub() as stub:
        stages = [
            {"refId": "1", "type": "webhook", "url": stub.url("/one")},
            {
                "refId": "2",
                "type": "webhook",
                "url": stub.url("/two"),
                "requisiteStageRefIds": ["1"],
            },
            {"refId": "3", "type": "wait", "waitTime": 4, "requisiteStageRefIds": ["2"]},
            {
                "refId": "4",
                "type": "webhook",
                "url": stub.url("/four"),
                "requisiteStageRefIds": ["3"],
            },
            {
                "refId": "5",
                "type": "webhook",
                "url": stub.url("/five"),
                "requisiteStageRefIds": ["4"],
            },
        ]
        pipeline = parse_pipeline(make_pipeline(stages))
        worker = start_worker(address, suffix, tmp_path)
        try:
            execution_id = await gennaker.run(pipeline)
            # Kill while stage 3 waits: stages 1 and 2 are finished (recorded in history).
            await until_view(
                gennaker, execution_id, lambda v: v.stages[2].status == Status.RUNNING, 30
            )
            assert stub.calls("POST", "/two")
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            killed_at = time.monotonic()
            await asyncio.sleep(1)
            assert stub.calls("POST", "/four") == []
            worker = start_worker(address, suffix, tmp_path)
            view = await asyncio.wait_for(gennaker.wait(execution_id), 60)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(10)
        assert view.status == Status.SUCCEEDED
        for path in ("/one", "/two", "/four", "/five"):
            assert len(stub.calls("POST", path)) == 1, path
        assert time.monotonic() - killed_at < 60
