"""The embedded Temporal dev server: ports, readiness, and stopping exactly what it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from emulators.process import free_ports
from emulators.temporal import DevServer, PortsTaken, free_port, port_is_free
from tests.client.helpers import process_alive


def test_taken_ports_are_all_named_and_nothing_starts() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as grpc,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ui,
    ):
        for sock in (grpc, ui):
            sock.bind(("127.0.0.1", 0))
            sock.listen()
        ports = [grpc.getsockname()[1], ui.getsockname()[1]]
        server = DevServer(port=ports[0], ui_port=ports[1])
        with pytest.raises(PortsTaken) as taken:
            server.start()
    assert taken.value.ports == ports
    assert f"{ports[0]} (gRPC), {ports[1]} (Web UI)" in str(taken.value)
    assert server.process is None


@pytest.mark.integration
def test_start_waits_for_the_ui_and_stop_leaves_nothing(tmp_path: Path) -> None:
    port, ui_port = free_ports(2)
    server = DevServer(port=port, ui_port=ui_port, db_file=tmp_path / "t.db")
    with server:
        assert server.pid is not None and process_alive(server.pid)
        assert server.ui_url is not None
        with urllib.request.urlopen(server.ui_url, timeout=5) as page:  # no retry needed
            assert page.status == 200
        with socket.create_connection(("127.0.0.1", server.port), 1):
            pass
    assert not process_alive(server.pid)
    assert port_is_free(server.port) and server.ui_port and port_is_free(server.ui_port)
    assert (tmp_path / "t.db").is_file()


@pytest.mark.integration
def test_the_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """``gennaker up`` killed with SIGKILL must not leave its server holding the ports."""
    port = free_port()
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import time
                from emulators.temporal import DevServer
                server = DevServer(port={port}, ui_port=None, die_with_parent=True).start()
                print(server.pid, flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
    )
    server_pid = 0
    try:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        assert process_alive(server_pid)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while process_alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(server_pid)
    finally:
        if parent.poll() is None:
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait()
        if server_pid and process_alive(server_pid):
            os.killpg(server_pid, signal.SIGKILL)  # the server leads its own group
