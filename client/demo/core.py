"""The demo's core part: a release pipeline with a webhook build, a judgement and a child."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console

from client.client import GennakerClient
from emulators.http_stub import HttpStub, Reply
from models.execution import ExecutionView
from models.loading import load_pipeline_files

__all__ = ["PIPELINES", "ci_service", "run_core_demo"]

PIPELINES = Path(__file__).parent / "pipelines"


def ci_service() -> HttpStub:
    """A local stand-in for a CI service: builds take three polls, tests pass, chat accepts."""
    stub = HttpStub()
    stub.route(
        "POST", "/builds", Reply(201, {"queued": True}, {"location": stub.url("/builds/17")})
    )
    stub.route(
        "GET",
        "/builds/17",
        Reply(200, {"status": "RUNNING", "number": 17}),
        Reply(200, {"status": "RUNNING", "number": 17}),
        Reply(200, {"status": "SUCCESS", "number": 17}),
    )
    stub.route("POST", "/tests", Reply(200, {"passed": 128, "failed": 0}))
    stub.route("POST", "/chat", Reply(200, {"ok": True}))
    return stub


async def run_core_demo(
    gennaker: GennakerClient, ci: HttpStub, console: Console, follow: Any
) -> ExecutionView:
    """Apply the demo pipelines, run "Release", approve it as the demo user, wait for the end."""
    for _, pipeline in load_pipeline_files([PIPELINES]):
        result = await gennaker.registry.apply(pipeline, "demo")
        console.print(f"  saved [bold]{pipeline.key}[/] v{result.version}")
    execution_id = await gennaker.run(("demo", "Release"), {"ciUrl": ci.url("")}, user="demo")
    console.print(f"  started [bold]{execution_id}[/]")

    async def approve() -> None:
        while True:
            view = await gennaker.status(execution_id)
            if view.status.complete:
                return
            stage = view.stage("approve")
            if stage is not None and stage.context.get("awaitingJudgment"):
                await asyncio.sleep(1.5)  # long enough to see it wait in the table
                console.print(
                    f"  approving as [bold]release-manager[/]: gennaker judge {execution_id} approve "
                    "--continue --input ship"
                )
                await gennaker.judge(
                    execution_id,
                    "approve",
                    "continue",
                    judgment_input="ship",
                    user="release-manager",
                )
                return
            await asyncio.sleep(0.2)

    approver = asyncio.create_task(approve())
    view: ExecutionView = await follow(execution_id)
    await approver
    return view
