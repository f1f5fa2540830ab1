"""``docker-compose.yml`` and ``deploy/``: a real deployment, checked without a Docker engine."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from emulators.temporal import temporal_cli
from models.config import load_config
from models.search import SEARCH
from tests.client.helpers import gennaker
from workers.build import QUEUE_KINDS

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "deploy" / "setup-gennaker.sh"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def _server(compose: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Temporal server service (official image) and its definition."""
    found = [
        (name, s)
        for name, s in _services(compose).items()
        if str(s.get("image", "")).startswith(("temporalio/server:", "temporalio/auto-setup:"))
    ]
    assert len(found) == 1, found
    return found[0]


def _worker_queue(service: dict[str, Any]) -> str | None:
    command = service.get("command") or []
    if isinstance(command, str):
        command = command.split()
    if command[:2] == ["worker", "--queue"]:
        return str(command[2])
    return None


def test_every_queue_has_a_worker_service_built_from_the_repository(
    compose: dict[str, Any],
) -> None:
    server_name, _ = _server(compose)
    workers = {
        _worker_queue(service): (name, service)
        for name, service in _services(compose).items()
        if _worker_queue(service)
    }
    assert set(workers) == set(QUEUE_KINDS)
    for queue, (name, service) in workers.items():
        dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
        assert dockerfile.is_file(), name
        text = dockerfile.read_text()
        assert 'ENTRYPOINT ["gennaker"]' in text
        assert "pip install" in text
        env = service["environment"]
        assert env["TEMPORAL_ADDRESS"] == f"{server_name}:7233", (queue, env)
        assert service["depends_on"]["gennaker-setup"]["condition"] == (
            "service_completed_successfully"
        )


def test_the_ui_points_at_the_server(compose: dict[str, Any]) -> None:
    server_name, server = _server(compose)
    uis = [s for s in _services(compose).values() if str(s["image"]).startswith("temporalio/ui:")]
    assert len(uis) == 1
    ui = uis[0]
    assert ui["environment"]["TEMPORAL_ADDRESS"] == f"{server_name}:7233"
    assert server_name in ui["depends_on"]
    assert "7233:7233" in server["ports"]


def test_the_server_runs_on_postgresql(compose: dict[str, Any]) -> None:
    _, server = _server(compose)
    env = server["environment"]
    assert env["DB"] == "postgres12"
    database = _services(compose)[env["POSTGRES_SEEDS"]]
    assert str(database["image"]).startswith("postgres:")
    mounted = [v for v in server["volumes"] if v.endswith("/etc/temporal/config/dynamicconfig:ro")]
    assert len(mounted) == 1
    config_dir = ROOT / mounted[0].split(":")[0]
    assert (config_dir / Path(env["DYNAMIC_CONFIG_FILE_PATH"]).name).is_file()
    # The schema job must finish before the server starts.
    schema = [
        name
        for name, s in _services(compose).items()
        if s.get("entrypoint") == ["/bin/sh", "/deploy/setup-postgres.sh"]
    ]
    assert len(schema) == 1
    assert server["depends_on"][schema[0]]["condition"] == "service_completed_successfully"
    assert (ROOT / "deploy" / "setup-postgres.sh").is_file()


def test_the_setup_job_registers_exactly_our_search_attributes(compose: dict[str, Any]) -> None:
    server_name, _ = _server(compose)
    job = _services(compose)["gennaker-setup"]
    assert str(job["image"]).startswith("temporalio/admin-tools:")
    assert job["entrypoint"] == ["/bin/sh", "/deploy/setup-gennaker.sh"]
    assert job["environment"]["TEMPORAL_ADDRESS"] == f"{server_name}:7233"
    assert job["depends_on"][server_name]["condition"] == "service_healthy"
    pairs = dict(re.findall(r"--name (\w+) --type (\w+)", SETUP.read_text()))
    expected = {
        key.name: "Bool" if key.indexed_value_type.name == "BOOL" else "Keyword"
        for key in SEARCH.all()
    }
    assert pairs == expected


def test_the_worker_config_file_is_valid() -> None:
    assert load_config(ROOT / "deploy" / "gennaker.yaml").aws.accounts == []


@pytest.mark.integration
def test_the_setup_script_prepares_a_fresh_namespace(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Run deploy/setup-gennaker.sh with the real ``temporal`` CLI, then ask doctor."""
    address = str(dev_env.client.service_client.config.target_host)
    namespace = f"setup-{uuid.uuid4().hex[:8]}"
    doctor = ("doctor", "--address", address, "--namespace", namespace)
    skip_queues = [flag for kind in QUEUE_KINDS for flag in ("--skip", kind)]
    before = gennaker(*doctor, *skip_queues, home=tmp_path)
    assert before.returncode == 1
    assert f"'{namespace}' does not exist" in before.stdout

    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "PATH": f"{Path(temporal_cli()).parent}{os.pathsep}{os.environ['PATH']}",
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": namespace,
        "GENNAKER_SETUP_PAUSE": "0.2",
    }
    for _ in range(2):  # the second run finds everything in place
        done = subprocess.run(
            ["sh", str(SETUP)], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"namespace {namespace} is ready for Gennaker" in done.stdout

    after = gennaker(*doctor, *skip_queues, home=tmp_path)
    assert after.returncode == 0, after.stdout
    assert after.stdout.count("registered") == len(SEARCH.all())
