"""Running the real ``gennaker`` executable in tests, in the foreground or the background."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

__all__ = ["GENNAKER", "Background", "cli_env", "gennaker", "process_alive", "server_children"]

GENNAKER = Path(sys.executable).parent / "gennaker"


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: a scratch HOME, no inherited Temporal address."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEMPORAL_", "GENNAKER_")) and k != "HOME"
    }
    env.update(HOME=str(home), COLUMNS="200", NO_COLOR="1", **extra)
    return env


def gennaker(
    *args: str | int | Path, home: Path, timeout: float = 60, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run ``gennaker ARGS...`` to its end."""
    return subprocess.run(
        [str(GENNAKER), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(home, **extra),
        cwd=home,
        check=False,
    )


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def server_children(pid: int) -> list[int]:
    """Child processes of ``pid`` that are Temporal dev servers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if ppid == pid and b"start-dev" in cmdline:
                found.append(int(entry.name))
    return found


class Background:
    """``gennaker ARGS...`` running in its own process group, its output collected.

    Leaving the ``with`` block kills what is still running (by process group).
    """

    def __init__(self, *args: str | int | Path, home: Path, **extra: str) -> None:
        self.args = [str(GENNAKER), *map(str, args)]
        self.env = cli_env(home, **extra)
        self.home = home
        self.lines: list[str] = []
        self._ended = False
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Background:
        self.process = subprocess.Popen(
            self.args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            cwd=self.home,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _take(self, timeout: float) -> bool:
        """Move one printed line into ``lines``; False when nothing came or output ended."""
        if self._ended:
            return False
        try:
            line = self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
        except queue.Empty:
            return False
        if line is None:
            self._ended = True
            return False
        self.lines.append(line)
        return True

    def output(self) -> str:
        """Everything printed so far."""
        while self._take(0):
            pass
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        """Wait until a printed line contains ``text``; return the output so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._take(0.1) and text in self.lines[-1]:
                return self.output()
            if self._ended:
                raise AssertionError(f"exited before printing {text!r}:\n{self.output()}")
        raise AssertionError(f"no {text!r} after {timeout}s:\n{self.output()}")

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process (not its group: as a terminal's Ctrl-C to it)."""
        os.kill(self.pid, sig)

    def wait(self, timeout: float = 30) -> int:
        """Wait for the exit; return the exit code."""
        assert self.process is not None
        code = self.process.wait(timeout)
        deadline = time.monotonic() + 5
        while not self._ended and time.monotonic() < deadline:  # the rest of the output
            self._take(0.1)
        return code

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            for child in server_children(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child, signal.SIGKILL)  # the server runs in its own group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
