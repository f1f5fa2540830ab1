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

__all__ = ["free_port", "free_ports", "spawn", "stop_process", "wait_until_answering"]


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
