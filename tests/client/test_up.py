"""``gennaker up``: the embedded stack starts, serves, is healthy, and stops cleanly."""

from __future__ import annotations

import re
import signal
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.process import free_ports
from emulators.temporal import free_port, port_is_free
from tests.client.helpers import Background, gennaker, process_alive, server_children
from workers.build import QUEUE_KINDS


def _not_served(output: str) -> list[str]:
    """Queue kinds that ``up`` says it has no worker for."""
    match = re.search(r"^not served (.+?):", output, re.MULTILINE)
    if match is None:
        return []
    return [name.strip().removeprefix("gennaker-") for name in match.group(1).split(",")]


def _doctor_until_green(address: str, home: Path, *skip_flags: str) -> str:
    """Run doctor until it passes: a worker's first poll reaches the server a moment late."""
    deadline = time.monotonic() + 15
    while True:
        result = gennaker("doctor", "--address", address, *skip_flags, home=home)
        if result.returncode == 0 or time.monotonic() > deadline:
            assert result.returncode == 0, result.stdout + result.stderr
            return result.stdout
        time.sleep(0.3)


@pytest.mark.integration
def test_up_serves_every_queue_doctor_is_green_and_sigterm_stops_all(tmp_path: Path) -> None:
    port, ui_port = free_ports(2)
    address = f"127.0.0.1:{port}"
    with Background("up", "--port", port, "--ui-port", ui_port, home=tmp_path) as up:
        printed = up.wait_for("Ctrl-C stops everything", timeout=40)
        assert f"http://127.0.0.1:{ui_port}" in printed
        servers = server_children(up.pid)
        assert len(servers) == 1, servers
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/", timeout=5) as page:
            assert page.status == 200

        # Every provider is installed here, so every queue has a worker and doctor is green.
        assert _not_served(printed) == []
        report = _doctor_until_green(address, tmp_path)
        for kind in QUEUE_KINDS:
            assert f"✓ queue gennaker-{kind}:" in report
        for name in ("Application", "Pipeline", "Status", "Trigger", "AwaitingJudgment"):
            assert f"✓ search attribute Gennaker{name}: registered" in report

        up.signal(signal.SIGTERM)
        assert up.wait(30) == 0, up.output()
    assert "stopped: workers and Temporal server" in up.output()
    assert not process_alive(servers[0])
    assert port_is_free(port) and port_is_free(ui_port)
    assert (tmp_path / ".gennaker" / "temporal.db").is_file()
    gone = gennaker("doctor", "--address", address, home=tmp_path)
    assert gone.returncode == 1 and f"✗ server: cannot reach Temporal at {address}" in gone.stdout


@pytest.mark.integration
def test_up_in_memory_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, ui_port = free_ports(2)
    with Background("up", "--port", port, "--ui-port", ui_port, "--memory", home=tmp_path) as up:
        printed = up.wait_for("Ctrl-C stops everything", timeout=40)
        assert "(in memory)" in printed
        servers = server_children(up.pid)
        assert len(servers) == 1
        up.signal(signal.SIGINT)
        assert up.wait(30) == 0, up.output()
    assert not process_alive(servers[0])
    assert port_is_free(port)
    assert not (tmp_path / ".gennaker" / "temporal.db").exists()


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_up_names_the_ports_that_are_taken(tmp_path: Path, listening: int) -> None:
    other = free_port()
    result = gennaker("up", "--port", listening, "--ui-port", other, home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: ports already in use on 127.0.0.1: {listening} (gRPC); "
        "pick others with --port/--ui-port"
    ]
    both = gennaker("up", "--port", other, "--ui-port", listening, home=tmp_path)
    assert both.returncode == 2
    assert f"{listening} (Web UI)" in both.stderr
    assert "Traceback" not in both.stderr
    assert port_is_free(other)  # nothing was started


def test_up_refuses_a_bad_config_file_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "gennaker.yaml"
    config.write_text("aws:\n  accounts:\n    - name: prod\n      regions: []\n")
    port, ui_port = free_ports(2)
    result = gennaker("up", "--port", port, "--ui-port", ui_port, "--config", config, home=tmp_path)
    assert result.returncode == 2
    assert str(config) in result.stderr
    assert "aws.accounts[0].regions" in result.stderr
    assert "Traceback" not in result.stderr
    assert port_is_free(port)
    assert not (tmp_path / ".gennaker" / "temporal.db").exists()


def test_up_refuses_db_with_memory(tmp_path: Path) -> None:
    result = gennaker("up", "--db", tmp_path / "t.db", "--memory", home=tmp_path)
    assert result.returncode == 2
    assert "--db and --memory exclude each other" in result.stderr
