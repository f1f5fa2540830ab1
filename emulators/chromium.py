"""Headless Chromium (Debian ``chromium``): the Web UI as people see it.

The Temporal Web UI is a single-page app: without ``--virtual-time-budget``
Chromium prints or photographs the page before its scripts have drawn anything.
A page that keeps a request open (the workflow page long-polls its history) never
lets virtual time run out, so use pages that settle, such as the workflow list.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from models.errors import GennakerError

__all__ = ["chromium_binary", "dump_dom", "render", "screenshot"]

# Flags that work as root in a container with no display, GPU or internet.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def chromium_binary() -> str:
    """Path of Chromium: ``$CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH.

    Raises:
        GennakerError: No Chromium is installed (Debian: ``apt-get install chromium``).
    """
    candidates = [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and (found := shutil.which(candidate)):
            return found
    raise GennakerError("cannot find Chromium: install the Debian package 'chromium'")


def _run(
    extra: list[str], url: str, width: int, height: int, budget_ms: int, timeout: float
) -> str:
    """Run Chromium once on ``url`` with a scratch profile; return what it printed."""
    with tempfile.TemporaryDirectory(prefix="gennaker-chromium-") as profile:
        args = [
            chromium_binary(),
            *_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--virtual-time-budget={budget_ms}",
            *extra,
            url,
        ]
        # Its own process group: Chromium forks renderer and utility processes, and a
        # timeout must stop all of them, not just the browser process.
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise GennakerError(f"Chromium did not finish {url} in {timeout:.0f}s") from None
        finally:
            # Helpers that outlive the browser would keep writing into the profile.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        if process.returncode != 0:
            last = (err.strip().splitlines() or ["no output"])[-1]
            raise GennakerError(f"Chromium failed on {url} (exit {process.returncode}): {last}")
        return out


def render(
    url: str,
    out: Path,
    *,
    width: int = 1400,
    height: int = 900,
    budget_ms: int = 15000,
    timeout: float = 90.0,
) -> str:
    """Photograph the page into ``out`` (PNG) and return its DOM, from one Chromium run.

    One run costs half of two, and the DOM is then exactly what the image shows.

    Raises:
        GennakerError: Chromium failed, did not finish, or wrote no image.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        out.unlink()  # so that a stale file cannot pass for a new screenshot
    dom = _run(["--dump-dom", f"--screenshot={out}"], url, width, height, budget_ms, timeout)
    if not out.is_file() or out.stat().st_size == 0:
        raise GennakerError(f"Chromium wrote no screenshot of {url} to {out}")
    return dom


def dump_dom(
    url: str,
    *,
    width: int = 1400,
    height: int = 900,
    budget_ms: int = 15000,
    timeout: float = 90.0,
) -> str:
    """The page's DOM after its scripts ran for ``budget_ms`` of virtual time."""
    return _run(["--dump-dom"], url, width, height, budget_ms, timeout)


def screenshot(
    url: str,
    out: Path,
    *,
    width: int = 1400,
    height: int = 900,
    budget_ms: int = 15000,
    timeout: float = 90.0,
) -> Path:
    """Save a PNG of the page at ``out`` after ``budget_ms`` of virtual time.

    Raises:
        GennakerError: Chromium failed, did not finish, or wrote no image.
    """
    render(url, out, width=width, height=height, budget_ms=budget_ms, timeout=timeout)
    return out.resolve()
