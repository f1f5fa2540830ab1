"""Running a local stand-in as a child process: free ports, readiness, stopping by pid.

Shared by the moto, Prometheus and Kubernetes-simulator launchers (and the
embedded Temporal), so each only says what to run and how to tell it is ready.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from types import TracebackType
from typing import ClassVar, Self

from models.errors import GennakerError

__all__ = [
    "HttpService",
    "free_port",
    "free_ports",
    "spawn",
    "stop_process",
    "wait_until_answering",
]


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now (take it soon: another process may)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct free ports (two calls of :func:`free_port` may return the same one)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((host, 0))  # held open until all are chosen, so none repeats
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def spawn(
    command: Sequence[str], log_path: str | os.PathLike[str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output in ``log_path`` (discarded when None)."""
    if log_path:
        # The child keeps its own handle; ours can close at once.
        with open(log_path, "ab") as log:
            return subprocess.Popen(
                list(command), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
    return subprocess.Popen(
        list(command),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )


def wait_until_answering(process: subprocess.Popen[bytes], url: str, timeout: float) -> str | None:
    """Poll ``url`` until it answers 2xx; None when it does, else why not (exit, timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with code {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if 200 <= response.status < 300:
                    return None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    return f"no answer within {timeout:.0f}s"


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """Terminate a child we started (by its pid), then kill it if it does not stop."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class HttpService:
    """A stand-in served over HTTP by a child process on a free port; a context manager.

    Subclasses say what to run (:meth:`_command`) and where it answers when ready
    (``ready_path``); this class finds a port, starts it, waits, retries on another
    port if the chosen one was taken meanwhile, and stops exactly its own process.

    Args:
        host: The address to listen on.
        startup_timeout: Seconds to wait for the service to answer.
        log_path: Where its output goes (discarded when None).
    """

    name: ClassVar[str] = "service"
    ready_path: ClassVar[str] = "/"

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        startup_timeout: float = 30.0,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.host = host
        self.port: int | None = None
        self._startup_timeout = startup_timeout
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The base URL.

        Raises:
            GennakerError: The service is not running.
        """
        if self.port is None or self._process is None:
            raise GennakerError(f"the {self.name} server is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process id, while it runs."""
        return self._process.pid if self._process is not None else None

    def _command(self, port: int) -> list[str]:
        """The command line that serves on ``port``."""
        raise NotImplementedError

    def _prepare(self) -> None:
        """Work before the first start (Prometheus backfills its history)."""

    def _cleanup(self) -> None:
        """Work after the process stopped (remove scratch data)."""

    def start(self) -> Self:
        """Start the service and wait until it answers.

        Raises:
            GennakerError: It did not start (three ports tried).
        """
        if self._process is not None:
            return self
        try:
            self._prepare()
            last_error = "no attempt"
            for _ in range(3):
                # A port found free can be taken before the service binds it: try another.
                port = free_port(self.host)
                self._process, self.port = spawn(self._command(port), self._log_path), port
                error = wait_until_answering(
                    self._process, f"{self.url}{self.ready_path}", self._startup_timeout
                )
                if error is None:
                    return self
                last_error = error
                self._terminate()
            raise GennakerError(f"{self.name} did not start: {last_error}")
        except BaseException:
            self.stop()
            raise

    def _terminate(self) -> None:
        process, self._process = self._process, None
        self.port = None
        stop_process(process)

    def stop(self) -> None:
        """Stop the process this object started (by its pid); safe to call twice."""
        self._terminate()
        self._cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
