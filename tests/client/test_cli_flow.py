"""The everyday CLI flow through the real ``gennaker`` executable: apply, run, watch, judge, list."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import yaml
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.client.helpers import gennaker
from tests.conftest import running_workers, unique_queues

VIEW_KEYS = {"id", "application", "pipeline", "status", "trigger", "startTime", "endTime", "stages"}
STAGE_KEYS = {
    "refId",
    "name",
    "type",
    "status",
    "startTime",
    "endTime",
    "context",
    "outputs",
    "error",
}


async def cli(address: str, suffix: str, home: Path, *args: str) -> tuple[int, str, str]:
    done = await asyncio.to_thread(
        gennaker, *args, "--address", address, "--queue-suffix", suffix, home=home
    )
    return done.returncode, done.stdout, done.stderr


async def test_apply_run_judge_status_and_list_through_the_cli(
    dev_env: WorkflowEnvironment, dev_client: Client, tmp_path: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    queues = unique_queues()
    suffix = queues.pipelines.removeprefix("gennaker-pipelines-")
    app = f"cli{uuid.uuid4().hex[:6]}"
    pipeline = {
        "application": app,
        "name": "Release",
        "parameterConfig": [{"name": "version", "required": True}],
        "stages": [
            {
                "refId": "1",
                "type": "evaluateVariables",
                "variables": [{"key": "v", "value": "${parameters.version}"}],
            },
            {
                "refId": "2",
                "name": "Approve",
                "type": "manualJudgment",
                "requisiteStageRefIds": ["1"],
            },
        ],
    }
    path = tmp_path / "release.yaml"
    path.write_text(yaml.safe_dump(pipeline))
    async with running_workers(dev_client, queues=queues):
        code, out, err = await cli(
            address, suffix, tmp_path, "pipeline", "apply", str(path), "--user", "alice", "--json"
        )
        assert code == 0, err
        assert json.loads(out)[0] | {"file": ""} == {
            "file": "",
            "application": app,
            "name": "Release",
            "changed": True,
            "created": True,
            "version": 1,
        }
        code, out, _ = await cli(
            address, suffix, tmp_path, "pipeline", "apply", str(path), "--json"
        )
        assert json.loads(out)[0]["changed"] is False

        code, out, err = await cli(address, suffix, tmp_path, "run", app, "Release", "--json")
        assert code == 2 and "parameters.version: required parameter has no value" in err

        code, out, err = await cli(
            address,
            suffix,
            tmp_path,
            "run",
            app,
            "Release",
            "-p",
            "version=2.0",
            "--json",
            "--user",
            "bob",
        )
        assert code == 0, err
        execution_id = json.loads(out)["id"]
        assert execution_id.startswith(f"{app}/release/")

        for _ in range(100):
            code, out, _ = await cli(address, suffix, tmp_path, "status", execution_id, "--json")
            view = json.loads(out)
            if view["stages"][1]["context"].get("awaitingJudgment"):
                break
            await asyncio.sleep(0.1)
        assert set(view) >= VIEW_KEYS
        assert all(set(stage) >= STAGE_KEYS for stage in view["stages"])
        assert view["trigger"]["user"] == "bob" and view["trigger"]["parameters"] == {
            "version": "2.0"
        }

        code, out, _ = await cli(address, suffix, tmp_path, "status", execution_id)
        assert code == 0 and f"gennaker judge {execution_id} 2 --continue" in out

        code, out, err = await cli(
            address,
            suffix,
            tmp_path,
            "judge",
            execution_id,
            "Approve",
            "--continue",
            "--user",
            "carol",
        )
        assert code == 0, err

        # An unsaved pipeline, followed to its end: exit 0 only when it SUCCEEDED.
        quick = tmp_path / "quick.json"
        quick.write_text(
            json.dumps(
                {
                    "application": app,
                    "name": "quick",
                    "stages": [{"refId": "1", "type": "wait", "waitTime": 0}],
                }
            )
        )
        code, out, err = await cli(
            address, suffix, tmp_path, "run", "-f", str(quick), "--follow", "--json"
        )
        assert code == 0, err
        assert json.loads(out)["status"] == "SUCCEEDED"
        failing = tmp_path / "failing.json"
        failing.write_text(
            json.dumps(
                {
                    "application": app,
                    "name": "failing",
                    "stages": [
                        {
                            "refId": "1",
                            "type": "checkPreconditions",
                            "preconditions": [
                                {"type": "expression", "context": {"expression": "${false}"}}
                            ],
                        }
                    ],
                }
            )
        )
        code, out, _ = await cli(
            address, suffix, tmp_path, "run", "-f", str(failing), "--follow", "--json"
        )
        assert code == 1 and json.loads(out)["status"] == "TERMINAL"

        code, out, _ = await cli(
            address, suffix, tmp_path, "executions", "list", "--app", app, "--json"
        )
        rows = json.loads(out)
        assert any(row["id"] == execution_id for row in rows)

        code, out, _ = await cli(
            address, suffix, tmp_path, "pipeline", "show", app, "Release", "--json"
        )
        record = json.loads(out)
        assert record["versions"][0]["user"] == "alice"
