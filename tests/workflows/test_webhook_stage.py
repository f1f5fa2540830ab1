"""The webhook stage against a local HTTP service: calls, status polling, retries, failures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from temporalio.client import Client

from client.client import GennakerClient
from emulators.http_stub import HttpStub, Reply
from models.execution import ExecutionView
from models.loading import parse_pipeline
from models.status import Status
from tests.conftest import make_pipeline, running_workers


@pytest.fixture
def stub() -> Iterator[HttpStub]:
    with HttpStub() as server:
        yield server


@pytest.fixture
async def gennaker(dev_client: Client) -> AsyncIterator[GennakerClient]:
    async with running_workers(dev_client) as client:
        yield client


async def run_webhook(gennaker: GennakerClient, **stage: Any) -> ExecutionView:
    pipeline = parse_pipeline(
        make_pipeline([{"refId": "1", "name": "hook", "type": "webhook", **stage}])
    )
    return await gennaker.wait(await gennaker.run(pipeline))


async def test_call_records_status_code_and_body(gennaker: GennakerClient, stub: HttpStub) -> None:
    stub.route("PUT", "/things/1", Reply(200, {"id": 1, "state": "saved"}))
    view = await run_webhook(
        gennaker,
        url=stub.url("/things/1"),
        method="put",
        payload={"name": "widget"},
        customHeaders={"Authorization": "Bearer token"},
    )
    assert view.status == Status.SUCCEEDED
    assert view.stages[0].outputs["webhook"] == {
        "statusCode": 200,
        "body": {"id": 1, "state": "saved"},
    }
    request = stub.calls("PUT", "/things/1")[0]
    assert request.body == {"name": "widget"}
    assert request.headers["Authorization"] == "Bearer token"


async def test_client_error_fails_the_stage_with_the_answer(
    gennaker: GennakerClient, stub: HttpStub
) -> None:
    stub.route("POST", "/missing", Reply(404, {"error": "no such job"}))
    view = await run_webhook(gennaker, url=stub.url("/missing"))
    stage = view.stages[0]
    assert stage.status == Status.TERMINAL
    assert "answered 404" in (stage.error or "") and "no such job" in (stage.error or "")
    assert stage.outputs["webhook"]["statusCode"] == 404


async def test_retry_status_codes_are_retried_until_success(
    gennaker: GennakerClient, stub: HttpStub
) -> None:
    stub.route("POST", "/flaky", Reply(503), Reply(503), Reply(200, {"ok": True}))
    view = await run_webhook(gennaker, url=stub.url("/flaky"))
    assert view.status == Status.SUCCEEDED
    assert len(stub.calls("POST", "/flaky")) == 3


async def test_fail_fast_status_codes_fail_without_retrying(
    gennaker: GennakerClient, stub: HttpStub
) -> None:
    stub.route("POST", "/gateway", Reply(504, {"error": "timeout"}), Reply(200, {}))
    view = await run_webhook(gennaker, url=stub.url("/gateway"))
    assert view.stages[0].status == Status.TERMINAL
    assert len(stub.calls("POST", "/gateway")) == 1


async def test_polls_the_same_url_until_success(gennaker: GennakerClient, stub: HttpStub) -> None:
    stub.route(
        "POST",
        "/deploy",
        Reply(200, {"state": "QUEUED"}),
    )
    stub.route(
        "GET",
        "/deploy",
        Reply(200, {"state": "RUNNING", "pct": 10}),
        Reply(200, {"state": "RUNNING", "pct": 60}),
        Reply(200, {"state": "done", "pct": 100}),
    )
    view = await run_webhook(
        gennaker,
        url=stub.url("/deploy"),
        waitForCompletion=True,
        statusUrlResolution="getMethod",
        statusJsonPath="$.state",
        progressJsonPath="$.pct",
        successStatuses="DONE",
        backoffPeriodMs=50,
        waitBeforeMonitor=0.2,
    )
    stage = view.stages[0]
    assert view.status == Status.SUCCEEDED
    assert stage.outputs["webhook"]["monitor"]["status"] == "DONE"
    assert stage.outputs["webhook"]["monitor"]["progress"] == 100
    assert len(stub.calls("GET", "/deploy")) == 3


async def test_status_url_from_the_response_body(gennaker: GennakerClient, stub: HttpStub) -> None:
    stub.route("POST", "/start", Reply(202, {"links": {"status": stub.url("/jobs/9")}}))
    stub.route("GET", "/jobs/9", Reply(200, {"job": {"status": "FAILED"}}))
    view = await run_webhook(
        gennaker,
        url=stub.url("/start"),
        waitForCompletion=True,
        statusUrlResolution="webhookResponse",
        statusUrlJsonPath="links.status",
        statusJsonPath="job.status",
        successStatuses="SUCCEEDED",
        terminalStatuses="FAILED",
        backoffPeriodMs=50,
    )
    stage = view.stages[0]
    assert stage.status == Status.TERMINAL
    assert stage.error == f"{stub.url('/jobs/9')} reported FAILED"
    assert stage.context["statusEndpoint"] == stub.url("/jobs/9")


async def test_a_canceled_remote_status_cancels_the_stage(
    gennaker: GennakerClient, stub: HttpStub
) -> None:
    stub.route("POST", "/run", Reply(201, {}, {"location": stub.url("/run/1")}))
    stub.route("GET", "/run/1", Reply(200, {"s": "ABORTED"}))
    view = await run_webhook(
        gennaker,
        url=stub.url("/run"),
        waitForCompletion=True,
        statusUrlResolution="locationHeader",
        statusJsonPath="s",
        successStatuses="OK",
        canceledStatuses="ABORTED",
        backoffPeriodMs=50,
    )
    assert view.stages[0].status == Status.CANCELED
    assert view.status == Status.CANCELED


async def test_stage_timeout_cancels_a_long_monitor_and_calls_cancel_endpoint(
    gennaker: GennakerClient, stub: HttpStub
) -> None:
    stub.route("POST", "/slow", Reply(201, {}, {"location": stub.url("/slow/1")}))
    stub.route("GET", "/slow/1", Reply(200, {"s": "RUNNING"}))
    view = await run_webhook(
        gennaker,
        url=stub.url("/slow"),
        waitForCompletion=True,
        statusUrlResolution="locationHeader",
        statusJsonPath="s",
        successStatuses="OK",
        backoffPeriodMs=50,
        stageTimeoutMs=1500,
        cancelEndpoint=stub.url("/slow/1/cancel"),
    )
    stage = view.stages[0]
    assert stage.status == Status.TERMINAL
    assert "timed out after 1.5s" in (stage.error or "")
    assert len(stub.calls("POST", "/slow/1/cancel")) == 1
