"""``gennaker worker`` against a running Temporal, and ``gennaker doctor`` judging it."""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.client.helpers import Background, gennaker
from tests.conftest import UNREACHABLE

PIPELINE = """\
application: doctorapp
name: smoke
stages:
  - refId: "1"
    type: wait
    name: Settle
    waitTime: 0
"""


def _address(env: WorkflowEnvironment) -> str:
    return str(env.client.service_client.config.target_host)


def _final_status(execution_id: str, address: str, home: Path, suffix: str) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while True:
        shown = gennaker(
            "status",
            execution_id,
            "--json",
            "--address",
            address,
            home=home,
            GENNAKER_QUEUE_SUFFIX=suffix,
        )
        assert shown.returncode == 0, shown.stderr
        view: dict[str, object] = json.loads(shown.stdout)
        if view["status"] not in ("NOT_STARTED", "RUNNING") or time.monotonic() > deadline:
            return view
        time.sleep(0.2)


def _doctor(address: str, home: Path, suffix: str, *args: str) -> tuple[int, str]:
    result = gennaker(
        "doctor", "--address", address, *args, home=home, GENNAKER_QUEUE_SUFFIX=suffix
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


@pytest.mark.integration
def test_worker_runs_pipelines_and_doctor_names_the_stopped_queue(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = _address(dev_env)
    suffix = uuid.uuid4().hex[:8]  # queues no other test polls
    skip = ("--skip", "kubernetes", "--skip", "canary")
    with (
        Background(
            "worker",
            "--queue",
            "pipelines",
            "--address",
            address,
            home=tmp_path,
            GENNAKER_QUEUE_SUFFIX=suffix,
        ) as pipelines,
        Background(
            "worker",
            "--queue",
            "aws",
            "--address",
            address,
            home=tmp_path,
            GENNAKER_QUEUE_SUFFIX=suffix,
        ) as aws,
    ):
        pipelines.wait_for(f"serving gennaker-pipelines-{suffix} on {address}")
        aws.wait_for(f"serving gennaker-aws-{suffix} on {address}")

        # The pipelines worker really runs a pipeline started from the CLI.
        (tmp_path / "smoke.yaml").write_text(PIPELINE)
        started = gennaker(
            "run",
            "-f",
            "smoke.yaml",
            "--json",
            "--address",
            address,
            home=tmp_path,
            GENNAKER_QUEUE_SUFFIX=suffix,
        )
        assert started.returncode == 0, started.stderr
        execution_id = json.loads(started.stdout)["id"]
        assert _final_status(execution_id, address, tmp_path, suffix)["status"] == "SUCCEEDED"

        deadline = time.monotonic() + 15
        code, report = _doctor(address, tmp_path, suffix, *skip)
        while code != 0 and time.monotonic() < deadline:
            time.sleep(0.3)
            code, report = _doctor(address, tmp_path, suffix, *skip)
        assert code == 0, report
        assert f"✓ queue gennaker-pipelines-{suffix}: 1 worker(s) polling" in report
        assert f"✓ queue gennaker-aws-{suffix}: 1 worker(s) polling" in report
        assert f"- queue gennaker-canary-{suffix}: skipped (--skip canary)" in report

        # Without --skip, the queues that never had a worker are named.
        code, report = _doctor(address, tmp_path, suffix)
        assert code == 1
        assert f"✗ queue gennaker-kubernetes-{suffix}: no worker polls it" in report
        assert "`gennaker worker --queue kubernetes`" in report

        aws.signal(signal.SIGTERM)
        assert aws.wait(30) == 0, aws.output()
        assert "stopped" in aws.output()
        # The server still lists the stopped worker's poller; its heartbeat says it left
        # (recorded a moment after the worker exits, so give doctor a few tries).
        deadline = time.monotonic() + 15
        code, report = _doctor(address, tmp_path, suffix, *skip)
        while code != 1 and time.monotonic() < deadline:
            time.sleep(0.3)
            code, report = _doctor(address, tmp_path, suffix, *skip)
        assert code == 1, report
        stopped = f"✗ queue gennaker-aws-{suffix}: no worker polls it (stopped: {aws.pid}@"
        assert stopped in report
        assert f"✓ queue gennaker-pipelines-{suffix}" in report


@pytest.mark.integration
def test_doctor_names_a_missing_namespace(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    code, report = _doctor(_address(dev_env), tmp_path, "", "--namespace", "no-such-namespace")
    assert code == 1
    assert "✗ namespace: 'no-such-namespace' does not exist" in report


def test_doctor_says_the_server_is_unreachable(tmp_path: Path) -> None:

    address = UNREACHABLE
    code, report = _doctor(address, tmp_path, "", "--json")
    assert code == 1
    shown = json.loads(report)
    assert shown["ok"] is False
    assert shown["checks"][0]["check"] == "server"
    assert address in shown["checks"][0]["message"]


@pytest.mark.integration
def test_worker_refuses_an_unknown_namespace(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    result = gennaker(
        "worker",
        "--queue",
        "pipelines",
        "--address",
        _address(dev_env),
        "--namespace",
        "no-such-namespace",
        home=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: namespace 'no-such-namespace' does not exist on {_address(dev_env)}"
    ]


def test_worker_refuses_a_bad_config_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("kubernetes:\n  acounts: []\n")
    result = gennaker("worker", "--queue", "pipelines", "--config", config, home=tmp_path)
    assert result.returncode == 2
    assert f"{config}: kubernetes.acounts: unknown key" in result.stderr
