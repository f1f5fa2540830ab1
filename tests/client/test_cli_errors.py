"""Bad input through the real ``gennaker`` executable: one line, exit 2, naming the culprit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.client.helpers import gennaker
from tests.conftest import UNREACHABLE

BAD_JSON = """{"application": "shop", "name": "deploy", "stages": [
  {"refId": "1", "type": "wait", "waitTime": 1},
  {"refId": "2", "type": "wait", "waitTime": "soon", "requisiteStageRefIds": ["1"]}
]}
"""

BAD_YAML = """\
application: shop
name: deploy
stages:
  - refId: "1"
    type: wait
    waitTime: 1
  - refId: "2"
    type: wait
    waitTime: 1
    requisiteStageRefIds: ["9"]
"""


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["status", "nope"],
        ["run", "shop", "deploy"],
        ["pipeline", "list"],
        ["worker", "--queue", "pipelines"],
    ],
    ids=lambda command: "-".join(command[:2]),
)
def test_an_unreachable_server_gives_one_line_naming_the_address(
    tmp_path: Path, command: list[str]
) -> None:
    address = UNREACHABLE
    line = _one_error_line(gennaker(*command, "--address", address, home=tmp_path))
    assert f"cannot reach Temporal at {address}" in line


@pytest.mark.parametrize(
    ("command", "name", "text", "field"),
    [
        (["pipeline", "validate"], "bad.json", BAD_JSON, "stages[1].waitTime"),
        (["pipeline", "validate"], "bad.yaml", BAD_YAML, "stages[1].requisiteStageRefIds[0]"),
        (["pipeline", "apply"], "bad.json", BAD_JSON, "stages[1].waitTime"),
        (["run", "-f"], "bad.yaml", BAD_YAML, "stages[1].requisiteStageRefIds[0]"),
    ],
    ids=["validate-json", "validate-yaml", "apply-json", "run-yaml"],
)
def test_an_invalid_pipeline_file_exits_2_naming_file_and_field(
    tmp_path: Path, command: list[str], name: str, text: str, field: str
) -> None:
    (tmp_path / name).write_text(text)
    # No server is needed: the file is refused before anything connects.
    address = UNREACHABLE
    extra = [] if command[1] == "validate" else ["--address", address]
    line = _one_error_line(gennaker(*command, name, *extra, home=tmp_path))
    assert line.startswith(f"error: {name}: {field}: ")


def test_a_missing_pipeline_file_is_named(tmp_path: Path) -> None:
    line = _one_error_line(gennaker("pipeline", "validate", "missing.yaml", home=tmp_path))
    assert "missing.yaml" in line


@pytest.mark.integration
def test_an_unknown_pipeline_exits_2_with_its_name(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    line = _one_error_line(
        gennaker("run", "nosuchapp", "nosuchpipe", "--address", address, home=tmp_path)
    )
    assert "nosuchapp" in line and "nosuchpipe" in line
    shown = _one_error_line(
        gennaker("pipeline", "show", "nosuchapp", "nosuchpipe", "--address", address, home=tmp_path)
    )
    assert "nosuchpipe" in shown


@pytest.mark.integration
@pytest.mark.parametrize(
    "command",
    [["status"], ["judge", "{id}", "1", "--continue"], ["cancel"]],
    ids=lambda command: command[0],
)
def test_an_unknown_execution_id_exits_2_with_the_id(
    dev_env: WorkflowEnvironment, tmp_path: Path, command: list[str]
) -> None:
    address = dev_env.client.service_client.config.target_host
    execution_id = "app/x/y"
    args = [part.format(id=execution_id) for part in command]
    if "{id}" not in command:
        args.append(execution_id)
    line = _one_error_line(gennaker(*args, "--address", address, home=tmp_path))
    assert f"'{execution_id}'" in line


def test_unreadable_tls_files_are_named(tmp_path: Path) -> None:
    result = gennaker(
        "status",
        "x",
        "--address",
        UNREACHABLE,
        "--tls-cert",
        "missing-cert.pem",
        "--tls-key",
        "missing-key.pem",
        home=tmp_path,
    )
    line = _one_error_line(result)
    assert "--tls-cert missing-cert.pem" in line


def test_a_bad_status_filter_is_named(tmp_path: Path) -> None:
    line = _one_error_line(gennaker("executions", "list", "--status", "BOGUS", home=tmp_path))
    assert "--status 'BOGUS'" in line
