"""``gennaker canary judge`` and ``gennaker canary config`` through the real executable."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from models.run import TaskQueues
from tests.client.helpers import gennaker
from tests.conftest import running_workers

CONFIG: dict[str, Any] = {
    "name": "checkout golden signals",
    "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
    "metrics": [
        {
            "name": "errors",
            "query": {"type": "prometheus", "metricName": "errors"},
            "groups": ["errors"],
            "analysisConfigurations": {"canary": {"direction": "increase", "critical": True}},
        },
        {
            "name": "latency",
            "query": {"type": "prometheus", "metricName": "latency"},
            "groups": ["latency"],
            "analysisConfigurations": {"canary": {}},
        },
    ],
    "classifier": {
        "groupWeights": {"errors": 50, "latency": 50},
        "scoreThresholds": {"pass": 95, "marginal": 75},
    },
}
LOW = [1.0 + 0.01 * (i % 10) for i in range(50)]
HIGH = [2.0 + 0.01 * (i % 10) for i in range(50)]


def pairs(errors: list[Any]) -> list[dict[str, Any]]:
    return [
        {"name": "errors", "tags": {}, "values": {"control": LOW, "experiment": errors}},
        {
            "name": "latency",
            "tags": {},
            "values": {"control": LOW, "experiment": [*LOW[:-1], None]},
        },
    ]


def write(home: Path, name: str, value: Any) -> str:
    (home / name).write_text(value if isinstance(value, str) else json.dumps(value))
    return name


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_judge_prints_kayentas_judge_result(tmp_path: Path) -> None:
    config = write(tmp_path, "config.json", CONFIG)
    metrics = write(tmp_path, "pairs.json", pairs(HIGH))
    result = gennaker("canary", "judge", "--config", config, "--metrics", metrics, home=tmp_path)
    assert result.returncode == 0, result.stderr
    judged = json.loads(result.stdout)
    assert judged["judgeName"] == "NetflixACAJudge-v1.0"
    assert judged["score"] == {
        "score": 0.0,
        "classification": "Fail",
        "classificationReason": "Canary Failed: The metric errors was classified as High (Critical)",
    }
    errors, latency = judged["results"]
    assert (errors["classification"], latency["classification"]) == ("High", "Pass")
    assert latency["experimentMetadata"]["stats"]["count"] == 49


def test_judge_takes_thresholds_from_flags_over_the_config(tmp_path: Path) -> None:
    config = write(tmp_path, "config.json", CONFIG)
    metrics = write(tmp_path, "pairs.json", pairs(LOW))
    result = gennaker(
        "canary", "judge", "--config", config, "--metrics", metrics,
        "--pass", "101", "--marginal", "99", home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["score"]["classification"] == "Marginal"


@pytest.mark.parametrize(
    ("config", "metrics", "expected"),
    [
        (CONFIG, [{"name": "cpu", "values": {"control": [1], "experiment": [1]}}],
         "error: pairs.json: [0].name: no metric named 'cpu' in the canary config config.json"),
        ('{"metrics": [', pairs(LOW), "error: config.json: not valid JSON: "),
        (CONFIG, [{"name": "errors", "values": {"control": [1]}}],
         "error: pairs.json: [0].values.experiment: Field required"),
        ({**CONFIG, "classifier": {}}, pairs(LOW),
         "error: config.json: classifier.scoreThresholds.pass: no pass threshold: give --pass"),
    ],
    ids=["metric-without-config", "malformed-config", "malformed-pairs", "missing-threshold"],
)  # fmt: skip
def test_judge_exits_2_with_one_line_naming_file_and_field(
    tmp_path: Path, config: Any, metrics: Any, expected: str
) -> None:
    write(tmp_path, "config.json", config)
    write(tmp_path, "pairs.json", metrics)
    line = one_error(
        gennaker(
            "canary", "judge", "--config", "config.json", "--metrics", "pairs.json", home=tmp_path
        )
    )
    assert line.startswith(expected), line


@pytest.mark.integration
async def test_config_apply_list_show_delete(dev_client: Client, tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:8]
    config_id = f"golden-{suffix}"
    write(tmp_path, "golden.json", {**CONFIG, "id": config_id})
    write(tmp_path, "bad.yaml", "name: x\nmetrics:\n  - name: cpu\n    query: {type: inline}\n"
                                "    analysisConfigurations: {canary: {muted: maybe}}\n")  # fmt: skip
    address = dev_client.service_client.config.target_host

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return gennaker(
            "canary", "config", *args, "--address", address, home=tmp_path,
            GENNAKER_QUEUE_SUFFIX=suffix,
        )  # fmt: skip

    # The CLI's updates are served by this process's workers: run it in a thread.
    async with running_workers(dev_client, queues=TaskQueues.with_suffix(suffix)):
        applied = await asyncio.to_thread(cli, "apply", "golden.json", "--user", "alice")
        again = await asyncio.to_thread(cli, "apply", "golden.json", "--json")
        shown = await asyncio.to_thread(cli, "show", config_id, "--json")
        listed = await _eventually_listed(cli, config_id)
        bad = await asyncio.to_thread(cli, "apply", "bad.yaml")
        deleted = await asyncio.to_thread(cli, "delete", config_id)
        gone = await asyncio.to_thread(cli, "show", config_id)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.strip() == f"{config_id}: created (v1)"
    assert json.loads(again.stdout)[0]["changed"] is False
    record = json.loads(shown.stdout)
    assert record["id"] == config_id and record["versions"][0]["user"] == "alice"
    assert record["config"]["metrics"][1]["name"] == "latency"
    assert listed["name"] == "checkout golden signals"
    assert one_error(bad).startswith(
        "error: bad.yaml: metrics[0].analysisConfigurations.canary.muted: "
    )
    assert deleted.returncode == 0 and deleted.stdout.strip() == f"{config_id}: deleted"
    assert one_error(gone) == f"error: no saved canary config {config_id!r}"


async def _eventually_listed(cli: Any, config_id: str) -> dict[str, Any]:
    for _ in range(50):
        result = await asyncio.to_thread(cli, "list", "--json")
        assert result.returncode == 0, result.stderr
        for row in json.loads(result.stdout):
            if row["id"] == config_id:
                return dict(row)
        await asyncio.sleep(0.2)
    raise AssertionError(f"{config_id} never listed")
