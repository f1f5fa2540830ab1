"""``gennaker demo`` runs its pipelines to SUCCEEDED and serves a reachable Web UI link."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


@pytest.mark.integration
def test_demo_prints_a_succeeded_run_and_a_reachable_ui_link(tmp_path: Path) -> None:
    gennaker = Path(sys.executable).parent / "gennaker"
    process = subprocess.Popen(
        [str(gennaker), "demo"],
        env={**os.environ, "HOME": str(tmp_path), "COLUMNS": "200", "GENNAKER_DEMO_EXIT": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    output = ""
    deadline = time.monotonic() + 600
    try:
        while "Ctrl-C stops it" not in output:
            assert time.monotonic() < deadline, output[-3000:]
            assert process.poll() is None, output[-3000:]
            ready, _, _ = select.select([process.stdout], [], [], 1.0)
            if ready:
                output += os.read(process.stdout.fileno(), 65536).decode(errors="replace")
        assert "demo succeeded" in output, output[-3000:]
        assert re.search(r"Release pipeline\s+│\s+demo/release/\S+\s+│\s+SUCCEEDED", output), (
            output[-3000:]
        )
        link = re.search(r"Web UI: (http://127\.0\.0\.1:\d+)", output)
        assert link, output[-3000:]
        page = httpx.get(link.group(1), timeout=10, follow_redirects=True)
        assert page.status_code == 200 and "<html" in page.text.lower()
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
