"""Orchestrates ``gennaker demo``: servers, stand-ins, workers, runs, summary."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.live import Live
from rich.table import Table
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from client.cli.output import stage_table, status_text
from client.client import GennakerClient
from client.demo.core import ci_service, run_core_demo
from emulators.process import free_ports
from emulators.temporal import DevServer, port_is_free
from models.config import GennakerConfig
from models.execution import ExecutionView
from models.run import TaskQueues
from models.status import Status
from workers.build import build_workers

__all__ = ["DemoPart", "DemoResult", "run_demo"]


@dataclass
class DemoPart:
    """One part of the demo and how it went."""

    name: str
    stand_ins: str
    views: list[ExecutionView] = field(default_factory=list)
    skipped: str | None = None

    @property
    def succeeded(self) -> bool:
        """Every run of this part ended SUCCEEDED (a skipped part counts as fine)."""
        return self.skipped is not None or all(v.status == Status.SUCCEEDED for v in self.views)


@dataclass
class DemoResult:
    """What the demo did, and where to look."""

    ui_url: str
    address: str
    parts: list[DemoPart]

    @property
    def succeeded(self) -> bool:
        """All parts succeeded."""
        return all(part.succeeded for part in self.parts)


def _ports() -> tuple[int, int]:
    # The usual ports when they are free, so the printed link is the familiar one.
    spare, spare_ui = free_ports(2)
    port = 7233 if port_is_free(7233) else spare
    ui_port = 8233 if port_is_free(8233) else spare_ui
    return port, ui_port


@contextlib.asynccontextmanager
async def _workers(
    client: Client, config: GennakerConfig, queues: TaskQueues
) -> AsyncIterator[list[Worker]]:
    workers = build_workers(client, config, queues)
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        yield workers
    finally:
        for worker in workers:
            await worker.shutdown()
        for task in tasks:
            with contextlib.suppress(Exception):
                await task


def _follow(
    gennaker: GennakerClient, console: Console
) -> Callable[[str], Awaitable[ExecutionView]]:
    async def follow(execution_id: str) -> ExecutionView:
        final: ExecutionView | None = None
        with Live(console=console, refresh_per_second=4) as live:
            async for view in gennaker.follow(execution_id, poll_seconds=0.25):
                live.update(stage_table(view))
                final = view
        assert final is not None
        return final

    return follow


_OPTIONAL_PARTS: list[tuple[str, str, str, str]] = [
    # (title, module, function, stand-ins)
    (
        "AWS: bake, red/black deploys, rollback",
        "client.demo_aws",
        "run_aws_demo",
        "moto (AWS), Packer",
    ),
    (
        "Kubernetes: deploy, update, undo",
        "client.demo_kubernetes",
        "run_kubernetes_demo",
        "Kubernetes simulator",
    ),
    (
        "Canary analysis",
        "client.demo_canary",
        "run_canary_demo",
        "Prometheus with recorded metrics",
    ),
]


async def run_demo(console: Console, *, keep_serving: bool = True) -> DemoResult:
    """Run the whole demo; serve the UI afterwards until Ctrl-C when ``keep_serving``."""
    port, ui_port = _ports()
    server = DevServer(port=port, ui_port=ui_port, db_file=None)
    console.print(
        "[bold]Gennaker demo[/]: Temporal is the only stateful service; everything else is local."
    )
    server.start()
    parts: list[DemoPart] = []
    try:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        ui_url = server.ui_url or ""
        console.print(f"Temporal dev server on {server.address}, Web UI at [bold]{ui_url}[/]")
        with tempfile.TemporaryDirectory(prefix="gennaker-demo-") as scratch, ci_service() as ci:
            stack = contextlib.AsyncExitStack()
            async with stack:
                config, extras = await _stand_ins(stack, Path(scratch), console)
                queues = TaskQueues()
                await stack.enter_async_context(_workers(client, config, queues))
                gennaker = GennakerClient(client, queues)
                follow = _follow(gennaker, console)
                core = DemoPart("Release pipeline", "an HTTP stub as the CI service")
                console.rule(core.name)
                core.views.append(await run_core_demo(gennaker, ci, console, follow))
                parts.append(core)
                for title, module, function, stand_ins in _OPTIONAL_PARTS:
                    part = DemoPart(title, stand_ins)
                    parts.append(part)
                    console.rule(title)
                    try:
                        runner = getattr(importlib.import_module(module), function)
                    except (ImportError, AttributeError) as err:
                        part.skipped = f"not installed ({err})"
                        console.print(f"  skipped: {part.skipped}")
                        continue
                    outcome = await runner(gennaker, console=console, follow=follow, **extras)
                    part.views.extend(outcome if isinstance(outcome, list) else [outcome])
                result = DemoResult(ui_url=ui_url, address=server.address, parts=parts)
                _summary(console, result)
                if keep_serving:
                    console.print(
                        "The stack keeps running so you can explore the UI. Ctrl-C stops it."
                    )
                    await _until_interrupted()
        return result
    finally:
        server.stop()


async def _stand_ins(
    stack: contextlib.AsyncExitStack, scratch: Path, console: Console
) -> tuple[GennakerConfig, dict[str, Any]]:
    """Start the local stand-ins that are installed; return the worker config and their handles."""
    config: dict[str, Any] = {"timezone": "UTC", "roles": {"release-manager": ["release-managers"]}}
    extras: dict[str, Any] = {"scratch": scratch}
    with contextlib.suppress(ImportError):
        from emulators.moto import MotoServer

        moto = stack.enter_context(MotoServer())
        extras["moto"] = moto
        config["aws"] = {
            "accounts": [
                {"name": "demo", "regions": ["us-east-1", "us-west-2"], "endpointUrl": moto.url}
            ]
        }
        console.print(f"  AWS stand-in: moto on {moto.url}")
    return GennakerConfig.model_validate(config), extras


def _summary(console: Console, result: DemoResult) -> None:
    table = Table(title="demo runs", title_justify="left")
    for column in ("part", "execution", "status", "local stand-ins"):
        table.add_column(column)
    for part in result.parts:
        if part.skipped:
            table.add_row(part.name, "-", "skipped", part.skipped)
            continue
        for view in part.views:
            table.add_row(part.name, view.id, status_text(view.status), part.stand_ins)
    console.print(table)
    query = quote('WorkflowType="Pipeline"')
    listing = f"{result.ui_url}/namespaces/default/workflows?query={query}"
    console.print(f"Web UI: [bold]{result.ui_url}[/]  (runs: {listing})")
    for part in result.parts:
        for view in part.views:
            console.print(
                f"  {view.id}: {result.ui_url}/namespaces/default/workflows/{quote(view.id, safe='')}"
            )
    console.print(
        "[bold green]demo succeeded[/]"
        if result.succeeded
        else "[bold red]a demo run did not succeed[/]"
    )


async def _until_interrupted() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
