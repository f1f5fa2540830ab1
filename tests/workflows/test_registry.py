"""The pipeline registry on the real dev server: versions, lookups, disable, delete, refusals."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.engine import EngineActivities
from client.client import GennakerClient
from models.config import GennakerConfig
from models.errors import NotFoundError, PipelineError, RefusedError
from models.ids import config_workflow_id
from models.loading import parse_pipeline
from models.pipeline import Pipeline, Trigger
from models.registry import LoadPipelineRequest, PipelineRecord
from models.status import Status
from tests.conftest import make_pipeline, running_workers
from tests.workflows.registry_support import ended, until
from workflows.registry import ApplyPipeline, RegistryInput


@pytest.fixture
async def gennaker(dev_client: Client) -> AsyncIterator[GennakerClient]:
    async with running_workers(dev_client) as client:
        yield client


def app_name() -> str:
    return f"reg{uuid.uuid4().hex[:6]}"


def wait_pipeline(
    application: str, name: str = "deploy", seconds: int = 0, **fields: Any
) -> Pipeline:
    stage = {"refId": "1", "name": "pause", "type": "wait", "waitTime": seconds}
    return parse_pipeline(make_pipeline([stage], application=application, name=name, **fields))


async def test_apply_saves_versions_with_user_time_and_diff(gennaker: GennakerClient) -> None:
    app = app_name()
    before = int(time.time() * 1000)

    first = await gennaker.registry.apply(wait_pipeline(app, seconds=1), "alice")
    again = await gennaker.registry.apply(wait_pipeline(app, seconds=1), "bob")
    changed = await gennaker.registry.apply(wait_pipeline(app, seconds=2), "bob")

    assert (first.created, first.changed, first.version) == (True, True, 1)
    assert (again.created, again.changed, again.version) == (False, False, 1)
    assert (changed.created, changed.changed, changed.version) == (False, True, 2)
    assert '-      "waitTime": 1' in changed.diff
    assert '+      "waitTime": 2' in changed.diff
    record = await gennaker.registry.get(app, "deploy")
    assert [(v.version, v.user) for v in record.versions] == [(1, "alice"), (2, "bob")]
    assert all(before - 5000 <= v.time <= int(time.time() * 1000) + 5000 for v in record.versions)
    assert record.versions[1].digest != record.versions[0].digest
    assert record.pipeline.stages[0]["waitTime"] == 2
    assert record.version == 2 and not record.disabled


async def test_get_by_name_or_config_id_and_unknown_names(gennaker: GennakerClient) -> None:
    app = app_name()
    config_id = str(uuid.uuid4())
    await gennaker.registry.apply(wait_pipeline(app, id=config_id), "alice")

    by_name = await gennaker.registry.get(app, "deploy")
    # Lookups by id go through the visibility store, which may lag the write a moment.
    found = await until(
        lambda: _get_or_none(gennaker, app, config_id), lambda r: r is not None, what="lookup by id"
    )
    assert found is not None
    by_id = found

    assert by_name.pipeline.id == by_id.pipeline.id == config_id
    assert by_id.name == "deploy"
    with pytest.raises(NotFoundError, match=f"no saved pipeline 'ghost' in application '{app}'"):
        await gennaker.registry.get(app, "ghost")
    with pytest.raises(NotFoundError, match="ghost"):
        await gennaker.run((app, "ghost"))


async def _get_or_none(gennaker: GennakerClient, app: str, key: str) -> PipelineRecord | None:
    try:
        return await gennaker.registry.get(app, key)
    except NotFoundError:
        return None


async def test_list_filters_by_application(gennaker: GennakerClient) -> None:
    first, second = app_name(), app_name()
    for app, name in ((first, "a"), (first, "b"), (second, "c")):
        await gennaker.registry.apply(wait_pipeline(app, name), "alice")

    def names(rows: list[dict[str, Any]], apps: set[str]) -> set[str]:
        return {r["name"] for r in rows if r["application"] in apps}

    listed = await until(
        lambda: gennaker.registry.list(first), lambda rows: len(rows) == 2, what="list of app"
    )
    everything = await until(
        gennaker.registry.list, lambda rows: names(rows, {first, second}) == {"a", "b", "c"}
    )

    assert {r["name"] for r in listed} == {"a", "b"}
    assert all(r["application"] == first for r in listed)
    assert {r["version"] for r in listed} == {1}
    assert names(everything, {first, second}) == {"a", "b", "c"}


async def test_disabled_pipeline_refuses_manual_runs_until_enabled(
    gennaker: GennakerClient,
) -> None:
    app = app_name()
    await gennaker.registry.apply(wait_pipeline(app), "alice")

    disabled = await gennaker.registry.set_disabled(app, "deploy", True, user="carol")
    with pytest.raises(RefusedError, match=f"pipeline {app}/deploy is disabled"):
        await gennaker.run((app, "deploy"))
    enabled = await gennaker.registry.set_disabled(app, "deploy", False, user="dave")
    execution_id = await gennaker.run((app, "deploy"))

    assert disabled.disabled and not enabled.disabled
    # Disabling and enabling are recorded in the history, with who did it.
    assert [(v.version, v.user) for v in enabled.versions] == [
        (1, "alice"),
        (2, "carol"),
        (3, "dave"),
    ]
    assert '+  "disabled": true' in enabled.versions[1].diff
    assert (await ended(gennaker, execution_id)).status == Status.SUCCEEDED


async def test_apply_keeps_the_disabled_state_unless_the_file_sets_it(
    gennaker: GennakerClient,
) -> None:
    app = app_name()
    await gennaker.registry.apply(wait_pipeline(app), "alice")
    await gennaker.registry.set_disabled(app, "deploy", True)

    same = await gennaker.registry.apply(wait_pipeline(app), "alice")
    edited = await gennaker.registry.apply(wait_pipeline(app, seconds=3), "alice")
    still = await gennaker.registry.get(app, "deploy")
    explicit = await gennaker.registry.apply(wait_pipeline(app, seconds=3, disabled=False), "bob")
    record = await gennaker.registry.get(app, "deploy")

    assert not same.changed
    assert edited.changed and still.disabled
    assert explicit.changed and not record.disabled


async def test_delete_removes_the_pipeline_and_it_can_be_applied_again(
    gennaker: GennakerClient,
) -> None:
    app = app_name()
    await gennaker.registry.apply(wait_pipeline(app, seconds=1), "alice")
    await gennaker.registry.apply(wait_pipeline(app, seconds=2), "alice")

    await gennaker.registry.delete(app, "deploy")

    with pytest.raises(NotFoundError, match="deploy"):
        await gennaker.registry.get(app, "deploy")
    with pytest.raises(NotFoundError):
        await gennaker.run((app, "deploy"))
    with pytest.raises(NotFoundError):
        await gennaker.registry.set_disabled(app, "deploy", True)
    with pytest.raises(NotFoundError):
        await gennaker.registry.delete(app, "deploy")
    await until(lambda: gennaker.registry.list(app), lambda rows: rows == [], what="empty list")
    again = await gennaker.registry.apply(wait_pipeline(app, seconds=5), "bob")
    record = await gennaker.registry.get(app, "deploy")
    assert (again.created, again.version) == (True, 1)
    assert [(v.version, v.user) for v in record.versions] == [(1, "bob")]


def _refused_pipelines() -> list[tuple[str, dict[str, Any], str]]:
    wait = [{"refId": "1", "type": "wait", "waitTime": 0}]
    required = [{"name": "env", "required": True}]
    return [
        (
            "cron without a value for a required parameter",
            {
                "parameterConfig": required,
                "triggers": [{"type": "cron", "cronExpression": "0 0 3 * * ?"}],
            },
            "triggers[0].parameters.env: required parameter has no value",
        ),
        (
            "pipeline trigger without statuses",
            {"triggers": [{"type": "pipeline", "application": "up", "pipeline": "build"}]},
            "triggers[0].status: list at least one of",
        ),
        (
            "pipeline trigger with an unknown status",
            {
                "triggers": [
                    {
                        "type": "pipeline",
                        "application": "up",
                        "pipeline": "build",
                        "status": ["succeeded"],
                    }
                ]
            },
            "triggers[0].status[0]: 'succeeded' is not one of successful, failed",
        ),
        (
            "pipeline trigger without its upstream",
            {"triggers": [{"type": "pipeline", "status": ["successful"]}]},
            "triggers[0].application: a pipeline trigger needs the upstream application",
        ),
        (
            "a pipeline triggering itself",
            {
                "triggers": [
                    {
                        "type": "pipeline",
                        "application": "SELF",
                        "pipeline": "deploy",
                        "status": ["failed"],
                    }
                ]
            },
            "triggers[0].pipeline: a pipeline cannot trigger itself",
        ),
        (
            "duplicate cron trigger ids",
            {
                "triggers": [
                    {"type": "cron", "id": "t", "cronExpression": "0 0 3 * * ?"},
                    {"type": "cron", "id": "t", "cronExpression": "0 0 4 * * ?"},
                ]
            },
            "triggers[1].id: duplicate trigger id 't'",
        ),
        (
            "a slash in the name",
            {"name": "a/b", "stages": wait},
            "name: 'a/b' must not contain '/'",
        ),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [pytest.param(f, m, id=i) for i, f, m in _refused_pipelines()],
)
async def test_apply_refuses_what_cannot_work_naming_file_and_field(
    gennaker: GennakerClient, fields: dict[str, Any], message: str
) -> None:
    app = app_name()
    for trigger in fields.get("triggers", []):
        if trigger.get("application") == "SELF":
            trigger["application"] = app
    data = make_pipeline(
        [{"refId": "1", "type": "wait", "waitTime": 0}], application=app, name="deploy"
    )
    pipeline = parse_pipeline({**data, **fields})

    with pytest.raises(PipelineError) as refused:
        await gennaker.registry.apply(pipeline, "alice", source="pipelines/deploy.yml")

    assert str(refused.value).startswith("pipelines/deploy.yml: ")
    assert message in str(refused.value)
    with pytest.raises(NotFoundError):
        await gennaker.registry.get(app, pipeline.name)


async def test_apply_refuses_an_untranslatable_cron_built_in_python(
    gennaker: GennakerClient,
) -> None:
    # The loader refuses it in files; a config built in code must be refused by apply too.
    app = app_name()
    pipeline = wait_pipeline(app)
    pipeline.triggers = [Trigger(type="cron", cronExpression="0 0 12 L * ?")]

    with pytest.raises(
        PipelineError, match=r"triggers\[0\]\.cronExpression: cron expression '0 0 12 L \* \?'"
    ):
        await gennaker.registry.apply(pipeline, "alice")


async def test_apply_refuses_a_second_pipeline_with_the_same_config_id(
    gennaker: GennakerClient,
) -> None:
    app = app_name()
    await gennaker.registry.apply(wait_pipeline(app, "first", id="shared-id"), "alice")
    await until(lambda: gennaker.registry.list(app), lambda rows: len(rows) == 1)

    with pytest.raises(
        PipelineError, match=r"id: 'shared-id' is already the id of pipeline .*/first"
    ):
        await gennaker.registry.apply(wait_pipeline(app, "second", id="shared-id"), "alice")


async def test_the_entry_itself_refuses_an_invalid_apply_and_leaves_nothing(
    gennaker: GennakerClient, dev_client: Client
) -> None:
    # A client that skips the checks (an older one) still cannot save a broken pipeline.
    app = app_name()
    pipeline = parse_pipeline(
        {
            **make_pipeline([{"refId": "1", "type": "wait", "waitTime": 0}], application=app),
            "triggers": [
                {"type": "pipeline", "application": "up", "pipeline": "x", "status": ["nope"]}
            ],
        }
    )
    record = PipelineRecord(application=app, name=pipeline.name, pipeline=pipeline)
    start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        "PipelineConfig",
        RegistryInput(record=record, queues=gennaker.queues),
        id=config_workflow_id(app, pipeline.name),
        task_queue=gennaker.queues.pipelines,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await dev_client.execute_update_with_start_workflow(
            "apply",
            ApplyPipeline(pipeline=pipeline, user="mallory"),
            start_workflow_operation=start,
        )

    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "InvalidPipeline"
    assert "triggers[0].status[0]" in refused.value.cause.message
    await ended_entry(dev_client, config_workflow_id(app, pipeline.name))
    with pytest.raises(NotFoundError):
        await gennaker.registry.get(app, pipeline.name)


async def ended_entry(client: Client, workflow_id: str) -> None:
    await until(
        lambda: client.get_workflow_handle(workflow_id).describe(),
        lambda d: d.close_time is not None,
        what="refused entry ends",
    )


async def test_load_pipeline_refuses_unknown_and_disabled_pipelines(
    gennaker: GennakerClient, dev_client: Client
) -> None:
    app = app_name()
    await gennaker.registry.apply(wait_pipeline(app, "child", id="child-id"), "alice")
    engine = EngineActivities(dev_client, GennakerConfig(), gennaker.queues)
    env = ActivityEnvironment()

    loaded = await env.run(
        engine.load_pipeline, LoadPipelineRequest(application=app, pipeline="child")
    )
    with pytest.raises(ApplicationError) as unknown:
        await env.run(engine.load_pipeline, LoadPipelineRequest(application=app, pipeline="ghost"))
    await gennaker.registry.set_disabled(app, "child", True)
    with pytest.raises(ApplicationError) as disabled:
        await env.run(engine.load_pipeline, LoadPipelineRequest(application=app, pipeline="child"))
    allowed = await env.run(
        engine.load_pipeline,
        LoadPipelineRequest(application=app, pipeline="child", allow_disabled=True),
    )

    assert loaded.pipeline.name == "child" and loaded.version == 1
    assert (unknown.value.type, unknown.value.non_retryable) == ("NotFound", True)
    assert unknown.value.message == f"no saved pipeline 'ghost' in application '{app}'"
    assert (disabled.value.type, disabled.value.non_retryable) == ("PipelineDisabled", True)
    assert disabled.value.message.startswith(f"pipeline {app}/child is disabled")
    assert allowed.version == 2


async def test_pipeline_stage_names_unknown_and_disabled_children(gennaker: GennakerClient) -> None:
    app = app_name()
    await gennaker.registry.apply(wait_pipeline(app, "child", id="child-id"), "alice")
    await gennaker.registry.set_disabled(app, "child", True)

    def parent(target: str) -> Pipeline:
        stage = {"refId": "1", "type": "pipeline", "application": app, "pipeline": target}
        return parse_pipeline(make_pipeline([stage], application=app, name=f"parent-{target}"))

    unknown = await ended(gennaker, await gennaker.run(parent("ghost")))
    disabled = await ended(gennaker, await gennaker.run(parent("child")))

    assert unknown.status == Status.TERMINAL
    assert unknown.stages[0].error == f"no saved pipeline 'ghost' in application '{app}'"
    assert disabled.status == Status.TERMINAL
    assert f"pipeline {app}/child is disabled" in (disabled.stages[0].error or "")


async def test_disabled_triggers_are_saved_as_written(gennaker: GennakerClient) -> None:
    # A trigger switched off starts nothing, so an unfinished one does not block the apply.
    app = app_name()
    pipeline = parse_pipeline(
        {
            **make_pipeline([{"refId": "1", "type": "wait", "waitTime": 0}], application=app),
            "parameterConfig": [{"name": "env", "required": True}],
            "triggers": [
                {"type": "pipeline", "enabled": False},
                {"type": "cron", "enabled": False, "cronExpression": "0 0 3 * * ?"},
            ],
        }
    )

    result = await gennaker.registry.apply(pipeline, "alice")

    assert result.created
    record = await gennaker.registry.get(app, pipeline.name)
    assert [t.enabled for t in record.pipeline.triggers] == [False, False]
