"""Running the simulator: in this process (threads) or as a child process, plus a kubeconfig.

:class:`KubernetesSimulator` serves from threads of the current process (fast,
for tests); :class:`SimulatorProcess` runs ``python -m emulators.kubernetes`` and
stops exactly the process it started. Both listen on a free port of 127.0.0.1
and write a kubeconfig that the official client and ``kubectl`` accept.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from emulators.kubernetes.cluster import Cluster
from emulators.kubernetes.server import SimulatorHTTPServer
from emulators.process import free_port

__all__ = ["CONTEXT", "KubernetesSimulator", "SimulatorProcess", "free_port", "write_kubeconfig"]

CONTEXT = "gennaker-simulator"
"""The context name written to kubeconfigs."""


def write_kubeconfig(path: str | os.PathLike[str], url: str, context: str = CONTEXT) -> Path:
    """Write a kubeconfig whose ``context`` points at ``url`` (no TLS, a dummy token)."""
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": context, "user": {"token": "gennaker-simulator"}}],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": context, "user": context, "namespace": "default"},
            }
        ],
        "current-context": context,
        "preferences": {},
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


class KubernetesSimulator:
    """The simulator served from threads of this process; a context manager.

    Args:
        port: The port (a free one when None).
        host: The address to listen on.
        pod_ready_seconds: Seconds until a Pod is Ready (``$SIM_POD_READY_SECONDS``, else 0.5).
        bad_image: Regular expression of images that cannot be pulled (``$SIM_BAD_IMAGE``).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        pod_ready_seconds: float | None = None,
        bad_image: str | None = None,
    ) -> None:
        self.cluster = Cluster(pod_ready_seconds=pod_ready_seconds, bad_image=bad_image)
        self._server = SimulatorHTTPServer((host, port or 0), self.cluster)
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The API server URL."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> KubernetesSimulator:
        """Serve and run the controllers."""
        self.cluster.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and stop the controllers."""
        self._server.shutdown()
        self._server.server_close()
        self.cluster.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def write_kubeconfig(self, path: str | os.PathLike[str], context: str = CONTEXT) -> Path:
        """A kubeconfig for this simulator."""
        return write_kubeconfig(path, self.url, context)

    def __enter__(self) -> KubernetesSimulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class SimulatorProcess:
    """``python -m emulators.kubernetes`` as a child process; a context manager.

    Args:
        port: The port (a free one when None).
        pod_ready_seconds: Passed as ``--pod-ready-seconds``.
        bad_image: Passed as ``--bad-image``.
        startup_timeout: Seconds to wait for ``/readyz``.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        pod_ready_seconds: float | None = None,
        bad_image: str | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.port = port or free_port()
        self._args = [sys.executable, "-m", "emulators.kubernetes", "--port", str(self.port)]
        if pod_ready_seconds is not None:
            self._args += ["--pod-ready-seconds", str(pod_ready_seconds)]
        if bad_image is not None:
            self._args += ["--bad-image", bad_image]
        self._timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The API server URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SimulatorProcess:
        """Start the process and wait until it answers."""
        root = Path(__file__).resolve().parents[2]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
        }
        self._process = subprocess.Popen(
            self._args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"the Kubernetes simulator exited with {self._process.returncode}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the Kubernetes simulator did not answer on {self.url}")

    def stop(self) -> None:
        """Stop the process this object started."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def write_kubeconfig(self, path: str | os.PathLike[str], context: str = CONTEXT) -> Path:
        """A kubeconfig for this simulator."""
        return write_kubeconfig(path, self.url, context)

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
