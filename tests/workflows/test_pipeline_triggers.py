"""``pipeline`` triggers on the real dev server: B runs when A ends with a listed status."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.engine import EngineActivities, trigger_status_word
from client.client import GennakerClient
from client.runs import triggered_id
from models.config import GennakerConfig
from models.execution import ExecutionView
from models.ids import slug
from models.loading import parse_pipeline
from models.pipeline import Pipeline
from models.status import Status
from tests.conftest import running_workers
from tests.workflows.registry_support import ended, exists, until


@pytest.fixture
async def gennaker(dev_client: Client) -> AsyncIterator[GennakerClient]:
    async with running_workers(dev_client) as client:
        yield client


@dataclass
class Setup:
    """An upstream pipeline and two followers, saved in two applications."""

    upstream: Pipeline
    on_success: Pipeline
    on_failure: Pipeline

    def run_after(self, follower: Pipeline, upstream_id: str) -> str:
        """The id a follower's run gets when ``upstream_id`` fires it."""
        return triggered_id(follower, f"after-{slug(upstream_id)}")


def _upstream(app: str) -> Pipeline:
    outcome = "${parameters.outcome != 'fail'}"
    return parse_pipeline(
        {
            "application": app,
            "name": "build",
            "id": f"{app}-build-id",
            "parameterConfig": [{"name": "outcome", "default": "pass"}],
            "stages": [
                {
                    "refId": "check",
                    "type": "checkPreconditions",
                    "preconditions": [{"type": "expression", "context": {"expression": outcome}}],
                },
                {
                    "refId": "hold",
                    "type": "wait",
                    "waitTime": 60,
                    "requisiteStageRefIds": ["check"],
                    "stageEnabled": {
                        "type": "expression",
                        "expression": "parameters.outcome == 'hold'",
                    },
                },
            ],
        }
    )


def _follower(app: str, name: str, upstream: Pipeline, key: str, statuses: list[str]) -> Pipeline:
    return parse_pipeline(
        {
            "application": app,
            "name": name,
            "parameterConfig": [{"name": "region", "default": "eu-west-1"}],
            "triggers": [
                {
                    "type": "pipeline",
                    "application": upstream.application,
                    "pipeline": key,
                    "status": statuses,
                }
            ],
            "stages": [{"refId": "1", "type": "wait", "waitTime": 0}],
        }
    )


@pytest.fixture
async def setup(gennaker: GennakerClient) -> Setup:
    up, down = f"up{uuid.uuid4().hex[:6]}", f"down{uuid.uuid4().hex[:6]}"
    upstream = _upstream(up)
    # One follows by config id (as Spinnaker writes it), the other by name.
    on_success = _follower(down, "on-success", upstream, upstream.id or "", ["successful"])
    on_failure = _follower(down, "on-failure", upstream, "build", ["failed", "canceled"])
    for pipeline in (upstream, on_success, on_failure):
        await gennaker.registry.apply(pipeline, "alice")
    # Followers are found through the visibility store, which may lag the apply a moment.
    await until(
        gennaker.registry.following,
        lambda rows: (
            {r["name"] for r in rows if r["application"] == down} == {"on-success", "on-failure"}
        ),
        what="followers visible",
    )
    return Setup(upstream, on_success, on_failure)


async def run_upstream(gennaker: GennakerClient, setup: Setup, outcome: str) -> ExecutionView:
    execution_id = await gennaker.run(
        (setup.upstream.application, "build"), {"outcome": outcome}, user="uma"
    )
    # The run fires its triggers before its workflow closes, so once it has ended the
    # followers that were going to start have started.
    return await ended(gennaker, execution_id)


async def test_success_fires_the_follower_with_the_parent_execution(
    gennaker: GennakerClient, setup: Setup
) -> None:
    upstream = await run_upstream(gennaker, setup, "pass")

    follower = await ended(gennaker, setup.run_after(setup.on_success, upstream.id))

    assert upstream.status == Status.SUCCEEDED
    assert follower.status == Status.SUCCEEDED
    trigger: dict[str, Any] = follower.trigger
    assert trigger["type"] == "pipeline"
    assert trigger["parameters"] == {"region": "eu-west-1"}
    assert trigger["user"] == "uma"
    parent = trigger["parentExecution"]
    assert parent["id"] == upstream.id
    assert parent["status"] == "SUCCEEDED"
    assert (parent["application"], parent["name"]) == (setup.upstream.application, "build")
    assert parent["pipelineConfigId"] == setup.upstream.id
    assert parent["trigger"]["parameters"]["outcome"] == "pass"
    assert not await exists(gennaker, setup.run_after(setup.on_failure, upstream.id))


async def test_failure_fires_only_the_follower_that_lists_it(
    gennaker: GennakerClient, setup: Setup
) -> None:
    upstream = await run_upstream(gennaker, setup, "fail")

    follower = await ended(gennaker, setup.run_after(setup.on_failure, upstream.id))

    assert upstream.status == Status.TERMINAL
    assert follower.status == Status.SUCCEEDED
    assert follower.trigger["parentExecution"]["status"] == "TERMINAL"
    assert not await exists(gennaker, setup.run_after(setup.on_success, upstream.id))


async def test_cancel_fires_only_the_follower_that_lists_it(
    gennaker: GennakerClient, setup: Setup
) -> None:
    execution_id = await gennaker.run((setup.upstream.application, "build"), {"outcome": "hold"})
    await until(
        lambda: gennaker.status(execution_id),
        lambda v: (v.stage("hold") or v.stages[0]).status == Status.RUNNING,
        what="upstream holds",
    )
    await gennaker.cancel(execution_id, user="ops")
    upstream = await ended(gennaker, execution_id)

    follower = await ended(gennaker, setup.run_after(setup.on_failure, upstream.id))

    assert upstream.status == Status.CANCELED
    assert follower.trigger["parentExecution"]["status"] == "CANCELED"
    assert not await exists(gennaker, setup.run_after(setup.on_success, upstream.id))


async def test_a_disabled_follower_does_not_fire(gennaker: GennakerClient, setup: Setup) -> None:
    await gennaker.registry.set_disabled(setup.on_success.application, "on-success", True)

    upstream = await run_upstream(gennaker, setup, "pass")

    assert upstream.status == Status.SUCCEEDED
    assert not await exists(gennaker, setup.run_after(setup.on_success, upstream.id))


async def test_a_retried_firing_does_not_start_the_follower_twice(
    gennaker: GennakerClient, setup: Setup, dev_client: Client
) -> None:
    upstream = await run_upstream(gennaker, setup, "pass")
    follower_id = setup.run_after(setup.on_success, upstream.id)
    first = await dev_client.get_workflow_handle(follower_id).describe()
    await ended(gennaker, follower_id)
    engine = EngineActivities(dev_client, GennakerConfig(), gennaker.queues)
    payload = {
        "execution": upstream.model_dump(
            mode="json",
            by_alias=True,
            include={"id", "application", "pipeline", "pipeline_config_id", "status", "trigger"},
        ),
        "queues": gennaker.queues.model_dump(mode="json"),
    }

    # The local activity is retried after the follower started, and again after it ended.
    again = await ActivityEnvironment().run(engine.fire_pipeline_triggers, payload)
    latest = await dev_client.get_workflow_handle(follower_id).describe()

    assert again == [follower_id]
    assert latest.run_id == first.run_id


@pytest.mark.parametrize(
    ("status", "word"),
    [
        ("SUCCEEDED", "successful"),
        ("CANCELED", "canceled"),
        ("TERMINAL", "failed"),
        ("STOPPED", "failed"),
        ("FAILED_CONTINUE", "failed"),
        ("RUNNING", None),
        ("BUFFERED", None),
        ("nonsense", None),
    ],
)
def test_statuses_are_named_as_orca_names_them(status: str, word: str | None) -> None:
    assert trigger_status_word(status) == word
