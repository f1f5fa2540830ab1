"""The ``pipeline`` stage runs a saved pipeline as a child execution."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from temporalio.client import Client

from client.client import GennakerClient
from models.loading import parse_pipeline
from models.status import Status
from tests.conftest import running_workers


def child_config(app: str, fail: bool = False, hold: bool = False) -> Any:
    stages: list[dict[str, Any]] = [
        {
            "refId": "1",
            "type": "evaluateVariables",
            "variables": [{"key": "greeting", "value": "hello ${parameters.who}"}],
        }
    ]
    if fail:
        stages.append(
            {
                "refId": "2",
                "type": "checkPreconditions",
                "requisiteStageRefIds": ["1"],
                "preconditions": [{"type": "expression", "context": {"expression": "${false}"}}],
            }
        )
    if hold:
        stages.append({"refId": "3", "type": "manualJudgment", "requisiteStageRefIds": ["1"]})
    return parse_pipeline(
        {
            "application": app,
            "name": "child",
            "id": f"child-{app}",
            "parameterConfig": [{"name": "who", "required": True}],
            "stages": stages,
        }
    )


def parent_config(app: str, **stage: Any) -> Any:
    return parse_pipeline(
        {
            "application": app,
            "name": "parent",
            "stages": [
                {
                    "refId": "1",
                    "name": "Run child",
                    "type": "pipeline",
                    "application": app,
                    "pipeline": f"child-{app}",
                    "pipelineParameters": {"who": "${parameters.who}"},
                    **stage,
                }
            ],
            "parameterConfig": [{"name": "who", "default": "world"}],
        }
    )


async def child_view(gennaker: GennakerClient, parent: Any) -> Any:
    child_id = parent.stages[0].outputs["executionId"]
    return await gennaker.status(child_id)


async def test_child_pipeline_runs_with_parameters_and_parent_execution(dev_client: Client) -> None:
    app = f"fam{uuid.uuid4().hex[:6]}"
    async with running_workers(dev_client) as gennaker:
        await gennaker.registry.apply(child_config(app), "tester")
        parent = await gennaker.wait(await gennaker.run(parent_config(app)))
        child = await child_view(gennaker, parent)
    assert parent.status == Status.SUCCEEDED
    assert parent.stages[0].outputs["status"] == "SUCCEEDED"
    assert child.status == Status.SUCCEEDED
    assert child.stages[0].outputs == {"greeting": "hello world"}
    assert child.trigger["type"] == "pipeline"
    assert child.trigger["parentExecution"]["id"] == parent.id
    assert child.id.startswith(f"{app}/child/")


async def test_a_failed_child_fails_the_parent_stage(dev_client: Client) -> None:
    app = f"fam{uuid.uuid4().hex[:6]}"
    async with running_workers(dev_client) as gennaker:
        await gennaker.registry.apply(child_config(app, fail=True), "tester")
        parent = await gennaker.wait(await gennaker.run(parent_config(app)))
        child = await child_view(gennaker, parent)
    assert child.status == Status.TERMINAL
    assert parent.status == Status.TERMINAL
    assert "ended TERMINAL" in (parent.stages[0].error or "")


async def test_not_waiting_for_the_child_succeeds_once_it_started(dev_client: Client) -> None:
    app = f"fam{uuid.uuid4().hex[:6]}"
    async with running_workers(dev_client) as gennaker:
        await gennaker.registry.apply(child_config(app, hold=True), "tester")
        parent = await gennaker.wait(
            await gennaker.run(parent_config(app, waitForCompletion=False))
        )
        child = await child_view(gennaker, parent)
        assert parent.status == Status.SUCCEEDED
        assert child.status == Status.RUNNING
        await gennaker.cancel(child.id, reason="cleanup")


async def test_cancelling_the_parent_cancels_the_child(dev_client: Client) -> None:
    app = f"fam{uuid.uuid4().hex[:6]}"
    async with running_workers(dev_client) as gennaker:
        await gennaker.registry.apply(child_config(app, hold=True), "tester")
        parent_id = await gennaker.run(parent_config(app))
        deadline = time.monotonic() + 20
        while "executionId" not in (await gennaker.status(parent_id)).stages[0].context:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        await gennaker.cancel(parent_id, user="ops", reason="abandon release")
        parent = await gennaker.wait(parent_id)
        child_id = parent.stages[0].context["executionId"]
        child = await gennaker.wait(child_id)
    assert parent.status == Status.CANCELED
    assert child.status == Status.CANCELED


async def test_an_unknown_child_pipeline_fails_the_stage_with_its_name(dev_client: Client) -> None:
    app = f"fam{uuid.uuid4().hex[:6]}"
    async with running_workers(dev_client) as gennaker:
        parent = await gennaker.wait(await gennaker.run(parent_config(app)))
    assert parent.status == Status.TERMINAL
    assert f"no saved pipeline 'child-{app}' in application '{app}'" in (
        parent.stages[0].error or ""
    )
