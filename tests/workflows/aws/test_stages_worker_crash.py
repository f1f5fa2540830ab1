"""A worker process killed in the middle of a deploy, and another one finishing it.

The workers here are real ``gennaker worker`` processes (every queue in one
process, real target health, moto behind the configuration file); the first is
SIGKILLed while the deploy waits before disabling the old group. The second
replays the run from its history and finishes it without making a second
server group.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from client.client import GennakerClient
from models.loading import parse_pipeline
from models.run import TaskQueues
from models.status import Status
from tests.activities.aws.conftest import Aws, Networks
from tests.client.helpers import Background
from tests.workflows.aws.stack import REGION, until

pytestmark = pytest.mark.integration


def _pipeline(application: str, network: Networks, image: str, **cluster: Any) -> Any:
    net = network[REGION]
    stage = {
        "refId": "deploy",
        "type": "deploy",
        "clusters": [
            {
                "account": "test",
                "application": application,
                "stack": "prod",
                "availabilityZones": {REGION: []},
                "subnetIds": list(net.subnet_ids),
                "securityGroups": [net.security_group_id],
                "capacity": {"min": 1, "desired": 2, "max": 2},
                "instanceType": "t3.micro",
                "imageId": image,
                "strategy": "redblack",
                **cluster,
            }
        ],
    }
    return parse_pipeline({"application": application, "name": "deploy", "stages": [stage]})


def _worker(tmp_path: Path, address: str, suffix: str, config: Path) -> Background:
    return Background(
        "worker", "--queue", "all", "--address", address, "--queue-suffix", suffix,
        "--config", config, home=tmp_path,
    )  # fmt: skip


async def test_a_worker_killed_mid_deploy_is_replaced_without_a_second_group(
    dev_env: WorkflowEnvironment,
    dev_client: Client,
    moto_url: str,
    network: Networks,
    aws: Aws,
    tmp_path: Path,
) -> None:
    address = str(dev_env.client.service_client.config.target_host)
    suffix = uuid.uuid4().hex[:8]
    config = tmp_path / "gennaker.yaml"
    config.write_text(
        yaml.safe_dump(
            {"aws": {"accounts": [{"name": "test", "regions": [REGION], "endpointUrl": moto_url}]}}
        )
    )
    gennaker = GennakerClient(dev_client, TaskQueues.with_suffix(suffix))
    application = f"crash{uuid.uuid4().hex[:6]}"
    v000, v001 = f"{application}-prod-v000", f"{application}-prod-v001"
    image = aws.image()

    with _worker(tmp_path, address, suffix, config) as first:
        first.wait_for("serving gennaker-pipelines")
        done = await gennaker.wait(await gennaker.run(_pipeline(application, network, image)))
        assert done.status == Status.SUCCEEDED
        execution_id = await gennaker.run(
            _pipeline(application, network, image, delayBeforeDisableSec=4)
        )
        view = await until(
            gennaker,
            execution_id,
            lambda v: any(
                s.startswith("wait 4s") for s in v.stages[0].context["deployments"][0]["steps"]
            ),
        )
        assert view.stages[0].status == Status.RUNNING
        assert sorted(n for n in aws.group_names() if n.startswith(application)) == [v000, v001]
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL

    await asyncio.sleep(0.5)
    with _worker(tmp_path, address, suffix, config) as second:
        second.wait_for("serving gennaker-pipelines")
        view = await asyncio.wait_for(gennaker.wait(execution_id), timeout=60)
    assert view.status == Status.SUCCEEDED, view.stages[0].error
    assert view.stages[0].outputs["deploy.server.groups"] == {REGION: [v001]}
    assert sorted(n for n in aws.group_names() if n.startswith(application)) == [v000, v001]
    assert sorted(n for n in aws.template_names() if n.startswith(application)) == [v000, v001]
    suspended = {
        name: {p["ProcessName"] for p in aws.group(name)["SuspendedProcesses"]}
        for name in (v000, v001)
    }
    assert suspended == {v000: {"AddToLoadBalancer"}, v001: set()}
