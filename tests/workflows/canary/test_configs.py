"""Saved canary configs: one entity workflow per id, versioned, used by ``canaryConfigId``."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError

from client.canary import CanaryConfigs, canary_report, config_id_of
from models.config import GennakerConfig
from models.errors import CanaryConfigError, NotFoundError
from models.status import Status
from tests.conftest import running_workers
from tests.workflows.canary.support import canary_pipeline, canary_stage, inline_metric
from workflows.canary.configs import CANARY_CONFIG_WORKFLOW, canary_config_workflow_id
from workflows.canary.messages import ApplyCanaryConfig, CanaryConfigApplied, CanaryConfigRecord

pytestmark = pytest.mark.integration

KINDS = ("pipelines", "canary")
SAME = [1.0 + 0.01 * (i % 9) for i in range(60)]


def config(config_id: str, **canary: Any) -> dict[str, Any]:
    return {
        "id": config_id,
        "name": "checkout golden signals",
        "applications": ["checkout"],
        "metrics": [
            inline_metric("latency", {"values": {"control": SAME, "experiment": SAME}}, **canary)
        ],
        "classifier": {"groupWeights": {"main": 100}},
    }


async def test_apply_versions_get_list_and_delete(dev_client: Client) -> None:
    config_id = f"golden-{uuid.uuid4().hex[:6]}"
    async with running_workers(dev_client, kinds=KINDS) as gennaker:
        configs = CanaryConfigs(gennaker.temporal, gennaker.queues)
        first = await configs.apply(config(config_id), user="alice")
        again = await configs.apply(config(config_id), user="alice")
        second = await configs.apply(config(config_id, direction="increase"), user="bob")
        record = await configs.get(config_id)
        listed = await _listed(configs, config_id)
        await configs.delete(config_id, user="bob")
        with pytest.raises(NotFoundError, match=config_id):
            await configs.get(config_id)
    assert (first.created, first.changed, first.version) == (True, True, 1)
    assert (again.changed, again.version) == (False, 1)
    assert (second.changed, second.version) == (True, 2)
    assert [v.user for v in record.versions] == ["alice", "bob"]
    assert (
        record.config["metrics"][0]["analysisConfigurations"]["canary"]["direction"] == "increase"
    )
    previous = record.at(1)
    assert previous is not None
    assert previous["metrics"][0]["analysisConfigurations"]["canary"]["direction"] == "either"
    assert listed["name"] == "checkout golden signals"
    assert (listed["version"], listed["metrics"], listed["applications"]) == (2, 1, ["checkout"])


async def test_an_invalid_config_is_refused_naming_the_field(dev_client: Client) -> None:
    bad = config("bad")
    bad["metrics"][0]["analysisConfigurations"]["canary"]["critical"] = "yes"
    async with running_workers(dev_client, kinds=KINDS) as gennaker:
        configs = CanaryConfigs(gennaker.temporal, gennaker.queues)
        with pytest.raises(CanaryConfigError) as err:
            await configs.apply(bad, source="golden.json")
    assert str(err.value).startswith(
        "golden.json: metrics[0].analysisConfigurations.canary.critical: "
    )


def test_the_id_is_the_configs_id_or_its_name() -> None:
    assert config_id_of({"id": "x1", "name": "y"}) == "x1"
    assert config_id_of({"name": "Checkout Golden Signals"}) == "checkout-golden-signals"
    with pytest.raises(CanaryConfigError, match="needs an id or a name"):
        config_id_of({"metrics": []})


async def test_a_stage_runs_the_saved_config_by_id_and_records_its_version(
    dev_client: Client,
) -> None:
    config_id = f"saved-{uuid.uuid4().hex[:6]}"
    stage = canary_stage(
        {
            "canaryConfigId": config_id,
            "scopes": [
                {"startTimeIso": "2025-03-01T09:00:00Z", "endTimeIso": "2025-03-01T10:00:00Z"}
            ],
            "canaryAnalysisIntervalMins": 30,
        },
        analysisType="retrospective",
    )
    missing = canary_stage({**stage["canaryConfig"], "canaryConfigId": "never-saved"})
    async with running_workers(dev_client, kinds=KINDS) as gennaker:
        configs = CanaryConfigs(gennaker.temporal, gennaker.queues)
        await configs.apply(config(config_id))
        view = await gennaker.wait(await gennaker.run(canary_pipeline(stage)))
        # A later version does not change what the report of this run shows.
        await configs.apply(config(config_id, direction="decrease"))
        page = await canary_report(gennaker, view.id, "canary", GennakerConfig())
        failed = await gennaker.wait(await gennaker.run(canary_pipeline(missing)))
    result = view.stages[0]
    assert result.status == Status.SUCCEEDED, result.error
    assert result.outputs["canaryConfigId"] == config_id
    assert result.outputs["canaryConfigVersion"] == 1
    assert result.outputs["canaryScores"] == [100.0, 100.0]
    assert f"<td>{config_id} v1</td>" in page
    assert "PASS: Final canary score 100.0 met or exceeded the pass score threshold." in page
    assert page.count("class='plot'") == 2
    assert failed.stages[0].status == Status.TERMINAL
    assert "no saved canary config 'never-saved'" in (failed.stages[0].error or "")


async def _listed(configs: CanaryConfigs, config_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        for row in await configs.list():
            if row.get("id") == config_id and row.get("version") == 2:
                return row
        if time.monotonic() > deadline:
            raise AssertionError(f"{config_id} v2 not listed")
        await asyncio.sleep(0.2)


async def test_the_entry_itself_refuses_an_invalid_config_and_leaves_nothing(
    dev_client: Client,
) -> None:
    config_id = f"raw-{uuid.uuid4().hex[:6]}"
    bad = config(config_id)
    bad["metrics"][0]["query"] = {}
    async with running_workers(dev_client, kinds=KINDS) as gennaker:
        # Past the client's own check, straight to the entity workflow's validator.
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await gennaker.temporal.execute_update_with_start_workflow(
                "apply",
                ApplyCanaryConfig(config=bad),
                start_workflow_operation=WithStartWorkflowOperation(
                    CANARY_CONFIG_WORKFLOW,
                    CanaryConfigRecord(id=config_id),
                    id=canary_config_workflow_id(config_id),
                    task_queue=gennaker.queues.pipelines,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                ),
                result_type=CanaryConfigApplied,
            )
        configs = CanaryConfigs(gennaker.temporal, gennaker.queues)
        with pytest.raises(NotFoundError):
            await configs.get(config_id)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCanaryConfig"
    assert cause.message == "metrics[0].query.type: every query needs a type"
