"""The README's Web UI screenshot: ``.venv/bin/python docs/screenshot.py [OUT.png]``.

Starts the embedded Temporal with its Web UI on free ports and a pipelines worker,
runs one pipeline to the end and starts another that waits at a manual judgement,
then photographs the Web UI's workflow list, filtered by Gennaker's search
attribute, with headless Chromium (Debian ``chromium``). Everything it starts is
stopped before it returns. The tests call :func:`capture` too.
"""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from temporalio.client import Client  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402

from client.cli.server import serve_workers  # noqa: E402
from client.client import GennakerClient  # noqa: E402
from emulators.chromium import render  # noqa: E402
from emulators.process import free_ports  # noqa: E402
from emulators.temporal import DevServer  # noqa: E402
from models.config import GennakerConfig  # noqa: E402
from models.execution import ExecutionView  # noqa: E402
from models.pipeline import Pipeline  # noqa: E402
from models.run import TaskQueues  # noqa: E402
from workers.build import build_workers  # noqa: E402

__all__ = ["Capture", "capture"]

DEFAULT_OUT = ROOT / "docs" / "web-ui.png"

BUILD = {
    "application": "shop",
    "name": "build",
    "stages": [
        {"refId": "1", "type": "wait", "name": "Compile", "waitTime": 0},
        {"refId": "2", "type": "wait", "name": "Unit tests", "waitTime": 0},
        {
            "refId": "3",
            "type": "evaluateVariables",
            "name": "Version",
            "requisiteStageRefIds": ["1", "2"],
            "variables": [{"key": "version", "value": "1.4.2"}],
        },
    ],
}

RELEASE = {
    "application": "shop",
    "name": "release",
    "stages": [
        {"refId": "1", "type": "wait", "name": "Soak in staging", "waitTime": 0},
        {
            "refId": "2",
            "type": "manualJudgment",
            "name": "Approve production",
            "requisiteStageRefIds": ["1"],
            "instructions": "Check the staging dashboards, then continue.",
        },
        {
            "refId": "3",
            "type": "wait",
            "name": "Deploy production",
            "requisiteStageRefIds": ["2"],
            "waitTime": 0,
        },
    ],
}


@dataclass(frozen=True)
class Capture:
    """What :func:`capture` photographed.

    Attributes:
        png: The screenshot.
        url: The Web UI page.
        dom: That page's DOM once rendered (what the screenshot shows, as text).
        running_id: The execution waiting at its manual judgement.
        finished_id: The execution that ran to the end.
    """

    png: Path
    url: str
    dom: str
    running_id: str
    finished_id: str


async def _until(client: GennakerClient, execution_id: str, done: str) -> ExecutionView:
    """Poll a run's view until ``done`` (``finished`` or ``judging``) holds."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        view = await client.status(execution_id)
        if done == "finished" and view.status.complete:
            return view
        if done == "judging" and any(s.context.get("awaitingJudgment") for s in view.stages):
            return view
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{execution_id} did not reach {done!r} in 30s")


async def capture(out: Path = DEFAULT_OUT, *, width: int = 1400, height: int = 900) -> Capture:
    """Stage a finished and a waiting run, then photograph the Web UI's list of them."""
    port, ui_port = free_ports(2)
    with DevServer(port=port, ui_port=ui_port) as server:
        temporal = await Client.connect(server.address, data_converter=pydantic_data_converter)
        queues = TaskQueues()
        workers = build_workers(temporal, GennakerConfig(), queues, kinds=("pipelines",))
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_workers(workers, stop))
        try:
            client = GennakerClient(temporal, queues)
            finished = await client.run(Pipeline.model_validate(BUILD), user="alice")
            await _until(client, finished, "finished")
            running = await client.run(Pipeline.model_validate(RELEASE), user="alice")
            await _until(client, running, "judging")
            # The list page settles (the workflow page long-polls and never would); the
            # query shows the UI filtering on Gennaker's own search attribute.
            query = urllib.parse.quote('GennakerApplication="shop"')
            url = f"{server.ui_url}/namespaces/default/workflows?query={query}"
            dom = await asyncio.to_thread(render, url, out, width=width, height=height)
        finally:
            stop.set()
            await serving
    return Capture(png=out.resolve(), url=url, dom=dom, running_id=running, finished_id=finished)


def main(argv: list[str]) -> int:
    """Write the screenshot to ``argv[0]`` (default ``docs/web-ui.png``)."""
    out = Path(argv[0]) if argv else DEFAULT_OUT
    shot = asyncio.run(capture(out))
    print(f"{shot.png}: {shot.running_id} (waiting for judgement), {shot.finished_id}")
    return 0


if __name__ == "__main__":
    import os

    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # the temporalio client can abort at interpreter exit
