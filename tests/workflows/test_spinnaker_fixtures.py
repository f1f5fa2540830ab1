"""Spinnaker-exported pipelines (UI fields left in) run their stages end to end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from emulators.http_stub import HttpStub, Reply
from models.loading import load_pipeline_files
from models.pipeline import Pipeline
from models.status import Status
from tests.conftest import running_workers

FIXTURES = Path(__file__).parent.parent / "fixtures" / "spinnaker"


def fixture(name: str) -> Pipeline:
    pipeline = load_pipeline_files([FIXTURES / name])[0][1]
    # A fresh application per test, so concurrency gates and listings do not mix.
    pipeline.application = f"{pipeline.application}{time.time_ns() % 10**8}"
    return pipeline


@pytest.fixture
def stub() -> Iterator[HttpStub]:
    with HttpStub() as server:
        yield server


async def test_release_with_approval_runs_build_judgment_and_rollout(
    dev_client: Client, stub: HttpStub
) -> None:
    stub.route(
        "POST",
        "/job/checkout/build",
        Reply(201, {"queued": True}, {"location": stub.url("/job/checkout/build/42")}),
    )
    stub.route(
        "GET",
        "/job/checkout/build/42",
        Reply(200, {"result": None, "number": 42}),
        Reply(200, {"result": "SUCCESS", "number": 42}),
    )
    stub.route("POST", "/deploy", Reply(200, {"accepted": True}))
    pipeline = fixture("release-with-approval.json")
    async with running_workers(dev_client) as gennaker:
        execution_id = await gennaker.run(
            pipeline, {"ciUrl": stub.url(""), "environment": "prod"}, user="alice"
        )
        deadline = time.monotonic() + 30
        while not (await gennaker.status(execution_id)).stage("3").context.get("awaitingJudgment"):  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "judgment never became ready"
            await asyncio.sleep(0.1)
        view = await gennaker.status(execution_id)
        judgment = view.stage("Approve rollout")
        assert judgment is not None
        assert judgment.context["instructions"] == "Build 42 is ready for prod. Roll it out?"
        await gennaker.judge(
            execution_id, "Approve rollout", "continue", judgment_input="rollout", user="bob"
        )
        view = await gennaker.wait(execution_id)
    assert view.status == Status.SUCCEEDED, view.model_dump_json(indent=1)
    assert [s.status for s in view.stages] == [Status.SUCCEEDED] * 6
    assert stub.calls("POST", "/job/checkout/build")[0].body == {
        "branch": "main",
        "environment": "prod",
    }
    assert stub.calls("POST", "/job/checkout/build")[0].headers.get("X-Requested-By") == "spinnaker"
    assert stub.calls("POST", "/deploy")[0].body == {
        "artifact": "checkout-42.tgz",
        "environment": "prod",
    }
    assert view.trigger["user"] == "alice"


async def test_release_with_approval_holds_when_the_judge_says_hold(
    dev_client: Client, stub: HttpStub
) -> None:
    stub.route("POST", "/job/checkout/build", Reply(201, {}, {"location": stub.url("/b/1")}))
    stub.route("GET", "/b/1", Reply(200, {"result": "SUCCESS", "number": 7}))
    pipeline = fixture("release-with-approval.json")
    async with running_workers(dev_client) as gennaker:
        execution_id = await gennaker.run(pipeline, {"ciUrl": stub.url("")})
        deadline = time.monotonic() + 30
        while not (await gennaker.status(execution_id)).stage("3").context.get("awaitingJudgment"):  # type: ignore[union-attr]
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        await gennaker.judge(execution_id, "3", "continue", judgment_input="hold")
        view = await gennaker.wait(execution_id)
    statuses = [s.status for s in view.stages]
    assert statuses[:4] == [Status.SUCCEEDED, Status.SUCCEEDED, Status.SUCCEEDED, Status.STOPPED]
    assert statuses[4:] == [Status.NOT_STARTED, Status.NOT_STARTED]
    assert view.status == Status.SUCCEEDED
    assert stub.calls("POST", "/deploy") == []


async def test_parallel_regions_skips_a_disabled_branch_and_joins(
    dev_client: Client, stub: HttpStub
) -> None:
    pipeline = fixture("parallel-regions.json")
    async with running_workers(dev_client) as gennaker:
        execution_id = await gennaker.run(
            pipeline, {"skipEu": "true", "hookUrl": stub.url(""), "version": "2.3.4"}
        )
        view = await gennaker.wait(execution_id)
    by_name = {s.name: s for s in view.stages}
    assert view.status == Status.SUCCEEDED, view.model_dump_json(indent=1)
    assert by_name["EU rollout"].status == Status.SKIPPED
    assert by_name["US rollout"].status == Status.SUCCEEDED
    assert stub.calls("PUT", "/rollout/us")[0].body == {"version": "2.3.4"}
    assert stub.calls("PUT", "/rollout/eu") == []
    assert stub.calls("POST", "/announce")[0].body == {"text": "inventory 2.3.4 is out (SKIPPED)"}
    assert by_name["Announce"].start_time >= max(
        by_name[n].end_time or 0 for n in ("US rollout", "EU rollout", "APAC rollout")
    )


async def test_yaml_pipeline_checks_a_webhook_answer(dev_client: Client, stub: HttpStub) -> None:
    stub.route("GET", "/status", Reply(200, {"quiet": True}))
    pipeline = fixture("nightly-maintenance.yaml")
    async with running_workers(dev_client) as gennaker:
        view = await gennaker.wait(await gennaker.run(pipeline, {"statusUrl": stub.url("/status")}))
        assert view.status == Status.SUCCEEDED
        stub.route("GET", "/status", Reply(200, {"quiet": False}))
        view = await gennaker.wait(await gennaker.run(pipeline, {"statusUrl": stub.url("/status")}))
    assert view.status == Status.TERMINAL
    assert view.stages[1].status == Status.TERMINAL
    assert view.stages[2].status == Status.NOT_STARTED
