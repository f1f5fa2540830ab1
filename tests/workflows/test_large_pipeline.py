"""A 500-stage pipeline runs with a small history: capped outputs, no size warnings."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from emulators.http_stub import HttpStub, Reply
from models.loading import parse_pipeline
from models.status import Status
from tests.conftest import make_pipeline, running_workers

BRANCHES, DEPTH = 10, 50
HISTORY_WARN_BYTES = 10 * 1024 * 1024  # the server's default limit.historySize.warn
HISTORY_WARN_EVENTS = 10 * 1024  # the server's default limit.historyCount.warn


async def test_five_hundred_webhook_stages_keep_history_small(dev_client: Client) -> None:
    big = {"items": [{"id": i, "payload": "x" * 200} for i in range(200)]}  # about 45 KB
    stages = []
    for branch in range(BRANCHES):
        for depth in range(DEPTH):
            ref = f"{branch}-{depth}"
            stages.append(
                {
                    "refId": ref,
                    "type": "webhook",
                    "url": "${parameters.url}",
                    "requisiteStageRefIds": [f"{branch}-{depth - 1}"] if depth else [],
                }
            )
    pipeline = parse_pipeline(make_pipeline(stages, parameterConfig=[{"name": "url"}]))
    with HttpStub() as stub:
        stub.route("POST", "/big", Reply(200, big))
        async with running_workers(dev_client) as gennaker:
            execution_id = await gennaker.run(pipeline, {"url": stub.url("/big")})
            view = await gennaker.wait(execution_id)
            handle = dev_client.get_workflow_handle(execution_id)
            events = [event async for event in handle.fetch_history_events()]
    assert view.status == Status.SUCCEEDED
    assert len(view.stages) == BRANCHES * DEPTH
    assert all(stage.status == Status.SUCCEEDED for stage in view.stages)
    assert len(stub.calls("POST", "/big")) == BRANCHES * DEPTH
    size = sum(event.ByteSize() for event in events)
    assert size < HISTORY_WARN_BYTES, f"history is {size} bytes"
    assert len(events) < HISTORY_WARN_EVENTS
    # The big answer was summarised, not stored whole 500 times.
    body = view.stages[0].outputs["webhook"]["body"]
    assert body["truncated"] is True and body["bytes"] > 40_000
    warnings = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert warnings == []
